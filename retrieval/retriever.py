"""The hybrid search exposed as a LangChain ``BaseRetriever``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, field_validator

from planqa.types import Hit
from retrieval import inputs

CALL_OPTIONS = ("k", "offices", "sections", "retriever")


def hit_to_document(hit: Hit) -> Document:
    meta: dict[str, Any] = hit.to_dict()
    text = meta.pop("text")
    return Document(id=hit.chunk.id, page_content=text, metadata=meta)


class PlanRetriever(BaseRetriever):
    """LangChain retriever over the plan index (dense + BM25 + fusion).

    ``k`` (1 to ``inputs.MAX_K``), ``offices``, ``sections`` and ``retriever`` may also be given per call,
    through ``invoke``/``ainvoke``/``bind``; a bad value is a ValueError that names the valid ones.

    >>> retriever = PlanRetriever(service=get_service(settings), k=5)  # doctest: +SKIP
    >>> retriever.invoke("วิสัยทัศน์ของ สพม.มุกดาหาร", k=3, offices=["สพม.มุกดาหาร"])  # doctest: +SKIP
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: Any
    k: int = 10
    retriever: str = "hybrid"
    offices: list[str] | None = None
    sections: list[str] | None = None

    @field_validator("k", mode="before")
    @classmethod
    def _check_k(cls, value: Any) -> int:
        return inputs.k(value, 10)

    @field_validator("retriever")
    @classmethod
    def _check_retriever(cls, value: str) -> str:
        return inputs.retriever(value).value

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        unknown = sorted(set(kwargs) - set(CALL_OPTIONS))
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(CALL_OPTIONS)}")
        options = {name: getattr(self, name) for name in CALL_OPTIONS} | kwargs
        hits = self.service.search(query, **options)
        return [hit_to_document(h) for h in hits]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return await run_in_executor(None, self._get_relevant_documents, query,
                                     run_manager=run_manager.get_sync(), **kwargs)
