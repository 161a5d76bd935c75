"""``python -m evals stance``: fit the stance model (``retrieval/stance_model.py``) on the training sets.

Two things are learned, both from the training question sets only (never ``frames`` or
``independent``, which measure it):

* **topic weights**: for every word of every training question, whether it (or a plan word near in
  meaning) is in the text of the question's gold answer. A word that rarely is ("เขตไหนบ้าง",
  "แผน", "มาใช้") is frame, not topic. Counted per word, shrunk towards the overall share;
* **the stance model**: a logistic model over ``STANCE_FEATURES``, one row per which-question and
  office, from that office's own search for the question (``Gatherer.own_evidence``), labelled by
  whether the office is among the gold offices. Which-questions that must abstain give rows that
  are all negative.

Figures: out-of-fold AUC with the questions grouped in folds (``assign_folds``: a question's five
office rows always share a fold), and **leave-one-plan-out**: each seed plan's rows predicted by a
model (and topic weights) fitted without that plan's rows and gold texts, so that the model is
measured on a plan it never saw. The regularisation is chosen by an inner cross-validation inside
each outer fold; the two thresholds on the out-of-fold probabilities of the whole pool, pooled over
``REPEATS`` fold assignments (one assignment's precision curve is too noisy to read a threshold on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from evals.calibrate import QUESTIONS, TRAINING_SETS, assign_folds, fit_model
from evals.cases import Case, load_cases
from evals.framing import which_label
from ingest.tokens import tokenize
from planqa.settings import Settings
from retrieval.framing import asks_which
from retrieval.gather import Evidence
from retrieval.modes import Mode
from retrieval.stance_features import COVERS, STANCE_FEATURES, TopicWeights, UnitEvidence, stance_vector
from retrieval.stance_model import StanceModel
from retrieval.support import Term, supported

log = logging.getLogger(__name__)
C_GRID = (0.03, 0.3, 3.0)
GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.025))
HIGH_PRECISION = 0.90  # strong: out-of-fold precision of the offices at or above ``high``
REPEATS = 3  # fold assignments whose out-of-fold probabilities the thresholds are read on
LOW_PRECISION = 0.80  # close ("กล่าวถึงในเรื่องที่ใกล้เคียง"): the same at or above ``low``
Progress = Callable[[int, int, str], None]


@dataclass(slots=True)
class StanceCase:
    case: Case
    set_name: str
    fold: int
    terms: list[Term]
    asks_fact: bool
    english: bool
    sections: tuple[str, ...] = ()  # the section kinds the question asks about
    labels: list[tuple[str, bool, str]] = field(default_factory=list)  # (word, in the gold text, gold office)
    rows: list[tuple[str, list[UnitEvidence], bool]] = field(default_factory=list)  # which: (office, own units, gold)


def which_like(case: Case) -> bool:
    """A question the stance decides: it asks which offices, or asks it and must abstain."""
    return which_label(case) is True or case.kind == "abstain" and asks_which(case.question)


def topic_labels(terms: Sequence[Term], case: Case, office_of: dict[str, str]) -> list[tuple[str, bool, str]]:
    out = []
    for g in case.gold:
        if not g.text:
            continue
        text = g.text.lower()
        tokens = frozenset(tokenize(g.text, drop_stopwords=False))
        for t in terms:
            found = supported(t.word, tokens, text) or any(w in tokens for w, s in t.neighbours if s >= COVERS)
            out.append((t.word, found, office_of.get(g.doc, g.doc)))
    return out


def gather(settings: Settings, sets: Sequence[str], folds: int, seed: int,
           progress: Progress | None = None) -> tuple[list[StanceCase], list[str]]:
    from ingest.pipeline import run as ingest_run
    from retrieval.service import Service

    ingest_run(settings)
    svc = Service(settings)  # not warmed up: that answers a question, which needs the model being fitted
    office_of = svc.index.office_of()
    offices = sorted({o.name for o in svc.offices()})
    named = [(name, c) for name in sets for c in load_cases(QUESTIONS / f"{name}.jsonl")]
    fold_of = assign_folds([c for _, c in named], folds, seed)
    out = []
    for n, (name, case) in enumerate(named):
        got = svc.answerer.gather(svc.ask(case.question, history=list(case.history)))
        if isinstance(got, Evidence):
            sc = StanceCase(case, name, fold_of[case.id], got.terms, got.asks_fact, got.query.english,
                            tuple(got.query.section_kinds))
            sc.labels = topic_labels(got.terms, case, office_of)
            if which_like(case) and got.mode is Mode.WHICH:  # as answered: the stance decides WHICH only
                gold = {office_of.get(g.doc, g.doc) for g in case.gold}
                own = svc.gatherer.own_evidence(got.query, got.terms, offices, svc.gatherer.expansion(got.terms))
                sc.rows = [(o.office, o.units, o.office in gold) for o in own]
            out.append(sc)
        if progress:
            progress(n + 1, len(named), case.id)
    return out, offices


# ---- fitting ---------------------------------------------------------------------------------
def _topical(items: Sequence[StanceCase], without_office: str | None = None) -> TopicWeights:
    return TopicWeights.fit([(w, f) for sc in items for w, f, o in sc.labels if o != without_office])


def _xy(items: Sequence[StanceCase], topical: TopicWeights, only: Callable[[str], bool] = lambda _o: True
        ) -> list[tuple[list[float], bool]]:
    return [(stance_vector(units, sc.terms, topical, sc.asks_fact, sc.english, sc.sections), y)
            for sc in items for office, units, y in sc.rows if only(office)]


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(labels, dtype=int), np.asarray(scores))) if len(set(labels)) == 2 else float("nan")


def _choose_c(items: Sequence[StanceCase], topical: TopicWeights, keep: Callable[[str], bool], folds: int = 4
              ) -> float:
    """The regularisation with the best inner out-of-fold AUC (folds by question)."""
    best, best_auc = C_GRID[1], -1.0
    for c in C_GRID:
        scores: list[float] = []
        labels: list[bool] = []
        for f in range(folds):
            train = [sc for i, sc in enumerate(items) if i % folds != f]
            test = [sc for i, sc in enumerate(items) if i % folds == f]
            rows = _xy(test, topical, keep)
            if not rows:
                continue
            m = fit_model(_xy(train, topical, keep), STANCE_FEATURES, c)
            scores += list(m.probability([r[0] for r in rows]))
            labels += [r[1] for r in rows]
        a = auc(scores, labels)
        if a > best_auc:
            best, best_auc = c, a
    return best


def _fit(items: Sequence[StanceCase], without_office: str | None = None) -> tuple[TopicWeights, Any]:
    topical = _topical(items, without_office)
    def keep(office: str) -> bool:
        return office != without_office

    rows_items = [sc for sc in items if sc.rows]
    c = _choose_c(rows_items, topical, keep)
    model = fit_model(_xy(rows_items, topical, keep), STANCE_FEATURES, c)
    return topical, model


@dataclass(frozen=True, slots=True)
class Scored:
    case: StanceCase
    office: str
    p: float
    gold: bool


def cross_scores(items: Sequence[StanceCase], folds: int) -> list[Scored]:
    """Out-of-fold probabilities: each question's rows by a model fitted on the other folds."""
    out = []
    for f in range(folds):
        train = [sc for sc in items if sc.fold != f]
        test = [sc for sc in items if sc.fold == f and sc.rows]
        topical, model = _fit(train)
        for sc in test:
            p = model.probability([stance_vector(u, sc.terms, topical, sc.asks_fact, sc.english, sc.sections) for _, u, _ in sc.rows])
            out += [Scored(sc, o, float(pi), y) for (o, _, y), pi in zip(sc.rows, p)]
    return out


