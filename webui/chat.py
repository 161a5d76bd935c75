"""The chat turn: stream a cited answer into the conversation, then its sources.

Messages are plain ``{"role", "content", "metadata"}`` dicts (what the Gradio
Chatbot takes), so this module needs no Gradio and is tested directly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from planqa.errors import DiskFull, IndexBusy, IndexNotReady, InvalidInput, PlanQAError
from planqa.types import Answer
from webui import render
from webui.documents import UploadRefused
from webui.services import Services

log = logging.getLogger(__name__)
INTERNAL_ERROR = "ขออภัย เกิดข้อผิดพลาดภายในระบบ กรุณาลองใหม่อีกครั้ง"
FIRST_INGEST = "กำลังนำเข้าเอกสารครั้งแรก กรุณารอสักครู่แล้วถามใหม่"
Turn = tuple[list[Any], list[str], str]  # (chat messages, questions asked so far, text box)


def thai_error(exc: Exception) -> str:
    """What a user sees for an exception: our own errors' message, never a trace."""
    if isinstance(exc, UploadRefused):
        return str(exc)
    if isinstance(exc, InvalidInput):
        return exc.thai
    if isinstance(exc, IndexNotReady):
        return "กำลังสร้างดัชนีใหม่ กรุณาถามอีกครั้งในอีกสักครู่"
    if isinstance(exc, IndexBusy):
        return "มีการนำเข้าเอกสารอื่นกำลังทำงานอยู่ กรุณารอสักครู่แล้วลองใหม่"
    if isinstance(exc, DiskFull):
        return "พื้นที่ดิสก์ของดัชนีเต็ม กรุณาแจ้งผู้ดูแลระบบ (ดัชนีเดิมยังใช้งานได้)"
    if isinstance(exc, PlanQAError):
        return f"ดำเนินการไม่สำเร็จ: {exc}"
    log.error("unexpected error", exc_info=exc)
    return INTERNAL_ERROR


def _bot(content: str, title: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if title:
        message["metadata"] = {"title": title, "status": "done"}
    return message


def respond(services: Services, message: str, history: Sequence[Any] | None, asked: Sequence[str],
            offices: Sequence[str] | None) -> Iterator[Turn]:
    """Stream the answer line by line, then one collapsible message per cited source.

    ``asked`` holds the earlier questions as typed (the chat shows them
    escaped); they go to the answerer so follow-ups are understood.
    """
    question = (message or "").strip()
    chat, asked = list(history or []), list(asked or [])
    if not question:
        yield chat, asked, ""
        return
    chat.append({"role": "user", "content": render.user_html(question)})
    yield chat, asked, ""
    if services.docs.state.running and services.docs.is_empty():
        yield [*chat, _bot(render.answer_html(FIRST_INGEST))], asked, ""
        return
    text, answer = "", None
    try:
        for piece in services.qa.stream(question, history=asked, offices=list(offices or []) or None):
            if isinstance(piece, Answer):
                answer = piece
            else:
                text += piece
                yield [*chat, _bot(render.answer_html(text))], asked, ""
    except Exception as exc:
        yield [*chat, _bot(render.answer_html(thai_error(exc)))], asked, ""
        return
    if answer is None:  # the stream always ends with one; be safe all the same
        yield [*chat, _bot(render.answer_html(text))], [*asked, question], ""
        return
    chat.append(_bot(render.answer_html(answer.text)))
    short = {o.name: o.short for o in services.qa.offices()}
    for c in answer.citations:
        title = render.citation_title(c, short.get(c.office, ""))
        chat.append(_bot(render.citation_html(c, services.settings.corpus_dir), title))
    yield chat, [*asked, question], ""
