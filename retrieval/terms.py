"""Meaning-aware term matching: each question word's nearest plan words, by the embedder.

The plans' vocabulary is embedded at ingest (``ingest/vocabulary.py``); here a
question word is embedded the same way and compared with all of it. Cosine
similarities of multilingual-e5-small are compressed (unrelated Thai words
sit at 0.82-0.90, near-synonyms at 0.91-0.95), so a fixed cut would not do:
a match is scored by how far it stands above the question word's *own*
background, the distribution of its similarity to the whole vocabulary
(``z``: standard deviations above that mean). "เด็ก" -> "นักเรียน" and
"ปกป้อง" -> "ป้องกัน" stand out that way; "หัวกะทิ" finds nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.embeddings import embed_terms
from ingest.index import DOCUMENTS_VERSION
from ingest.lexical import LexicalIndex

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
        self._version: str | None = "unloaded"
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def refresh(self) -> None:
        version = self.lexical.get_meta(DOCUMENTS_VERSION)
        with self._lock:
            if version == self._version:
                return
            terms, blob, n = self.lexical.term_vectors()
            matrix = np.frombuffer(blob, dtype=np.float32).reshape(n, -1) if n else np.zeros((0, 0), np.float32)
            self._terms, self._matrix, self._version = terms, matrix, version
            self._index = {t: i for i, t in enumerate(terms)}
            self._thai = np.asarray([bool(_THAI.search(t)) for t in terms], dtype=bool)

    def vocabulary(self) -> tuple[str | None, list[str]]:
        """(the index version, the plans' words), reloaded first if an ingest run changed them."""
        self.refresh()
        with self._lock:
            return self._version, self._terms

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
            if not _THAI.search(w) and self._thai.sum() >= 3:
                # a word in another script is matched to the plans' Thai words, against their background
                # (it would find the few English words of the plans first, whatever they mean)
                row = np.where(self._thai, row, -1.0)
                mean, std = float(row[self._thai].mean()), float(row[self._thai].std()) or 1e-6
            else:
                mean, std = float(row.mean()), float(row.std()) or 1e-6
            best = np.argpartition(-row, min(top + 1, len(row) - 1))[: top + 1]
            found = [Match(self._terms[j], float(row[j]), (float(row[j]) - mean) / std) for j in best]
            found = [m for m in found if m.term != w and m.z >= MIN_Z]
            out[w] = sorted(found, key=lambda m: -m.z)[:top]
        return out
