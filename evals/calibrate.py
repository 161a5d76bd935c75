"""``python -m evals calibrate``: fit the answer policy, and measure it out-of-fold.

1. The seed plans (``evals/seeds``) are indexed and every question of the
   training sets (default: seeds, holdout, train; never ``independent.jsonl``)
   is gathered once: retrieval, quotable units, features.
2. The questions are split into folds (stratified by kind, grouped by
   question: a question's units and offices never straddle two folds). For
   each fold the three logistic models are fitted on the other folds, their
   thresholds chosen by an inner cross-validation on those folds only, and
   the held-out questions answered with that policy through the real decision
   and wording code: the **out-of-fold** figures.
3. The shipped policy is fitted on all the questions, its thresholds chosen on
   the out-of-fold probabilities, and written as versioned JSON with the
   figures in its ``meta``.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from evals.cases import SEED_PLANS, Case, load_cases
from evals.runner import evaluate
from ingest.normalize import fold_spaces
from planqa.settings import Settings
from planqa.types import Answer, Hit, Progress
from retrieval.evidence import Unit
from retrieval.gather import Evidence
from retrieval.modes import Mode
from retrieval.policy import DEFAULT_POLICY, FAMILIES, AnswerPolicy, LogisticModel, Thresholds

log = logging.getLogger(__name__)
QUESTIONS = Path(__file__).resolve().parent / "questions"
TRAINING_SETS = ("seeds", "holdout", "train")
GRID = tuple(round(x, 2) for x in np.arange(0.10, 0.91, 0.05))
C_GRID = (0.1, 1.0, 10.0)  # inverse L2 strengths tried, per model, by inner cross-validation


@dataclass(slots=True)
class Gathered:
    case: Case
    set_name: str
    fold: int
    evidence: Evidence | None  # None: answered before any evidence (unknown office, empty question)
    fixed: Answer | None
    hits: list[Hit]  # what retrieval returns for the (rewritten) question, for the retrieval metrics
    unit_rows: list[tuple[list[float], bool]] = field(default_factory=list)
    office_rows: list[tuple[list[float], bool]] = field(default_factory=list)
    lookup_labels: list[bool] = field(default_factory=list)  # per candidate of the top hits


def unit_matches(unit: Unit, case: Case) -> bool:
    """The unit is (part of) a gold passage: same file, and one holds the other's text."""
    raw = fold_spaces(unit.raw)
    for g in case.gold:
        if PurePath(unit.chunk.source).name != PurePath(g.doc).name:
            continue
        text = fold_spaces(g.text)
        if not text or text in raw or (len(raw) >= 10 and raw in text):
            return True
    return False


def gather_all(settings: Settings, sets: Sequence[str], folds: int, seed: int,
               progress: Progress | None = None) -> tuple[list[Gathered], dict[str, str]]:
    from ingest.pipeline import run as ingest_run
    from retrieval.service import Service

    ingest_run(settings)
    svc = Service(settings)
    svc.warm_up()
    office_of = svc.index.office_of()
    named = [(name, c) for name in sets for c in load_cases(_set_path(name))]
    fold_of = assign_folds([c for _, c in named], folds, seed)
    out = []
    for n, (name, case) in enumerate(named):
        ask = svc.ask(case.question, history=list(case.history))
        got = svc.answerer.gather(ask)
        ev = got if isinstance(got, Evidence) else None
        hits = svc.search(ev.rewritten if ev else case.question, k=10)
        g = Gathered(case, name, fold_of[case.id], ev, None if ev else got, hits)  # type: ignore[arg-type]
        if ev is not None:
            _rows(g, ev, office_of)
        out.append(g)
        if progress:
            progress(n + 1, len(named), case.id)
    return out, office_of


def _set_path(name: str) -> Path:
    path = Path(name)
    return path if path.suffix == ".jsonl" else QUESTIONS / f"{name}.jsonl"


def assign_folds(cases: Sequence[Case], folds: int, seed: int) -> dict[str, int]:
    """Fold of each question: its group shuffled within its kind, dealt round-robin (stratified). A
    group is the question alone, or every question of a frame-invariance topic (``Case.topic``: one
    topic asked in several frames is never split across folds, so an out-of-fold figure is one on
    topics the model never saw)."""
    rng = random.Random(seed)
    by_kind: dict[str, dict[str, list[Case]]] = {}
    for c in cases:
        by_kind.setdefault(c.kind, {}).setdefault(c.topic or c.id, []).append(c)
    out: dict[str, int] = {}
    offset = 0
    for kind in sorted(by_kind):
        groups = sorted(by_kind[kind])
        rng.shuffle(groups)
        for i, key in enumerate(groups):
            for c in by_kind[kind][key]:
                out[c.id] = (i + offset) % folds
        offset += len(groups)
    return out


