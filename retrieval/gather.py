"""Gather the evidence for one question: retrieve, cut into quotable units, measure.

This is the part of answering that does not depend on the answer policy, so
``python -m evals calibrate`` gathers each question once and tries every
fold's policy on it. "Which office" questions get an office-by-office pool:
a wider search (proportional to the number of offices in the index), each
office judged later on its own best units, not only the offices of the top
hits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.sections import WHOLE_KINDS
from ingest.units import quotable
from planqa.types import AbstainReason, Chunk, Hit, PageInfo, Query
from retrieval.background import UnitBackground
from retrieval.evidence import Unit, asks_for_fact, content_tokens, missing_answer_type, topic_text, units_of
from retrieval.features import (
    Candidate,
    PoolRanks,
    PoolStats,
    office_vector,
    question_vector,
    unit_vector,
)
from retrieval.hybrid import Retriever
from retrieval.modes import Mode, choose_mode
from retrieval.query import KnownOffice
from retrieval.spelling import Speller
from retrieval.stance_features import UnitEvidence, lexical_scale, unit_evidence
from retrieval.support import Term, Weigher, nouns, support
from retrieval.terms import TermMatcher

log = logging.getLogger(__name__)
# (query, k, retriever, offices, expansion) -> hits best first: HybridSearcher.search
SearchFn = Callable[[Query, int, str, Sequence[str], Sequence[str]], list[Hit]]
# (query, k, offices, expansion) -> each office's own hits: HybridSearcher.search_each
SearchEachFn = Callable[[Query, int, Sequence[str], Sequence[str]], dict[str, list[Hit]]]
EXPAND_PER_WORD = 2  # BM25 expansion: plan words added per question word ...
EXPAND_STRENGTH = 0.5  # ... that stand at least this strong (z >= 3.5)
POOL_PER_OFFICE = 4  # a "which office" pool holds about this many chunks per office in the index ...
# ... up to MAX_POOL chunks: past ~250 offices, the offices with a chunk in the best 1,000. Over 1,000 plans
# (python -m evals bench) that names as many true offices as 4,000 did (recall 0.996 vs 0.992) in half the
# time (p95 0.86 s vs 1.4 s): an office whose best chunk ranks below 1,000 is not one the answer names
MIN_POOL, MAX_POOL = 60, 1000
CHUNKS_PER_OFFICE = POOL_PER_OFFICE  # an office is judged on the units of its best chunks
MAX_COMPARE = 4
OWN_K = 10  # chunks of an office's own search for the topic (the stance reads their units)
MAX_JUDGED = 100  # a which-question judges every office up to this many; past it, the pool's first ones


@dataclass(slots=True)
class OfficePool:
    office: str
    rank: int  # by its best chunk's fused score
    candidates: list[Candidate]
    vector: list[float] = field(default_factory=list)
    unit_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # its candidates' features
    target: Hit | None = None  # COMPARE: the chunk quoted for this office


@dataclass(slots=True)
class OwnEvidence:
    """One office's own search for the topic: what the stance model judges it on."""

    office: str
    source: str  # the plan the office's best hit is from ("" when nothing was found)
    units: list[UnitEvidence]


@dataclass(slots=True, kw_only=True)
class Evidence:
    question: str  # as asked (capped)
    rewritten: str  # made self-contained against the history
    query: Query
    mode: Mode
    terms: list[Term]
    hits: list[Hit]  # the top k, as shown with the answer
    candidates: list[Candidate]  # the quotable units of the top hits
    unit_vectors: np.ndarray
    offices: list[OfficePool]  # WHICH / WHICH_HAVE / COMPARE
    office_vectors: np.ndarray
    question_vector: list[float]
    section: list[Unit]  # SECTION: the asked section's (or items') units
    section_hit: Hit | None
    short: dict[str, str]  # office name -> short name
    conflicts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # office -> the documents that claim it
    asks_fact: bool = False  # the question asks for a figure, a person, a contact or a date
    missing_fact: AbstainReason | None = None  # that kind of fact is in none of the best units of the pool
    pages: dict[str, tuple[PageInfo, ...]] = field(default_factory=dict)  # paged sources of the hits: their pages
    own: list[OwnEvidence] = field(default_factory=list)  # WHICH: each judged office's own evidence


