"""Thai word tokens for BM25: pythainlp newmm, stop-words out, digits Arabic."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.normalize import normalize_query

_KEEP = re.compile(r"[^0-9a-z\u0e01-\u0e4e]+")  # Thai letters/marks, Latin, digits
PIECE = 1000  # newmm's cost grows faster than linearly with a piece's length: cut long lines first


def pieces(line: str, size: int = PIECE) -> list[str]:
    """A line cut into pieces of at most ``size`` characters, at a space where there is one."""
    out: list[str] = []
    while len(line) > size:
        cut = line.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        out.append(line[:cut])
        line = line[cut:]
    out.append(line)
    return out


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


def tokenize(text: str, drop_stopwords: bool = True) -> list[str]:
    """Tokens of ``text`` as BM25 indexes and queries them.

    >>> tokenize("สำนักงานใดเน้นความปลอดภัยของนักเรียน")
    ['สำนักงาน', 'ใด', 'ความปลอดภัย', 'นักเรียน']
    """
    from pythainlp.tokenize import word_tokenize

    stop = _stopwords() if drop_stopwords else frozenset()
    out: list[str] = []
    for line in text.split("\n"):
        norm = normalize_query(line).lower()
        if not norm:
            continue
        for piece in pieces(norm):
            for tok in word_tokenize(piece, engine="newmm", keep_whitespace=False):
                tok = _KEEP.sub("", tok)
                if tok and tok not in stop and tok != "ๆ":
                    out.append(tok)
    return out
