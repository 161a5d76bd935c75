"""``python -m evals calibrate``: folds grouped by question, models fitted in-fold, figures out-of-fold."""

from __future__ import annotations

import pytest

from evals.calibrate import assign_folds, unit_matches
from evals.cases import Case, Gold
from ingest.units import quotable
from planqa.types import Chunk, SectionKind


def _case(i: int, kind: str) -> Case:
    return Case(f"{kind}-{i}", f"q{i}", kind, (Gold("a.txt", "x"),) if kind != "abstain" else ())


def test_folds_are_stratified_by_kind_and_each_question_is_in_one() -> None:
    cases = [_case(i, k) for k in ("lookup", "which", "abstain") for i in range(10)]
    folds = assign_folds(cases, 5, seed=1)
    assert set(folds) == {c.id for c in cases} and set(folds.values()) == set(range(5))
    for kind in ("lookup", "which", "abstain"):
        per_fold = [sum(1 for c in cases if c.kind == kind and folds[c.id] == f) for f in range(5)]
        assert per_fold == [2] * 5
    assert assign_folds(cases, 5, seed=1) == folds  # reproducible


def test_a_unit_matches_the_gold_passage_it_holds() -> None:
    chunk = Chunk("c", "004_x.txt", "o", "พันธกิจ", SectionKind.MISSION, (), 1, 3,
                  "พันธกิจ\n1. พัฒนาสถานศึกษาให้มีความปลอดภัย\xa0แก่ผู้เรียน\n2. พัฒนาครู", "h")
    first, second = quotable(chunk)
    case = Case("x", "q", "lookup", (Gold("004_x.txt", "ให้มีความปลอดภัย แก่ผู้เรียน"),))
    assert unit_matches(first, case) and not unit_matches(second, case)
    assert not unit_matches(first, Case("y", "q", "lookup", (Gold("005_y.txt", "ความปลอดภัย"),)))


@pytest.mark.slow
def test_out_of_fold_figures_of_the_answer_policy(seed_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The answer policy's figures, measured out-of-fold on the seeds and the holdout (194 questions;
    the shipped policy is also trained on evals/questions/train.jsonl). Floors only go up; the
    README gives the full figures and the independent set's. Which-answers judge each office on its
    own plan (the stance model, issue #19), which names more of the gold offices at some cost in
    precision: measured in CI on 2026-12-06, every gold office 0.905, office precision 0.849, so the
    recall floor went up and the precision floor down to match that trade."""
    from evals.calibrate import calibrate

    settings = seed_settings.model_copy(update={"index_dir": tmp_path / "index"})
    result = calibrate(settings, ["seeds", "holdout"], folds=5)
    oof = result.out_of_fold["all"]["overall"]
    print({k: oof.get(k) for k in ("answerable_abstained", "office_all", "office_precision",
                                   "abstention_precision", "abstention_recall", "citation_precision")})
    assert result.questions == 194
    assert oof["citations_valid"] == 1.0
    assert oof["answerable_abstained"] <= 0.08
    assert oof["office_all"] >= 0.85 and oof["office_precision"] >= 0.82
    assert oof["abstention_recall"] >= 0.6 and oof["abstention_precision"] >= 0.6
    assert oof["hit@5"] >= 0.95
    assert result.in_fold["all"]["overall"]["n"] == oof["n"] == 194
