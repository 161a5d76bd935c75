"""Evidence units: the quotable pieces of retrieved chunks, and their support.

A unit is an item with its continuation lines, or a run of body lines, with
its exact line span in the original file, so every quote can be cited.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.lexical import LexicalIndex
from ingest.normalize import normalize_line
from ingest.sections import SECTION_WORDS
from ingest.structure import item_number, section_kind_of_heading
from ingest.tokens import tokenize
from planqa.types import Chunk, Hit

# question words and office words carry no evidence
_QUESTION_WORDS = frozenset(
    """อะไร อย่างไร ไหม หรือไม่ บ้าง ใด ไหน คือ มี เน้น เรื่อง เกี่ยวกับ สำนักงาน เขต พื้นที่ การศึกษา มัธยมศึกษา
    ส พม แผน ระบุ กล่าวถึง ข้อ ที่ ของ ใคร กี่ เท่าไร หลัก ทั้งหมด ด้าน ประการ วาง ไว้ กำหนด แบบ แบบไหน
    หมายถึง แปลว่า ความหมาย พูดถึง ให้ ความสำคัญ หน่วยงาน ต่าง อย่าง
    what which is are the of does do did office offices plan plans mention mentions about say says
    secondary education educational area service district region how in for to and a an its their
    have has with on by this that there use uses used
    และ หรือ ใน กับ แก่ จาก โดย เพื่อ ซึ่ง ได้ ให้ การ ความ เป็น ไป มา จะ ต้อง ควร ทุก ได้แก่ ตาม ต่อ
    ปี นี้ ปีนี้ ตอนนี้ ปัจจุบัน ล่าสุด ทั้ง ไหม ล่ะ ครับ ค่ะ คะ ที่นั่น ที่นี่ นั้น""".split()
)
TITLE_WEIGHT = 0.5  # a word found only in the section title supports an item half as much
UNSEEN_WEIGHT = 0.5  # a word found nowhere in the corpus counts half (often a paraphrase)


@dataclass(frozen=True, slots=True)
class Unit:
    chunk: Chunk
    start_line: int
    end_line: int
    text: str  # normalised, for display
    raw: str  # exact original lines, for the citation
    item: str | None
    tokens: frozenset[str]  # the unit's own words
    is_heading: bool = False
    title_tokens: frozenset[str] = frozenset()  # its section title's words


def units_of(chunk: Chunk) -> list[Unit]:
    """Split a chunk into items (with continuation lines) and body lines.

    The section heading, and any preamble before it (a page title, the
    office name), become non-quotable units flagged ``is_heading``.
    """
    lines = chunk.text.split("\n")
    groups: list[list[int]] = []
    label_groups: set[int] = set()
    heading_at = next(
        (i for i, x in enumerate(lines) if chunk.section and normalize_line(x) and section_kind_of_heading(normalize_line(x))),
        None,
    )
    blanks = 0
    for i, line in enumerate(lines):
        norm = normalize_line(line)
        if not norm:
            blanks += 1
            continue
        # after a wide gap (two blank lines) a new block starts, e.g. a signature
        detached = blanks >= 2 and not norm.startswith(("-", "•", "*", "–"))
        blanks = 0
        is_label = (heading_at is not None and i <= heading_at) or section_kind_of_heading(norm) is not None
        if is_label:
            label_groups.add(len(groups))
            groups.append([i])
        elif item_number(norm) is not None or detached or not groups or (len(groups) - 1) in label_groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    units = []
    for gi, g in enumerate(groups):
        raw_lines = lines[g[0] : g[-1] + 1]
        raw = "\n".join(raw_lines).strip()
        text = " ".join(n for n in (normalize_line(x) for x in raw_lines) if n).strip("“”\"")
        units.append(
            Unit(
                chunk=chunk,
                start_line=chunk.start_line + g[0],
                end_line=chunk.start_line + g[-1],
                text=text,
                raw=raw,
                item=item_number(normalize_line(lines[g[0]])),
                tokens=frozenset(tokenize(text, drop_stopwords=False)),
                title_tokens=_title_tokens(chunk.section),
                is_heading=gi in label_groups,
            )
        )
    return units


def _title_tokens(title: str) -> frozenset[str]:
    """A section title's words support its items ("กลยุทธ์ที่ 4 การสร้างความปลอดภัย")."""
    return frozenset(tokenize(title)) if title else frozenset()


