"""Does one office's plan support one topic? Judged on that office's own evidence only.

``support(service, office, topic)`` searches the topic inside that office's plan alone
(``Gatherer.own_evidence``: its own hybrid search, on the topic text less any frame words) and scores
what it finds with the stance model (``retrieval/stance_model.py``, fitted by ``python -m evals stance``
with grouped cross-validation and leave-one-plan-out figures): topic words weighed by how topical they
are, exact and sub-word matches ("ออม" in "การออม"), plan words near in meaning, the quote's cosine,
the best BM25 score of the office's own search. No feature compares the
office with another office, so a cell of the overview and an office of a which-answer mean the
same thing whatever else is indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from planqa.types import Citation
from retrieval import inputs
from retrieval.citations import CitationBook
from retrieval.query import parse_query
from retrieval.stance_features import topic_quotes
from retrieval.stance_model import StanceModel, load_stance

if TYPE_CHECKING:
    from retrieval.service import Service

MAX_QUOTES = 2  # quotes kept per cell


class Strength(StrEnum):
    STRONG = "strong"  # the stance model's high threshold is reached, with a quote that holds a topic word
    SOME = "some"  # its low threshold: a topic close to the asked one ("กล่าวถึงในเรื่องที่ใกล้เคียง")
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


def supports(service: Service, offices: Sequence[str], topics: Sequence[str],
             model: StanceModel | None = None) -> list[Stance]:
    """``support`` for every office × topic, topic-major (all offices of the first topic first)."""
    service.check_model()
    stance = model or load_stance()
    known = service.offices()
    names = inputs.offices(list(offices), known)
    gatherer = service.gatherer
    out = []
    with service.index.rw.read():
        for topic in topics:
            query = parse_query(inputs.question(topic), known, gatherer.respell)
            terms = gatherer.terms(query, known)
            # each office's own search, all offices in one pass (a theme of 1,000 offices in seconds)
            for own in gatherer.own_evidence(query, terms, names, gatherer.expansion(terms)):
                p = stance.probability(own.units, terms, False, query.english, query.section_kinds)
                units = topic_quotes(own.units, terms, stance.topical, MAX_QUOTES, query.section_kinds)
                # a quote that holds no topic word is never shown as support, whatever p says
                strength = (Strength.NONE if not units or p < stance.low else
                            Strength.STRONG if p >= stance.high else Strength.SOME)
                book = CitationBook()
                for u in units:
                    book.cite([u])
                out.append(Stance(own.office, own.source, topic, p, strength, tuple(book.citations)))
    return out
