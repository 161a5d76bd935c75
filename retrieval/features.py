"""The features the answer policy decides on: per quotable unit, per office, per question.

Each family is a fixed, named vector (the names travel with the fitted
weights in ``retrieval/policy.json``, so a policy that does not match the
code is refused). Everything here is a pure function of retrieved evidence.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planqa.types import Hit, Query
from retrieval.evidence import Unit
from retrieval.modes import Mode
from retrieval.support import Support, Term

UNIT_FEATURES = (
    "exact", "soft", "title", "soft_gap", "min_word", "noun_cover", "unit_dense", "unit_dense_gap", "dense",
    "dense_gap", "lex", "inv_rank", "section_match", "asked_section", "item_match", "n_terms",
)
OFFICE_FEATURES = (
    "best_soft", "best_exact", "best_min_word", "noun_cover", "min_noun", "soft_gap", "second_soft", "section_soft",
    "unit_dense", "unit_dense_gap", "unit_rank", "soft_rank", "top3_unit_dense", "unit_dense_vs_top10", "best_dense",
    "support_dense", "dense_gap", "best_lex", "inv_rank", "n_supporting", "section_match", "n_terms", "n_offices",
)
QUESTION_FEATURES = (
    "best_soft", "best_exact", "best_min_word", "noun_cover", "min_noun", "unit_dense", "unit_dense_spread",
    "top_dense", "dense_spread", "best_lex",
    "absent_share", "absent_nouns", "any_absent", "in_corpus_share", "n_terms", "n_nouns", "asked_section",
    "section_found", "asks_fact", "fact_found", "mode_which", "mode_compare", "mode_section", "english", "agree",
)
STRONG = 0.5  # a word counts as covered when some unit supports it at least this much


@dataclass(frozen=True, slots=True)
class Candidate:
    """A quotable unit of a retrieved chunk, with what is known about it."""

    unit: Unit
    hit: Hit
    rank: int  # the chunk's rank (1-based) in the fused list
    support: Support
    dense: float = 0.0  # cosine of the question and the unit itself (the chunk's is ``hit.dense_score``)


@dataclass(frozen=True, slots=True)
class PoolStats:
    """What the candidates are measured against: the best of the pool."""

    best_soft: float
    best_dense: float
    mean_dense: float
    best_lex: float
    best_unit_dense: float
    mean_unit_dense: float

    @classmethod
    def of(cls, candidates: Sequence[Candidate], hits: Sequence[Hit]) -> PoolStats:
        dense = [h.dense_score for h in hits if h.dense_score is not None]
        lex = [h.lexical_score for h in hits if h.lexical_score is not None]
        units = [c.dense for c in candidates]
        return cls(
            best_soft=max((c.support.soft for c in candidates), default=0.0),
            best_dense=max(dense, default=0.0),
            mean_dense=float(np.mean(dense)) if dense else 0.0,
            best_lex=max(lex, default=0.0),
            best_unit_dense=max(units, default=0.0),
            mean_unit_dense=float(np.mean(units)) if units else 0.0,
        )


def row(values: dict[str, float], names: tuple[str, ...]) -> list[float]:
    """The values in the order of ``names``, refused unless they name exactly those features."""
    if values.keys() != set(names):
        missing, extra = sorted(set(names) - values.keys()), sorted(values.keys() - set(names))
        raise ValueError(f"feature row does not match its names: missing {missing}, unexpected {extra}")
    return [float(values[n]) for n in names]


def _min_word(s: Support) -> float:
    return min(s.words) if s.words else 0.0


def _nouns(terms: Sequence[Term]) -> list[int]:
    """Positions of the question's nouns among its terms (all terms when it has no noun)."""
    found = [i for i, t in enumerate(terms) if t.noun]
    return found or list(range(len(terms)))


def noun_support(terms: Sequence[Term], candidates: Sequence[Candidate]) -> tuple[float, float]:
    """(share of the question's nouns some candidate supports strongly, weakest noun's best support)."""
    nouns = _nouns(terms)
    if not nouns:
        return 0.0, 0.0
    best = [max((c.support.words[i] for c in candidates if i < len(c.support.words)), default=0.0) for i in nouns]
    return sum(b >= STRONG for b in best) / len(best), min(best)


def _lex(hit: Hit, pool: PoolStats) -> float:
    return (hit.lexical_score or 0.0) / pool.best_lex if pool.best_lex > 0 else 0.0


def unit_vector(c: Candidate, query: Query, terms: Sequence[Term], pool: PoolStats) -> list[float]:
    s, hit = c.support, c.hit
    dense = hit.dense_score or 0.0
    return row({
        "exact": s.exact,
        "soft": s.soft,
        "title": s.title,
        "soft_gap": s.soft - pool.best_soft,
        "min_word": _min_word(s),
        "noun_cover": noun_support(terms, [c])[0],
        "unit_dense": c.dense,
        "unit_dense_gap": c.dense - pool.best_unit_dense,
        "dense": dense,
        "dense_gap": dense - pool.best_dense,
        "lex": _lex(hit, pool),
        "inv_rank": 1.0 / c.rank,
        "section_match": float(bool(query.section_kinds) and hit.chunk.section_kind in query.section_kinds),
        "asked_section": float(bool(query.section_kinds)),
        "item_match": float(bool(query.item_numbers) and c.unit.item in query.item_numbers),
        "n_terms": math.log1p(len(terms)),
    }, UNIT_FEATURES)


