"""Hybrid retrieval: dense (Chroma, through PlanIndex) + BM25 (FTS5), in four stages:

fuse (convex or RRF) -> boost (the asked section and item) -> filter (an explicit section
choice) -> diversify (per office, for "which office ..." questions).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache

import numpy as np

from ingest.index import PlanIndex
from ingest.tokens import tokenize
from planqa.errors import ConfigError
from planqa.types import Chunk, Hit, Query
from retrieval.glossary import english_to_thai

log = logging.getLogger(__name__)
# SQLite and Chroma release the GIL: BM25 runs beside the dense search
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")


class Retriever(StrEnum):
    """Which evidence ranks the chunks."""

    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"

    @classmethod
    def parse(cls, value: str) -> Retriever:
        """The retriever named ``value``; a ConfigError lists the valid names."""
        if value not in RETRIEVERS:
            raise ConfigError(f"retriever {value!r} is not one of {', '.join(RETRIEVERS)}")
        return cls(value)


RETRIEVERS: tuple[str, ...] = tuple(r.value for r in Retriever)


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """How dense and BM25 evidence combine (tuned: see README, Retrieval).

    ``convex``: each list's scores min-max normalised over its candidates,
    then ``dense * d + lexical * l``; ``rrf``: reciprocal rank fusion.
    Section and item bonuses are in units of one list's top score.
    """

    fusion: str = "convex"
    dense: float = 0.6
    lexical: float = 0.4
    section: float = 0.25
    item: float = 0.15
    rrf_k: int = 60
    per_office_cap: int = 2  # for "which office ..." questions

    def __post_init__(self) -> None:
        if self.fusion not in ("convex", "rrf"):
            raise ConfigError(f"fusion {self.fusion!r} is not one of convex, rrf")


class HybridSearcher:
    """Ranks chunks for a parsed Query with one of the three retrievers."""

    def __init__(self, ix: PlanIndex, weights: FusionWeights | None = None, candidate_k: int = 50) -> None:
        self.ix = ix
        self.weights = weights or FusionWeights()
        self.candidate_k = candidate_k

    def search(
        self,
        query: Query,
        k: int,
        retriever: str = Retriever.HYBRID,
        offices: Sequence[str] = (),
        sections: Sequence[str] = (),
        expansion: Sequence[str] = (),
    ) -> list[Hit]:
        """The best ``k`` hits; ``expansion``: extra BM25 terms (plan words near the question's)."""
        how = Retriever.parse(retriever)
        scope = tuple(offices) or query.offices
        dense, lexical = self._candidates(query, how, scope, max(self.candidate_k, k), expansion)
        chunks = self.ix.lexical.get_chunks(list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical])))
        hits = self._boost(query, self._fuse(dense, lexical, chunks), tuple(sections) or query.section_kinds)
        if sections:  # an explicit section choice is a filter, an asked section only a boost
            hits = [h for h in hits if h.chunk.section_kind in sections]
        if query.wants_many_offices and not scope:
            hits = diversify(hits, self.weights.per_office_cap)
        return hits[:k]

    def search_each(self, query: Query, k: int, offices: Sequence[str],
                    expansion: Sequence[str] = ()) -> dict[str, list[Hit]]:
        """``search(query, k, HYBRID, offices=[o], expansion=...)`` for every office ``o`` at once: one
        pass over the chunk vectors and one BM25 query per distinct term list (an office's name
        leaves the query only for that office), then each office's candidates fused as alone."""
        n = max(self.candidate_k, k)
        dense: dict[str, list[tuple[str, float]]] = {o: [] for o in offices}
        ids, owners, scores = self.ix.dense_scores(query.normalized)
        for i in np.argsort(-scores, kind="stable"):
            got = dense.get(owners[i])
            if got is not None and len(got) < n:
                got.append((ids[i], float(scores[i])))
        by_terms: dict[tuple[str, ...], list[str]] = {}
        for office in offices:
            by_terms.setdefault(tuple(self.lexical_terms(query, (office,), expansion)), []).append(office)
        lexical: dict[str, list[tuple[str, float]]] = {}
        for terms, group in by_terms.items():
            lexical.update(self.ix.lexical.search_each(list(terms), n, group))
        chunks = self.ix.lexical.get_chunks(list({cid: None for o in offices for cid, _ in (*dense[o], *lexical[o])}))
        out = {}
        for office in offices:
            own = {cid: chunks[cid] for cid in dict.fromkeys(i for i, _ in (*dense[office], *lexical[office]))
                   if cid in chunks}
            out[office] = self._boost(query, self._fuse(dense[office], lexical[office], own), query.section_kinds)[:k]
        return out

    def _candidates(self, query: Query, how: Retriever, scope: Sequence[str], n: int,
                    expansion: Sequence[str]) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(dense, lexical) candidate lists, each (chunk id, score) best first."""
        terms = self.lexical_terms(query, scope, expansion)
        job = _POOL.submit(self.ix.lexical.search, terms, n, scope) if how is not Retriever.DENSE else None
        dense = self.ix.dense_search(query.normalized, n, scope) if how is not Retriever.BM25 else []
        return dense, (job.result() if job is not None else [])

    @staticmethod
    def lexical_terms(query: Query, scope: Sequence[str] = (), expansion: Sequence[str] = ()) -> list[str]:
        """BM25 query terms; once the office is a filter its name is no evidence."""
        text = query.normalized
        if query.english:
            text += " " + english_to_thai(text)
        tokens = tokenize(text)
        if scope:
            office_words = _words(" ".join(scope)) | _words(" ".join(query.office_mentions))
            tokens = [t for t in tokens if t not in office_words] or tokens
        return list(dict.fromkeys([*tokens, *expansion]))

    def _fuse(self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]],
              chunks: dict[str, Chunk]) -> list[Hit]:
        w = self.weights
        d_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        l_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
        d_score, l_score = dict(dense), dict(lexical)
        if w.fusion == "rrf":
            d_part = {cid: 1.0 / (w.rrf_k + r) for cid, r in d_rank.items()}
            l_part = {cid: 1.0 / (w.rrf_k + r) for cid, r in l_rank.items()}
        else:
            d_part, l_part = _minmax(dense), _minmax(lexical)
        return [
            Hit(chunk, w.dense * d_part.get(cid, 0.0) + w.lexical * l_part.get(cid, 0.0),
                d_score.get(cid), l_score.get(cid), d_rank.get(cid), l_rank.get(cid))
            for cid, chunk in chunks.items()
        ]

    def _boost(self, query: Query, hits: list[Hit], kinds: Sequence[str]) -> list[Hit]:
        """Bonuses for the asked section, item and numbered section; sorted best first."""
        w = self.weights
        unit = 1.0 / (w.rrf_k + 1) if w.fusion == "rrf" else 1.0
        out = []
        for hit in hits:
            chunk, bonus = hit.chunk, 0.0
            if kinds and chunk.section_kind in kinds:
                bonus += w.section * unit
            if query.item_numbers and set(query.item_numbers) & set(chunk.items):
                bonus += w.item * unit
            if query.section_numbers and any(re.search(rf"ที่\s*{n}(?!\d)", chunk.section) for n in query.section_numbers):
                bonus += w.section * unit
            out.append(replace(hit, score=hit.score + bonus) if bonus else hit)
        out.sort(key=lambda h: (-h.score, h.chunk.source, h.chunk.start_line))
        return out


@lru_cache(maxsize=8192)
def _words(text: str) -> frozenset[str]:
    """The BM25 tokens of an office name (a theme asked of a thousand offices drops each one's words)."""
    return frozenset(tokenize(text))


def _minmax(ranked: list[tuple[str, float]]) -> dict[str, float]:
    """Scores mapped to [0, 1] over the candidate list (a lone hit gets 1)."""
    if not ranked:
        return {}
    hi = max(x for _, x in ranked)
    lo = min(x for _, x in ranked)
    span = hi - lo
    return {cid: (x - lo) / span if span > 1e-12 else 1.0 for cid, x in ranked}


def diversify(hits: list[Hit], cap: int) -> list[Hit]:
    """At most ``cap`` hits per office first, the rest after, order kept."""
    counts: dict[str, int] = {}
    first: list[Hit] = []
    rest: list[Hit] = []
    for h in hits:
        n = counts.get(h.chunk.office, 0)
        (first if n < cap else rest).append(h)
        counts[h.chunk.office] = n + 1
    return first + rest
