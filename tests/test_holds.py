"""Does any plan hold a which-question's topic: the holds model (an office's stance and the question's
answer figure joined), its fitter, and the which-decision that asks it before naming offices."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evals.cases import Case, Gold
from evals.holds import HoldsCase, Judged, checked, figures, fit_holds, shortfall
from planqa.errors import ConfigError
from retrieval.holds import DEFAULT_HOLDS, HOLDS_FEATURES, HoldsModel, holds_row, load_holds


def test_the_shipped_model_trusts_both_figures_and_the_office_own_evidence_most() -> None:
    model = load_holds()
    assert model.model.features == HOLDS_FEATURES
    assert all(w > 0 for w in model.model.weights)  # a surer stance or answer figure never lowers it
    assert 0.0 < model.threshold < 1.0
    assert model.meta["question_sets"] == ["trainframes"]  # never a set its two models were fitted on
    # a plan whose own search holds nothing on the topic does not hold it, however answerable the question
    assert model.probability(0.02, 0.99) < model.threshold
    assert model.probability(0.97, 0.95) >= model.threshold
    assert model.probability(0.9, 0.5) > model.probability(0.5, 0.9)


def test_a_saved_model_reads_back_and_another_version_names_the_refit(tmp_path: Path) -> None:
    model = load_holds()
    path = tmp_path / "holds.json"
    model.save(path)
    again = HoldsModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    assert again.probability(0.6, 0.7) == pytest.approx(model.probability(0.6, 0.7))
    assert again.threshold == model.threshold
    data = json.loads(DEFAULT_HOLDS.read_text(encoding="utf-8"))
    data["version"] = 99
    with pytest.raises(ConfigError, match="python -m evals holds"):
        HoldsModel.from_dict(data)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="python -m evals holds"):
        load_holds(tmp_path / "broken.json")


def test_a_row_is_the_log_odds_clipped() -> None:
    row = holds_row(0.5, 0.9)
    assert row[0] == 0.0 and row[1] == pytest.approx(math.log(9))
    assert math.isfinite(holds_row(1.0, 0.0)[0]) and holds_row(1.0, 0.0)[0] > 6  # clipped, not infinite


def _case(cid: str, topic: str, kind: str, offices: list[tuple[str, float, bool]], fold: int,
          named: set[str]) -> HoldsCase:
    gold = tuple(Gold(f"{o}.txt", "") for o, _, g in offices if g) if kind != "abstain" else ()
    case = Case(id=cid, question=cid, kind=kind, gold=gold, topic=topic)
    judged = [Judged(o, s, holds_row(s, 0.9), True, g) for o, s, g in offices]
    return HoldsCase(case, fold, judged, named)


def test_figures_and_the_check_count_each_question_and_each_topic_once() -> None:
    cases = [
        _case("a1", "saving", "which", [("A", 0.9, True), ("B", 0.8, True), ("C", 0.7, False)], 0, {"A", "B", "C"}),
        _case("a2", "saving", "which", [("A", 0.9, True), ("B", 0.2, True), ("C", 0.1, False)], 0, {"A"}),
        _case("m1", "mars", "abstain", [("A", 0.1, False), ("B", 0.6, False), ("C", 0.1, False)], 1, {"B"}),
        _case("m2", "mars", "abstain", [("A", 0.1, False), ("B", 0.2, False), ("C", 0.1, False)], 1, {"A"}),
    ]
    f = figures(cases, lambda c: c.named)
    assert f["every_office"] == 0.5  # a1 names A and B; a2 misses B
    assert f["precision"] == pytest.approx((2 / 3 + 1) / 2)
    assert f["answerable_abstained"] == 0.0
    assert f["abstention_recall"] == 0.0  # both mars questions name an office
    assert f["invariance"] == 0.5  # each topic: its two wordings name two different sets
    assert shortfall(f) == pytest.approx((0.85 - 0.5) + (0.85 - (2 / 3 + 1) / 2) + 0.85)
    stance = {(c.case.id, j.office): j.stance for c in cases for j in c.offices}
    g = figures(cases, checked(stance, 0.5))  # no office of m2 reaches 0.5: it names none; m1's B does
    assert g["abstention_recall"] == 0.5 and g["every_office"] == 0.5
    assert checked(stance, 0.95)(cases[0]) == set()


def test_the_fitter_learns_which_figure_to_trust_and_picks_a_threshold_out_of_fold() -> None:
    # the stance separates the topics some plan holds from those none holds; the answer figure is noise
    cases = []
    for i in range(40):
        fold, topic = i % 4, f"t{i // 2}"
        if i % 5 == 4:  # a topic no plan holds, whose answer names its nearest office all the same
            cases.append(_case(f"q{i}", topic, "abstain", [("A", 0.15, False), ("B", 0.1, False)], fold, {"A"}))
        else:
            cases.append(_case(f"q{i}", topic, "which", [("A", 0.85, True), ("B", 0.1 + 0.02 * (i % 3), False)],
                               fold, {"A"}))
    for c in cases:  # the answer figure says the opposite of the truth half the time
        for n, j in enumerate(c.offices):
            j.row = holds_row(j.stance, 0.8 if (n + int(c.case.id[1:])) % 2 else 0.2)
    result = fit_holds(cases, folds=4)
    stance_w, answer_w = result.model.model.weights
    assert stance_w > 1.0 and abs(answer_w) < stance_w
    assert result.figures["without the check"]["abstention_recall"] == 0.0
    f = result.figures["with the check, out of fold"]
    assert f["every_office"] == 1.0 and f["precision"] == 1.0 and f["abstention_recall"] == 1.0
    assert f["answerable_abstained"] == 0.0


def test_the_threshold_is_read_over_several_fold_assignments() -> None:
    """One fold assignment's figures move with which topics share a fold; the threshold is the one with
    the least shortfall on average over ``repeats`` assignments, the first the cases' own."""
    from evals.calibrate import assign_folds
    from evals.holds import GRID, out_of_fold

    cases = []
    for i in range(40):  # overlapping stances: where the threshold falls depends on the folds
        topic, stance = f"t{i // 2}", 0.2 + 0.6 * ((i * 7) % 11) / 10
        kind = "abstain" if i % 4 == 3 else "which"
        cases.append(_case(f"q{i}", topic, kind, [("A", stance, kind == "which"), ("B", 0.1, False)], i % 4, {"A"}))
    result = fit_holds(cases, folds=4, seed=5, repeats=3)
    oofs = [out_of_fold(cases, {c.case.id: c.fold for c in cases}, 4)] + [
        out_of_fold(cases, assign_folds([c.case for c in cases], 4, 5 + r), 4) for r in (1, 2)]
    mean = {t: sum(shortfall(figures(cases, checked(o, t))) for o in oofs) / 3 for t in GRID}
    assert mean[result.model.threshold] == pytest.approx(min(mean.values()))
    assert result.model.threshold == min(t for t in GRID if mean[t] == pytest.approx(min(mean.values())))
    # the report gives the chosen threshold's shortfall on each assignment: its mean and its spread
    each = [shortfall(figures(cases, checked(o, result.model.threshold))) for o in oofs]
    f = result.figures["with the check, out of fold"]
    assert f["shortfall"] == pytest.approx(sum(each) / 3)
    assert (f["shortfall_min"], f["shortfall_max"]) == (pytest.approx(min(each)), pytest.approx(max(each)))
    assert f["shortfall_min"] < f["shortfall_max"]  # these folds do move it
    assert result.figures["without the check"]["shortfall"] == shortfall(result.figures["without the check"])


