"""What a question, its history and an office filter may be: checked once, at the service's door."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planqa.errors import InvalidInput
from retrieval.followup import history_questions
from retrieval.hybrid import RETRIEVERS, Retriever
from retrieval.query import KnownOffice

MAX_QUESTION_CHARS = 2000
MAX_HISTORY = 20  # earlier questions kept (the last ones); each is capped like a question
MAX_K = 100  # passages one search may return (Settings.top_k has the same bound)


def text(value: Any, what: str, thai: str) -> str:
    """``value`` as text a question may be: a string of valid Unicode (no lone surrogates)."""
    if not isinstance(value, str):
        raise InvalidInput(f"the {what} must be text, not {type(value).__name__}", f"{thai}ต้องเป็นข้อความ")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"the {what} is not valid Unicode text (it holds bytes that are not UTF-8)",
                           f"{thai}มีอักขระที่ไม่ถูกต้อง (ไม่ใช่ UTF-8)") from None
    return value


def k(value: Any, default: int) -> int:
    """How many passages: a whole number from 1 to ``MAX_K``; ``None`` means ``default``."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and 1 <= value <= MAX_K:
            return int(value)
        raise InvalidInput(f"k must be a whole number from 1 to {MAX_K}, not {str(value)[:40]!r}",
                           f"จำนวนผลลัพธ์ (k) ต้องเป็นจำนวนเต็มตั้งแต่ 1 ถึง {MAX_K}")
    if not 1 <= value <= MAX_K:
        raise InvalidInput(f"k must be from 1 to {MAX_K}, not {value}",
                           f"จำนวนผลลัพธ์ (k) ต้องอยู่ระหว่าง 1 ถึง {MAX_K} (ได้รับ {value})")
    return value


def retriever(value: Any) -> Retriever:
    """Which ranking: one of ``RETRIEVERS``."""
    if not isinstance(value, str) or value not in RETRIEVERS:
        raise InvalidInput(f"retriever {str(value)[:40]!r} is not one of {', '.join(RETRIEVERS)}",
                           f"วิธีค้นคืนต้องเป็นหนึ่งใน {', '.join(RETRIEVERS)}")
    return Retriever(value)


def sections(value: Any) -> tuple[str, ...]:
    """A section filter: section headings, as text."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput("sections must be a list of section headings", "ตัวกรองหัวข้อต้องเป็นรายการชื่อหัวข้อ")
    return tuple(dict.fromkeys(text(v, "section", "หัวข้อ") for v in value))


def question(value: Any) -> str:
    return text(value, "question", "คำถาม")[:MAX_QUESTION_CHARS]


def history(value: Any) -> tuple[str, ...]:
    """The earlier user questions: the last ``MAX_HISTORY``, each capped like a question."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput("the history must be a list of earlier questions", "ประวัติการสนทนาต้องเป็นรายการคำถาม")
    turns = history_questions(list(value)[-2 * MAX_HISTORY :])
    return tuple(text(t, "history", "ประวัติการสนทนา")[:MAX_QUESTION_CHARS] for t in turns[-MAX_HISTORY:])


def offices(value: Any, known: Sequence[KnownOffice]) -> tuple[str, ...]:
    """An office filter: names of offices in the index (each at most once)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput("offices must be a list of office names", "ตัวกรองสำนักงานต้องเป็นรายการชื่อสำนักงาน")
    names = {o.name for o in known}
    if len(value) > max(len(names), 1):
        raise InvalidInput(f"{len(value)} offices given; the index has {len(names)}",
                           f"เลือกสำนักงานมา {len(value)} แห่ง แต่ในดัชนีมีเพียง {len(names)} แห่ง")
    out = []
    for v in value:
        name = text(v, "office name", "ชื่อสำนักงาน")
        if name not in names:
            raise InvalidInput(f"no office {name[:80]!r} in the index", f"ไม่พบสำนักงาน “{name[:80]}” ในดัชนี")
        out.append(name)
    return tuple(dict.fromkeys(out))
