"""One ingest run's scratch state: what it embeds and tokenises ahead of its writes, outside
any lock, and hands to the stores when it writes. A ``PlanIndex`` lives as long as the
process and holds none of it; each run's write phase (``ingest/pipeline.py``) makes its own."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.tokens import tokenize
from ingest.units import quotable, unit_words
from ingest.vocabulary import embed_missing, missing_terms
from planqa.types import Chunk, Progress

if TYPE_CHECKING:
    from ingest.index import PlanIndex
    from ingest.paired_store import IndexingTarget

log = logging.getLogger(__name__)
WRITE_BATCH = 1000  # documents per index() batch: one lexical transaction, one record-manager update


def _no_term_vectors() -> tuple[list[str], np.ndarray]:
    return [], np.zeros((0, 0), dtype=np.float32)


class IngestRun:
    """The vectors and tokens one run prepares for ``ix``, and the count of chunks it wrote."""

    def __init__(self, ix: PlanIndex) -> None:
        self.ix = ix
        self.written = 0  # chunks written to the stores by this run
        self._vectors: dict[str, np.ndarray] = {}  # float32: a tenth of the memory of lists
        self._tokens: dict[str, str] = {}
        self._term_vectors = _no_term_vectors()
        self._unit_vectors: dict[str, np.ndarray] = {}
        self._unit_words: dict[str, tuple[str, ...]] = {}

    # ---- the chunks ---------------------------------------------------------------
    def prepare_vectors(self, chunks: Sequence[Chunk], progress: Any = None, force: bool = False) -> int:
        """Embed the chunks the index lacks (all with ``force``) ahead of the write and
        outside any lock. Their quotable units come later (``prepare_unit_vectors``): the
        chunks alone make the index answerable."""
        known = set() if force else set(self.ix.records.list_keys(group_ids=sorted({c.source for c in chunks})))
        todo = [c for c in chunks if c.id not in known and c.id not in self._vectors]
        if self.ix.shared and not force:
            todo = self._reuse_server_vectors(todo)
        self._embed([("chunk", c.id, c.embed_text) for c in todo], progress, "embedding")
        return len(todo)

    def _reuse_server_vectors(self, chunks: list[Chunk]) -> list[Chunk]:
        """Take the vectors another instance already wrote to the shared Chroma server
        (a chunk id is a hash of its text and labels; the collection records the model);
        returns the chunks still to embed."""
        self._vectors.update(self.ix.stored_vectors([c.id for c in chunks]))
        return [c for c in chunks if c.id not in self._vectors]

    def prepare_tokens(self, tokens: dict[str, str]) -> None:
        """BM25 tokens made ahead (in the parse pool), by chunk id, joined by spaces."""
        self._tokens.update(tokens)

    def vectors_for(self, ids: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Prepared vectors where there are some, fresh embeddings for the rest."""
        missing = [n for n, i in enumerate(ids) if i not in self._vectors]
        fresh = self.ix.document_embeddings.embed_documents([texts[n] for n in missing]) if missing else []
        by_pos = dict(zip(missing, fresh))
        rows = [by_pos[n] if n in by_pos else self._vectors.pop(i) for n, i in enumerate(ids)]
        return np.asarray(rows, dtype=np.float32).reshape(len(ids), -1)

    def tokens_for(self, ids: Sequence[str], texts: Sequence[str]) -> list[list[str]]:
        """Prepared tokens where there are some, fresh tokenisation for the rest."""
        return [self._tokens.pop(i).split() if i in self._tokens else tokenize(t) for i, t in zip(ids, texts)]

    def store(self) -> IndexingTarget:
        """The index as one LangChain vector store writing this run's vectors and tokens
        (``ingest/paired_store.py``)."""
        from ingest.paired_store import IndexingTarget

        return IndexingTarget(self)

    def index_chunks(self, chunks: Sequence[Chunk], batch_size: int = WRITE_BATCH) -> dict[str, int]:
        """Bring the given sources' chunks in line with ``chunks`` (incremental)."""
        # LangChain's indexing API is imported here, not at the top: it costs ~0.5 s of
        # every start, and only writes need it
        from langchain_core.indexing import index as lc_index

        from ingest.paired_store import chunk_to_document

        docs = [chunk_to_document(c) for c in chunks]
        result = lc_index(
            docs,
            self.ix.records,
            self.store(),
            batch_size=batch_size,
            cleanup="incremental",
            source_id_key="source",
            key_encoder=lambda d: str(d.metadata["chunk_id"]),
        )
        return {key: int(value) for key, value in result.items()}  # type: ignore[call-overload]

    def clear_prepared(self) -> None:
        """Forget what was prepared and not written (tokens of chunks index() found unchanged)."""
        self._vectors.clear()
        self._tokens.clear()
        self._unit_vectors.clear()
        self._unit_words.clear()
        self._term_vectors = _no_term_vectors()

    # ---- what refines the answers: quotable sentences and vocabulary -----------------
    def prepare_unit_vectors(self, progress: Any = None) -> int:
        """Embed the quotable units of every indexed chunk that has none stored yet (the
        chunks just written, and any an earlier run did not finish), and tokenise the units
        of those with no words stored; outside any lock."""
        lexical = self.ix.lexical
        missing = lexical.ids_without_unit_vectors()
        wordless = lexical.ids_without_unit_words()
        chunks = lexical.get_chunks(sorted(set(missing) | set(wordless)))
        jobs: list[tuple[str, str, str]] = []
        for cid in missing:
            if cid in chunks:
                self._unit_vectors[cid] = np.zeros((0, 0), dtype=np.float32)  # a chunk with no units has none
                jobs.extend(("unit", cid, u.text) for u in quotable(chunks[cid]))
        for cid in wordless:
            if cid in chunks:
                self._unit_words[cid] = unit_words(chunks[cid])
        self._embed(jobs, progress, "embedding quotable sentences")
        return len(missing)

    def write_unit_vectors(self) -> None:
        """Store the unit vectors and words ``prepare_unit_vectors`` made (in the write phase)."""
        if self._unit_vectors or self._unit_words:
            self.ix.lexical.put_unit_vectors(self._unit_vectors, self._unit_words)
            self._unit_vectors = {}
            self._unit_words = {}

    def prepare_term_vectors(self, progress: Progress | None = None) -> int:
        """Embed the indexed vocabulary words that have no vector yet (new words; all of them
        after a rebuild emptied the vectors, or in an index built before they were kept),
        outside any lock."""
        terms = missing_terms(set(self.ix.lexical.terms()), self.ix.lexical.vector_terms())
        self._term_vectors = (terms, embed_missing(self.ix.document_embeddings, terms, progress))
        return len(terms)

    def write_term_vectors(self) -> None:
        """Store the prepared vocabulary vectors and forget words no chunk holds (in the write phase)."""
        terms, vectors = self._term_vectors
        if terms:
            self.ix.lexical.put_term_vectors(terms, vectors)
        pruned = self.ix.lexical.prune_term_vectors()
        log.info("vocabulary: %d words embedded, %d forgotten", len(terms), pruned)
        self._term_vectors = _no_term_vectors()

    def _embed(self, jobs: list[tuple[str, str, str]], progress: Any, label: str) -> None:
        """Embed (kind, chunk id, text) jobs in order; chunk vectors to ``_vectors``, unit rows
        (in the chunk's unit order) to ``_unit_vectors``."""
        engine = self.ix.document_embeddings
        step = max(1, int(getattr(engine, "batch_size", 32))) * 4
        rows: dict[str, list[np.ndarray]] = {}
        for i in range(0, len(jobs), step):
            batch = jobs[i : i + step]
            vectors = np.asarray(engine.embed_documents([t for _, _, t in batch]), dtype=np.float32)
            for (kind, cid, _), vec in zip(batch, vectors):
                if kind == "chunk":
                    self._vectors[cid] = vec
                else:
                    rows.setdefault(cid, []).append(vec)
            if progress:
                progress(min(i + step, len(jobs)), len(jobs), label)
        for cid, vecs in rows.items():
            self._unit_vectors[cid] = np.asarray(vecs, dtype=np.float32).reshape(len(vecs), -1)