def test_a_candidate_stance_model_is_judged_only_when_asked_not_to_replace_the_shipped_holds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals.__main__ import main

    code = main(["holds", "--stance", str(tmp_path / "candidate.json")])
    assert code != 0
    err = capsys.readouterr().err
    assert "judges a candidate stance model" in err and "--dry-run" in err and "--out" in err
    assert not (tmp_path / "candidate.json").exists()  # refused before anything was read or fitted


@pytest.mark.slow
def test_a_which_decision_asks_whether_some_plan_holds_the_topic(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from retrieval.decide import decide, some_plan_holds, stances
    from retrieval.service import Service
    from retrieval.stance_model import load_stance

    svc = Service(seed_settings)
    holds, stance, policy = load_holds(), load_stance(), svc.policy()
    for question in ("เขตไหนบ้างที่ส่งเสริมให้นักเรียนรู้จักออมเงิน", "Which offices care about English?",
                     "สำนักงานใดเน้นความปลอดภัยของนักเรียน"):
        ev = svc.answerer.gather(svc.ask(question))
        p_answer = float(policy.answer.probability([ev.question_vector])[0])
        assert some_plan_holds(ev, stances(ev, stance), p_answer, stance, holds), question
        d = decide(ev, policy)
        assert d.offices and d.abstain is None, question
        assert {n.office for n in d.offices} | set(d.searched) == {o.office for o in ev.own}
        assert not {n.office for n in d.offices} & set(d.searched)
    # a topic no plan holds: no office's joined figure reaches the threshold, and the answer says so
    ev = svc.answerer.gather(svc.ask("เขตไหนบ้างที่มีโครงการสำรวจดาวอังคาร"))
    p_answer = float(policy.answer.probability([ev.question_vector])[0])
    p = stances(ev, stance)
    assert max(holds.probability(s, p_answer) for s in p.values()) < holds.threshold
    d = decide(ev, policy)
    assert d.abstain is not None and not d.offices


@pytest.mark.slow
def test_the_which_answers_are_gathered_with_the_candidate_stance_model(seed_settings) -> None:  # type: ignore[no-untyped-def]
    """``evals holds --stance``: each office is judged, and the second tier named, by the model given."""
    from dataclasses import replace

    from evals.holds import gather
    from retrieval.stance_model import load_stance

    shipped = load_stance()
    wide, none = replace(shipped, low=0.0, high=0.0), replace(shipped, low=1.01, high=1.01)
    by_model = {name: {c.case.id: c for c in gather(seed_settings, ["seeds"], 2, 13, stance=m)}
                for name, m in (("shipped", shipped), ("wide", wide), ("none", none))}
    assert by_model["shipped"].keys() == by_model["wide"].keys() == by_model["none"].keys()
    grew = shrank = 0
    for cid, case in by_model["shipped"].items():
        wide_case, none_case = by_model["wide"][cid], by_model["none"][cid]
        assert [j.stance for j in wide_case.offices] == [j.stance for j in case.offices]  # one model, one judgement
        quoted = {j.office for j in wide_case.offices if j.quoted}
        assert quoted <= wide_case.named and none_case.named <= case.named <= wide_case.named
        grew += len(wide_case.named) > len(case.named)
        shrank += len(none_case.named) < len(case.named)
    assert grew and shrank
