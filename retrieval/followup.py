"""Rule-based rewrite of follow-up questions against the previous turns.

"แล้วเขต 20 ล่ะ" after "วิสัยทัศน์ของเขต 13 คืออะไร" becomes
"วิสัยทัศน์ของ เขต 20 คืออะไร"; "ข้อ 2 คืออะไร" after "พันธกิจของ
สพม.มุกดาหาร มีอะไรบ้าง" becomes "พันธกิจของ สพม.มุกดาหาร ข้อ 2";
"แล้วเรื่องภาษาอังกฤษล่ะ" after "สำนักงานใดเน้นความปลอดภัยของนักเรียน"
becomes "สำนักงานใดเน้นเรื่องภาษาอังกฤษ" (the frame stays, the topic is replaced).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ingest.normalize import normalize_query
from ingest.offices import find_office_spans
from retrieval.evidence import content_tokens
from retrieval.framing import asks_which
from retrieval.query import SECTION_PHRASES, section_intents, strip_section_phrases

_ELLIPTIC = re.compile(r"^(แล้ว|และ|ส่วน|ล่ะ|what about|and |how about)|(ล่ะ|ละ|หล่ะ|บ้างล่ะ)\s*[?？]?$", re.IGNORECASE)
_FILLER = re.compile(r"^(แล้ว|และ|ส่วน|what about|how about|and)\s*|\s*(ล่ะ|ละ|หล่ะ)\s*[?？]?$", re.IGNORECASE)


def history_questions(history: Sequence[Any] | None) -> list[str]:
    """User turns from a history given as strings, (user, bot) pairs or messages."""
    out: list[str] = []
    for turn in history or []:
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            if isinstance(content, str):
                out.append(content)
        elif isinstance(turn, list | tuple) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return [q for q in out if q.strip()]


def elliptic(question: str) -> bool:
    """The question leans on an earlier one: it starts or ends like a follow-up ("แล้ว... ล่ะ",
    "what about"), or names neither an office with a topic or section of its own nor two topic words."""
    q = normalize_query(question)
    if _ELLIPTIC.search(q):
        return True
    offices = [text for _, text in find_office_spans(q)]
    topic = content_tokens(strip_section_phrases(_without(q, offices)), english=not re.search("[\u0e01-\u0e4e]", q))
    if offices and (topic or section_intents(q)):
        return False  # "งบประมาณปี 2568 ของ สพม. เขต 4 เท่าไร": a question of its own
    return len(topic) < 2


def rewrite(question: str, history: Sequence[Any] | None) -> str:
    """The question made self-contained, or unchanged when it already is."""
    previous = history_questions(history)
    if not previous or not elliptic(question):
        return question
    q = normalize_query(question)
    offices = [text for _, text in find_office_spans(q)]
    has_office = bool(offices)
    has_section = bool(section_intents(q))
    base = normalize_query(previous[-1])
    new_parts: list[str] = []
    if has_office:  # the same question about another office: it takes the earlier office's place
        earlier = [text for _, text in find_office_spans(base)]
        if earlier:
            base = _without(base.replace(earlier[0], " ".join(offices), 1), earlier[1:])
        else:
            new_parts.extend(offices)
        q = _without(q, offices)
    if has_section:  # the same office, another section: it takes the earlier section's place
        asked = [m.group(0) for m in SECTION_PHRASES.finditer(q)]
        earlier = [m.group(0) for m in SECTION_PHRASES.finditer(base)]
        if earlier and asked:
            base = strip_section_phrases(base.replace(earlier[0], "\x00", 1)).replace("\x00", " ".join(asked))
            q = strip_section_phrases(q)
        else:
            base = strip_section_phrases(base)
    rest = _FILLER.sub("", q).strip(" ?？")
    # "แล้ว <topic> ล่ะ" after a question with a frame of its own (which offices, or one named office):
    # the same question about another topic
    framed = asks_which(base) or bool(find_office_spans(base))
    if not (has_office or has_section) and framed and _ELLIPTIC.search(q) and _topic(rest):
        base, rest = _switch_topic(base, rest), ""
    return re.sub(r"\s+", " ", " ".join([base.strip(" ?？"), *new_parts, rest])).strip()


def _topic(text: str) -> list[str]:
    """The topic words of ``text``: its content words once office mentions are set aside."""
    offices = [t for _, t in find_office_spans(text)]
    return content_tokens(strip_section_phrases(_without(text, offices)), english=not re.search("[\u0e01-\u0e4e]", text))


def _switch_topic(base: str, topic: str) -> str:
    """"แล้วเรื่องภาษาอังกฤษล่ะ" after "สำนักงานใดเน้นความปลอดภัยของนักเรียน": the earlier question's
    frame and office stay, the run of words from its first topic word to its last is the new topic."""
    from ingest.tokens import tokenize, word_tokenize

    old = set(_topic(base))
    words = word_tokenize(base, keep_whitespace=True)
    marks = [i for i, w in enumerate(words) if (t := tokenize(w)) and t[0] in old]
    if not marks:
        return f"{base} {topic}"
    return "".join(words[: marks[0]]) + topic + "".join(words[marks[-1] + 1 :])


def _without(text: str, spans: Sequence[str]) -> str:
    """``text`` with the office mentions ``spans`` (as written in it) blanked out."""
    for span in sorted(spans, key=len, reverse=True):
        text = text.replace(span, " ")
    return text
