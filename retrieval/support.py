"""How much of a question a quotable unit supports: exactly, and in meaning.

A question's topical words (``QuestionTerms``) carry IDF weights over the
indexed chunks. A unit supports a word *exactly* when it holds the word (or a
near-synonym of the glossary, or the word inside a compound that holds it as a word), and *softly*
when it holds one of the word's nearest plan words (``retrieval.terms``),
with a strength that grows with how far that neighbour stands above the
word's background similarity. Coverage is the supported share of the
question's weight; these are features of the learned answer policy, not
thresholds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ingest.index import IndexWatch
from ingest.lexical import LexicalIndex
from ingest.sections import SECTION_WORDS
from ingest.tokens import carries, compound_head, tokenize
from retrieval.evidence import Unit
from retrieval.glossary import equivalents
from retrieval.terms import Match

_THAI = re.compile("[\u0e01-\u0e2e]")
_MARKS = re.compile("[\u0e48-\u0e4b]")  # the four tone marks: the marks a plan's typist slips on most
SLIP_MIN = 8  # a word this long is matched in a plan's text with its tone marks set aside
TITLE_WEIGHT = 0.5  # a word found only in the section title supports an item half as much
UNSEEN_WEIGHT = 0.5  # a word found nowhere in the corpus weighs half (often a paraphrase)
# soft-match strength: 0 at Z_LOW standard deviations above the word's background, 1 at Z_HIGH
# (read off the words of the README's probe: near-synonyms stand 3.5-4.6 above, unrelated words below 3)
Z_LOW, Z_HIGH = 2.5, 4.5
ABSENT_BELOW = 0.5  # an unseen noun whose nearest plan word is weaker than this names an absent topic


def strength(z: float) -> float:
    return min(1.0, max(0.0, (z - Z_LOW) / (Z_HIGH - Z_LOW)))


@dataclass(frozen=True, slots=True)
class Term:
    word: str
    weight: float  # IDF over the chunks (a word in no chunk: half its neighbour's, or the mean)
    in_corpus: bool  # the word, or both halves of a compound, occurs in some chunk
    noun: bool  # tagged NOUN/PROPN in the question
    neighbours: tuple[tuple[str, float], ...]  # (plan word, soft strength > 0), strongest first

    @property
    def best_neighbour(self) -> float:
        return self.neighbours[0][1] if self.neighbours else 0.0

    @property
    def unseen_noun(self) -> bool:
        """A Thai noun in no chunk (an English word is in no Thai plan whatever it means: that says nothing)."""
        return self.noun and not self.in_corpus and bool(_THAI.search(self.word))

    @property
    def absent(self) -> bool:
        """A topic no plan mentions: a noun in no chunk, with no plan word close to it in meaning."""
        return self.unseen_noun and self.best_neighbour < ABSENT_BELOW


@dataclass(frozen=True, slots=True)
class Support:
    exact: float  # share of the question's weight the unit holds (title words at TITLE_WEIGHT)
    soft: float  # ... counting plan words near in meaning at their strength
    title: float  # ... found only in the unit's section title
    words: tuple[float, ...]  # per topical word, its support in this unit (0..1)


class Weigher:
    """IDF weights and corpus presence of words, over the indexed chunks."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self._cache: dict[str, float] = {}
        self._seen: dict[str, bool] = {}
        self._chunks: int | None = None
        self._watch = IndexWatch(lexical, self._forget)

    def refresh(self) -> None:
        """Forget the weights when an ingest run has changed the index since."""
        self._watch.refresh()

    def _forget(self) -> None:
        self._cache.clear()
        self._seen.clear()
        self._chunks = None

    def chunks(self) -> int:
        """The chunks indexed (read once per index version)."""
        if self._chunks is None:
            self._chunks = self.lexical.chunk_count()
        return self._chunks

    def idf(self, token: str) -> float:
        if token not in self._cache:
            n = max(1, self.chunks())
            df = self.lexical.doc_freq(token)
            idf = math.log(1 + (n - max(df, 1) + 0.5) / (max(df, 1) + 0.5))
            self._cache[token] = idf * (UNSEEN_WEIGHT if df == 0 else 1.0)
        return self._cache[token]

    def unseen(self, token: str) -> bool:
        """In no indexed chunk at all, not even inside a longer word."""
        if token not in self._seen:
            self._seen[token] = not (self.in_corpus(token) or self._parts_in_corpus(token))
        return self._seen[token]

    def in_corpus(self, text: str) -> bool:
        """Some chunk holds ``text``, as a word, a word's start, or anywhere in its text."""
        return self.lexical.has_prefix(text) or self.lexical.contains_text(text)

    def _parts_in_corpus(self, token: str) -> bool:
        """A compound whose two dictionary words both occur is a rephrasing
        ("ผลสอบ": ผล + สอบ of "ผลการทดสอบ"); "ภาษาจีน" is not (no จีน anywhere)."""
        from pythainlp.corpus import thai_words

        words = thai_words()
        return any(
            token[:i] in words and token[i:] in words and self.in_corpus(token[:i]) and self.in_corpus(token[i:])
            for i in range(2, len(token) - 1)
        )

    def terms(self, tokens: Sequence[str], nouns: frozenset[str], matches: dict[str, list[Match]]) -> list[Term]:
        """The question's topical words (section names left out) with weights and neighbours."""
        out = []
        for t in tokens:
            if t in SECTION_WORDS:
                continue
            neighbours = tuple((m.term, s) for m in matches.get(t, []) if (s := strength(m.z)) > 0)
            in_corpus = not self.unseen(t)
            weight = self.idf(t)
            if self.lexical.doc_freq(t) == 0 and neighbours:  # weigh a paraphrase like the word it stands for
                weight = max(weight, UNSEEN_WEIGHT * self.idf(neighbours[0][0]))
            out.append(Term(t, weight, in_corpus, t in nouns, neighbours))
        return out


