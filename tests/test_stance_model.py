"""The stance model's parts: topic weights learned from questions, features read from one office's
own units, the fitted file, and the fitter's thresholds and figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evals.stance import Scored, question_figures, thresholds
from planqa.errors import ConfigError
from retrieval.stance_features import (
    STANCE_FEATURES,
    TopicWeights,
    UnitEvidence,
    lexical_scale,
    shows_topic,
    stance_vector,
)
from retrieval.stance_model import DEFAULT_STANCE, StanceModel, load_stance
from retrieval.support import Term


def test_topic_weights_learn_frame_words_from_questions() -> None:
    # "แผน" is in six questions and never in an answer; "การออม" in three and always; "ครู" half the time
    labelled = [("แผน", False)] * 6 + [("การออม", True)] * 3 + [("ครู", True), ("ครู", False)]
    tw = TopicWeights.fit(labelled)
    assert tw("แผน") < 0.3 < 0.5 < tw("การออม")
    assert tw("แผน") < tw("ครู") < tw("การออม")
    assert tw("คำที่ไม่เคยเห็น") == 1.0  # a word no question used is topic
    assert tw.topic_words([_term("แผน"), _term("การออม")]) == ["การออม"]
    again = TopicWeights.from_dict(json.loads(json.dumps(tw.to_dict())))
    assert again("แผน") == tw("แผน") and again("การออม") == tw("การออม")


def _term(word: str, weight: float = 1.0) -> Term:
    return Term(word, weight, True, True, ())


class _Chunk:
    section_kind = "strategy"
    id = "c1"
    source = "a.txt"


class _Unit:
    chunk = _Chunk()
    start_line = 1


def _ue(exact: tuple[float, ...], soft: tuple[float, ...], dense: float = 0.85) -> UnitEvidence:
    return UnitEvidence(_Unit(), exact, soft, dense, dense)  # type: ignore[arg-type]


def test_features_weigh_topic_words_not_frame_words() -> None:
    tw = TopicWeights.fit([("แผน", False)] * 8 + [("การออม", True)] * 8)
    terms = [_term("แผน"), _term("การออม")]
    frame_only = stance_vector([_ue((1.0, 0.0), (1.0, 0.0))], terms, tw, False, False)
    topic_only = stance_vector([_ue((0.0, 1.0), (0.0, 1.0))], terms, tw, False, False)
    cover = STANCE_FEATURES.index("cover")
    assert topic_only[cover] > 0.8 > 0.2 > frame_only[cover]
    assert len(frame_only) == len(STANCE_FEATURES)
    # a unit that holds only the frame word never counts as showing the topic
    assert not shows_topic(_ue((1.0, 0.0), (1.0, 0.0)), terms, tw)
    assert shows_topic(_ue((0.0, 0.0), (0.0, 0.7)), terms, tw)  # a plan word near in meaning does
    assert stance_vector([], terms, tw, False, False)[cover] == 0.0


def test_the_lexical_feature_reads_the_best_bm25_score_on_a_scale_that_holds_as_the_index_grows() -> None:
    tw = TopicWeights.fit([("การออม", True)] * 4)
    terms = [_term("การออม")]
    lexical = STANCE_FEATURES.index("lexical")
    meaning_only = UnitEvidence(_Unit(), (0.0,), (0.8,), 0.85, 0.85)  # type: ignore[arg-type]
    by_words = UnitEvidence(_Unit(), (1.0,), (1.0,), 0.85, 0.85, lexical=2.0)  # type: ignore[arg-type]
    assert stance_vector([meaning_only], terms, tw, False, False)[lexical] == 0.0
    assert stance_vector([meaning_only, by_words], terms, tw, False, False)[lexical] == pytest.approx(math.log1p(2.0))
    # a word one plan holds (two chunks), among five plans' 60 chunks and among a thousand's 10,000:
    # its IDF (so its BM25 score) is 2.6 times larger in the large index, on the stance's scale 1.15
    def idf(n: int, df: int = 2) -> float:
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    assert idf(10_000) / idf(60) > 2.5
    assert 1.0 < (idf(10_000) / lexical_scale(10_000)) / (idf(60) / lexical_scale(60)) < 1.2


def test_the_shipped_stance_model_loads_and_refuses_another_version(tmp_path: Path) -> None:
    model = load_stance()
    assert model.model.features == STANCE_FEATURES
    assert 0.0 < model.low <= model.high < 1.0
    figures = model.meta["figures"]
    assert figures["auc_grouped_cv"] > 0.75 and figures["auc_leave_one_plan_out"] > 0.75
    data = json.loads(DEFAULT_STANCE.read_text(encoding="utf-8"))
    data["version"] = 0
    bad = tmp_path / "stance.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="python -m evals stance"):
        load_stance(bad)
    assert StanceModel.from_dict(model.to_dict()).high == model.high


class _Case:
    def __init__(self, cid: str) -> None:
        self.case = type("C", (), {"id": cid})()


def test_thresholds_and_question_figures() -> None:
    a, b, c = _Case("a"), _Case("b"), _Case("c")
    scored = [Scored(a, "o1", 0.9, True), Scored(a, "o2", 0.6, True), Scored(a, "o3", 0.1, False),  # type: ignore[arg-type]
              Scored(b, "o1", 0.7, False), Scored(b, "o2", 0.2, True),  # type: ignore[arg-type]
              Scored(c, "o1", 0.3, False), Scored(c, "o2", 0.1, False)]  # type: ignore[arg-type]
    low, high = thresholds(scored)
    assert low <= high
    f = question_figures(scored, 0.5)
    assert f["which_questions"] == 2 and f["every_office"] == 0.5  # a: both named; b: o2 missed
    assert f["office_precision"] == pytest.approx((1.0 + 0.0) / 2)
    assert f["abstain_questions"] == 1 and f["abstention_recall"] == 1.0  # c: nothing named


def test_dense_z_reads_a_units_cosine_against_the_questions_cosine_with_the_corpus() -> None:
    tw = TopicWeights.fit([("การออม", True)] * 4)
    terms = [_term("การออม")]
    dense_z = STANCE_FEATURES.index("dense_z")
    near = UnitEvidence(_Unit(), (0.0,), (0.0,), 0.86, 0.86, dense_z=3.0)  # type: ignore[arg-type]
    far = UnitEvidence(_Unit(), (0.0,), (0.0,), 0.86, 0.86, dense_z=0.5)  # type: ignore[arg-type]
    assert stance_vector([far, near], terms, tw, False, False)[dense_z] == 3.0  # the office's best unit
    assert stance_vector([], terms, tw, False, False)[dense_z] == 0.0
