"""Thai text normalisation, in one place: ingestion and queries both use it.

Normalisation is applied line by line and never joins or splits lines, so a
normalised line ``i`` always corresponds to original line ``i``: that is the
map back to the original file that citations rely on.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pythainlp.util import normalize as thai_normalize

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# zero-width and invisible format characters that creep into web copy
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# every Unicode space (NBSP, thin, ideographic, ...) and tabs, as runs
_SPACE_RUN = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def thai_digits_to_arabic(text: str) -> str:
    """Map Thai digits to Arabic digits: ``"เขต ๒๐"`` -> ``"เขต 20"``."""
    return text.translate(_THAI_DIGITS)


def fold_spaces(text: str) -> str:
    """NFC, invisible characters removed, whitespace runs folded to one space.

    This is the light normalisation that evaluation gold matching uses.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    return _SPACE_RUN.sub(" ", text).strip()


@lru_cache(maxsize=1024)  # ingest normalises each line several times (parse, chunk, tokenise)
def normalize_line(line: str) -> str:
    """Full normalisation of one line (no newlines in, none out).

    NFC, control and zero-width characters removed, NBSP/tab/space runs folded,
    then pythainlp's normaliser for repeated or misordered marks.
    """
    line = _CONTROL.sub(" ", line)
    line = fold_spaces(line)
    # pythainlp's rules can leave work for a second pass ("0ๅๅ" -> "0าๅ" -> "0า");
    # a question normalised again must still equal the document's text
    for _ in range(4):
        if not line:
            return ""
        again = fold_spaces(thai_normalize(line))
        if again == line:
            break
        line = again
    return line


def normalize_text(text: str) -> str:
    """Normalise a multi-line text; line count is preserved."""
    return "\n".join(normalize_line(line) for line in text.split("\n"))


def normalize_query(text: str) -> str:
    """A question as the retrievers see it: one line, Thai digits as Arabic."""
    return thai_digits_to_arabic(normalize_line(text.replace("\n", " ")))
