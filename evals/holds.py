"""``python -m evals holds``: fit the holds model (``retrieval/holds.py``) on a set the models it joins never saw.

The stance and answer models are fitted on the training sets (``TRAINING_SETS``), so on those sets
their probabilities are in-sample. The holds model learns how far to trust each of them from
``trainframes`` instead: 38 topics, each asked in six frames, which neither saw (six of the topics
are held by no plan). One row per which-question and office judged on its own plan: the two models'
log-odds, labelled by whether the office is among the gold offices; questions that must abstain give
rows that are all negative.

Figures are out of fold, the questions grouped by topic (``assign_folds``: a topic's six wordings
share a fold, so each figure is one on topics the model never saw). The threshold is chosen on those
out-of-fold probabilities as the one that comes closest to the issue's bars for the whole which-answer
(the offices ``decide.which_offices`` names, or none when no office reaches the threshold): the least
total shortfall of every gold office named, office precision and abstention recall below ``BAR``, and
of answerable questions that name no office above ``MAX_ABSTAINED``, averaged over ``REPEATS`` fold
assignments (one assignment's minimum moves by a grid step or two with which topics share a fold).
Beside it: the same answers without the check.

The same figures judge a candidate stance model (``python -m evals stance --out PATH``, then
``python -m evals holds --stance PATH --dry-run``): its which-answers, its own thresholds, the check
refit on it. The report gives the chosen threshold's shortfall on each fold assignment (mean, least,
most). That spread is the holds check's alone; stance models fitted on 90% of the same training
questions differ more (0.061 to 0.100 on 2026-12-07; README, "How far apart two fits of the same
features are"), and a candidate is told apart from the shipped stance only beyond that.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from evals.calibrate import QUESTIONS, assign_folds, fit_model
from evals.cases import Case, load_cases
from evals.stance import auc, which_like
from planqa.settings import Settings
from retrieval.gather import Evidence
from retrieval.holds import HOLDS_FEATURES, HoldsModel, holds_row
from retrieval.modes import Mode
from retrieval.stance_model import StanceModel

HOLDS_SETS = ("trainframes",)  # neither the stance nor the answer model is fitted on it
GRID = tuple(round(x, 3) for x in np.arange(0.1, 0.81, 0.025))
BAR = 0.85  # the bar on every gold office named, office precision and abstention recall
MAX_ABSTAINED = 0.08  # ... and on answerable questions abstained
REPEATS = 3  # fold assignments the threshold's shortfall is averaged over
Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class Judged:
    """One office for one question: its stance, the two models' figures, whether it has a quote that
    holds a topic word (an office without one is never named), and whether it is a gold office."""

    office: str
    stance: float
    row: list[float]
    quoted: bool
    gold: bool


@dataclass(slots=True)
class HoldsCase:
    case: Case
    fold: int
    offices: list[Judged] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # the offices the which-answer names without the check


@dataclass(slots=True)
class HoldsResult:
    model: HoldsModel
    figures: dict[str, dict[str, float]]
    n_cases: int
    n_rows: int


def gather(settings: Settings, sets: Sequence[str], folds: int, seed: int,
           progress: Progress | None = None, stance: StanceModel | None = None) -> list[HoldsCase]:
    """Each which-question of ``sets`` as answered, with every office judged on its own plan by
    ``stance`` (default: the shipped stance model; a candidate from ``python -m evals stance --out``
    is judged by the whole which-answer it gives, its own thresholds included)."""
    from ingest.pipeline import run as ingest_run
    from retrieval.decide import stances, which_offices
    from retrieval.service import Service
    from retrieval.stance_features import topic_quotes
    from retrieval.stance_model import load_stance

    ingest_run(settings)
    svc = Service(settings)
    office_of = svc.index.office_of()
    policy, stance = svc.policy(), stance or load_stance()
    cases = [c for name in sets for c in load_cases(QUESTIONS / f"{name}.jsonl") if which_like(c)]
    fold_of = assign_folds(cases, folds, seed)
    out = []
    for n, case in enumerate(cases):
        ev = svc.answerer.gather(svc.ask(case.question, history=list(case.history)))
        if isinstance(ev, Evidence) and ev.mode is Mode.WHICH and ev.own:
            gold = {office_of.get(g.doc, g.doc) for g in case.gold}
            p_answer = float(policy.answer.probability([ev.question_vector])[0])
            p_stance = stances(ev, stance)
            named, _ = which_offices(ev, policy, p_answer, stance, p_stance)
            hc = HoldsCase(case, fold_of[case.id], named={x.office for x in named})
            for own in ev.own:
                if own.office not in p_stance:
                    continue
                s = p_stance[own.office]
                quoted = bool(topic_quotes(own.units, ev.terms, stance.topical, 1, ev.query.section_kinds))
                hc.offices.append(Judged(own.office, s, holds_row(s, p_answer), quoted, own.office in gold))
            out.append(hc)
        if progress:
            progress(n + 1, len(cases), case.id)
    return out


def figures(cases: Sequence[HoldsCase], named: Callable[[HoldsCase], set[str]]) -> dict[str, float]:
    """The which-answer figures of one rule over ``cases``: every gold office named, office precision,
    answerable questions that name none, abstention recall, and frame invariance (per topic, the share
    of its wordings that name its most common set of offices)."""
    every, precision, none, abstained = [], [], [], []
    by_topic: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for c in cases:
        got = named(c)
        gold = {j.office for j in c.offices if j.gold}
        if c.case.topic:
            by_topic[c.case.topic].append(tuple(sorted(got)))
        if c.case.should_abstain:
            abstained.append(not got)
            continue
        none.append(not got)
        every.append(bool(gold) and gold <= got)
        if got:
            precision.append(len(got & gold) / len(got))
    agree = sum(Counter(v).most_common(1)[0][1] for v in by_topic.values())
    total = sum(len(v) for v in by_topic.values())

    def mean(xs: Sequence[bool | float]) -> float:
        return float(np.mean(xs)) if xs else float("nan")

    return {"every_office": mean(every), "precision": mean(precision), "answerable_abstained": mean(none),
            "abstention_recall": mean(abstained), "invariance": agree / total if total else float("nan")}


def shortfall(f: dict[str, float]) -> float:
    """How far the figures ``f`` fall short of the issue's bars, summed (0: every bar met)."""
    short = sum(max(0.0, BAR - f[k]) for k in ("every_office", "precision", "abstention_recall") if not np.isnan(f[k]))
    return short + max(0.0, f["answerable_abstained"] - MAX_ABSTAINED)


