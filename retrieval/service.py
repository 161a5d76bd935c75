"""The retrieval service: one warm index and model per Settings.

The web app, the CLIs and the evals all go through ``get_service`` so that
models and index handles are loaded once per process, never per request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from ingest.index import DOCUMENTS_VERSION, PlanIndex
from planqa.errors import IndexMismatch
from planqa.settings import Settings
from planqa.types import Answer, Hit, Query
from retrieval.query import KnownOffice, known_offices, parse_query
from retrieval.search import FusionWeights, HybridSearcher

_SERVICES: dict[str, Service] = {}
_LOCK = threading.Lock()


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index = PlanIndex(settings)
        self.searcher = HybridSearcher(self.index, FusionWeights(fusion=settings.fusion), candidate_k=settings.candidate_k)
        self._offices: list[KnownOffice] | None = None
        self._offices_stamp: str | None = None
        self._answerer: Any = None

    def warm_up(self) -> None:
        """Load the model and open the stores now, not on the first question."""
        self.index.embeddings.embed_query("warm up")
        if self.index.lexical.chunk_count():
            self.search("วิสัยทัศน์", k=1)

    def check_model(self) -> None:
        built_with = self.index.lexical.get_meta("embedding_model")
        if built_with and built_with != self.index.model_id:
            raise IndexMismatch(
                f"the index was built with {built_with!r} but {self.index.model_id!r} is configured; "
                "run `python -m ingest --full` to rebuild it"
            )

    def offices(self) -> list[KnownOffice]:
        """Offices in the index (refreshed when an ingest run changed it)."""
        # one small read per question: the catalogue of 10,000 plans takes ~0.5 s to load
        stamp = self.index.lexical.get_meta(DOCUMENTS_VERSION)
        if stamp is None or stamp != self._offices_stamp:
            self._offices = known_offices(self.index.lexical.documents())
            self._offices_stamp = stamp
        return list(self._offices or [])

    def parse(self, question: str) -> Query:
        return parse_query(question, self.offices())

    def search(
        self,
        question: str,
        k: int | None = None,
        offices: Sequence[str] | None = None,
        sections: Sequence[str] | None = None,
        retriever: str = "hybrid",
    ) -> list[Hit]:
        self.check_model()
        query = self.parse(question)
        with self.index.rw.read():
            return self.searcher.search(query, k=k or self.settings.top_k, retriever=retriever, offices=offices or (), sections=sections or ())

    def answer(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        offices: Sequence[str] | None = None,
        retriever: str = "hybrid",
        k: int | None = None,
    ) -> Answer:
        return self.answerer().answer(question, history=history, offices=offices, retriever=retriever,
                                      k=k or self.settings.top_k)  # type: ignore[no-any-return]

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        offices: Sequence[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Answer text pieces as they are ready, then the final Answer."""
        return self.answerer().stream(question, history=history, offices=offices)  # type: ignore[no-any-return]

    def answerer(self) -> Any:
        from retrieval.answer import Answerer

        with _LOCK:
            if self._answerer is None:
                self._answerer = Answerer(self)
        return self._answerer


def get_service(settings: Settings | None = None) -> Service:
    settings = settings or Settings()
    key = settings.model_dump_json()
    with _LOCK:
        if key not in _SERVICES:
            _SERVICES[key] = Service(settings)
        return _SERVICES[key]