def _rows(g: Gathered, ev: Evidence, office_of: dict[str, str]) -> None:
    """Training examples: every candidate unit once (a unit in two pools is one example), and
    for a "which" question every office of its pool."""
    seen: set[tuple[str, int]] = set()
    pools = [(ev.candidates, ev.unit_vectors), *((o.candidates, o.unit_vectors) for o in ev.offices)]
    for cands, vectors in pools:
        for c, x in zip(cands, vectors):
            key = (c.unit.chunk.source, c.unit.start_line)
            if key not in seen:
                seen.add(key)
                g.unit_rows.append((list(x), unit_matches(c.unit, g.case)))
    g.lookup_labels = [unit_matches(c.unit, g.case) for c in ev.candidates]
    if ev.mode is Mode.WHICH:
        gold = {office_of.get(gd.doc, gd.doc) for gd in g.case.gold}
        g.office_rows = [(list(o.vector), o.office in gold) for o in ev.offices]


# ---- fitting --------------------------------------------------------------------------------
def fit_model(rows: Sequence[tuple[list[float], bool]], features: tuple[str, ...], c: float = 1.0) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([r[0] for r in rows], dtype=np.float64).reshape(-1, len(features))
    y = np.asarray([r[1] for r in rows], dtype=int)
    mean = x.mean(axis=0) if len(x) else np.zeros(len(features))
    scale = x.std(axis=0) if len(x) else np.ones(len(features))
    scale = np.where(scale > 1e-9, scale, 1.0)
    if len(set(y.tolist())) < 2:  # nothing to learn from: a constant model
        p = float(y.mean()) if len(y) else 0.5
        p = min(max(p, 1e-3), 1 - 1e-3)
        return LogisticModel(features, tuple(mean), tuple(scale), (0.0,) * len(features), float(np.log(p / (1 - p))))
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return LogisticModel(features, tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                         tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]))


def _family_rows(items: Sequence[Gathered], family: str) -> list[tuple[list[float], bool]]:
    if family == "unit":
        return [r for g in items for r in g.unit_rows]
    if family == "office":
        return [r for g in items for r in g.office_rows]
    return [(list(g.evidence.question_vector), bool(g.case.gold)) for g in items if g.evidence is not None]


def fit_models(items: Sequence[Gathered], c: dict[str, float] | None = None) -> dict[str, LogisticModel]:
    c = c or {}
    return {family: fit_model(_family_rows(items, family), names, c.get(family, 1.0))
            for family, names in FAMILIES.items()}


def choose_c(items: Sequence[Gathered], folds: int = 4) -> dict[str, float]:
    """Per model, the regularisation with the lowest held-out log-loss within ``items``."""
    best: dict[str, float] = {}
    for family, names in FAMILIES.items():
        losses = {}
        for c in C_GRID:
            loss, n = 0.0, 0
            for f in range(folds):
                train = _family_rows([g for i, g in enumerate(items) if i % folds != f], family)
                test = _family_rows([g for i, g in enumerate(items) if i % folds == f], family)
                if not test:
                    continue
                p = np.clip(fit_model(train, names, c).probability([r[0] for r in test]), 1e-6, 1 - 1e-6)
                y = np.asarray([r[1] for r in test], dtype=float)
                loss -= float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
                n += len(test)
            losses[c] = loss / max(1, n)
        best[family] = min(losses, key=lambda k: (losses[k], k))
    return best


def choose_thresholds(items: Sequence[Gathered], probs: dict[str, dict[str, Any]]) -> Thresholds:
    """Thresholds from held-out probabilities of ``items`` (``probs``: case id -> family -> p)."""
    answer = _best(GRID, lambda t: _answer_balance(items, probs, t))
    office = _best(GRID, lambda t: _office_exactness(items, probs, t))
    unit = _best(GRID, lambda t: _unit_f1(items, probs, t))
    return Thresholds(answer=answer, office=office, unit=unit)


def _best(grid: Sequence[float], score: Any) -> float:
    scored = [(score(t), -abs(t - 0.5), t) for t in grid]  # ties go to the threshold nearest 0.5
    return max(scored)[2]


def _answer_balance(items: Sequence[Gathered], probs: dict[str, dict[str, Any]], t: float) -> float:
    """Macro-F1 of answering and abstaining: both kinds of error count, however rare abstaining is."""
    pairs = [(probs[g.case.id]["answer"] >= t, bool(g.case.gold)) for g in items if g.evidence is not None]
    f1 = []
    for positive in (True, False):
        tp = sum(1 for a, y in pairs if a == positive and y == positive)
        predicted = sum(1 for a, _ in pairs if a == positive)
        actual = sum(1 for _, y in pairs if y == positive)
        f1.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    return sum(f1) / 2


