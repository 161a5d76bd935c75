"""Does one office's plan support one topic? Judged on that office's own evidence only.

``support(service, office, topic)`` searches the topic inside that office's
plan alone, so no feature compares it with another office: the pool's "best"
is the office's own best. This first version scores the resulting office row
with the fitted office model of the answer policy (whose pool-relative
features become self-relative here); a model fitted for it comes next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from planqa.types import Citation
from retrieval import inputs
from retrieval.citations import CitationBook
from retrieval.decide import _best_units
from retrieval.features import STRONG, PoolRanks, PoolStats, office_vector, unit_vector
from retrieval.gather import _candidates
from retrieval.query import parse_query

if TYPE_CHECKING:
    from retrieval.service import Service

SEARCH_K = 10  # chunks of the one plan searched for the topic


class Strength(StrEnum):
    STRONG = "strong"  # the office model's threshold is reached
    SOME = "some"  # below it, but some quote covers a topic word strongly
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Stance:
    office: str
    source: str  # the office's plan, as cited ("" when nothing was found)
    topic: str
    probability: float
    strength: Strength
    quotes: tuple[Citation, ...]  # original text at the cited lines


def support(service: Service, office: str, topic: str) -> Stance:
    """How far ``office``'s own plan supports ``topic``.

    Args:
        service: the question-answering service over an index.
        office: an office name as indexed.
        topic: the topic, in any wording ("การออม", "digital technology").
    """
    return supports(service, [office], [topic])[0]


def supports(service: Service, offices: Sequence[str], topics: Sequence[str]) -> list[Stance]:
    """``support`` for every office × topic, topic-major (all offices of the first topic first)."""
    service.check_model()
    known = service.offices()
    names = inputs.offices(list(offices), known)
    policy = service.policy()
    gatherer = service.gatherer
    out = []
    with service.index.rw.read():
        for topic in topics:
            query = parse_query(inputs.question(topic), known)
            terms = gatherer.terms(query, known)
            expansion = gatherer.expansion(terms)
            # each office's own search, all offices in one pass (a theme of 1,000 offices in seconds)
            found = service.searcher.search_each(query, SEARCH_K, names, expansion=expansion)
            for office in names:
                hits = found[office]
                candidates = gatherer._with_unit_dense(query, _candidates(hits, terms))
                if not candidates:
                    out.append(Stance(office, "", topic, 0.0, Strength.NONE, ()))
                    continue
                own = PoolStats.of(candidates, hits)
                row = office_vector(candidates, 1, query, terms, own, own.best_soft, 1, PoolRanks.of(candidates))
                p = float(policy.office.probability([row])[0])
                book = CitationBook()
                p_unit = policy.unit.probability([unit_vector(c, query, terms, own) for c in candidates])
                units = _best_units(candidates, p_unit, policy.thresholds.unit, policy.max_units_per_office)
                quotes = [u for u in units if any(c.unit == u and c.support.soft >= STRONG for c in candidates)]
                for u in quotes:
                    book.cite([u])
                # a quote with topic-word support is required: a self-only pool puts the office
                # model's pool-relative features at their best, so p alone calls an absent topic strong
                strength = (Strength.NONE if not quotes else Strength.STRONG if p >= policy.thresholds.office
                            else Strength.SOME)
                out.append(Stance(office, hits[0].chunk.source, topic, p, strength, tuple(book.citations)))
    return out