def content_tokens(question: str, exclude: Sequence[str] = (), english: bool = False) -> list[str]:
    """The question's topical tokens: no section names, question words,
    digits or ``exclude``d office names; English words also in Thai."""
    from retrieval.glossary import english_to_thai
    from retrieval.query import strip_section_phrases

    text = strip_section_phrases(question)
    if english:  # known English words are replaced by their Thai terms
        from retrieval.glossary import EN_TH

        thai = english_to_thai(text)
        text = re.sub(r"[A-Za-z][A-Za-z0-9-]*", lambda m: " " if m.group(0).lower() in EN_TH else m.group(0), text)
        text += " " + thai
    skip = {t for name in exclude for t in tokenize(name)}
    toks = [t for t in tokenize(text, drop_stopwords=False)
            if t not in _QUESTION_WORDS and t not in skip and not t.isdigit()]
    return list(dict.fromkeys(toks))


class Weigher:
    """IDF weights of question tokens over the indexed chunks."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self._cache: dict[str, float] = {}
        self._seen: dict[str, bool] = {}
        self._version: str | None = None

    def refresh(self) -> None:
        """Forget the weights when an ingest run has changed the index since."""
        from ingest.index import DOCUMENTS_VERSION

        version = self.lexical.get_meta(DOCUMENTS_VERSION)
        if version != self._version:
            self._cache.clear()
            self._seen.clear()
            self._version = version

    def idf(self, token: str) -> float:
        if token not in self._cache:
            n = max(1, self.lexical.chunk_count())
            df = self.lexical.doc_freq(token)
            idf = math.log(1 + (n - max(df, 1) + 0.5) / (max(df, 1) + 0.5))
            self._cache[token] = idf * (UNSEEN_WEIGHT if df == 0 else 1.0)
        return self._cache[token]

    def unseen(self, token: str) -> bool:
        """In no indexed chunk at all, not even inside a longer word."""
        if token not in self._seen:
            self._seen[token] = not (self._in_corpus(token) or self._parts_in_corpus(token))
        return self._seen[token]

    def _in_corpus(self, text: str) -> bool:
        return self.lexical.has_prefix(text) or self.lexical.contains_text(text)

    def _parts_in_corpus(self, token: str) -> bool:
        """A compound whose two dictionary words both occur is a rephrasing
        ("ผลสอบ": ผล + สอบ of "ผลการทดสอบ"); "ภาษาจีน" is not (no จีน anywhere)."""
        from pythainlp.corpus import thai_words

        words = thai_words()
        return any(
            token[:i] in words and token[i:] in words and self._in_corpus(token[:i]) and self._in_corpus(token[i:])
            for i in range(2, len(token) - 1)
        )

    def coverage(self, q_tokens: Sequence[str], unit: Unit | frozenset[str]) -> float:
        """Share of the question's (IDF-weighted) content found in the unit;
        words only in its section title count ``TITLE_WEIGHT``."""
        if isinstance(unit, Unit):
            own, title, text = unit.tokens, unit.title_tokens, unit.text.lower()
        else:
            own, title, text = unit, frozenset(), ""
        topical = [t for t in q_tokens if t not in SECTION_WORDS]
        if not topical:
            return 0.0
        total = sum(self.idf(t) for t in topical)
        got = 0.0
        for t in topical:
            if _supported(t, own, text):
                got += self.idf(t)
            elif _supported(t, title):
                got += self.idf(t) * TITLE_WEIGHT
        return got / total if total else 0.0


def unsupported_topic(q_tokens: Sequence[str], weigher: Weigher, quoted: Sequence[Unit], nouns: frozenset[str]) -> list[str]:
    """The question's nouns that no indexed chunk holds and no quoted unit supports:
    the plans never mention the topic ("สระว่ายน้ำ", "ฟุตบอล"), whatever else matched.

    Checked only for answers that rest on partial support; it costs a paraphrase
    now and then ("นิสัย" for "วัฒนธรรม"), and that is the side to err on.
    """
    return [t for t in q_tokens
            if t not in SECTION_WORDS and len(t) >= 2 and t in nouns and weigher.unseen(t)
            and not any(_supported(t, u.tokens, u.text.lower()) for u in quoted)]


def nouns(question: str) -> frozenset[str]:
    """The question's words tagged NOUN or PROPN in context (pythainlp perceptron, ORCHID UD)."""
    from pythainlp.tag import pos_tag

    words = tokenize(question, drop_stopwords=False)
    return frozenset(w for w, tag in pos_tag(words, corpus="orchid_ud") if tag in ("NOUN", "PROPN"))