@dataclass(frozen=True, slots=True)
class PoolRanks:
    """Every candidate unit of a "which office" pool, best first by unit dense and by soft support."""

    dense: tuple[float, ...]
    soft: tuple[float, ...]
    top10_dense: float  # the mean of the ten best unit cosines (0 for an empty pool)

    @classmethod
    def of(cls, candidates: Sequence[Candidate]) -> PoolRanks:
        dense = tuple(sorted((c.dense for c in candidates), reverse=True))
        return cls(dense, tuple(sorted((c.support.soft for c in candidates), reverse=True)),
                   float(np.mean(dense[:10])) if dense else 0.0)

    @staticmethod
    def rank(value: float, ordered: Sequence[float]) -> int:
        """1 + how many of ``ordered`` (best first) stand above ``value``: a binary search, as a
        pool of a thousand offices holds tens of thousands of units."""
        return 1 + bisect.bisect_left(ordered, -value, key=operator.neg)


def office_vector(candidates: Sequence[Candidate], office_rank: int, query: Query, terms: Sequence[Term],
                  pool: PoolStats, best_office_soft: float, n_offices: int, ranks: PoolRanks) -> list[float]:
    """An office judged on its own best evidence (and how it stands beside the best office)."""
    softs = sorted((c.support.soft for c in candidates), reverse=True)
    unit_dense = sorted((c.dense for c in candidates), reverse=True)
    best_unit = unit_dense[0] if unit_dense else 0.0
    dense = max((c.hit.dense_score or 0.0 for c in candidates), default=0.0)
    best = softs[0] if softs else 0.0
    strongest = max(candidates, key=lambda c: (c.support.soft, c.hit.dense_score or 0.0), default=None)
    in_section = [c.support.soft for c in candidates if c.hit.chunk.section_kind in query.section_kinds]
    cover, weakest = noun_support(terms, candidates)
    return row({
        "best_soft": best,
        "best_exact": max((c.support.exact for c in candidates), default=0.0),
        "best_min_word": max((_min_word(c.support) for c in candidates), default=0.0),
        "noun_cover": cover,
        "min_noun": weakest,
        "soft_gap": best - best_office_soft,
        "second_soft": softs[1] if len(softs) > 1 else 0.0,
        "section_soft": max(in_section, default=0.0) if query.section_kinds else best,  # support where the question asks for it
        "unit_dense": best_unit,
        "unit_dense_gap": best_unit - pool.best_unit_dense,
        "unit_rank": 1.0 / PoolRanks.rank(best_unit, ranks.dense),
        "soft_rank": 1.0 / PoolRanks.rank(best, ranks.soft),
        "top3_unit_dense": float(np.mean(unit_dense[:3])) if unit_dense else 0.0,
        "unit_dense_vs_top10": best_unit - ranks.top10_dense,
        "best_dense": dense,
        "support_dense": (strongest.hit.dense_score or 0.0) if strongest else 0.0,  # the chunk that holds the best support
        "dense_gap": dense - pool.best_dense,
        "best_lex": max((_lex(c.hit, pool) for c in candidates), default=0.0),
        "inv_rank": 1.0 / office_rank,
        "n_supporting": math.log1p(sum(1 for x in softs if x >= 0.5)),
        "section_match": float(any(c.hit.chunk.section_kind in query.section_kinds for c in candidates) if query.section_kinds else 0),
        "n_terms": math.log1p(len(terms)),
        "n_offices": math.log(max(1, n_offices)),
    }, OFFICE_FEATURES)


def question_vector(query: Query, mode: Mode, terms: Sequence[Term], candidates: Sequence[Candidate],
                    hits: Sequence[Hit], pool: PoolStats, asks_fact: bool, fact_found: bool) -> list[float]:
    weight = sum(t.weight for t in terms) or 1.0
    top_dense_id = max(hits, key=lambda h: h.dense_score or -1.0).chunk.id if hits else ""
    agree = any(h.chunk.id == top_dense_id and (h.lexical_rank or 99) <= 3 for h in hits)
    cover, weakest = noun_support(terms, candidates)
    nouns = [t for t in terms if t.noun]
    return row({
        "best_soft": pool.best_soft,
        "best_exact": max((c.support.exact for c in candidates), default=0.0),
        "best_min_word": max((_min_word(c.support) for c in candidates), default=0.0),
        "noun_cover": cover,
        "min_noun": weakest,
        "unit_dense": pool.best_unit_dense,
        "unit_dense_spread": pool.best_unit_dense - pool.mean_unit_dense,
        "top_dense": pool.best_dense,
        "dense_spread": pool.best_dense - pool.mean_dense,
        "best_lex": _lex(hits[0], pool) if hits else 0.0,
        "absent_share": sum(t.weight * (1.0 - t.best_neighbour) for t in terms if t.unseen_noun) / weight,
        "absent_nouns": sum(1.0 - t.best_neighbour for t in nouns if not t.in_corpus) / max(1, len(nouns)),
        "any_absent": float(any(t.absent for t in terms)),
        "in_corpus_share": sum(t.weight for t in terms if t.in_corpus) / weight,
        "n_terms": math.log1p(len(terms)),
        "n_nouns": math.log1p(len(nouns)),
        "asked_section": float(bool(query.section_kinds)),
        "section_found": float(any(h.chunk.section_kind in query.section_kinds for h in hits[:5]) if query.section_kinds else 0),
        "asks_fact": float(asks_fact),
        "fact_found": float(fact_found),
        "mode_which": float(mode in (Mode.WHICH, Mode.WHICH_HAVE)),
        "mode_compare": float(mode is Mode.COMPARE),
        "mode_section": float(mode is Mode.SECTION),
        "english": float(query.english),
        "agree": float(agree),
    }, QUESTION_FEATURES)