def _office_exactness(items: Sequence[Gathered], probs: dict[str, dict[str, Any]], t: float) -> float:
    scores = []
    for g in items:
        if g.evidence is None or g.evidence.mode is not Mode.WHICH or not g.case.gold or not g.office_rows:
            continue
        p = probs[g.case.id]["office"]
        named = {i for i, v in enumerate(p) if v >= t}
        gold = {i for i, (_, y) in enumerate(g.office_rows) if y}
        scores.append(float(named == gold))
    return sum(scores) / max(1, len(scores))


def _unit_f1(items: Sequence[Gathered], probs: dict[str, dict[str, Any]], t: float) -> float:
    scores = []
    for g in items:
        if g.evidence is None or not g.case.gold or g.evidence.mode not in (Mode.LOOKUP, Mode.SECTION):
            continue
        p = probs[g.case.id]["unit_lookup"]
        labels = g.lookup_labels
        if not labels or not any(labels):
            continue
        order = sorted(range(len(p)), key=lambda i: -p[i])
        chosen = [order[0]] + [i for i in order[1:3] if p[i] >= t]
        hit = sum(labels[i] for i in chosen)
        precision, recall = hit / len(chosen), hit / sum(labels)
        scores.append(2 * precision * recall / (precision + recall) if hit else 0.0)
    return sum(scores) / max(1, len(scores))