def support(terms: Sequence[Term], unit: Unit) -> Support:
    """How much of the question ``terms`` the unit supports."""
    if not terms:
        return Support(0.0, 0.0, 0.0, ())
    text = unit.text.lower()
    total = sum(t.weight for t in terms) or 1.0
    exact = soft = title = 0.0
    per_word = []
    for t in terms:
        if supported(t.word, unit.tokens, text):
            got = 1.0
            exact += t.weight
        elif supported(t.word, unit.title_tokens):
            got = TITLE_WEIGHT
            exact += t.weight * TITLE_WEIGHT
            title += t.weight
        else:
            got = max((s for w, s in t.neighbours if w in unit.tokens), default=0.0)
            near_title = max((s for w, s in t.neighbours if w in unit.title_tokens), default=0.0) * TITLE_WEIGHT
            got = max(got, near_title)
        soft += t.weight * got
        per_word.append(got)
    return Support(exact / total, soft / total, title / total, tuple(per_word))


def supported(token: str, unit_tokens: frozenset[str], text: str = "") -> bool:
    """In the unit's words, inside one of them as the plan means it, or (segmentation differs) in
    its text as a run of its words."""
    return any(t in unit_tokens or _partial(t, unit_tokens, text) for t in equivalents(token))


def _partial(token: str, unit_tokens: frozenset[str], text: str = "") -> bool:
    """Thai compounds split differently: "ความปลอดภัย" vs "ปลอดภัย", "โรค" vs "โรคติดเชื้อ".

    A unit word may sit inside the question's word when it is long enough to mean something on
    its own (not "ความ", "การ") and the question's word holds it as a word or it carries the word's
    meaning (``ingest.tokens.carries``): "ปลอดภัย" says "ความปลอดภัย", "วินัย" says "ระเบียบวินัย",
    "ศาสตร์" does not say "ประวัติศาสตร์". The question's word counts inside a longer
    unit word only where that word holds it as a word (``holds_word``): "อาชีพ" is not said by
    "มืออาชีพ", nor "ข่าย" by "เครือข่าย". Such a plan word supports the question's word in meaning
    only, as a neighbour (``retrieval.terms`` keeps a piece that carries the word's meaning).
    In the unit's text the word counts where the unit's words spell it ("ออกกลางคัน" written
    "ออก" + "กลางคัน"), and a long word where the text spells it but for a tone mark (``_slipped``).
    """
    if len(token) < 3:
        return False
    joined, long = _shape(unit_tokens)
    if any(u in token and (holds_word(token, u) or carries(token, u)) for u in long):
        return True
    if token in joined and _held(token, unit_tokens):
        return True
    if bool(text) and token in text and _spelt(token, unit_tokens):
        return True
    return bool(text) and _slipped(token, text)


def _slipped(token: str, text: str) -> bool:
    """The plan's text spells the word but for its tone marks, a slip of the plan's typist: "กระจ่ายอำนาจ"
    in a plan for "กระจายอำนาจ" (newmm then cuts it "กระ จ่าย อำนาจ", and no word of the unit is the
    question's). Only for a Thai word of ``SLIP_MIN`` characters or more, where the marks alone do not
    tell one word from another."""
    if len(token) < SLIP_MIN or not _THAI.match(token) or token in text:
        return False
    return _bare(token) in _bare(text)


@lru_cache(maxsize=20_000)
def _bare(text: str) -> str:
    return _MARKS.sub("", text)


@lru_cache(maxsize=100_000)
def _held(token: str, unit_tokens: frozenset[str]) -> bool:
    return any(token in u and holds_word(u, token) for u in unit_tokens)


@lru_cache(maxsize=100_000)
def holds_word(word: str, piece: str) -> bool:
    """``word`` holds ``piece`` as a word of its own: as its head (Thai compounds put the head first:
    "โรค" of "โรคติดเชื้อ", "ภาษา" of "ภาษาอังกฤษ"), or with nothing else but grammar around it (a
    nominaliser or other stop-word: "ปลอดภัย" of "ความปลอดภัย", "วินัย" of "มีวินัย"). A piece that
    another content word wraps is a different word ("อาชีพ" of "มืออาชีพ", "ชอบ" of "รับผิดชอบ")."""
    if compound_head(word, piece):
        return True
    at = word.find(piece)
    if at < 0:
        return False
    return not tokenize(word[:at]) and not tokenize(word[at + len(piece):])


def _spelt(token: str, unit_tokens: frozenset[str]) -> bool:
    """``token`` is a run of the unit's words (its segmentation split what the question's kept whole)."""
    n = len(token)
    reach = [True] + [False] * n
    for i in range(n):
        if reach[i]:
            for j in range(i + 1, n + 1):
                if not reach[j] and token[i:j] in unit_tokens:
                    reach[j] = True
    return reach[n]


@lru_cache(maxsize=100_000)
def _shape(unit_tokens: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """A unit's words joined (one substring test instead of one per word) and its words
    long enough to stand inside a question word: a "which office" question over a
    thousand plans tests tens of thousands of units."""
    return "\x00".join(unit_tokens), tuple(u for u in unit_tokens if len(u) >= 5)


def nouns(question: str) -> frozenset[str]:
    """The question's words tagged NOUN or PROPN in context (pythainlp perceptron, ORCHID UD)."""
    from pythainlp.tag import pos_tag

    from ingest.tokens import tokenize

    words = tokenize(question, drop_stopwords=False)
    return frozenset(w for w, tag in pos_tag(words, corpus="orchid_ud") if tag in ("NOUN", "PROPN"))