def repeated_scores(items: Sequence[StanceCase], folds: int, seed: int, repeats: int = REPEATS) -> list[Scored]:
    """Out-of-fold probabilities under ``repeats`` fold assignments (seeds ``seed``, ``seed + 1``, ...),
    pooled: one assignment's out-of-fold precision moves with which questions share a fold, and the
    thresholds read on it with them."""
    out = []
    for r in range(repeats):
        fold_of = assign_folds([sc.case for sc in items], folds, seed + r)
        out += cross_scores([replace(sc, fold=fold_of[sc.case.id]) for sc in items], folds)
    return out


def plan_out_scores(items: Sequence[StanceCase], offices: Sequence[str]) -> list[Scored]:
    """Leave-one-plan-out: each office's rows by a model fitted without that office's rows and gold texts."""
    out = []
    for office in offices:
        topical, model = _fit(items, without_office=office)
        for sc in items:
            for o, units, y in sc.rows:
                if o == office:
                    p = float(model.probability([stance_vector(units, sc.terms, topical, sc.asks_fact, sc.english, sc.sections)])[0])
                    out.append(Scored(sc, o, p, y))
    return out


def _precision(scored: Sequence[Scored], t: float) -> float:
    named = [s for s in scored if s.p >= t]
    return sum(s.gold for s in named) / len(named) if named else 1.0


