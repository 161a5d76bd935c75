"""The corpus vocabulary, embedded: what lets "เด็ก" in a question find "นักเรียน" in a plan.

Every word the lexical index holds (its FTS5 vocabulary: the plans' own
tokens, office and section labels included) is embedded once with the index's
model and stored beside the chunks (``term_vectors`` in the lexical SQLite
file). Each ingest run embeds only the words that are new, outside the write
lock, and forgets the words no chunk holds any more, so the vocabulary is
kept incrementally, like the chunks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np

from ingest.embeddings import embed_terms
from planqa.types import Progress

log = logging.getLogger(__name__)
_MEANINGFUL = re.compile(r"[\u0e01-\u0e2e]{2}|[a-z]{3}")  # two Thai consonants, or a Latin word
BATCH = 256


def meaningful(term: str) -> bool:
    """A word worth a vector: some letters of its own, not a number or a stray mark."""
    return not term.isdigit() and bool(_MEANINGFUL.search(term))


def missing_terms(held: Iterable[str], embedded: set[str]) -> list[str]:
    """The meaningful terms of ``held`` that have no vector yet, sorted."""
    return sorted({t for t in held if t not in embedded and meaningful(t)})


def embed_missing(embeddings: object, terms: list[str], progress: Progress | None = None) -> np.ndarray:
    """Vectors of ``terms`` in batches (unit float32 rows)."""
    parts = []
    for i in range(0, len(terms), BATCH):
        parts.append(embed_terms(embeddings, terms[i : i + BATCH]))  # type: ignore[arg-type]
        if progress:
            progress(min(i + BATCH, len(terms)), len(terms), "embedding the vocabulary")
    return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)