def checked(p: dict[tuple[str, str], float], threshold: float) -> Callable[[HoldsCase], set[str]]:
    """The answer's offices when some quoted office's joined figure ``p`` reaches ``threshold``, else none."""
    def named(c: HoldsCase) -> set[str]:
        top = max((p[(c.case.id, j.office)] for j in c.offices if j.quoted), default=0.0)
        return c.named if top >= threshold else set()
    return named


def out_of_fold(cases: Sequence[HoldsCase], fold_of: dict[str, int], folds: int, c: float = 1.0
                ) -> dict[tuple[str, str], float]:
    """Each office row's probability from a model fitted on the other folds' rows."""
    rows = [(fold_of[hc.case.id], hc.case.id, j) for hc in cases for j in hc.offices]
    oof: dict[tuple[str, str], float] = {}
    for f in range(folds):
        train = [(j.row, j.gold) for fold, _, j in rows if fold != f]
        test = [(cid, j) for fold, cid, j in rows if fold == f]
        if not test:
            continue
        model = fit_model(train, HOLDS_FEATURES, c)
        for (cid, j), p in zip(test, model.probability([j.row for _, j in test])):
            oof[(cid, j.office)] = float(p)
    return oof


def fit_holds(cases: Sequence[HoldsCase], folds: int, c: float = 1.0, seed: int = 13,
              repeats: int = REPEATS) -> HoldsResult:
    """Out-of-fold probabilities, the threshold chosen on them (the least mean shortfall over ``repeats``
    fold assignments, the first the cases' own), and the model fitted on every row."""
    rows = [(hc.fold, hc.case.id, j) for hc in cases for j in hc.offices]
    oof = out_of_fold(cases, {hc.case.id: hc.fold for hc in cases}, folds, c)
    by_threshold = {t: figures(cases, checked(oof, t)) for t in GRID}
    others = [out_of_fold(cases, assign_folds([hc.case for hc in cases], folds, seed + r), folds, c)
              for r in range(1, repeats)]
    # each threshold's shortfall on each fold assignment, the cases' own first
    shortfalls = {t: [shortfall(by_threshold[t]), *(shortfall(figures(cases, checked(o, t))) for o in others)]
                  for t in GRID}
    threshold = min(GRID, key=lambda t: (float(np.mean(shortfalls[t])), t))
    labels = [j.gold for _, _, j in rows]
    spread = shortfalls[threshold]
    figs = {
        "without the check": figures(cases, lambda hc: hc.named),
        "with the check, out of fold": dict(by_threshold[threshold]),
    }
    figs["without the check"]["shortfall"] = shortfall(figs["without the check"])
    # the check's shortfall on each fold assignment: how far one assignment's figures are from another's
    figs["with the check, out of fold"].update(shortfall=float(np.mean(spread)), shortfall_min=min(spread),
                                               shortfall_max=max(spread))
    figs["without the check"]["auc"] = auc([j.stance for _, _, j in rows], labels)  # the stance alone
    figs["with the check, out of fold"]["auc"] = auc([oof[(cid, j.office)] for _, cid, j in rows], labels)
    final = fit_model([(j.row, j.gold) for _, _, j in rows], HOLDS_FEATURES, c)
    meta: dict[str, Any] = {"fitted": datetime.now(UTC).isoformat(timespec="seconds"), "question_sets": list(HOLDS_SETS),
                            "folds": folds, "figures": figs}
    return HoldsResult(HoldsModel(final, threshold, meta), figs, len(cases), len(rows))


def table(result: HoldsResult) -> str:
    keys = ("every_office", "precision", "answerable_abstained", "abstention_recall", "invariance", "auc", "shortfall")
    lines = [f"holds model: {result.n_cases} which-questions, {result.n_rows} office rows "
             f"(sets: {', '.join(HOLDS_SETS)}); threshold {result.model.threshold:.3f}", "",
             "| which-answers | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name, f in result.figures.items():
        lines.append(f"| {name} | " + " | ".join(f"{f.get(k, float('nan')):.3f}" for k in keys) + " |")
    m = result.model.model
    checked_figs = result.figures["with the check, out of fold"]
    lines += ["", "weights (standardised log-odds): " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(m.features, m.weights)),
              "auc: of the office rows, the stance alone (without) and the joined figure (with)",
              "shortfall: summed distance to the bars (0: all met); with the check, the mean over "
              f"{REPEATS} fold assignments, from {checked_figs['shortfall_min']:.3f} to {checked_figs['shortfall_max']:.3f}; "
              "stance models fitted on 90% of the same training questions spread wider (README, "
              "\"How far apart two fits of the same features are\"): compare a candidate stance against that"]
    return "\n".join(lines)
