"""What one office's own evidence says about one topic: the stance model's features.

Everything here reads one office's units only (the office's own search for the topic), so no
feature compares an office with another: a second or third office stands on its own evidence. What
a unit's words and cosine are read against is the corpus, the same for every office: a word's IDF,
and the question's cosine with a sample of the corpus's units (``retrieval.background``).

The topic is the question's words weighed by how topical each one is (``TopicWeights``): the
frame words of a question ("เขตไหนบ้าง", "แผน", "มาใช้", "which offices") are learned from the
question sets as the words whose presence in a question says little about the words of its answer
(``python -m evals stance``), not listed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from retrieval.evidence import Unit
from retrieval.features import Candidate
from retrieval.support import TITLE_WEIGHT, Term, supported

STANCE_FEATURES = (
    "cover", "cover_exact", "second_cover", "union_cover", "main_word", "main_word_exact", "n_covering",
    "unit_dense", "unit_dense_lift", "chunk_dense", "cover_dense", "topic_mass", "absent_share", "asks_fact",
    "english", "n_topic_words", "asked_section", "section_cover", "lexical", "dense_z",
)
COVERS = 0.5  # a unit covers the topic when it supports this share of its weight
TOPIC_SHARE = 0.5  # a topic word is at least this share as topical as the question's most topical word


@dataclass(frozen=True, slots=True)
class TopicWeights:
    """How topical each question word is: P(the word, or a near word, is in the answer's text | it is
    in the question), shrunk towards ``prior`` for a word seen in few questions."""

    seen: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # word -> (in the answer, questions)
    prior: float = 1.0
    strength: float = 2.0  # pseudo-questions the prior counts for

    def __call__(self, word: str) -> float:
        pos, n = self.seen.get(word, (0, 0))
        return (pos + self.strength * self.prior) / (n + self.strength)

    def topic_words(self, terms: Sequence[Term]) -> list[str]:
        """The words of the topic: at least half as topical as the question's most topical word."""
        top = max((self(t.word) for t in terms), default=0.0)
        return [t.word for t in terms if self(t.word) >= TOPIC_SHARE * top]

    @classmethod
    def fit(cls, labelled: Sequence[tuple[str, bool]], strength: float = 2.0) -> TopicWeights:
        """From (question word, found in the answer) pairs, one per word of each question. Shrunk towards
        1: a word the questions never used is taken as topic (frame words recur from question to
        question, so the sets know them; measured against the share found among rarely asked words,
        the paraphrases the sets are written in make that share low, and new topics lost)."""
        seen: dict[str, list[int]] = {}
        for word, found in labelled:
            c = seen.setdefault(word, [0, 0])
            c[0] += int(found)
            c[1] += 1
        return cls({w: (c[0], c[1]) for w, c in seen.items()}, 1.0, strength)

    def to_dict(self) -> dict[str, object]:
        return {"prior": self.prior, "strength": self.strength, "seen": {w: list(c) for w, c in sorted(self.seen.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TopicWeights:
        seen = data.get("seen", {})
        assert isinstance(seen, dict)
        return cls({str(w): (int(c[0]), int(c[1])) for w, c in seen.items()}, float(data["prior"]),  # type: ignore[arg-type]
                   float(data["strength"]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class UnitEvidence:
    """One unit of the office's own search, as the stance reads it."""

    unit: Unit
    exact: tuple[float, ...]  # per question word: 1 in the unit's text, TITLE_WEIGHT in its title only, else 0
    soft: tuple[float, ...]  # ... or a plan word near in meaning, at its strength
    dense: float  # cosine of the question and the unit
    chunk_dense: float  # cosine of the question and the unit's chunk
    lexical: float = 0.0  # its chunk's BM25 score in the office's own search, over log(1 + chunks indexed)
    dense_z: float = 0.0  # its cosine in standard deviations above the question's with the corpus (``UnitBackground``)


def unit_evidence(terms: Sequence[Term], c: Candidate, lexical_scale: float = 1.0,
                  background: tuple[float, float] = (0.0, 1.0)) -> UnitEvidence:
    """A candidate unit (its support already measured against ``terms``) as the stance reads it;
    ``lexical_scale``: what its chunk's BM25 score is divided by (``lexical_scale(chunks)``);
    ``background``: the question's cosine with the corpus's units, mean and spread (``UnitBackground``)."""
    unit = c.unit
    text = unit.text.lower()
    exact = tuple(1.0 if supported(t.word, unit.tokens, text) else TITLE_WEIGHT if supported(t.word, unit.title_tokens)
                  else 0.0 for t in terms)
    return UnitEvidence(unit, exact, c.support.words, c.dense, c.hit.dense_score or 0.0,
                        (c.hit.lexical_score or 0.0) / lexical_scale, (c.dense - background[0]) / background[1])


def lexical_scale(chunks: int) -> float:
    """A BM25 score over this is about as large in an index of five plans as in one of a thousand:
    a word's IDF, and so the score, grows with the log of the chunks indexed."""
    return math.log1p(max(1, chunks))


def word_weights(terms: Sequence[Term], topical: TopicWeights) -> list[float]:
    """Each word's weight in the topic: its IDF times how topical it is."""
    return [t.weight * topical(t.word) for t in terms]


def cover(ue: UnitEvidence, weights: Sequence[float]) -> float:
    total = sum(weights)
    return sum(w * s for w, s in zip(weights, ue.soft)) / total if total > 0 else 0.0


def shows_topic(ue: UnitEvidence, terms: Sequence[Term], topical: TopicWeights, sections: Collection[str] = ()) -> bool:
    """The unit holds a topic word: exactly, inside a compound, or a plan word near in meaning; or it
    is an item of a section the question asks about (``sections``: "เขตไหนประกาศวัฒนธรรมองค์กร", the
    section is the topic and its heading says so)."""
    if in_asked_section(ue.unit, sections):
        return True
    words = topical.topic_words(terms)
    return any(s >= COVERS for t, s in zip(terms, ue.soft) if t.word in words)


def in_asked_section(unit: Unit, sections: Collection[str]) -> bool:
    """The unit is an item of a section the question asks about."""
    return unit.chunk.section_kind in sections


def topic_quotes(units: Sequence[UnitEvidence], terms: Sequence[Term], topical: TopicWeights, limit: int,
                 sections: Collection[str] = ()) -> list[Unit]:
    """The units that hold a topic word (or belong to an asked section), best topic cover first, one per
    line, at most ``limit``."""
    weights = word_weights(terms, topical)
    shown = sorted((ue for ue in units if shows_topic(ue, terms, topical, sections)), key=lambda ue: -cover(ue, weights))
    out: list[Unit] = []
    for ue in shown:
        if all(u.start_line != ue.unit.start_line or u.chunk.source != ue.unit.chunk.source for u in out):
            out.append(ue.unit)
        if len(out) >= limit:
            break
    return out


def stance_vector(units: Sequence[UnitEvidence], terms: Sequence[Term], topical: TopicWeights,
                  asks_fact: bool, english: bool, sections: Collection[str] = ()) -> list[float]:
    """The features of one office's own evidence for one topic, in ``STANCE_FEATURES`` order
    (``sections``: the section kinds the question asks about, "วิสัยทัศน์ของเขตไหน…")."""
    weights = word_weights(terms, topical)
    total = sum(weights)
    covers = sorted((cover(u, weights) for u in units), reverse=True)
    exacts = [sum(w * e for w, e in zip(weights, u.exact)) / total if total > 0 else 0.0 for u in units]
    union = (sum(w * max((u.soft[i] for u in units), default=0.0) for i, w in enumerate(weights)) / total
             if total > 0 else 0.0)
    main = max(range(len(weights)), key=lambda i: weights[i], default=None)
    dense = [u.dense for u in units]
    best = max(units, key=lambda u: cover(u, weights), default=None)
    absent = sum(w for w, t in zip(weights, terms) if t.absent)
    values = {
        "cover": covers[0] if covers else 0.0,
        "cover_exact": max(exacts, default=0.0),
        "second_cover": covers[1] if len(covers) > 1 else 0.0,
        "union_cover": union,
        "main_word": max((u.soft[main] for u in units), default=0.0) if main is not None else 0.0,
        "main_word_exact": max((u.exact[main] for u in units), default=0.0) if main is not None else 0.0,
        "n_covering": math.log1p(sum(1 for c in covers if c >= COVERS)),
        "unit_dense": max(dense, default=0.0),
        "unit_dense_lift": max(dense) - sum(dense) / len(dense) if dense else 0.0,
        "chunk_dense": max((u.chunk_dense for u in units), default=0.0),
        "cover_dense": best.dense if best is not None else 0.0,
        "topic_mass": math.log1p(total),
        "absent_share": absent / total if total > 0 else 0.0,
        "asks_fact": float(asks_fact),
        "english": float(english),
        "n_topic_words": math.log1p(len(topical.topic_words(terms))),
        "asked_section": float(bool(sections)),
        "section_cover": max((cover(u, weights) for u in units if in_asked_section(u.unit, sections)), default=0.0)
        if sections else (covers[0] if covers else 0.0),
        "lexical": math.log1p(max((u.lexical for u in units), default=0.0)),
        "dense_z": max((u.dense_z for u in units), default=0.0),
    }
    return [float(values[n]) for n in STANCE_FEATURES]
