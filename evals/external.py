"""External Thai retrieval benchmarks (XQuAD-th, iApp Wiki QA) through our own ingest path.

Every passage becomes one corpus file ``<passage id>.txt``; the set is indexed
by ``ingest.pipeline.run`` like any corpus, every question is searched, and
hits are mapped back to passage ids (a passage keeps its first rank).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path, PurePath
from typing import Any

from evals import metrics as m
from evals.workdir import work_dir
from planqa.errors import PlanQAError
from planqa.settings import Settings
from planqa.types import Progress

log = logging.getLogger(__name__)
SETS = ("xquad-th", "iapp-wiki-qa")
DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "external-evals"
# BM25 over pythainlp newmm (rank_bm25 BM25Okapi, k1 1.5, b 0.75), from shared/external-evals/README.md
REFERENCE = {
    "xquad-th": {"recall@1": 0.9345, "recall@5": 0.9891, "recall@10": 0.9924, "mrr@10": 0.9582},
    "iapp-wiki-qa": {"recall@1": 0.9171, "recall@5": 0.9669, "recall@10": 0.9724, "mrr@10": 0.9397},
}
SEARCH_K = 30  # chunks asked for, so that 10 distinct passages remain after mapping chunks to passages


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise PlanQAError(f"{path}:{n}: not JSON ({exc.msg})") from exc
    return rows


def write_corpus(passages: list[dict[str, Any]], corpus: Path) -> int:
    """One ``<id>.txt`` per passage; unchanged files are left alone so ingest stays incremental."""
    corpus.mkdir(parents=True, exist_ok=True)
    written = 0
    for p in passages:
        pid = str(p["id"])
        if PurePath(pid).name != pid or pid.startswith("."):
            raise PlanQAError(f"passage id {pid!r} cannot be a file name")
        target = corpus / f"{pid}.txt"
        if not target.exists() or target.read_text(encoding="utf-8") != p["text"]:
            target.write_text(p["text"], encoding="utf-8")
            written += 1
    return written


def passage_ranks(sources: list[str], gold: set[str], k: int = 10) -> int | None:
    """1-based rank of the first gold passage among the first ``k`` distinct passages of the hits."""
    order: list[str] = []
    for src in sources:
        pid = PurePath(src).stem
        if pid not in order:
            order.append(pid)
    return next((i for i, pid in enumerate(order[:k], 1) if pid in gold), None)


def scores(ranks: list[int | None]) -> dict[str, float]:
    total = len(ranks) or 1
    return {
        "recall@1": sum(1 for r in ranks if r is not None and r <= 1) / total,
        "recall@5": sum(1 for r in ranks if r is not None and r <= 5) / total,
        "recall@10": sum(1 for r in ranks if r is not None and r <= 10) / total,
        "mrr@10": m.mean([1.0 / r if r else 0.0 for r in ranks]) or 0.0,
    }


def run_external(
    name: str,
    settings: Settings,
    retriever: str = "hybrid",
    directory: Path | None = None,
    index_dir: Path | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Index the set's passages (one file each) and score every question.

    Args:
        settings: the embedding and store options; corpus and index folders are replaced.
        directory: the folder with ``<name>.passages.jsonl`` and ``<name>.questions.jsonl``.
        index_dir: keep the set's corpus and index here and reuse them next time
            (default: a temporary folder, removed afterwards).
        limit: only the first ``limit`` questions (every passage is still indexed).
    """
    from ingest.pipeline import run as ingest_run
    from retrieval.service import Service

    if name not in SETS:
        raise PlanQAError(f"unknown set {name!r}; choose one of {', '.join(SETS)}")
    src = directory or DEFAULT_DIR
    passages_path, questions_path = src / f"{name}.passages.jsonl", src / f"{name}.questions.jsonl"
    for path in (passages_path, questions_path):
        if not path.exists():
            raise PlanQAError(f"{path} not found; set --data-dir or PLANQA_EXTERNAL_EVALS_DIR")
    questions = _read_jsonl(questions_path)
    questions = questions[:limit] if limit else questions
    with work_dir(index_dir, f"planqa-{name}-") as base:
        write_corpus(_read_jsonl(passages_path), base / "corpus")
        # always an on-disk Chroma of its own: never the plans' collection on a shared server
        ext = settings.model_copy(
            update={
                "corpus_dir": base / "corpus",
                "index_dir": base / "index",
                "chroma_host": None,
                "collection": f"external-{name}",
            }
        )
        report = ingest_run(ext)
        log.info(
            "indexed %s: %d added, %d unchanged, %d chunks written", name, report.added, report.unchanged, report.chunks
        )
        svc = Service(ext)
        svc.warm_up()
        ranks: list[int | None] = []
        for n, q in enumerate(questions):
            hits = svc.search(q["question"], k=SEARCH_K, retriever=retriever)
            ranks.append(passage_ranks([h.chunk.source for h in hits], {str(g) for g in q["gold_passage_ids"]}))
            if progress:
                progress(n + 1, len(questions), str(q.get("id", "")))
        model_id = svc.index.model_id
    return {
        "set": name,
        "retriever": retriever,
        "n": len(ranks),
        "embedding": model_id,
        **scores(ranks),
        "reference": REFERENCE[name],
        "ingest": report.to_dict(),
    }


def table(result: dict[str, Any]) -> str:
    keys = ("recall@1", "recall@5", "recall@10", "mrr@10")
    ref = result["reference"]
    return "\n".join(
        [
            f"{result['set']} ({result['n']} questions, retriever {result['retriever']}, {result['embedding']})",
            f"{'':14}" + "".join(f"{k:>11}" for k in keys),
            f"{'ours':14}" + "".join(f"{result[k]:>11.4f}" for k in keys),
            f"{'BM25 ref':14}" + "".join(f"{ref[k]:>11.4f}" for k in keys),
        ]
    )
