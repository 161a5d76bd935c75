"""Where a question's cosine with a unit stands against the corpus: its cosine with a sample of units.

multilingual-e5's cosines are compressed (any two sentences of these plans score 0.78-0.88), and where
in that band a question falls depends on the question: 0.85 is near for one topic and background for
another. A unit's cosine is therefore also read in standard deviations above the question's cosine
with a fixed sample of the corpus's quotable units, the way a word's weight is read against the corpus
(IDF). The sample is a property of the index, the same for every office: no office is compared with
another.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from ingest.index import IndexWatch
from ingest.lexical import LexicalIndex

SAMPLE_UNITS = 2048  # units in the sample: the spread of a cosine is steady long before this
UNITS_PER_CHUNK = 3  # about, in these plans: how many chunks to read for the sample


class UnitBackground:
    """A fixed sample of the corpus's unit vectors (every k-th chunk, by id), reloaded when an ingest
    run changes the index."""

    def __init__(self, lexical: LexicalIndex, sample: int = SAMPLE_UNITS) -> None:
        self.lexical = lexical
        self.sample = sample
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()
        self._watch = IndexWatch(lexical, self._load, self._lock)

    def refresh(self) -> None:
        self._watch.refresh()

    def _load(self) -> None:  # under the lock
        ids = sorted(self.lexical.all_ids())
        step = max(1, -(-len(ids) * UNITS_PER_CHUNK // self.sample))
        rows = [v for v in self.lexical.unit_vectors(ids[::step]).values() if v.size]
        self._matrix = np.vstack(rows)[: self.sample] if rows else np.zeros((0, 0), dtype=np.float32)

    @property
    def size(self) -> int:
        """Units in the sample."""
        return int(self._matrix.shape[0])

    def stats(self, vector: Sequence[float]) -> tuple[float, float]:
        """(mean, spread) of the cosine of ``vector`` (a unit-length question embedding) with the sample;
        (0, 1) when the index holds too few units to tell."""
        self.refresh()
        with self._lock:
            matrix = self._matrix
        if matrix.shape[0] < 3 or matrix.shape[1] != len(vector):
            return 0.0, 1.0
        cos = matrix @ np.asarray(vector, dtype=np.float32)
        return float(cos.mean()), float(cos.std()) or 1.0
