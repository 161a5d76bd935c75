"""Misspelt topic words read as the plan word they miss by one letter.

A question typed in a hurry spells the topic wrong ("สิ่งแวดล้อน", "นวัฒกรรม", "กระจายอำนาด",
"พอเพืยง", "โปร่งไส"). newmm then cuts the word into pieces that are no word ("ล้อ", "น"), no
plan holds them, their vectors mean nothing, and the question abstains although every plan
says "สิ่งแวดล้อม". ``respell`` reads such a word as the plan word one edit away (one letter or
mark inserted, deleted, replaced, or two swapped), against the index's own vocabulary, not a
list of known slips: the same mechanism as the section keywords' respelling
(``retrieval.query.respell_sections``), over every word the plans hold.

A stretch of one to four adjacent words is respelt only when all of these hold: it is Thai and
at least ``MIN_CHARS`` long; it is not a word of pythainlp's dictionary (a real word, "ภาษาจีน",
is what the user meant), nor one or two dictionary words ("ที่เขียน" is not "ที่เรียน"; three or
more, "ประ|สิทธ|ภาพ", are a word newmm cut into fragments the dictionary holds); some plan word is
one edit from it; and no plan holds it as it is written. Among several plan words one edit away,
the one in most chunks wins.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Container

from rapidfuzz.distance import OSA

_THAI_ONLY = re.compile("[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e45\u0e47-\u0e4e]+")  # letters, vowels, marks (not ฯ ๆ)
_CONSONANTS = re.compile("[\u0e01-\u0e2e]")
MIN_CHARS = 5  # shorter stretches are too often another real word one letter away
MIN_CONSONANTS = 3  # ... and so are words of one or two consonants with their vowels
MAX_WORDS = 4  # a misspelt word is cut into at most this many pieces (สิ่ง|แวด|ล้อ|น)
CUT_INTO = 3  # a stretch of this many dictionary words or more, one edit from one word, is a slip too


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def replace_windows(tokens: list[str], fix: Callable[[list[str]], str | None], longest: int) -> list[str]:
    """``tokens`` with windows of adjacent tokens replaced: from left to right, the longest window
    (at most ``longest`` tokens) for which ``fix`` gives a replacement; a token no window starting
    at it fixes is kept."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            fixed = fix(tokens[i : i + n])
            if fixed is not None:
                out.append(fixed)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


class Speller:
    """The plans' vocabulary, indexed by its one-letter deletions (the symmetric-delete idea:
    two words one edit apart share a deletion, or one is a deletion of the other), rebuilt when
    the vocabulary changes."""

    def __init__(self, vocabulary: Callable[[], tuple[str | None, list[str]]],
                 in_corpus: Callable[[str], bool], doc_freq: Callable[[str], int]) -> None:
        self._vocabulary = vocabulary  # () -> (version, the plans' words)
        self._in_corpus = in_corpus  # some chunk holds the text, inside a word or not
        self._doc_freq = doc_freq
        self._version: str | None = "unbuilt"
        self._words: frozenset[str] = frozenset()
        self._by_delete: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        version, words = self._vocabulary()
        with self._lock:
            if version == self._version:
                return
            kept = frozenset(w for w in words if _THAI_ONLY.fullmatch(w) and len(_CONSONANTS.findall(w)) >= MIN_CONSONANTS)
            by_delete: dict[str, list[str]] = {}
            for w in kept:
                for d in _deletes(w):
                    by_delete.setdefault(d, []).append(w)
            self._words, self._by_delete, self._version = kept, by_delete, version

    def near(self, piece: str) -> list[str]:
        """Plan words exactly one edit from ``piece`` (insert, delete, replace, swap), most used first."""
        self._refresh()
        found: set[str] = set(self._by_delete.get(piece, ()))  # a letter missing from the piece
        for d in _deletes(piece):
            if d in self._words:  # a letter too many
                found.add(d)
            found.update(self._by_delete.get(d, ()))  # a letter replaced (or two swapped)
        found.discard(piece)
        near = [w for w in found if OSA.distance(piece, w) == 1]
        return sorted(near, key=lambda w: (-self._doc_freq(w), w))

    def respell(self, text: str) -> str:
        """``text`` with each misspelt stretch replaced by its plan word (see the module doc)."""
        from ingest.tokens import word_tokenize, words

        self._refresh()
        if not self._words:
            return text
        dictionary = words()
        tokens = word_tokenize(text, keep_whitespace=True)
        out = replace_windows(tokens, lambda window: self._fix(window, dictionary), MAX_WORDS)
        return "".join(out) if out != tokens else text

    def _fix(self, window: list[str], dictionary: Container[str]) -> str | None:
        """The plan word a stretch of words misspells, or None. One or two words that are all in the
        dictionary are what the user meant ("ที่เขียน" is not "ที่เรียน"); a slip leaves a piece that is
        no word ("สิ่ง|แวด|ล้อ|น"), or cuts one word into three or more that are ("ประสิทธภาพ" read
        "ประ|สิทธ|ภาพ", "งบประมาน" "งบ|ประ|มาน": pythainlp's list holds such fragments). Only a
        dictionary word is put in its place: the plans' own slips and fragments ("ทีส่งเสริม") are in
        their vocabulary too."""
        piece = "".join(window)
        if (len(piece) < MIN_CHARS or not _THAI_ONLY.fullmatch(piece) or piece in self._words or piece in dictionary
                or len(window) < CUT_INTO and all(w in dictionary for w in window)):
            return None
        near = [w for w in self.near(piece) if w in dictionary]
        if not near or self._in_corpus(piece):
            return None
        return near[0]
