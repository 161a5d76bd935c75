"""The composition root: one warm index, model and answerer per Settings.

The web app, the CLIs and the evals all go through ``get_service``, so models
and index handles load once per process, and ``search``, ``answer`` and
``stream`` have one set of defaults (``Settings.top_k``), here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from ingest.index import DOCUMENTS_VERSION, PlanIndex
from planqa.settings import Settings
from planqa.types import Answer, Hit, Query
from retrieval import inputs
from retrieval.answerer import Answerer, Ask
from retrieval.background import UnitBackground
from retrieval.gather import Gatherer
from retrieval.hybrid import FusionWeights, HybridSearcher, Retriever
from retrieval.llm import make_chat_model
from retrieval.policy import AnswerPolicy, load_policy
from retrieval.query import KnownOffice, known_offices, parse_query
from retrieval.support import Weigher, nouns
from retrieval.terms import TermMatcher

_SERVICES: dict[str, Service] = {}
_LOCK = threading.Lock()
WARM_UP_QUESTION = "สำนักงานใดเน้นความปลอดภัยของนักเรียน"  # a which-office question touches every part


class OfficeDirectory:
    """The offices in the index (and each plan's title), reloaded only after an ingest run
    changed the catalogue."""

    def __init__(self, index: PlanIndex) -> None:
        self.index = index
        self._offices: list[KnownOffice] = []
        self._titles: dict[str, str] = {}
        self._stamp: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> list[KnownOffice]:
        with self._lock:
            self._refresh()
            return list(self._offices)

    def titles(self) -> dict[str, str]:
        """Document -> the plan's own title (its first line)."""
        with self._lock:
            self._refresh()
            return dict(self._titles)

    def _refresh(self) -> None:
        # one small read per question: the catalogue of 10,000 plans takes ~0.5 s to load
        stamp = self.index.lexical.get_meta(DOCUMENTS_VERSION)
        if stamp is None or stamp != self._stamp:
            documents = self.index.lexical.documents()
            self._offices = known_offices(documents)
            self._titles = {d.source: d.title for d in documents}
            self._stamp = stamp


class Service:
    def __init__(self, settings: Settings, chat_model: Any = None) -> None:
        self.settings = settings
        self.index = PlanIndex(settings)
        self.searcher = HybridSearcher(self.index, FusionWeights(fusion=settings.fusion), candidate_k=settings.candidate_k)
        self.offices = OfficeDirectory(self.index)
        self.terms = TermMatcher(self.index.lexical, self.index.embeddings)
        self.gatherer = Gatherer(self._gather_search, self.index.lexical.chunks_of, Weigher(self.index.lexical),
                                 self.terms, self.index.lexical.unit_vectors, self.index.query_vector,
                                 soft=settings.soft_match, expand=settings.expansion, pages_of=self.index.lexical.pages_of,
                                 search_each=self.searcher.search_each,
                                 background=UnitBackground(self.index.lexical))
        self._policy: AnswerPolicy | None = None
        self.answerer = Answerer(self.gatherer, self.offices, self.policy,
                                 chat_model if chat_model is not None else make_chat_model(settings))

    def _gather_search(self, query: Query, k: int, retriever: str, offices: Sequence[str],
                       expansion: Sequence[str]) -> list[Hit]:
        return self.searcher.search(query, k, retriever, offices=offices, expansion=expansion)

    def policy(self) -> AnswerPolicy:
        """The answer policy (PLANQA_ANSWER_POLICY, default the shipped retrieval/policy.json)."""
        if self._policy is None:
            self._policy = load_policy(self.settings.answer_policy)
        return self._policy

    def warm_up(self) -> None:
        """Everything a first question would load, loaded now: the model, the stores, the
        word dictionary and the part-of-speech tagger (one whole answer when there is an index)."""
        self.index.embeddings.embed_query("warm up")
        if self.index.lexical.chunk_count():
            with self.index.rw.read():  # the extractive answer only: an LLM is not called to warm up
                self.answerer.extractive(self.ask(WARM_UP_QUESTION))
        else:
            nouns(WARM_UP_QUESTION)

    def check_model(self) -> None:
        self.index.ensure_current()

    def parse(self, question: str) -> Query:
        return parse_query(question, self.offices(), self.gatherer.respell)

    def search(
        self,
        question: str,
        k: int | None = None,
        offices: Sequence[str] | None = None,
        sections: Sequence[str] | None = None,
        retriever: str = Retriever.HYBRID,
    ) -> list[Hit]:
        k, retriever, sections = inputs.k(k, self.settings.top_k), inputs.retriever(retriever), inputs.sections(sections)
        self.check_model()
        known = self.offices()
        query = parse_query(inputs.question(question), known, self.gatherer.respell)
        offices = inputs.offices(offices, known)
        expansion = self.gatherer.expansion(self.gatherer.terms(query, known))
        with self.index.rw.read():
            return self.searcher.search(query, k=k, retriever=retriever, offices=offices, sections=sections,
                                        expansion=expansion)

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        offices: Sequence[str] | None = None,
        retriever: str = Retriever.HYBRID,
        k: int | None = None,
    ) -> Ask:
        """The request, checked (InvalidInput says what is wrong), with this service's defaults filled in."""
        return Ask(inputs.question(question), inputs.history(history), inputs.offices(offices, self.offices()),
                   inputs.retriever(retriever), inputs.k(k, self.settings.top_k))

    def stream(self, question: str, **options: Any) -> Iterator[str | Answer]:
        """Answer text pieces as they are ready, then the final Answer (``options``: as for ``ask``)."""
        self.check_model()
        ask = self.ask(question, **options)
        with self.index.rw.read():  # one consistent index for the evidence
            base = self.answerer.extractive(ask)
        for piece in self.answerer.finish(base, ask):
            yield self.paged(piece) if isinstance(piece, Answer) else piece

    def paged(self, answer: Answer) -> Answer:
        """``answer`` with each citation of a paged source (PDF, image) given its page."""
        if not answer.citations:
            return answer
        pages = {s: self.index.lexical.pages_of(s) for s in {c.source for c in answer.citations}}
        return replace(answer, citations=tuple(c.on_pages(pages[c.source]) for c in answer.citations))

    def answer(self, question: str, **options: Any) -> Answer:
        """The final Answer of ``stream`` (``options``: history, offices, retriever, k)."""
        final: Answer | None = None
        for piece in self.stream(question, **options):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None  # the stream always ends with the Answer
        return final


def get_service(settings: Settings | None = None) -> Service:
    settings = settings or Settings()
    key = settings.model_dump_json()
    with _LOCK:
        if key not in _SERVICES:
            _SERVICES[key] = Service(settings)
        return _SERVICES[key]
