"""Hybrid retrieval: dense (Chroma, e5 query) + BM25 (FTS5), fused (convex or RRF),
with office filtering, section boosts and per-office diversification."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ingest.index import PlanIndex
from planqa.types import Chunk, Hit, Query
from retrieval.glossary import english_to_thai
from retrieval.tokens import tokenize

log = logging.getLogger(__name__)
RETRIEVERS = ("dense", "bm25", "hybrid")
# SQLite and Chroma release the GIL: BM25 runs beside the dense search
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bm25")


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


def dense_search(ix: PlanIndex, text: str, k: int, offices: Sequence[str] = ()) -> list[tuple[str, float]]:
    """(chunk id, cosine similarity) best first."""
    count = ix.collection.count()
    if count == 0:
        return []
    vec = ix.embeddings.embed_query(text)
    where = _office_filter(offices)
    res = ix.collection.query(query_embeddings=[vec], n_results=min(k, count), where=where, include=["distances"])
    ids = (res.get("ids") or [[]])[0]
    dists = (res.get("distances") or [[]])[0]
    return [(i, 1.0 - float(d)) for i, d in zip(ids, dists)]


def _office_filter(offices: Sequence[str]) -> dict[str, object] | None:
    if not offices:
        return None
    if len(offices) == 1:
        return {"office": offices[0]}
    return {"office": {"$in": list(offices)}}


class HybridSearcher:
    """Ranks chunks for a parsed Query with one of the three retrievers."""

    def __init__(self, ix: PlanIndex, weights: FusionWeights | None = None, candidate_k: int = 50) -> None:
        self.ix = ix
        self.weights = weights or FusionWeights()
        self.candidate_k = candidate_k

    def search(
        self,
        query: Query,
        k: int = 10,
        retriever: str = "hybrid",
        offices: Sequence[str] = (),
        sections: Sequence[str] = (),
    ) -> list[Hit]:
        if retriever not in RETRIEVERS:
            raise ValueError(f"retriever {retriever!r} is not one of {', '.join(RETRIEVERS)}")
        scope = tuple(offices) or query.offices
        n = max(self.candidate_k, k)
        lexical_job = None
        if retriever == "hybrid":  # BM25 in a worker while this thread embeds and asks Chroma
            lexical_job = _POOL.submit(self.ix.lexical.search, self._lexical_tokens(query, scope), n, scope)
        dense = dense_search(self.ix, query.normalized, n, scope) if retriever != "bm25" else []
        if lexical_job is not None:
            lexical = lexical_job.result()
        else:
            lexical = self.ix.lexical.search(self._lexical_tokens(query, scope), n, scope) if retriever == "bm25" else []
        chunks = self.ix.lexical.get_chunks(list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical])))
        hits = self._fuse(query, dense, lexical, chunks, tuple(sections) or query.section_kinds)
        if sections:  # an explicit section choice is a filter, an asked section only a boost
            hits = [h for h in hits if h.chunk.section_kind in sections]
        if query.wants_many_offices and not scope:
            hits = diversify(hits, self.weights.per_office_cap)
        return hits[:k]

    @staticmethod
    def _lexical_tokens(query: Query, scope: Sequence[str]) -> list[str]:
        """Query tokens; once the office is a filter its name is no evidence."""
        text = query.normalized
        if query.english:
            text += " " + english_to_thai(text)
        tokens = tokenize(text)
        if not scope:
            return tokens
        office_words = set(tokenize(" ".join(scope))) | set(tokenize(" ".join(query.office_mentions)))
        kept = [t for t in tokens if t not in office_words]
        return kept or tokens

    def _fuse(
        self,
        query: Query,
        dense: list[tuple[str, float]],
        lexical: list[tuple[str, float]],
        chunks: dict[str, Chunk],
        kinds: Sequence[str],
    ) -> list[Hit]:
        w = self.weights
        d_rank = {cid: r for r, (cid, _) in enumerate(dense, 1)}
        l_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
        d_score, l_score = dict(dense), dict(lexical)
        if w.fusion == "rrf":
            d_part = {cid: 1.0 / (w.rrf_k + r) for cid, r in d_rank.items()}
            l_part = {cid: 1.0 / (w.rrf_k + r) for cid, r in l_rank.items()}
            unit = 1.0 / (w.rrf_k + 1)
        else:
            d_part, l_part, unit = _minmax(dense), _minmax(lexical), 1.0
        hits: list[Hit] = []
        for cid, chunk in chunks.items():
            score = w.dense * d_part.get(cid, 0.0) + w.lexical * l_part.get(cid, 0.0)
            if kinds and chunk.section_kind in kinds:
                score += w.section * unit
            if query.item_numbers and set(query.item_numbers) & set(chunk.items):
                score += w.item * unit
            if query.section_numbers and any(
                re.search(rf"ที่\s*{n}(?!\d)", chunk.section) for n in query.section_numbers
            ):
                score += w.section * unit
            hits.append(
                Hit(chunk, score, d_score.get(cid), l_score.get(cid), d_rank.get(cid), l_rank.get(cid))
            )
        hits.sort(key=lambda h: (-h.score, h.chunk.source, h.chunk.start_line))
        return hits


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
