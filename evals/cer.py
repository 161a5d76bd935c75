"""Character error rate of an extracted text against its ground truth.

Both sides are normalised as ingest and queries see text (``ingest/normalize.py``: NFC, marks
reordered, Thai digits Arabic) and every whitespace character is removed, so a CER says how many
characters a reader got wrong, not how it broke lines. The distance is Levenshtein's (RapidFuzz).
"""

from __future__ import annotations

import re

from ingest.normalize import normalize_line

_SPACE = re.compile(r"\s+")


def squashed(text: str) -> str:
    """``text`` normalised line by line, all whitespace removed."""
    return _SPACE.sub("", "".join(normalize_line(line) for line in text.splitlines()))


def cer(extracted: str, truth: str) -> float:
    """Edits (insertions, deletions, substitutions) that turn ``extracted`` into ``truth``, per
    character of ``truth``; 0.0 is a perfect reading.

    >>> cer("สำนักงาน", "สำนักงาน"), round(cer("สำนกงาน", "สำนักงาน"), 3)
    (0.0, 0.125)
    """
    from rapidfuzz.distance import Levenshtein

    want = squashed(truth)
    return Levenshtein.distance(squashed(extracted), want) / max(1, len(want))
