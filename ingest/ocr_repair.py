"""Repairs of OCR'd Thai lines, after the Thai repair every extracted text gets.

Tesseract's most common error on Thai print is a tone mark dropped where it stacks over an upper
vowel: "พืนที" for "พื้นที่", "ทียังยืน" for "ที่ยั่งยืน". ``restore_tones`` puts such a mark
back where the word it makes is much more usual than the word as read: the line is cut into words
by newmm over pythainlp's dictionary plus every dictionary word with its stacked tone marks taken
off, and a piece that is such a toneless form becomes its word when that word's frequency in the
Thai National Corpus, times ``DROP_PRIOR`` (how much likelier a well-printed word is than a
misread one), is above the piece's own. Nothing else in the line changes.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from ingest.thai_repair import repair_line

_STACKED_TONE = re.compile("(?<=[\u0e31\u0e34-\u0e37])[\u0e48-\u0e4b]")
_UPPER_VOWEL = re.compile("[\u0e31\u0e34-\u0e37]")
DROP_PRIOR = 0.05  # the mark was dropped vs the word really is the toneless one, before frequencies
_LOCK = threading.Lock()


def repair_ocr_line(line: str, tones: bool = True) -> str:
    """One OCR'd line repaired: sara am that Tesseract writes as nikhahit + sara aa folded, spaced
    marks rejoined (``repair_line``), then dropped stacked tone marks restored."""
    line = repair_line(line)
    return restore_tones(line) if tones else line


def toneless(word: str) -> str:
    """``word`` with the tone marks that stack over an upper vowel removed.

    >>> toneless("พื้นที่")
    'พืนที'
    """
    return _STACKED_TONE.sub("", word)


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, dict[str, str], dict[str, int]]:
    from pythainlp.corpus import tnc

    from ingest.tokens import WordSet, words

    known = set(words())
    freq = {w: n for w, n in tnc.word_freqs()}
    restored: dict[str, str] = {}
    for word in known:
        bare = toneless(word)
        if bare != word and freq.get(word, 0) > freq.get(restored.get(bare, ""), -1):
            restored[bare] = word
    return WordSet(known | set(restored)), restored, freq


def tables() -> tuple[Any, dict[str, str], dict[str, int]]:
    with _LOCK:  # built once (about a second), shared by the OCR threads
        return _tables()


def restore_tones(line: str) -> str:
    """``line`` with dropped stacked tone marks put back where the dictionary and word frequencies
    say so (see the module's docstring).

    >>> restore_tones("สู่สังคมทียังยืน บนพืนที")
    'สู่สังคมที่ยั่งยืน บนพื้นที่'
    """
    if not _UPPER_VOWEL.search(line):
        return line
    from pythainlp.tokenize import word_tokenize

    dictionary, restored, freq = tables()
    out = []
    for token in word_tokenize(line, custom_dict=dictionary, engine="newmm", keep_whitespace=True):
        word = restored.get(token)
        if word is not None and (token not in _known() or freq.get(word, 0) * DROP_PRIOR > freq.get(token, 0)):
            token = word
        out.append(token)
    return "".join(out)


def _known() -> Any:
    from ingest.tokens import words

    return words()