def _supported(token: str, unit_tokens: frozenset[str], text: str = "") -> bool:
    """In the unit's words, inside one of them, or (segmentation differs) in its text."""
    from retrieval.glossary import equivalents

    return any(
        t in unit_tokens or _partial(t, unit_tokens) or (len(t) >= 3 and t in text) for t in equivalents(token)
    )


def _partial(token: str, unit_tokens: frozenset[str]) -> bool:
    """Thai compounds split differently: "ความปลอดภัย" vs "ปลอดภัย", "โรค" vs "โรคติดเชื้อ".

    The question's word may sit inside a longer unit word; a unit word may
    sit inside the question's only when it is long enough to mean something
    on its own (not "ความ", "การ").
    """
    if len(token) < 3:
        return False
    return any((token in u) or (len(u) >= 5 and u in token) for u in unit_tokens)


# a figure asked for must be in the quote: money needs an amount of money,
# a count a number of people/schools/places; "กี่ข้อ/กี่ด้าน" asks for a list
_MONEY_ASK = re.compile(r"งบประมาณ|ค่าใช้จ่าย|บาท|budget|how much money|cost|spend")
_COUNT_ASK = re.compile(
    r"กี่\s*(คน|โรง|แห่ง|ครั้ง|เครื่อง|หลัง|ห้อง)|จำนวน\S*.*(เท่าไร|เท่าใด|กี่)|"
    r"how many (school|student|teacher|people|staff|pupil|classroom)"
)
_FIGURE_ASK = re.compile(r"เท่าไร|เท่าใด|กี่\s*(เปอร์เซ็นต์|%)|how much|what percent")
_PERSON_ASK = re.compile(r"ใคร|ชื่อ(อะไร)?\s*$|who\b|ผู้อำนวยการ(เขต|สำนักงาน)?\s*(คือ|ชื่อ)|name of")
_CONTACT_ASK = re.compile(r"เบอร์|โทรศัพท์|อีเมล|e-?mail|phone|ที่อยู่|address|ตั้งอยู่|เว็บไซต์|website")
_DATE_ASK = re.compile(r"เมื่อไร|เมื่อไหร่|วันที่|วันไหน|when\b|what date|ปีไหน")
_PERSON = re.compile(r"(นาย|นางสาว|นาง|ดร\.|ว่าที่)\s*\S+")
_DATE = re.compile(r"(พ\.ศ\.|ค\.ศ\.)\s*\d{4}|\d{1,2}\s*(ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|มกราคม|กุมภาพันธ์|มีนาคม|เมษายน)")
_CONTACT = re.compile(r"\d{2,3}[- ]?\d{3}[- ]?\d{3,4}|@|www\.|https?://|ถนน|ตำบล|อำเภอ|หมู่")
_MONEY = re.compile(r"\d[\d,.]*\s*(บาท|ล้าน|baht|million)")
_COUNT = re.compile(r"\d[\d,]*\s*(คน|โรง|แห่ง|ครั้ง|เครื่อง|หลัง|ห้อง|schools?|students?|teachers?)")
_FIGURE = re.compile(r"\d[\d,.]*\s*(บาท|ล้าน|แห่ง|โรง|คน|ครั้ง|%)|ร้อยละ\s*\d")


def missing_answer_type(question: str, units: Sequence[Unit]) -> str | None:
    """Why the evidence cannot answer the kind of fact asked, or None.

    A question for a number, a person, a contact or a date needs evidence
    that contains one; plans rarely hold budgets, school counts or phones.
    """
    q = question.lower()
    text = " ".join(u.text for u in units)
    if _CONTACT_ASK.search(q) and not _CONTACT.search(text):
        return "contact"
    if _PERSON_ASK.search(q) and not _PERSON.search(text):
        return "person"
    if _DATE_ASK.search(q) and not _DATE.search(text):
        return "date"
    for asks, needs in ((_MONEY_ASK, _MONEY), (_COUNT_ASK, _COUNT), (_FIGURE_ASK, _FIGURE)):
        if asks.search(q):
            return None if needs.search(text) else "number"
    return None


def rank_units(hits: Sequence[Hit], q_tokens: Sequence[str], weigher: Weigher) -> list[tuple[float, Unit, int]]:
    """(support, unit, hit rank) for the units of the hits, best first."""
    out = []
    for rank, hit in enumerate(hits, 1):
        for unit in units_of(hit.chunk):
            if unit.is_heading:
                continue
            out.append((weigher.coverage(q_tokens, unit), unit, rank))
    out.sort(key=lambda x: (-x[0], x[2], x[1].start_line))
    return out
