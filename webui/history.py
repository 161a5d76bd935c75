"""Conversations kept in the browser, and their export as Markdown with footnoted citations.

A conversation is plain JSON (what ``gr.BrowserState`` stores in the
browser's localStorage): the chat messages as shown, the questions asked, and
one record per answered turn with its citations, so an export needs no server
state and survives a reload.
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from planqa.types import Answer
from webui.render import line_range

MAX_CONVERSATIONS = 30  # kept in the browser; the oldest go first
_CITE = re.compile(r"\[(\d{1,3})\]")


def empty_store() -> dict[str, Any]:
    return {"current": "", "conversations": {}}


def turn_record(answer: Answer, short: dict[str, str]) -> dict[str, Any]:
    """What an export needs of one answered turn."""
    return {
        "question": answer.question,
        "rewritten": answer.rewritten_question,
        "text": answer.text,
        "abstained": answer.abstained,
        "citations": [
            {"n": c.n, "office": short.get(c.office, c.office), "section": c.section, "source": c.source,
             "start_line": c.start_line, "end_line": c.end_line, "text": c.text, "where": c.where()}
            for c in answer.citations
        ],
    }


def save(store: dict[str, Any] | None, chat: list[Any], asked: list[str], turns: list[dict[str, Any]]
         ) -> dict[str, Any]:
    """The store with the current conversation saved (a new one started when there is none)."""
    store = dict(store or empty_store())
    conversations = dict(store.get("conversations") or {})
    current = store.get("current") or ""
    if not chat:
        return {**store, "conversations": conversations}
    if not current or current not in conversations:
        current = uuid.uuid4().hex[:12]
    title = (asked[0] if asked else "บทสนทนา")[:60]
    conversations[current] = {"title": title, "updated": time.time(), "chat": chat, "asked": asked, "turns": turns}
    if len(conversations) > MAX_CONVERSATIONS:
        for old in sorted(conversations, key=lambda k: conversations[k].get("updated", 0))[:-MAX_CONVERSATIONS]:
            del conversations[old]
    return {"current": current, "conversations": conversations}


def choices(store: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, id) of the saved conversations, newest first."""
    conversations = (store or {}).get("conversations") or {}
    ordered = sorted(conversations.items(), key=lambda kv: -kv[1].get("updated", 0))
    return [(f"{time.strftime('%d/%m %H:%M', time.localtime(c.get('updated', 0)))} · {c.get('title', '')}", cid)
            for cid, c in ordered]


def restore(store: dict[str, Any] | None, cid: str | None) -> tuple[list[Any], list[str], list[dict[str, Any]]]:
    """(chat, asked, turns) of conversation ``cid`` (empty when there is none)."""
    c = ((store or {}).get("conversations") or {}).get(cid or "")
    if not c:
        return [], [], []
    return list(c.get("chat") or []), list(c.get("asked") or []), list(c.get("turns") or [])


def markdown(turns: list[dict[str, Any]], title: str = "") -> str:
    """A conversation as Markdown: each question and answer, the citations as footnotes giving
    office, section, file and lines, and the quoted text."""
    out = [f"# บทสนทนา: {title or 'แผนยุทธศาสตร์ สพท.'}", f"_ส่งออกเมื่อ {time.strftime('%Y-%m-%d %H:%M')}_", ""]
    notes: list[str] = []
    for t, turn in enumerate(turns, 1):
        out.append(f"## คำถามที่ {t}")
        out.append(f"**ถาม:** {turn['question']}")
        if turn.get("rewritten") and turn["rewritten"] != turn["question"]:
            out.append(f"_ตีความคำถามว่า: {turn['rewritten']}_")
        body = _CITE.sub(lambda m, t=t: f"[^{t}-{m.group(1)}]", turn["text"])  # type: ignore[misc]
        out.append("**ตอบ:**")
        out.append("\n".join(f"{line}  " for line in body.split("\n")))
        out.append("")
        for c in turn.get("citations", []):
            lines = c.get("where") or f"บรรทัด {line_range(c['start_line'], c['end_line'])}"
            quote = " ".join(str(c["text"]).split())
            notes.append(f"[^{t}-{c['n']}]: {c['office']} · {c['section'] or '—'} · ไฟล์ {c['source']} "
                         f"{lines}: “{quote}”")
    return "\n".join(out + ["", *notes]) + "\n"


def export_file(turns: list[dict[str, Any]], title: str = "") -> Path:
    """The conversation's Markdown written to a fresh temporary file (for a download)."""
    folder = Path(tempfile.mkdtemp(prefix="planqa-export-"))
    path = folder / f"planqa-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(markdown(turns, title), encoding="utf-8")
    return path
