"""The hybrid search exposed as a LangChain ``BaseRetriever``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from planqa.types import Hit


def hit_to_document(hit: Hit) -> Document:
    meta: dict[str, Any] = hit.to_dict()
    text = meta.pop("text")
    return Document(id=hit.chunk.id, page_content=text, metadata=meta)


class PlanRetriever(BaseRetriever):
    """LangChain retriever over the plan index (dense + BM25 + fusion).

    >>> retriever = PlanRetriever(service=get_service(settings), k=5)  # doctest: +SKIP
    >>> retriever.invoke("วิสัยทัศน์ของ สพม.มุกดาหาร")  # doctest: +SKIP
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: Any
    k: int = 10
    retriever: str = "hybrid"
    offices: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.service.search(query, k=self.k, offices=self.offices, retriever=self.retriever)
        return [hit_to_document(h) for h in hits]
