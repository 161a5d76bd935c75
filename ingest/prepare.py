"""Parse, chunk and tokenise documents, in a process pool when there are many.

This is the CPU-bound half of an ingest run that does not need the model:
pythainlp's normaliser and newmm tokeniser are pure Python, so a pool of
processes (not threads) is what uses more than one core.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ingest.chunking import chunk_document
from ingest.structure import parse
from ingest.tokens import tokenize
from planqa.types import Chunk, ParsedDoc, SourceDoc

log = logging.getLogger(__name__)
POOL_MIN_LINES = 20_000  # below this a pool's start-up (about a second) costs more than it saves
# the modules whose code decides a document's chunks and chunk ids
PARSER_MODULES = ("ingest.loaders", "ingest.normalize", "ingest.offices", "ingest.sections", "ingest.structure",
                  "ingest.chunking", "ingest.tokens", "ingest.units",
                  "ingest.thai_repair", "ingest.scans", "ingest.ocr", "ingest.ocr_repair")


@dataclass(frozen=True, slots=True)
class Prepared:
    parsed: ParsedDoc
    chunks: list[Chunk]
    tokens: list[str]  # per chunk: its BM25 tokens joined by spaces


def prepare_one(doc: SourceDoc, catalogue: dict[str, dict[str, Any]]) -> Prepared:
    parsed = parse(doc, catalogue)
    chunks = chunk_document(parsed)
    return Prepared(parsed, chunks, [" ".join(tokenize(c.embed_text)) for c in chunks])


def prepare_many(
    docs: Sequence[SourceDoc], catalogue: dict[str, dict[str, Any]], workers: int | None = None
) -> list[Prepared]:
    """``prepare_one`` for each document, in order; a process pool when the work is large.

    Args:
        docs: documents as loaded.
        catalogue: office overrides (``corpus/offices.toml``).
        workers: pool size (default: the CPU count); 1 means in this process.
    """
    workers = workers or os.cpu_count() or 1
    lines = sum(len(d.lines) for d in docs)
    if workers > 1 and len(docs) >= 2 * workers and lines >= POOL_MIN_LINES:
        log.info("parsing %d documents in %d processes", len(docs), workers)
        try:
            # spawn, not fork: the caller may be a threaded web app holding locks
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                chunksize = max(1, min(64, len(docs) // (workers * 8)))
                return list(pool.map(prepare_one, docs, [catalogue] * len(docs), chunksize=chunksize))
        except BrokenProcessPool:
            # a script without `if __name__ == "__main__":` cannot start spawned workers
            log.warning("the parse pool could not start (is the calling script's main guarded?); parsing here")
    return [prepare_one(doc, catalogue) for doc in docs]


def parser_fingerprint(catalogue_path: Path) -> str:
    """Changes whenever a document's chunks could change without its bytes changing:
    the parsing code, pythainlp's version or the office catalogue."""
    import importlib

    import pythainlp

    h = hashlib.sha256(f"pythainlp {pythainlp.__version__}\n".encode())
    for name in PARSER_MODULES:
        module = importlib.import_module(name)
        h.update(Path(str(module.__file__)).read_bytes())
    if catalogue_path.exists():
        h.update(catalogue_path.read_bytes())
    return h.hexdigest()