def thresholds(scored: Sequence[Scored]) -> tuple[float, float]:
    """(low, high): the lowest thresholds whose out-of-fold precision reaches ``LOW_PRECISION`` and
    ``HIGH_PRECISION`` (the most offices named at that precision); the most precise one where none does."""
    fallback = max(GRID, key=lambda t: (_precision(scored, t), -t))
    low = next((t for t in GRID if _precision(scored, t) >= LOW_PRECISION), fallback)
    high = next((t for t in GRID if t >= low and _precision(scored, t) >= HIGH_PRECISION), max(low, fallback))
    return low, high


def question_figures(scored: Sequence[Scored], low: float) -> dict[str, float]:
    """Per question, offices named (either tier) = p >= low: every gold office named, precision of the
    named, abstention (nothing named) on which-questions that must abstain."""
    by_case: dict[str, list[Scored]] = {}
    for s in scored:
        by_case.setdefault(s.case.case.id, []).append(s)
    all_named, prec, abst, answerable_abst = [], [], [], []
    for rows in by_case.values():
        named = {s.office for s in rows if s.p >= low}
        gold = {s.office for s in rows if s.gold}
        if gold:
            all_named.append(gold <= named)
            if named:
                prec.append(len(named & gold) / len(named))
            answerable_abst.append(not named)
        else:
            abst.append(not named)
    return {
        "which_questions": len(all_named), "every_office": float(np.mean(all_named)) if all_named else float("nan"),
        "office_precision": float(np.mean(prec)) if prec else float("nan"),
        "abstain_questions": len(abst), "abstention_recall": float(np.mean(abst)) if abst else float("nan"),
        "answerable_abstained": float(np.mean(answerable_abst)) if answerable_abst else float("nan"),
    }


@dataclass(frozen=True, slots=True)
class StanceResult:
    model: StanceModel
    figures: dict[str, Any]


def fit_stance(settings: Settings, sets: Sequence[str] = TRAINING_SETS, folds: int = 5, seed: int = 13,
               progress: Progress | None = None) -> StanceResult:
    items, offices = gather(settings, sets, folds, seed, progress)
    oof = cross_scores(items, folds)
    lopo = plan_out_scores(items, offices)
    low, high = thresholds(oof + repeated_scores(items, folds, seed + 1, REPEATS - 1))
    topical, model = _fit(items)
    figures: dict[str, Any] = {
        "rows": sum(len(sc.rows) for sc in items), "questions": sum(1 for sc in items if sc.rows),
        "auc_grouped_cv": auc([s.p for s in oof], [s.gold for s in oof]),
        "auc_leave_one_plan_out": auc([s.p for s in lopo], [s.gold for s in lopo]),
        "auc_lopo_by_plan": {o: auc([s.p for s in lopo if s.office == o], [s.gold for s in lopo if s.office == o])
                             for o in offices},
        "low": low, "high": high,
        "out_of_fold": question_figures(oof, low), "leave_one_plan_out": question_figures(lopo, low),
        "out_of_fold_by_set": {name: question_figures([s for s in oof if s.case.set_name == name], low)
                               for name in sets},
    }
    meta = {"fitted": datetime.now(UTC).isoformat(timespec="seconds"), "question_sets": list(sets),
            "folds": folds, "seed": seed, "figures": figures}
    return StanceResult(StanceModel(topical, model, high, low, meta), figures)


def table(result: StanceResult) -> str:
    f = result.figures
    lines = [f"rows {f['rows']} ({f['questions']} which-questions x offices); thresholds low {f['low']:.3f}, "
             f"high {f['high']:.3f}",
             f"AUC grouped-CV {f['auc_grouped_cv']:.3f}, leave-one-plan-out {f['auc_leave_one_plan_out']:.3f} "
             "(by plan: " + ", ".join(f"{o[-12:]} {a:.3f}" for o, a in f["auc_lopo_by_plan"].items()) + ")", "",
             "| figures | which-questions | every gold office | office precision | answerable abstained | "
             "must-abstain | abstention recall |", "|---|---|---|---|---|---|---|"]
    rows = [("out-of-fold", f["out_of_fold"]), ("leave-one-plan-out", f["leave_one_plan_out"]),
            *((f"out-of-fold, {k}", v) for k, v in f["out_of_fold_by_set"].items())]
    for name, q in rows:
        lines.append(f"| {name} | {q['which_questions']} | {q['every_office']:.3f} | {q['office_precision']:.3f} | "
                     f"{q['answerable_abstained']:.3f} | {q['abstain_questions']} | {q['abstention_recall']:.3f} |")
    top = sorted(result.model.topical.seen.items(), key=lambda kv: -kv[1][1])[:25]
    lines += ["", "frame words learned (most asked, weight): " + ", ".join(
        f"{w} {result.model.topical(w):.2f}" for w, _ in top)]
    return "\n".join(lines)
