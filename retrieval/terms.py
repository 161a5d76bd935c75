"""Meaning-aware term matching: each question word's nearest plan words, by the embedder.

The plans' vocabulary is embedded at ingest (``ingest/vocabulary.py``); here a
question word is embedded the same way and compared with all of it. Cosine
similarities of multilingual-e5-small are compressed (unrelated Thai words
sit at 0.82-0.90, near-synonyms at 0.91-0.95), so a fixed cut would not do:
a match is scored by how far it stands above the question word's *own*
background, the distribution of its similarity to the whole vocabulary
(``z``: standard deviations above that mean). "เด็ก" -> "นักเรียน" and
"ปกป้อง" -> "ป้องกัน" stand out that way; "หัวกะทิ" finds nothing.

A word's near neighbours also include *lookalikes*: plan words that share a piece with it and
owe their likeness to that piece ("จมน้ำ" -> "ลูกน้ำ" through "น้ำ", "ห้องสมุด" -> "ห้องเรียน"
through "ห้อง", "ภาษาจีน" -> "ภาษาอังกฤษ"). They are not kept: a plan word that shares a
dictionary word with the question word is a neighbour in meaning only when it is nearer the whole
word than the shared piece, or when what is left of the two words without it is itself a neighbour
(``MIN_Z`` above the rest's own background: "ระบาด" and "ติดเชื้อ" keep "โรคติดเชื้อ" for
"โรคระบาด"; "จีน" and "อังกฤษ" do not). A plan word that is a piece of the question word counts when
it is its head (it starts the word and the rest is a dictionary word: Thai compounds put the head
first, "โรค" of "โรคระบาด") or when it carries more of the word than the rest does ("ไทย" of
"คนไทย", "แผน" of "มีแผน"), not otherwise ("แนว" of "แนะแนว", "น้ำ" of "จมน้ำ"); a plan word
holding the question word, its nominaliser set aside, is always kept.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.embeddings import embed_terms
from ingest.index import IndexWatch
from ingest.lexical import LexicalIndex
from ingest.tokens import compound_head, nominal_base
from ingest.tokens import words as dictionary

_THAI = re.compile("[\u0e01-\u0e2e]")
NEIGHBOURS = 8  # plan words kept per question word
MIN_Z = 2.0  # below this a neighbour is background, not kept at all
CACHE_WORDS = 4096


@dataclass(frozen=True, slots=True)
class Match:
    term: str  # a word of the plans
    similarity: float  # cosine
    z: float  # standard deviations above the question word's similarity to the whole vocabulary


class TermMatcher:
    """The plans' embedded vocabulary, reloaded after an ingest run changed it."""

    def __init__(self, lexical: LexicalIndex, embeddings: Embeddings) -> None:
        self.lexical = lexical
        self.embeddings = embeddings
        self._terms: list[str] = []
        self._index: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._thai = np.zeros(0, dtype=bool)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._watch = IndexWatch(lexical, self._load, self._lock)

    def refresh(self) -> None:
        self._watch.refresh()

    def _load(self) -> None:  # under the lock
        terms, blob, n = self.lexical.term_vectors()
        self._terms = terms
        self._matrix = np.frombuffer(blob, dtype=np.float32).reshape(n, -1) if n else np.zeros((0, 0), np.float32)
        self._index = {t: i for i, t in enumerate(terms)}
        self._thai = np.asarray([bool(_THAI.search(t)) for t in terms], dtype=bool)

    def vocabulary(self) -> tuple[str | None, list[str]]:
        """(the index version, the plans' words), reloaded first if an ingest run changed them."""
        self.refresh()
        with self._lock:
            return self._watch.version, self._terms

    @property
    def size(self) -> int:
        return len(self._terms)

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``words``: the stored ones for plan words, embedded (and cached) otherwise."""
        rows: dict[str, np.ndarray] = {}
        todo: list[str] = []
        with self._lock:
            for w in words:
                if w in self._index:
                    rows[w] = self._matrix[self._index[w]]
                elif w in self._cache:
                    rows[w] = self._cache[w]
                    self._cache.move_to_end(w)
                else:
                    todo.append(w)
        if todo:
            fresh = embed_terms(self.embeddings, todo)
            with self._lock:
                for w, v in zip(todo, fresh):
                    rows[w] = v
                    self._cache[w] = v
                while len(self._cache) > CACHE_WORDS:
                    self._cache.popitem(last=False)
        return np.asarray([rows[w] for w in words], dtype=np.float32)

    def matches(self, words: Sequence[str], top: int = NEIGHBOURS) -> dict[str, list[Match]]:
        """For each word, the plan words nearest in meaning (itself excluded), best first,
        those at least ``MIN_Z`` above its background."""
        self.refresh()
        words = list(dict.fromkeys(words))
        if not words or self._matrix.shape[0] < 3:
            return {w: [] for w in words}
        sims = self.vectors(words) @ self._matrix.T  # (words, vocabulary)
        out: dict[str, list[Match]] = {}
        for w, row in zip(words, sims):
            row, mean, std = self._background(w, row)
            best = np.argpartition(-row, min(top + 1, len(row) - 1))[: top + 1]
            found = [Match(self._terms[j], float(row[j]), (float(row[j]) - mean) / std) for j in best]
            found = [m for m in found if m.term != w and m.z >= MIN_Z]
            out[w] = self._meaning_only(w, sorted(found, key=lambda m: -m.z)[:top])
        return out

    def _background(self, word: str, row: np.ndarray) -> tuple[np.ndarray, float, float]:
        """``word``'s cosines with the vocabulary (``row``) as it is matched, and their mean and
        spread: the background its neighbours' ``z`` is read against."""
        if not _THAI.search(word) and self._thai.sum() >= 3:
            # a word in another script is matched to the plans' Thai words, against their background
            # (it would find the few English words of the plans first, whatever they mean)
            row = np.where(self._thai, row, -1.0)
            return row, float(row[self._thai].mean()), float(row[self._thai].std()) or 1e-6
        return row, float(row.mean()), float(row.std()) or 1e-6

    def _meaning_only(self, word: str, found: list[Match]) -> list[Match]:
        """``found`` less its lookalikes (see the module's docstring)."""
        base = nominal_base(word)  # "ความพอเพียง" means "พอเพียง": "เศรษฐกิจพอเพียง" holds it
        pieces: dict[str, str] = {}  # a piece of the word -> the rest of the word
        shared: dict[str, list[str]] = {}  # a plan word sharing pieces with the word -> those pieces
        for m in found:
            if base in m.term:
                continue
            if m.term in word:
                pieces[m.term] = word.replace(m.term, "", 1)
            elif found_pieces := shared_pieces(word, m.term):
                shared[m.term] = found_pieces
        if not (pieces or shared):
            return found
        rests = {t: (word.replace(ps[0], "", 1), t.replace(ps[0], "", 1)) for t, ps in shared.items()}
        needed = [word, *pieces, *pieces.values(), *shared, *(p for ps in shared.values() for p in ps),
                  *(r for pair in rests.values() for r in pair)]
        vec = dict(zip(unique := list(dict.fromkeys(needed)), self.vectors(unique)))

        @cache
        def background(a: str) -> tuple[float, float]:  # each word's row once, however many terms ask
            _, mean, std = self._background(a, self._matrix @ vec[a])
            return mean, std

        def z(a: str, b: str) -> float:  # b's cosine with a, in standard deviations above a's background
            mean, std = background(a)
            return (float(vec[a] @ vec[b]) - mean) / std

        def meant(term: str) -> bool:
            if term in pieces:  # a piece of the word: its head, or the part that carries its meaning
                rest = pieces[term]
                return compound_head(word, term) or z(word, term) >= z(word, rest)
            if term in shared:  # nearer the whole word than any piece they share, or the rests are near
                if max(float(vec[p] @ vec[term]) for p in shared[term]) < float(vec[word] @ vec[term]):
                    return True
                return z(*rests[term]) >= MIN_Z
            return True

        return [m for m in found if meant(m.term)]


def shared_pieces(a: str, b: str) -> list[str]:
    """The dictionary words (two characters or more) inside both ``a`` and ``b``, neither whole."""
    known = dictionary()
    found = {a[i:j] for i in range(len(a)) for j in range(i + 2, len(a) + 1)
             if a[i:j] != a and a[i:j] != b and a[i:j] in b}
    return sorted((p for p in found if p in known), key=len, reverse=True)
