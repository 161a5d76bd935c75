"""Run a question set through the real retriever and answerer and score it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals import metrics as m
from evals.questions import Case, matches
from ingest.loaders import load
from ingest.normalize import fold_spaces
from planqa.settings import Settings
from planqa.types import Answer, Citation, Hit
from retrieval.followup import rewrite

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
RETRIEVAL_KEYS = ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@10")


def citation_valid(c: Citation, corpus_dir: Path, cache: dict[str, tuple[str, ...]]) -> bool:
    """The quoted text really is at those lines of that file."""
    if c.source not in cache:
        try:
            cache[c.source] = load(corpus_dir / c.source, c.source).lines
        except Exception:  # a vanished or unreadable file cannot back a citation
            cache[c.source] = ()
    lines = cache[c.source]
    if not (1 <= c.start_line <= c.end_line <= len(lines)):
        return False
    return bool(c.text) and c.text in "\n".join(lines[c.start_line - 1 : c.end_line])


def score_case(case: Case, hits: Sequence[Hit], answer: Answer, office_of: dict[str, str], k: int,
               corpus_dir: Path, cache: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Per-question metrics (None where a metric does not apply)."""
    out: dict[str, Any] = {}
    if case.gold:
        rel = [any(matches(h.chunk.source, h.chunk.text, g) for g in case.gold) for h in hits[:k]]
        found = [any(matches(h.chunk.source, h.chunk.text, g) for h in hits[:k]) for g in case.gold]
        out.update({
            "hit@1": m.hit_at(rel, 1), "hit@3": m.hit_at(rel, 3), "hit@5": m.hit_at(rel, 5),
            "hit@10": m.hit_at(rel, 10), "mrr@10": m.reciprocal_rank(rel, 10),
            "ndcg@10": m.ndcg(rel, len(case.gold), 10), "recall@10": m.recall(found),
            "first_rank": m.first_relevant_rank(rel, k),
        })
        if not answer.abstained:
            cited = [any(matches(c.source, c.text, g) for g in case.gold) for c in answer.citations]
            out["citation_precision"] = m.precision(cited)
            out["citation_recall"] = m.recall(
                [any(matches(c.source, c.text, g) for c in answer.citations) for g in case.gold]
            )
    if case.kind in ("which", "compare") and case.gold:
        gold_offices = {office_of.get(g.doc, g.doc) for g in case.gold}
        named = {c.office for c in answer.citations}
        out["office_exact"] = 1.0 if named == gold_offices else 0.0
        out["office_jaccard"] = m.jaccard(named, gold_offices)
    valid = [citation_valid(c, corpus_dir, cache) for c in answer.citations]
    out["citations_valid"] = m.precision(valid)
    out["abstain_correct"] = 1.0 if answer.abstained == case.should_abstain else 0.0
    return out


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics over all questions, and per kind."""

    def block(rs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        sc = [r["scores"] for r in rs]
        out: dict[str, Any] = {"n": len(rs)}
        for key in (*RETRIEVAL_KEYS, "citation_precision", "citation_recall", "office_exact", "office_jaccard"):
            out[key] = m.mean([s.get(key) for s in sc])
        all_cites = [s["citations_valid"] for s in sc if s.get("citations_valid") is not None]
        out["citations_valid"] = m.mean(all_cites)
        p, r = m.abstention([r["should_abstain"] for r in rs], [r["answer"]["abstained"] for r in rs])
        out["abstention_precision"], out["abstention_recall"] = p, r
        lat = [r["latency_ms"] for r in rs]
        out["latency_p50_ms"], out["latency_p95_ms"] = m.percentile(lat, 0.5), m.percentile(lat, 0.95)
        return out

    kinds = sorted({r["kind"] for r in rows})
    return {"overall": block(rows), "by_kind": {kd: block([r for r in rows if r["kind"] == kd]) for kd in kinds}}


def run_cases(settings: Settings, cases: Sequence[Case], k: int = 10, retriever: str = "hybrid",
              progress: Progress | None = None) -> dict[str, Any]:
    """Ask every case; return {"summary", "questions", "config"} (report.json)."""
    from retrieval.service import get_service

    svc = get_service(settings)
    svc.warm_up()
    office_of = {d["source"]: d["office"] for d in svc.index.lexical.documents()}
    cache: dict[str, tuple[str, ...]] = {}
    rows = []
    for n, case in enumerate(cases):
        history = list(case.history)
        started = time.perf_counter()
        answer = svc.answer(case.question, history=history, retriever=retriever, k=k)
        latency = (time.perf_counter() - started) * 1000
        hits = svc.search(rewrite(case.question, history), k=k, retriever=retriever)
        rows.append({
            "id": case.id, "question": case.question, "kind": case.kind,
            "history": history,
            "gold": [{"doc": g.doc, "text": g.text} for g in case.gold],
            "should_abstain": case.should_abstain,
            "hits": [{key: h.to_dict()[key] for key in ("source", "office", "section", "start_line", "end_line",
                                                          "text", "score")} for h in hits],
            "answer": {"text": answer.text, "abstained": answer.abstained,
                       "rewritten_question": answer.rewritten_question,
                       "citations": [c.to_dict() for c in answer.citations]},
            "latency_ms": round(latency, 2),
            "scores": score_case(case, hits, answer, office_of, k, settings.corpus_dir, cache),
        })
        if progress:
            progress(n + 1, len(cases))
    return {
        "config": {"k": k, "retriever": retriever, "embedding": svc.index.model_id, "questions": len(cases)},
        "summary": summarize(rows),
        "questions": rows,
    }


def gold_text_problems(cases: Sequence[Case], corpus_dir: Path) -> list[str]:
    """Gold entries whose doc or text is not in the corpus (a broken question set)."""
    problems = []
    for case in cases:
        for g in case.gold:
            path = corpus_dir / g.doc
            if not path.exists():
                problems.append(f"{case.id}: no file {g.doc}")
                continue
            text = fold_spaces("\n".join(load(path, g.doc).lines))
            if g.text and fold_spaces(g.text) not in text:
                problems.append(f"{case.id}: text not in {g.doc}: {g.text!r}")
    return problems
