"""Thai word tokens for BM25: pythainlp newmm, stop-words out, digits Arabic."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

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


class WordSet:
    """pythainlp's word dictionary with the interface newmm uses of its ``Trie``
    (``prefixes``, ``in``, iteration), built from two sets: the words and every
    prefix of one. Built in ~0.2 s where the trie takes ~0.6 s at every start;
    the tokens are the same (tests/test_tokens.py)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(w.strip() for w in words) - {""}
        self._stems = frozenset(w[:i] for w in self._words for i in range(1, len(w) + 1))

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        """The dictionary words that begin at ``text[start]``, shortest first."""
        out = []
        for end in range(start + 1, len(text) + 1):
            stem = text[start:end]
            if stem not in self._stems:
                break
            if stem in self._words:
                out.append(stem)
        return out

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


NOMINALISERS = ("ความ", "การ")  # prefixes that make a noun of a verb or an adjective: "ความปลอดภัย", "การพัฒนา"


def nominal_base(word: str) -> str:
    """The word with its nominaliser set aside: "การพัฒนา" -> "พัฒนา" (the same concept, as a verb)."""
    return next((word[len(p):] for p in NOMINALISERS if word.startswith(p) and len(word) > len(p)), word)


def compound_head(word: str, piece: str) -> bool:
    """``piece`` is ``word``'s head: it starts the word and the rest (if any) is a dictionary word. Thai
    compounds put the head first: "โรค" of "โรคติดเชื้อ", "ภาษา" of "ภาษาอังกฤษ"."""
    return word.startswith(piece) and (len(word) == len(piece) or word[len(piece):] in words())


def carries(word: str, piece: str) -> bool:
    """``piece`` carries ``word``'s meaning: no more dictionary words hold it than hold the rest of the
    word on one side of it ("วินัย" of "ระเบียบวินัย", "ผู้นำ" of "ภาวะผู้นำ", "ประกัน" of
    "ระบบประกันคุณภาพ"); a piece many words are built with says little of which word it is in
    ("ศาสตร์" of "ประวัติศาสตร์": 172 dictionary words hold it, 30 hold "ประวัติ")."""
    at = word.find(piece)
    if at < 0:
        return False
    rest = [part for part in (word[:at], word[at + len(piece):]) if part]
    return not rest or spread(piece) <= max(spread(part) for part in rest)


@lru_cache(maxsize=8192)
def spread(piece: str) -> int:
    """How many dictionary words hold ``piece``."""
    return sum(1 for w in words() if piece in w)


_WORDS_LOCK = threading.Lock()


# a question ends in one of these words, often followed by a polite particle: no dictionary word may join
# the end of the one to the start of the other (pythainlp's list holds "นคะ", and newmm read "เขตไหนคะ"
# as "เขต ไห นคะ": the which-question lost its "ไหน" and gained two topic words)
QUESTION_ENDS = ("ไหน", "ไหม", "มั้ย", "อะไร", "ใคร", "เท่าไร", "เท่าไหร่", "อย่างไร", "ยังไง", "บ้าง", "มั่ง",
                 "เมื่อไร", "เมื่อไหร่", "หรือเปล่า", "ที่ไหน")
PARTICLES = ("คะ", "ค่ะ", "ครับ", "คับ", "นะ", "นะคะ", "นะครับ", "จ้ะ", "จ๊ะ", "จ้า", "อ่ะ", "อะ", "เหรอ")


@lru_cache(maxsize=1)
def _words() -> Any:
    from pythainlp.corpus import thai_words

    raw = thai_words()
    found = WordSet(raw)
    bad = straddling(found)
    return WordSet(w for w in raw if w not in bad) if bad else found


def straddling(dictionary: Any) -> set[str]:
    """The dictionary words newmm reads across a question word and the particle after it."""
    from pythainlp.tokenize import word_tokenize as newmm

    bad = set()
    for q in QUESTION_ENDS:
        for p in PARTICLES:
            at = 0
            for t in newmm(q + p, custom_dict=dictionary, engine="newmm"):
                if at < len(q) < at + len(t) and (at > 0 or t != q + p):
                    bad.add(t)
                at += len(t)
    return bad


def words() -> Any:
    """The one word dictionary every newmm call in the project uses (built once, shared
    by threads: a second caller waits for the first build instead of starting its own)."""
    with _WORDS_LOCK:
        return _words()


def word_tokenize(text: str, keep_whitespace: bool = False) -> list[str]:
    """pythainlp's newmm over the shared dictionary."""
    from pythainlp.tokenize import word_tokenize as newmm

    return newmm(text, custom_dict=words(), engine="newmm", keep_whitespace=keep_whitespace)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())


def tokenize(text: str, drop_stopwords: bool = True) -> list[str]:
    """Tokens of ``text`` as BM25 indexes and queries them.

    >>> tokenize("สำนักงานใดเน้นความปลอดภัยของนักเรียน")
    ['สำนักงาน', 'ใด', 'ความปลอดภัย', 'นักเรียน']
    """
    stop = _stopwords() if drop_stopwords else frozenset()
    out: list[str] = []
    for line in text.split("\n"):
        norm = normalize_query(line).lower()
        if not norm:
            continue
        for piece in pieces(norm):
            for tok in word_tokenize(piece):
                tok = _KEEP.sub("", tok)
                if tok and tok not in stop and tok != "ๆ":
                    out.append(tok)
    return out


def dictionary_share(texts: Iterable[str], is_letter: Callable[[str], bool]) -> float:
    """The share of the letters of ``texts`` (those ``is_letter`` counts) that fall in words of
    pythainlp's dictionary, each text cut by newmm (1.0 when there is no such letter: nothing to
    judge). A misread text (lost or misplaced marks, broken letters) makes pieces that are no word."""
    known = words()
    letters = inside = 0
    for text in texts:
        for token in word_tokenize(text):
            n = sum(1 for c in token if is_letter(c))
            letters += n
            inside += n if token in known else 0
    return inside / letters if letters else 1.0
