"""Run a question set through a retriever and an answerer and score it.

``evaluate`` takes the retriever and the answerer as plain callables, so it
runs against fakes in tests; ``run_cases`` wires it to the real service.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals import metrics as m
from evals.cases import Case, matches
from ingest.loaders import load
from ingest.normalize import fold_spaces
from planqa.settings import Settings
from planqa.types import Answer, Citation, Hit, Progress

log = logging.getLogger(__name__)
SearchFn = Callable[[str, int], Sequence[Hit]]  # (question, k) -> ranked hits
AnswerFn = Callable[[str, Sequence[str]], Answer]  # (question, previous user questions) -> answer
RETRIEVAL_KEYS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@10")
ANSWER_KEYS = ("citation_precision", "citation_recall", "office_exact", "office_all", "office_precision",
               "office_jaccard", "answerable_abstained")
HIT_KEYS = ("source", "office", "section", "start_line", "end_line", "text", "score")
CITATION_KEYS = ("n", "source", "office", "section", "start_line", "end_line", "text")


def citation_valid(c: Citation, corpus_dir: Path, cache: dict[str, tuple[str, ...]]) -> bool:
    """The quoted text really is at those lines of that file (compared after ``fold_spaces``)."""
    if c.source not in cache:
        try:
            cache[c.source] = load(corpus_dir / c.source, c.source).lines
        except Exception:  # a vanished or unreadable file cannot back a citation
            log.warning("cannot read %s to check a citation", c.source)
            cache[c.source] = ()
    lines = cache[c.source]
    if not (1 <= c.start_line <= c.end_line <= len(lines)):
        return False
    quoted = fold_spaces(c.text)
    return bool(quoted) and quoted in fold_spaces("\n".join(lines[c.start_line - 1 : c.end_line]))


def score_case(
    case: Case,
    hits: Sequence[Hit],
    answer: Answer,
    office_of: Mapping[str, str],
    k: int,
    corpus_dir: Path,
    cache: dict[str, tuple[str, ...]],
) -> dict[str, Any]:
    """Per-question metrics (absent or None where a metric does not apply)."""
    out: dict[str, Any] = {}
    top = hits[:k]
    if case.gold:
        rel = [any(matches(h.chunk.source, h.chunk.text, g) for g in case.gold) for h in top]
        found = [any(matches(h.chunk.source, h.chunk.text, g) for h in top) for g in case.gold]
        out.update(
            {
                "first_rank": m.first_relevant_rank(rel, k),
                "hit@1": m.hit_at(rel, 1),
                "hit@3": m.hit_at(rel, 3),
                "hit@5": m.hit_at(rel, 5),
                "hit@10": m.hit_at(rel, 10),
                "mrr@10": m.reciprocal_rank(rel, 10),
                "ndcg@10": m.ndcg(rel, len(case.gold), 10),
                "recall@10": m.recall(found),
            }
        )
        if not answer.abstained:
            cites = answer.citations
            out["citation_precision"] = m.precision(
                [any(matches(c.source, c.text, g) for g in case.gold) for c in cites]
            )
            out["citation_recall"] = m.recall([any(matches(c.source, c.text, g) for c in cites) for g in case.gold])
        out["answerable_abstained"] = 1.0 if answer.abstained else 0.0
        if case.kind in ("which", "compare"):
            gold_offices = {office_of.get(g.doc, g.doc) for g in case.gold}
            named = set() if answer.abstained else {c.office for c in answer.citations}
            out["office_exact"] = 1.0 if named == gold_offices else 0.0
            out["office_all"] = 1.0 if gold_offices <= named else 0.0  # every office that should be named is
            out["office_precision"] = len(named & gold_offices) / len(named) if named else None
            out["office_jaccard"] = m.jaccard(named, gold_offices)
    out["citations_valid"] = m.precision([citation_valid(c, corpus_dir, cache) for c in answer.citations])
    out["abstain_correct"] = 1.0 if answer.abstained == case.should_abstain else 0.0
    return out


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics over all questions, and per kind (means over the questions where each applies)."""

    def block(rs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        sc = [r["scores"] for r in rs]
        out: dict[str, Any] = {"n": len(rs), "n_gold": sum(1 for r in rs if r["gold"])}
        for key in (*RETRIEVAL_KEYS, *ANSWER_KEYS):
            out[key] = m.mean([s.get(key) for s in sc])
        # every citation counts once, so a long answer weighs more than a short one
        valid = sum(
            s["citations_valid"] * len(r["answer"]["citations"])
            for r, s in zip(rs, sc)
            if s["citations_valid"] is not None
        )
        total = sum(len(r["answer"]["citations"]) for r in rs)
        out["citations_valid"] = valid / total if total else None
        p, rec = m.abstention([r["should_abstain"] for r in rs], [r["answer"]["abstained"] for r in rs])
        out["abstention_precision"], out["abstention_recall"] = p, rec
        out["abstention_accuracy"] = m.mean([s["abstain_correct"] for s in sc])
        lat = [r["latency_ms"] for r in rs]
        out["latency_p50_ms"], out["latency_p95_ms"] = m.percentile(lat, 0.5), m.percentile(lat, 0.95)
        return out

    kinds = sorted({r["kind"] for r in rows})
    overall = block(rows)
    overall["frame_invariance"] = m.frame_invariance(_outcomes_by_topic(rows))
    return {"overall": overall, "by_kind": {kd: block([r for r in rows if r["kind"] == kd]) for kd in kinds}}


def _outcomes_by_topic(rows: Sequence[dict[str, Any]]) -> dict[str, list[frozenset[str] | None]]:
    """topic -> what each of its questions named (offices, or None for an abstention)."""
    groups: dict[str, list[frozenset[str] | None]] = {}
    for r in rows:
        if r.get("topic"):
            a = r["answer"]
            named = None if a["abstained"] else frozenset(c["office"] for c in a["citations"])
            groups.setdefault(r["topic"], []).append(named)
    return groups


def evaluate(
    cases: Sequence[Case],
    search: SearchFn,
    answer: AnswerFn,
    corpus_dir: Path,
    *,
    office_of: Mapping[str, str] | None = None,
    k: int = 10,
    config: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ask every case and score it; returns report.json's content.

    Args:
        search: ranked hits for a question; a follow-up is searched as the
            answerer rewrote it (``Answer.rewritten_question``).
        answer: the answer to a question given the earlier user questions.
        corpus_dir: where cited files are read back to check the quotes.
        office_of: source file -> office, for the office of gold documents;
            offices seen in hits and citations fill the gaps.
    """
    asked: list[tuple[Case, list[Hit], Answer, float]] = []
    for n, case in enumerate(cases):
        started = time.perf_counter()
        ans = answer(case.question, list(case.history))
        latency = (time.perf_counter() - started) * 1000
        hits = list(search(ans.rewritten_question or case.question, k))
        asked.append((case, hits, ans, latency))
        if progress:
            progress(n + 1, len(cases), case.id)
    offices = dict(office_of or {})
    for _, hits, ans, _ in asked:
        for src, office in [(h.chunk.source, h.chunk.office) for h in hits] + [
            (c.source, c.office) for c in ans.citations
        ]:
            offices.setdefault(src, office)
    cache: dict[str, tuple[str, ...]] = {}
    rows = [
        _row(case, hits, ans, lat, score_case(case, hits, ans, offices, k, corpus_dir, cache))
        for case, hits, ans, lat in asked
    ]
    return {
        "config": {"k": k, "questions": len(cases), **(config or {})},
        "summary": summarize(rows),
        "questions": rows,
    }


def _row(case: Case, hits: Sequence[Hit], ans: Answer, latency: float, scores: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": case.id,
        "question": case.question,
        "kind": case.kind,
        "topic": case.topic,
        "history": list(case.history),
        "gold": [{"doc": g.doc, "text": g.text} for g in case.gold],
        "should_abstain": case.should_abstain,
        "hits": [{key: h.to_dict()[key] for key in HIT_KEYS} for h in hits],
        "answer": {
            "text": ans.text,
            "abstained": ans.abstained,
            "rewritten_question": ans.rewritten_question,
            "citations": [{key: c.to_dict()[key] for key in CITATION_KEYS} for c in ans.citations],
        },
        "latency_ms": round(latency, 2),
        "scores": scores,
    }


def run_cases(
    settings: Settings,
    cases: Sequence[Case],
    k: int = 10,
    retriever: str = "hybrid",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``evaluate`` against the real retrieval service over an already built index."""
    from retrieval.service import get_service

    svc = get_service(settings)
    svc.warm_up()
    office_of = svc.index.office_of()
    return evaluate(
        cases,
        lambda q, kk: svc.search(q, k=kk, retriever=retriever),
        lambda q, history: svc.answer(q, history=list(history), retriever=retriever, k=k),
        settings.corpus_dir,
        office_of=office_of,
        k=k,
        config={"retriever": retriever, "embedding": svc.index.model_id},
        progress=progress,
    )


def gold_text_problems(cases: Sequence[Case], corpus_dir: Path) -> list[str]:
    """Gold entries whose doc or text is not in the corpus (a broken question set)."""
    problems = []
    texts: dict[str, str] = {}
    for case in cases:
        for g in case.gold:
            path = corpus_dir / g.doc
            if not path.exists():
                problems.append(f"{case.id}: no file {g.doc}")
                continue
            if g.doc not in texts:
                texts[g.doc] = fold_spaces("\n".join(load(path, g.doc).lines))
            if g.text and fold_spaces(g.text) not in texts[g.doc]:
                problems.append(f"{case.id}: text not in {g.doc}: {g.text!r}")
    return problems
