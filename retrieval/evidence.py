"""What a question asks for, in evidence terms: its topical words and the kind of fact."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ingest.normalize import normalize_query
from ingest.tokens import tokenize, word_tokenize
from ingest.units import Unit, units_of
from planqa.types import AbstainReason

__all__ = ["Unit", "units_of", "content_tokens", "topic_text", "missing_answer_type", "asks_for_fact", "counted_word"]

# question words and office words carry no evidence (English function words: scikit-learn's list)
_QUESTION_WORDS = frozenset(
    """อะไร อย่างไร ไหม หรือไม่ บ้าง ใด ไหน คือ มี เน้น เรื่อง เกี่ยวกับ สำนักงาน เขต พื้นที่ การศึกษา มัธยมศึกษา
    ส พม แผน ระบุ กล่าวถึง ข้อ ที่ ของ ใคร กี่ เท่าไร หลัก ทั้งหมด ด้าน ประการ วาง ไว้ กำหนด แบบ แบบไหน
    หมายถึง แปลว่า ความหมาย พูดถึง ให้ ความสำคัญ หน่วยงาน ต่าง อย่าง
    does did office offices plan plans mention mentions say says secondary education educational area areas
    district region use uses used
    และ หรือ ใน กับ แก่ จาก โดย เพื่อ ซึ่ง ได้ ให้ การ ความ เป็น ไป มา จะ ต้อง ควร ทุก ได้แก่ ตาม ต่อ
    ปี นี้ ปีนี้ ตอนนี้ ปัจจุบัน ล่าสุด ทั้ง ไหม ล่ะ ครับ ค่ะ คะ ที่นั่น ที่นี่ นั้น""".split()
)


# the English name of the offices' kind ("which service areas …", "secondary educational service area
# office"): the frame's "which offices", never a topic of "service"
_EN_OFFICE_KIND = re.compile(r"\b(?:secondary\s+)?(?:education(?:al)?\s+)?service[-\s]+areas?(?:\s+offices?)?\b", re.I)
# an English compound ("learner-centred", "results-based"): its parts, unless the glossary knows the whole
# or a part is a letter or two ("e-service")
_EN_COMPOUND = re.compile(r"\b([A-Za-z]{3,})-([A-Za-z]{3,})\b")


def _english_frame(text: str) -> str:
    """English ``text`` with the offices' kind named as plain "offices" and compounds cut at the hyphen."""
    from retrieval.glossary import EN_TH

    text = _EN_OFFICE_KIND.sub(" offices ", text)
    return _EN_COMPOUND.sub(lambda m: m.group(0) if m.group(0).lower() in EN_TH else f"{m.group(1)} {m.group(2)}", text)


def content_tokens(question: str, exclude: Sequence[str] = (), english: bool = False) -> list[str]:
    """The question's topical tokens: no section names, stop-words (pythainlp's list),
    question words, digits or ``exclude``d office names; English words also in Thai."""
    from retrieval.glossary import english_to_thai
    from retrieval.query import strip_section_phrases

    text = strip_section_phrases(question)
    if english:  # known English words are replaced by their Thai terms
        from retrieval.glossary import EN_TH

        text = _english_frame(text)
        thai = english_to_thai(text)
        text = re.sub(r"[A-Za-z][A-Za-z0-9-]*", lambda m: " " if m.group(0).lower() in EN_TH else m.group(0), text)
        text += " " + thai
    skip = _name_tokens(tuple(exclude))
    stop = _frame_words(english=True)
    toks = [t for t in tokenize(text) if t not in stop and t not in skip and not t.isdigit()]
    return list(dict.fromkeys(toks))


@lru_cache(maxsize=2)
def _frame_words(english: bool) -> frozenset[str]:
    """The question words, and with ``english`` English function words too ("or", "as", "up", "among":
    scikit-learn's list): a question's frame, never its topic."""
    if not english:
        return _QUESTION_WORDS
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return _QUESTION_WORDS | frozenset(ENGLISH_STOP_WORDS)


def topic_text(question: str, mentions: Sequence[str] = (), english: bool = False) -> str:
    """The question less its frame, as written: office mentions, question words ("เขตไหน", "บ้าง",
    "which offices") and, in English, function words cut out; the other words kept in their order,
    stop-words inside a compound too ("ออก" of "ออกกลางคัน"). What an office's own plan is searched
    and its quotes are compared with in meaning, so that "ใครมีแผน…บ้าง" and "เขตไหนเน้น…" weigh
    the same topic."""
    text = normalize_query(question)
    for mention in sorted(mentions, key=len, reverse=True):
        text = text.replace(mention, " ")
    if english:
        text = _english_frame(text)
    stop = _frame_words(english)

    def frame(token: str) -> bool:  # a question word, or two run together ("มีแผน", "สำนักงานเขต")
        t = token.strip().lower()
        return t in stop or any(t[:i] in stop and t[i:] in stop for i in range(1, len(t)))

    kept = [t for t in word_tokenize(text, keep_whitespace=True) if not frame(t)]
    topic = re.sub(r"\s+", " ", "".join(kept)).strip(" ?？")
    return topic or question


