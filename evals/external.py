"""External Thai retrieval benchmarks (XQuAD-th, iApp Wiki QA) through our own ingest path."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from evals import metrics as m
from planqa.errors import PlanQAError
from planqa.settings import Settings

log = logging.getLogger(__name__)
SETS = ("xquad-th", "iapp-wiki-qa")
# BM25 over pythainlp newmm (rank_bm25, k1 1.5, b 0.75), from shared/external-evals/README.md
REFERENCE = {
    "xquad-th": {"recall@1": 0.9345, "recall@5": 0.9891, "recall@10": 0.9924, "mrr@10": 0.9582},
    "iapp-wiki-qa": {"recall@1": 0.9171, "recall@5": 0.9669, "recall@10": 0.9724, "mrr@10": 0.9397},
}


def data_dir(explicit: Path | None = None) -> Path:
    if explicit:
        return explicit
    env = os.environ.get("PLANQA_EXTERNAL_EVALS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "external-evals"


def run_external(name: str, settings: Settings, retriever: str = "hybrid", directory: Path | None = None,
                 index_dir: Path | None = None, limit: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Index the set's passages (one file each) and score every question."""
    from ingest.pipeline import run as ingest_run
    from retrieval.service import get_service

    if name not in SETS:
        raise PlanQAError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")
    src = data_dir(directory)
    passages_path, questions_path = src / f"{name}.passages.jsonl", src / f"{name}.questions.jsonl"
    if not passages_path.exists():
        raise PlanQAError(f"{passages_path} not found; set --data-dir or PLANQA_EXTERNAL_EVALS_DIR")
    base = index_dir or Path(tempfile.mkdtemp(prefix=f"planqa-{name}-"))
    corpus = base / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for line in passages_path.read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        target = corpus / f"{p['id']}.txt"
        if not target.exists():
            target.write_text(p["text"], encoding="utf-8")
    ext = settings.model_copy(update={"corpus_dir": corpus, "index_dir": base / "index"})
    report = ingest_run(ext)
    log.info("indexed %s: %d added, %d chunks", name, report.added, report.chunks)
    svc = get_service(ext)
    svc.warm_up()
    questions = [json.loads(x) for x in questions_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    questions = questions[:limit] if limit else questions
    ranks: list[int | None] = []
    for n, q in enumerate(questions):
        hits = svc.search(q["question"], k=30, retriever=retriever)
        order: list[str] = []
        for h in hits:
            pid = PurePath(h.chunk.source).stem
            if pid not in order:
                order.append(pid)
        gold = set(q["gold_passage_ids"])
        ranks.append(next((i + 1 for i, pid in enumerate(order[:10]) if pid in gold), None))
        if progress:
            progress(n + 1, len(questions))
    total = len(ranks) or 1
    return {
        "set": name, "retriever": retriever, "n": len(ranks), "embedding": svc.index.model_id,
        "recall@1": sum(1 for r in ranks if r and r <= 1) / total,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / total,
        "recall@10": sum(1 for r in ranks if r) / total,
        "mrr@10": m.mean([1.0 / r if r else 0.0 for r in ranks]) or 0.0,
        "reference": REFERENCE[name],
    }


def table(result: dict[str, Any]) -> str:
    keys = ("recall@1", "recall@5", "recall@10", "mrr@10")
    ref = result["reference"]
    lines = [f"{result['set']} ({result['n']} questions, retriever {result['retriever']})",
             f"{'':14}" + "".join(f"{k:>11}" for k in keys),
             f"{'ours':14}" + "".join(f"{result[k]:>11.4f}" for k in keys),
             f"{'BM25 ref':14}" + "".join(f"{ref[k]:>11.4f}" for k in keys)]
    return "\n".join(lines)
