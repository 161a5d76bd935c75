"""The index as LangChain sees it: chunks as Documents, and one VectorStore whose
writes go to Chroma and the lexical index together. Only ingest runs import this
module (LangChain's indexing API drives it); questions never need it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from planqa.types import Chunk, SectionKind

if TYPE_CHECKING:
    import numpy as np

    from ingest.index import PlanIndex

CHROMA_BATCH = 5000  # ids per Chroma upsert (the server's limit is larger)


def chunk_to_document(chunk: Chunk) -> Document:
    return Document(
        id=chunk.id,
        page_content=chunk.embed_text,
        metadata={
            "chunk_id": chunk.id,
            "source": chunk.source,
            "office": chunk.office,
            "section": chunk.section,
            "section_kind": chunk.section_kind,
            "items": ",".join(chunk.items),
            "start_line": chunk.start_line,
            "end_line": chunk.end_line,
            "text": chunk.text,
            "content_hash": chunk.content_hash,
        },
    )


def document_to_chunk(doc: Document) -> Chunk:
    m = doc.metadata
    return Chunk(
        id=str(m["chunk_id"]),
        source=str(m["source"]),
        office=str(m["office"]),
        section=str(m["section"]),
        section_kind=SectionKind.parse(str(m["section_kind"])),
        items=tuple(x for x in str(m["items"]).split(",") if x),
        start_line=int(m["start_line"]),
        end_line=int(m["end_line"]),
        text=str(m["text"]),
        content_hash=str(m["content_hash"]),
    )


class RunWrites(Protocol):
    """What the target writes with: one ingest run's prepared vectors and tokens
    (``ingest.staging.IngestRun``, which imports this module)."""

    ix: PlanIndex
    written: int

    def vectors_for(self, ids: Sequence[str], texts: Sequence[str]) -> np.ndarray: ...

    def tokens_for(self, ids: Sequence[str], texts: Sequence[str]) -> list[list[str]]: ...


class IndexingTarget(VectorStore):
    """Writes go to Chroma and the lexical index together, by the same ids.

    Not a public vector store: it is the target of LangChain's indexing API and nothing else
    (documents must come from ``chunk_to_document``; see the README, "LangChain").

    LangChain's ``index()`` drives this store, so the record manager sees one
    destination and both halves always receive the same adds and deletes.
    """

    def __init__(self, run: RunWrites) -> None:
        self._run = run
        self._ix = run.ix

    @property
    def embeddings(self) -> Embeddings:
        return self._ix.embeddings

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        ids = [str(i) for i in kwargs.get("ids") or [d.id for d in documents]]
        chunks = [document_to_chunk(d) for d in documents]
        texts = [d.page_content for d in documents]
        vectors = self._run.vectors_for(ids, texts)
        # no documents= : Chroma would full-text index them (a third of the write time),
        # and BM25 is the lexical index's job; the chunk text is in the metadata
        for i in range(0, len(ids), CHROMA_BATCH):
            self._ix.collection.upsert(
                ids=ids[i : i + CHROMA_BATCH],
                embeddings=vectors[i : i + CHROMA_BATCH],  # type: ignore[arg-type]
                metadatas=[d.metadata for d in documents[i : i + CHROMA_BATCH]],
            )
        self._ix.lexical.upsert(chunks, self._run.tokens_for(ids, texts))
        self._run.written += len(ids)
        return ids

    def add_texts(self, texts: Iterable[str], metadatas: list[dict[Any, Any]] | None = None, **kwargs: Any) -> list[str]:
        docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas or [{} for _ in texts])]
        return self.add_documents(docs, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        if ids:
            self._ix.delete_ids(ids)
        return True

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """LangChain's dense search: ``PlanIndex.dense_search``, as Documents."""
        found = self._ix.dense_search(query, k)
        chunks = self._ix.lexical.get_chunks([cid for cid, _ in found])
        return [chunk_to_document(chunks[cid]) for cid, _ in found if cid in chunks]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict[Any, Any]] | None = None,
                   **kwargs: Any) -> IndexingTarget:
        raise TypeError("IndexingTarget is opened by an ingest run (ingest.staging.IngestRun), not built from texts")