def predict(models: dict[str, LogisticModel], items: Sequence[Gathered]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for g in items:
        ev = g.evidence
        if ev is None:
            continue
        n = len(ev.candidates)
        out[g.case.id] = {
            "answer": float(models["answer"].probability([ev.question_vector])[0]),
            "office": models["office"].probability(ev.office_vectors).tolist() if len(ev.offices) else [],
            "unit_lookup": models["unit"].probability(ev.unit_vectors).tolist() if n else [],
        }
    return out


def cross_probs(items: Sequence[Gathered], folds: int, c: dict[str, float] | None = None
                ) -> dict[str, dict[str, Any]]:
    """Held-out probabilities of every item, by ``folds``-fold CV within ``items``."""
    out: dict[str, dict[str, Any]] = {}
    for f in range(folds):
        train = [g for i, g in enumerate(items) if i % folds != f]
        test = [g for i, g in enumerate(items) if i % folds == f]
        out.update(predict(fit_models(train, c), test))
    return out


def fit_policy(items: Sequence[Gathered], inner_folds: int = 4, meta: dict[str, Any] | None = None) -> AnswerPolicy:
    """Models fitted on ``items`` with the regularisation and thresholds that an inner
    cross-validation within ``items`` chose."""
    c = choose_c(items, inner_folds)
    models = fit_models(items, c)
    thresholds = choose_thresholds(items, cross_probs(items, inner_folds, c))
    return AnswerPolicy(models["unit"], models["office"], models["answer"], thresholds,
                        meta={**(meta or {}), "c": c})


# ---- measuring ------------------------------------------------------------------------------
def answer_with(g: Gathered, policy: AnswerPolicy) -> Answer:
    from retrieval.answerer import Answerer

    if g.evidence is None:
        assert g.fixed is not None
        return g.fixed
    return Answerer.compose(g.evidence, policy)


def score(items: Sequence[Gathered], answers: dict[str, Answer], corpus: Path, office_of: dict[str, str]
          ) -> dict[str, Any]:
    """The runner's summary (overall and per kind) of these answers and the hits gathered with them."""
    answer_iter = iter([answers[g.case.id] for g in items])
    hits_iter = iter([g.hits for g in items])  # evaluate() asks answer, then search, case by case
    report = evaluate([g.case for g in items], lambda q, k: next(hits_iter), lambda q, h: next(answer_iter),
                      corpus, office_of=office_of)
    return report["summary"]  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    policy: AnswerPolicy
    out_of_fold: dict[str, dict[str, Any]]  # set name (and "all") -> the runner's summary
    in_fold: dict[str, dict[str, Any]]
    folds: int
    questions: int
    auc: dict[str, float]  # per model, ROC AUC of its out-of-fold probabilities (threshold-free)


def calibrate(settings: Settings, sets: Sequence[str] = TRAINING_SETS, folds: int = 5, seed: int = 13,
              progress: Progress | None = None) -> CalibrationResult:
    """Cross-validate the answer policy on ``sets`` and fit the one to ship (see the module's doc).

    ``settings``: where to build the seed plans' index and how to retrieve (the corpus is
    replaced by ``evals/seeds``, the plans the question sets are written against).
    """
    settings = settings.model_copy(update={"corpus_dir": SEED_PLANS})
    items, office_of = gather_all(settings, sets, folds, seed, progress)
    oof_answers: dict[str, Answer] = {}
    oof_probs: dict[str, dict[str, Any]] = {}
    for f in range(folds):
        train = [g for g in items if g.fold != f]
        test = [g for g in items if g.fold == f]
        policy = fit_policy(train)
        oof_probs.update(predict({"unit": policy.unit, "office": policy.office, "answer": policy.answer}, test))
        for g in test:
            oof_answers[g.case.id] = answer_with(g, policy)
        log.info("fold %d: thresholds %s", f, policy.thresholds)
    c = choose_c(items)
    models = fit_models(items, c)
    thresholds = choose_thresholds(items, oof_probs)
    final = AnswerPolicy(models["unit"], models["office"], models["answer"], thresholds)
    in_answers = {g.case.id: answer_with(g, final) for g in items}
    oof, inf = _by_set(items, oof_answers, office_of), _by_set(items, in_answers, office_of)
    meta = {
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "question_sets": list(sets),
        "questions": len(items),
        "folds": folds,
        "seed": seed,
        "embedding": settings.embedding,
        "soft_match": settings.soft_match,
        "expansion": settings.expansion,
        "c": c,
        "out_of_fold": {name: _headline(summary) for name, summary in oof.items()},
        "in_fold": {name: _headline(summary) for name, summary in inf.items()},
    }
    auc = oof_auc(items, oof_probs)
    meta["out_of_fold_auc"] = auc
    policy = AnswerPolicy(final.unit, final.office, final.answer, thresholds, meta=meta)
    return CalibrationResult(policy, oof, inf, folds, len(items), auc)


def oof_auc(items: Sequence[Gathered], probs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """ROC AUC of each model's out-of-fold probabilities: how well it ranks, whatever the threshold."""
    from sklearn.metrics import roc_auc_score

    pairs: dict[str, list[tuple[float, bool]]] = {"unit": [], "office": [], "answer": []}
    for g in items:
        if g.evidence is None or g.case.id not in probs:
            continue
        p = probs[g.case.id]
        pairs["answer"].append((p["answer"], bool(g.case.gold)))
        pairs["office"].extend(zip(p["office"], (y for _, y in g.office_rows)))
        pairs["unit"].extend(zip(p["unit_lookup"], g.lookup_labels))
    out = {}
    for family, rows in pairs.items():
        labels = [y for _, y in rows]
        if len(set(labels)) == 2:
            out[family] = round(float(roc_auc_score(labels, [x for x, _ in rows])), 4)
    return out


def _by_set(items: Sequence[Gathered], answers: dict[str, Answer], office_of: dict[str, str]
            ) -> dict[str, dict[str, Any]]:
    out = {"all": score(items, answers, SEED_PLANS, office_of)}
    for name in dict.fromkeys(g.set_name for g in items):
        out[name] = score([g for g in items if g.set_name == name], answers, SEED_PLANS, office_of)
    return out


HEADLINE = ("n", "hit@5", "mrr@10", "answerable_abstained", "office_all", "office_precision", "office_exact",
            "abstention_precision", "abstention_recall", "citation_precision", "citations_valid")


def _headline(summary: dict[str, Any]) -> dict[str, Any]:
    overall = summary["overall"]
    return {key: overall.get(key) for key in HEADLINE}


def table(result: CalibrationResult) -> str:
    """Out-of-fold and in-fold headline figures per question set, as a Markdown table,
    and each model's out-of-fold ROC AUC."""
    head = "| set | figures | " + " | ".join(HEADLINE) + " |"
    lines = [head, "|" + "---|" * (len(HEADLINE) + 2)]
    for name in result.out_of_fold:
        for label, summaries in (("out-of-fold", result.out_of_fold), ("in-fold", result.in_fold)):
            row = _headline(summaries[name])
            cells = [_fmt(row[k]) for k in HEADLINE]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    lines.append("\nout-of-fold ROC AUC: " + ", ".join(f"{k} {v:.4f}" for k, v in result.auc.items()))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write(result: CalibrationResult, policy_path: Path | None = DEFAULT_POLICY, report_dir: Path | None = None
          ) -> None:
    """The policy to ``policy_path`` (None: not written), the figures to ``report_dir``."""
    if policy_path is not None:
        result.policy.save(policy_path)
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "calibration.json").write_text(
            json.dumps({"out_of_fold": result.out_of_fold, "in_fold": result.in_fold, "auc": result.auc},
                       ensure_ascii=False, indent=1),
            encoding="utf-8")
        (report_dir / "calibration.md").write_text(table(result) + "\n", encoding="utf-8")