@lru_cache(maxsize=16)
def _name_tokens(names: tuple[str, ...]) -> frozenset[str]:
    """The words of the office names (tokenised once per set of known offices, not per question)."""
    return frozenset(t for name in names for t in tokenize(name))


# a figure asked for must be in the quote: money needs an amount of money,
# a count a number of people/schools/places; "กี่ข้อ/กี่ด้าน" asks for a list
_MONEY_ASK = re.compile(r"งบประมาณ|ค่าใช้จ่าย|บาท|budget|how much money|cost|spend")
_COUNT_ASK = re.compile(
    r"กี่\s*(คน|โรง|แห่ง|ครั้ง|เครื่อง|หลัง|ห้อง)|จำนวน\S*.*(เท่าไร|เท่าใด|กี่)|"
    r"how many (school|student|teacher|people|staff|pupil|classroom)"
)
_FIGURE_ASK = re.compile(r"เท่าไร|เท่าใด|กี่\s*(เปอร์เซ็นต์|%)|how much|what percent")
_PERSON_ASK = re.compile(r"ใคร(?!่)|ชื่อ(อะไร)?\s*$|who\b|ผู้อำนวยการ(เขต|สำนักงาน)?\s*(คือ|ชื่อ)|name of")
# "address" asks for one as a noun ("the address of"), not as a verb ("which offices address drug abuse")
_CONTACT_ASK = re.compile(r"เบอร์|โทรศัพท์|อีเมล|e-?mail|phone|ที่อยู่|ตั้งอยู่|เว็บไซต์|website|"
                          r"\b(?:the|its|their|an?|postal|mailing|office|contact) address|\baddress(?:es)? (?:of|for)\b")
_DATE_ASK = re.compile(r"เมื่อไร|เมื่อไหร่|วันที่|วันไหน|when\b|what date|ปีไหน")
_PERSON = re.compile(r"(นาย|นางสาว|นาง|ดร\.|ว่าที่)\s*\S+")
_DATE = re.compile(r"(พ\.ศ\.|ค\.ศ\.)\s*\d{4}|\d{1,2}\s*(ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|มกราคม|กุมภาพันธ์|มีนาคม|เมษายน)")
_CONTACT = re.compile(r"\d{2,3}[- ]?\d{3}[- ]?\d{3,4}|@|www\.|https?://|ถนน|ตำบล|อำเภอ|หมู่")
_MONEY = re.compile(r"\d[\d,.]*\s*(บาท|ล้าน|baht|million)")
_COUNT = re.compile(r"\d[\d,]*\s*(คน|โรง|แห่ง|ครั้ง|เครื่อง|หลัง|ห้อง|schools?|students?|teachers?)")
_FIGURE = re.compile(r"\d[\d,.]*\s*(บาท|ล้าน|แห่ง|โรง|คน|ครั้ง|%)|ร้อยละ\s*\d")


def missing_answer_type(question: str, units: Sequence[Unit], which: bool = False) -> AbstainReason | None:
    """Why the evidence cannot answer the kind of fact asked, or None.

    A question for a number, a person, a contact or a date needs evidence
    that contains one; plans rarely hold budgets, school counts or phones.
    ``which``: the question asks which offices, so its "who" is an office, not a person.
    """
    q = question.lower()
    text = " ".join(u.text for u in units)
    if _CONTACT_ASK.search(q) and not _CONTACT.search(text):
        return AbstainReason.CONTACT
    if not which and _PERSON_ASK.search(q) and not _PERSON.search(text):
        return AbstainReason.PERSON
    if _DATE_ASK.search(q) and not _DATE.search(text):
        return AbstainReason.DATE
    for asks, needs in ((_MONEY_ASK, _MONEY), (_COUNT_ASK, _COUNT), (_FIGURE_ASK, _FIGURE)):
        if asks.search(q):
            return None if needs.search(text) else AbstainReason.NUMBER
    return None


def asks_for_fact(question: str, which: bool = False) -> bool:
    """The question asks for a figure, a person, a contact or a date (``which``: as in
    ``missing_answer_type``, its "who" is an office)."""
    q = question.lower()
    asks = (_CONTACT_ASK, _DATE_ASK, _MONEY_ASK, _COUNT_ASK, _FIGURE_ASK) + (() if which else (_PERSON_ASK,))
    return any(p.search(q) for p in asks)


def counted_word(question: str) -> str:
    """The counting word of a "กี่ X" count question ("กี่โรง" -> "โรง", "กี่คน" -> "คน"), or "":
    it frames the fact asked, it is not the question's topic."""
    m = _COUNT_ASK.search(question.lower())
    return (m.group(1) or "") if m else ""
