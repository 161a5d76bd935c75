"""The chat turn: stream a cited answer into the conversation, then its sources.

Messages are plain ``{"role", "content", "metadata"}`` dicts (what the Gradio
Chatbot takes), so this module needs no Gradio and is tested directly. A
message's content is the text itself (Markdown-safe, never HTML), so copying a
message gives the answer with its [n] markers and sources, and a screen reader
reads words, not markup; the browser turns each [n] into a chip
(``webui/page.py``). Only a source's passage viewer is HTML.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from planqa.errors import DiskFull, IndexBusy, IndexNotReady, InvalidInput, PlanQAError
from planqa.types import Answer
from retrieval.inputs import recent
from webui import history as history_store
from webui import render
from webui.documents import UploadRefused
from webui.services import Services

log = logging.getLogger(__name__)
INTERNAL_ERROR = "ขออภัย เกิดข้อผิดพลาดภายในระบบ กรุณาลองใหม่อีกครั้ง"
FIRST_INGEST_WAIT = 120.0  # seconds a question waits for the first ingest before it is asked to come back
# (chat messages, questions asked so far, text box, answered turns for export)
Turn = tuple[list[Any], list[str], str, list[dict[str, Any]]]


# what a user sees for each of our errors that has no message of its own in Thai (first match wins)
_THAI_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (IndexNotReady, "กำลังสร้างดัชนีใหม่ กรุณาถามอีกครั้งในอีกสักครู่"),
    (IndexBusy, "มีการนำเข้าเอกสารอื่นกำลังทำงานอยู่ กรุณารอสักครู่แล้วลองใหม่"),
    (DiskFull, "พื้นที่ดิสก์ของดัชนีเต็ม กรุณาแจ้งผู้ดูแลระบบ (ดัชนีเดิมยังใช้งานได้)"),
)


def thai_error(exc: Exception) -> str:
    """What a user sees for an exception: our own errors' message, never a trace."""
    if isinstance(exc, UploadRefused):
        return str(exc)
    if isinstance(exc, InvalidInput):
        return exc.thai
    for kind, text in _THAI_ERRORS:
        if isinstance(exc, kind):
            return text
    if isinstance(exc, PlanQAError):
        return f"ดำเนินการไม่สำเร็จ: {exc}"
    log.error("unexpected error", exc_info=exc)
    return INTERNAL_ERROR


def _bot(content: str, title: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if title:
        message["metadata"] = {"title": title, "status": "done"}
    return message


def reading(answer: Answer) -> str:
    """How a follow-up was read, when it was read as more than it says."""
    rewritten = (answer.rewritten_question or "").strip()
    if rewritten and " ".join(rewritten.split()) != " ".join(answer.question.split()):
        return f"ตีความคำถามว่า: “{rewritten}”"
    return ""


def answer_message(answer: Answer, short: dict[str, str]) -> str:
    """The answer bubble: the answer, how the question was read, and its sources, as plain text."""
    parts = [render.plain(answer.text.strip())]
    if how := reading(answer):
        parts.append(render.plain(how))
    if footer := render.sources_footer(answer.citations, short):
        parts.append(render.plain(footer))
    return "\n\n".join(parts)


def respond(services: Services, message: str, history: Sequence[Any] | None, asked: Sequence[str],
            turns: Sequence[dict[str, Any]] | None, offices: Sequence[str] | None, alone: bool = False
            ) -> Iterator[Turn]:
    """Stream the answer line by line, then one collapsible message per cited source.

    ``asked`` holds the earlier questions as typed; the last ones (``inputs.recent``) go to the
    answerer so follow-ups are understood (``alone``: this question is asked without them).
    While the first ingest runs, the question waits for it (bounded), showing its progress.
    """
    question = (message or "").strip()
    chat, asked, turns = list(history or []), list(asked or []), list(turns or [])
    if not question:
        yield chat, asked, "", turns
        return
    chat.append({"role": "user", "content": render.plain(question)})
    yield chat, asked, "", turns
    deadline = time.monotonic() + FIRST_INGEST_WAIT
    while services.first_ingest_pending():
        if time.monotonic() > deadline:
            late = services.progress_text() + " กรุณาถามอีกครั้งเมื่อนำเข้าเสร็จ"
            yield [*chat, _bot(render.plain(late))], asked, question, turns
            return
        yield [*chat, _bot(render.plain(services.progress_text()))], asked, "", turns
        time.sleep(0.5)
    text, answer = "", None
    try:
        for piece in services.qa.stream(question, history=[] if alone else recent(asked), offices=list(offices or []) or None):
            if isinstance(piece, Answer):
                answer = piece
            else:
                text += piece
                yield [*chat, _bot(render.plain(text.strip()))], asked, "", turns
    except Exception as exc:
        yield [*chat, _bot(render.plain(thai_error(exc)))], asked, "", turns
        return
    if answer is None:  # the stream always ends with one; be safe all the same
        yield [*chat, _bot(render.plain(text))], [*asked, question], "", turns
        return
    short = {o.name: o.short for o in services.qa.offices()}
    chat.append(_bot(answer_message(answer, short)))
    titles = services.plan_titles()
    for c in answer.citations:
        title = render.citation_title(c, short.get(c.office, ""))
        chat.append(_bot(render.citation_html(c, services.settings.corpus_dir, plan_title=titles.get(c.source, ""),
                                              index=services.qa.index.lexical),
                         title))
    yield chat, [*asked, question], "", [*turns, history_store.turn_record(answer, short)]