class Gatherer:
    def __init__(self, search: SearchFn, chunks_of: Callable[[str], list[Chunk]], weigher: Weigher,
                 matcher: TermMatcher, unit_vectors: Callable[[Sequence[str]], dict[str, np.ndarray]],
                 query_vector: Callable[[str], list[float]], soft: bool = True, expand: bool = True,
                 pages_of: Callable[[str], tuple[PageInfo, ...]] | None = None,
                 search_each: SearchEachFn | None = None, background: UnitBackground | None = None) -> None:
        self.search = search
        self.background = background  # the question's cosine with the corpus: what a unit's is read against
        self.search_each = search_each  # each office's own search (a which-question judges offices on it)
        self.pages_of = pages_of  # a source's pages (() unpaged): related lines of a PDF are cited by page
        self.chunks_of = chunks_of
        self.unit_vectors = unit_vectors  # chunk id -> its quotable units' vectors (stored at ingest)
        self.query_vector = query_vector
        self.weigher = weigher
        self.matcher = matcher
        # a misspelt topic word read as the plan word one edit away ("สิ่งแวดล้อน": สิ่งแวดล้อม)
        self.speller = Speller(matcher.vocabulary, weigher.in_corpus, weigher.lexical.doc_freq)
        self.soft = soft  # match question words to plan words near in meaning (off: exact words only)
        self.expand = expand  # add those plan words to the BM25 query

    def respell(self, text: str) -> str:
        """``text`` with its misspelt words read as the plans' words (``retrieval.spelling``)."""
        return self.speller.respell(text)

    def terms(self, query: Query, known: Sequence[KnownOffice]) -> list[Term]:
        """The question's topical words, weighed, with their plan neighbours."""
        self.weigher.refresh()
        names = [n for o in known for n in (o.name, o.short, *o.aliases)] + list(query.unknown_offices)
        text = query.normalized
        for mention in sorted(query.office_mentions, key=len, reverse=True):  # "สพม13" is no topic
            text = text.replace(mention, " ")
        words = content_tokens(text, exclude=names, english=query.english)
        matches = self.matcher.matches(words) if self.soft or self.expand else {}
        terms = self.weigher.terms(words, nouns(query.normalized), matches)
        return terms

    def expansion(self, terms: Sequence[Term]) -> list[str]:
        """Plan words to add to the BM25 query: each word's strongest neighbours."""
        if not self.expand:
            return []
        return list(dict.fromkeys(w for t in terms for w, s in t.neighbours[:EXPAND_PER_WORD] if s >= EXPAND_STRENGTH))

    def gather(self, question: str, rewritten: str, query: Query, known: list[KnownOffice], k: int,
               retriever: Retriever, scope: Sequence[str]) -> Evidence:
        terms = self.terms(query, known)
        expansion = self.expansion(terms)
        if not self.soft:
            terms = [replace(t, neighbours=()) for t in terms]
        mode = choose_mode(query, [t.word for t in terms])
        hits = self.search(query, k, retriever, scope, expansion)
        candidates = _candidates(hits, terms)
        offices: list[OfficePool] = []
        section: list[Unit] = []
        section_hit: Hit | None = None
        pool_hits = hits
        own: list[OwnEvidence] = []
        if mode in (Mode.WHICH, Mode.WHICH_HAVE):
            pool_k = min(MAX_POOL, max(MIN_POOL, k, POOL_PER_OFFICE * len(known)))
            pool_hits = self.search(query, pool_k, retriever, scope, expansion)
            offices = self._office_pools(pool_hits, terms, query, mode)
            if mode is Mode.WHICH:
                judged = [o.name for o in known] if len(known) <= MAX_JUDGED else [o.office for o in offices][:MAX_JUDGED]
                if scope:
                    judged = [o for o in judged if o in scope]
                own = self.own_evidence(query, terms, judged, expansion)
        elif mode is Mode.COMPARE:
            offices = self._compare_pools(query, hits, terms, retriever, expansion)
        elif mode is Mode.SECTION:
            section_hit, section = self._section(query, hits)
            candidates = _candidates([section_hit], terms, only=section) + candidates if section_hit else candidates
        candidates = self._with_unit_dense(query, candidates)
        for o in offices:
            o.candidates = self._with_unit_dense(query, o.candidates)
        pooled = [c for o in offices for c in o.candidates]
        everything = candidates + pooled
        stats = PoolStats.of(everything, pool_hits)
        unit_vectors = np.asarray([unit_vector(c, query, terms, stats) for c in candidates], dtype=np.float64)
        best_office = max((max((c.support.soft for c in o.candidates), default=0.0) for o in offices), default=0.0)
        ranks = PoolRanks.of(pooled)
        for o in offices:
            o.vector = office_vector(o.candidates, o.rank, query, terms, stats, best_office, len(offices), ranks)
            o.unit_vectors = np.asarray([unit_vector(c, query, terms, stats) for c in o.candidates], dtype=np.float64)
        office_vectors = np.asarray([o.vector for o in offices], dtype=np.float64)
        top_units = [c.unit for c in sorted(everything, key=lambda c: -c.support.soft)[:10]]
        which = mode in (Mode.WHICH, Mode.WHICH_HAVE)
        fact = asks_for_fact(query.normalized, which)
        missing = missing_answer_type(query.normalized, top_units, which) if fact else None  # the one check, on one pool
        found = fact and missing is None
        qvec = question_vector(query, mode, terms, everything, pool_hits, stats, fact, found)
        return Evidence(
            question=question, rewritten=rewritten, query=query, mode=mode, terms=terms, hits=hits,
            candidates=candidates, unit_vectors=unit_vectors, offices=offices, office_vectors=office_vectors,
            question_vector=qvec, section=section, section_hit=section_hit, short={o.name: o.short for o in known},
            conflicts={o.name: o.sources for o in known if len(o.sources) > 1}, asks_fact=fact, missing_fact=missing,
            pages=self._pages(hits), own=own)

    def own_evidence(self, query: Query, terms: list[Term], offices: Sequence[str],
                     expansion: Sequence[str]) -> list[OwnEvidence]:
        """Each office's own search for the question's topic, as the stance model reads it."""
        if self.search_each is None or not offices:
            return []
        # the topic alone is searched and compared in meaning: the frame ("ใครมีแผน…บ้าง") is no evidence
        topic = replace(query, normalized=topic_text(query.normalized, query.office_mentions, query.english))
        found = self.search_each(topic, OWN_K, offices, expansion)
        scale = lexical_scale(self.weigher.chunks())
        background = self.background.stats(self.query_vector(topic.normalized)) if self.background else (0.0, 1.0)
        out = []
        for office in offices:
            hits = found.get(office, [])
            cands = self._with_unit_dense(topic, _candidates(hits, terms))
            out.append(OwnEvidence(office, hits[0].chunk.source if hits else "",
                                   [unit_evidence(terms, c, scale, background) for c in cands]))
        return out

    def _pages(self, hits: list[Hit]) -> dict[str, tuple[PageInfo, ...]]:
        if self.pages_of is None:
            return {}
        found = {source: self.pages_of(source) for source in {h.chunk.source for h in hits}}
        return {source: pages for source, pages in found.items() if pages}

    def _with_unit_dense(self, query: Query, candidates: list[Candidate]) -> list[Candidate]:
        """The candidates with the cosine of the question and each unit."""
        if not candidates:
            return candidates
        vectors = self.unit_vectors(sorted({c.unit.chunk.id for c in candidates}))
        q = np.asarray(self.query_vector(query.normalized), dtype=np.float32)
        out = []
        for c in candidates:
            rows = vectors.get(c.unit.chunk.id)
            pos = _position(c.unit)
            dense = float(rows[pos] @ q) if rows is not None and pos < len(rows) else (c.hit.dense_score or 0.0)
            out.append(replace(c, dense=dense))
        return out

    def _office_pools(self, hits: list[Hit], terms: list[Term], query: Query, mode: Mode) -> list[OfficePool]:
        """Each office with the units of its best chunks (WHICH_HAVE: of its chunk of the asked section)."""
        by_office: dict[str, list[tuple[int, Hit]]] = {}
        for rank, h in enumerate(sorted(hits, key=lambda h: -h.score), 1):
            if mode is Mode.WHICH_HAVE and h.chunk.section_kind not in query.section_kinds:
                continue
            by_office.setdefault(h.chunk.office, []).append((rank, h))
        pools = []
        for n, (office, ranked) in enumerate(by_office.items(), 1):
            best = ranked[:CHUNKS_PER_OFFICE if mode is Mode.WHICH else 1]
            cands = [c for rank, h in best for c in _candidates([h], terms, first_rank=rank)]
            pools.append(OfficePool(office, n, cands))
        return pools

    def _compare_pools(self, query: Query, hits: list[Hit], terms: list[Term], retriever: Retriever,
                       expansion: Sequence[str]) -> list[OfficePool]:
        """Each named office's passage for the asked section or topic, all its units as candidates."""
        pools = []
        for n, office in enumerate(query.offices[:MAX_COMPARE], 1):
            own = [h for h in hits if h.chunk.office == office] or self.search(query, 5, retriever, (office,), expansion)
            target = _target(query, own)
            if target is None:
                continue
            units = self._section_units(target)
            pools.append(OfficePool(office, n, _candidates([target], terms, only=units), target=target))
        return pools

    def _section(self, query: Query, hits: list[Hit]) -> tuple[Hit | None, list[Unit]]:
        target = _target(query, hits)
        if target is None:
            return None, []
        units = self._section_units(target)
        asked = target.chunk.section_kind in query.section_kinds
        if query.item_numbers and (asked or not query.section_kinds):
            chosen = [u for u in units if u.item in query.item_numbers]
            if chosen:
                return target, chosen
        return (target, units) if asked else (None, [])

    def _section_units(self, hit: Hit) -> list[Unit]:
        """Every unit of the hit's section (all its chunks), headings excluded."""
        chunks = [c for c in self.chunks_of(hit.chunk.source)
                  if c.section == hit.chunk.section and c.section_kind == hit.chunk.section_kind] or [hit.chunk]
        return [u for c in chunks for u in units_of(c) if not u.is_heading]


def _position(unit: Unit) -> int:
    """The unit's index among its chunk's quotable units (the order their vectors are stored in)."""
    for i, u in enumerate(quotable(unit.chunk)):
        if u.start_line == unit.start_line:
            return i
    return 1 << 30


def _target(query: Query, hits: Sequence[Hit]) -> Hit | None:
    for kind in query.section_kinds:
        for h in hits:
            if h.chunk.section_kind == kind:
                return h
    return hits[0] if hits else None


def _candidates(hits: Sequence[Hit], terms: list[Term], first_rank: int = 1,
                only: Sequence[Unit] | None = None) -> list[Candidate]:
    """Quotable units of ``hits`` (``only`` these units, in their own order, when given)."""
    out = []
    if only is not None:
        hit = hits[0]
        return [Candidate(u, hit, first_rank, support(terms, u)) for u in only]
    for rank, hit in enumerate(hits, first_rank):
        for unit in units_of(hit.chunk):
            if not unit.is_heading:
                out.append(Candidate(unit, hit, rank, support(terms, unit)))
    return out


def whole(kind: str) -> bool:
    """A section quoted whole (a vision, values), not item by item."""
    return kind in WHOLE_KINDS
