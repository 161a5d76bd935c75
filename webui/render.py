"""HTML and Markdown for the web app: answers, sources, ingest summaries.

Documents and questions are untrusted: every piece of their text goes
through ``html.escape`` here (and Markdown's specials are escaped where the
text lands in Markdown), so a plan containing ``<script>`` shows as text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.lexical import LexicalIndex
from ingest.loaders import load
from planqa.errors import UnreadableDocument
from planqa.types import Citation, IngestReport, page_spans, span_text
from webui.documents import IngestState
from webui.escape import markdown_text
from webui.pageimage import RENDERABLE, img_tag, page_png

CONTEXT_LINES = 3
_SPACES = re.compile(r"[\s\u00a0]+")



def text(value: object) -> str:
    """Untrusted text made safe for HTML."""
    return html.escape(str(value), quote=True)


_MD_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=|])|(\d+)([.)]))(?=\s)")
_MD_INLINE = re.compile(r"([\\`*_<>|~\[\]])")
_CITE_TOKEN = re.compile(r"(\[\d{1,3}\])")


def plain(value: str) -> str:
    """Untrusted text as chat Markdown that shows exactly that text: the few characters Markdown
    would act on are escaped, [n] markers are left as they are (copying a message gives them)."""
    out = []
    for line in value.split("\n"):
        line = "".join(part if _CITE_TOKEN.fullmatch(part) else _MD_INLINE.sub(r"\\\1", part)
                       for part in _CITE_TOKEN.split(line))
        out.append(_MD_LINE_START.sub(_escape_line_start, line))
    return "\n".join(out)


def _escape_line_start(m: re.Match[str]) -> str:
    """"1. x" stays "1. x", not a list numbered anew: "1\\. x"; "- x", "# x": "\\- x", "\\# x"."""
    if m.group(2):
        return m.group(1) + "\\" + m.group(2)
    return m.group(1) + m.group(3) + "\\" + m.group(4)


def line_range(start: int, end: int) -> str:
    """"5" or "5–7"."""
    return span_text(start, end)


def lines_span(start: int, end: int) -> str:
    return f"บรรทัด {line_range(start, end)}"


def sources_footer(citations: Sequence[Citation], short: dict[str, str]) -> str:
    """The answer's sources, one to a line: office, section and lines (the file is in the source detail)."""
    if not citations:
        return ""
    rows = [f"[{c.n}] {short.get(c.office, c.office)} · {c.section or '—'} · {c.where()}" for c in citations]
    return "แหล่งอ้างอิง:\n" + "\n".join(rows)


def citation_title(c: Citation, office_short: str = "") -> str:
    parts = [office_short or c.office, c.section or "", c.where()]
    return markdown_text(f"[{c.n}] " + " · ".join(p for p in parts if p))


@dataclass(frozen=True, slots=True)
class Passage:
    """The cited lines with their neighbours (a paged source: the cited page), as the index keeps them."""

    rows: tuple[tuple[int, str, bool], ...]  # (line number, line, quoted?); on its page for a paged source
    note: str = ""  # why the file's own lines are not shown, if they are not
    page: int | None = None  # the page shown, for a paged source


_CHANGED = "ไฟล์นี้เปลี่ยนไปหลังการนำเข้า แสดงเฉพาะข้อความที่อ้างอิง (กรุณานำเข้าใหม่)"


def _same(lines: Sequence[str], quote: str) -> bool:
    return _SPACES.sub(" ", "\n".join(lines)).strip() == _SPACES.sub(" ", quote).strip()


def passage(c: Citation, corpus_dir: Path, context: int = CONTEXT_LINES, index: LexicalIndex | None = None) -> Passage:
    """The quoted lines with ``context`` lines around, or the whole cited page of a paged source.

    Served from ``index``'s own copy of the document's lines: the file is not read again per
    citation (a big PDF took seconds). Only an index that keeps no lines for the source (one
    ingested before lines were kept) falls back to reading the file.
    """
    quoted_only = tuple((c.start_line + i, line, True) for i, line in enumerate(c.text.split("\n")))
    if c.start_line < 1:
        return Passage(quoted_only, _CHANGED)
    if index is not None and (stored := _stored_passage(c, index, context)) is not None:
        return stored if stored.rows else Passage(quoted_only, _CHANGED)
    path = corpus_dir / c.source
    if not path.resolve().is_relative_to(corpus_dir.resolve()):
        return Passage(quoted_only, "ไม่เปิดไฟล์นอกโฟลเดอร์เอกสาร")
    try:
        lines = load(path, c.source).lines
    except UnreadableDocument:
        return Passage(quoted_only, "ไม่พบหรือเปิดไฟล์ต้นฉบับไม่ได้แล้ว แสดงเฉพาะข้อความที่อ้างอิง")
    if not _same(lines[c.start_line - 1 : c.end_line], c.text):
        return Passage(quoted_only, _CHANGED)
    first = max(1, c.start_line - context)
    last = min(len(lines), c.end_line + context)
    rows = tuple((n, lines[n - 1], c.start_line <= n <= c.end_line) for n in range(first, last + 1))
    return Passage(rows)


MAX_PAGE_LINES = 120  # a page shown whole up to this; longer ones are cut around the quote


def _stored_passage(c: Citation, index: LexicalIndex, context: int) -> Passage | None:
    """From the index: None when it keeps no lines for the source; no rows when the quote is not
    what it keeps (the document changed since this answer)."""
    quoted = index.lines_of(c.source, c.start_line, c.end_line)
    if not quoted:
        return None if index.line_count(c.source) == 0 else Passage(())
    if not _same([s.text for s in quoted], c.text):
        return Passage(())
    page = next((p for p in index.pages_of(c.source) if p.start_line <= c.start_line <= p.end_line), None)
    # a span running onto the next page shows its lines there too, each numbered on its own page
    if page is None:
        around = index.lines_of(c.source, max(1, c.start_line - context), c.end_line + context)
        return Passage(tuple((s.line, s.text, c.start_line <= s.line <= c.end_line) for s in around))
    first = max(page.start_line, min(c.start_line - context, page.end_line - MAX_PAGE_LINES + 1))
    last = max(min(page.end_line, first + MAX_PAGE_LINES - 1), c.end_line)
    pages = {p.number: p for p in index.pages_of(c.source)}
    rows = tuple((pages.get(s.page or 0, page).line_on_page(s.line), s.text, c.start_line <= s.line <= c.end_line)
                 for s in index.lines_of(c.source, first, last))
    return Passage(rows, page=page.number)


def citation_html(c: Citation, corpus_dir: Path, context: int = CONTEXT_LINES, plan_title: str = "",
                  index: LexicalIndex | None = None) -> str:
    """One source: office, section, file and lines, then the passage in its context.

    Kept on one line: the chat renders Markdown, and an HTML block with no
    blank line inside is passed through as it is.
    """
    p = passage(c, corpus_dir, context, index)
    plan = f"<b>แผน:</b> {text(plan_title)}<br>" if plan_title else ""
    meta = (
        f"<b>สำนักงาน:</b> {text(c.office)}<br>{plan}<b>หมวด:</b> {text(c.section or '—')}<br>"
        f"<b>ไฟล์:</b> <code>{text(c.source)}</code> · {text(c.where())}"
    )
    rows = []
    for n, line, quoted in p.rows:
        body = text(line) or "&nbsp;"
        if quoted and line.strip():
            body = f"<mark>{body}</mark>"
        rows.append(f'<tr class="{"hit" if quoted else "ctx"}"><td class="ln">{n}</td><td>{body}</td></tr>')
    note = f'<div class="note">{text(p.note)}</div>' if p.note else ""
    if p.page is not None and index is not None:
        note += _page_figure(c, p.page, corpus_dir, index)
    # the number as a class: the chat's sanitizer keeps classes, not data- attributes
    return (f'<div class="planqa-source cite-{c.n}"><div class="meta">{meta}</div>{note}'
            f'<table>{"".join(rows)}</table></div>')


NO_PAGE_IMAGE = "แสดงภาพหน้านี้ไม่ได้ (ไม่พบไฟล์ต้นฉบับ ไฟล์เปลี่ยนไปหลังการนำเข้า หรือเปิดหน้านี้ไม่ได้) จึงแสดงเฉพาะข้อความ"


def _page_figure(c: Citation, page: int, corpus_dir: Path, index: LexicalIndex) -> str:
    """The cited page's image with the quoted lines highlighted, or a note that says why not."""
    path = corpus_dir / c.source
    png = None
    if path.resolve().is_relative_to(corpus_dir.resolve()) and path.suffix.lower() in RENDERABLE:
        quoted = index.lines_of(c.source, c.start_line, c.end_line)
        first = next((pg.start_line for pg in index.pages_of(c.source) if pg.number == page), c.start_line)
        above = index.lines_of(c.source, first, c.start_line - 1) if first < c.start_line else []
        png = page_png(path, page, [s.text for s in quoted if s.page == page],
                       [s.box for s in quoted if s.page == page], index.document_sha256(c.source),
                       before=[s.text for s in above])
    if png is None:
        return f'<div class="note">{text(NO_PAGE_IMAGE)}</div>'
    return f'<div class="page-image">{img_tag(png, f"หน้า {page} ของ {c.source}")}</div>'


_STEP_TH = (("reading ", "อ่าน "), ("indexed ", "บันทึกลงดัชนี "), ("embedding the vocabulary", "คำนวณเวกเตอร์คำศัพท์"),
            ("embedding", "คำนวณเวกเตอร์"), ("waiting for another ingest run", "รอการนำเข้าอีกงานให้เสร็จก่อน"))


_OCR_STEP = re.compile(r"OCR (?P<source>.+) page (?P<done>\d+)/(?P<total>\d+)")


def step_label(label: str) -> str:
    """Thai for the ingest pipeline's progress labels."""
    ocr = _OCR_STEP.fullmatch(label)
    if ocr:
        return f"อ่านภาพด้วย OCR {ocr['source']} หน้า {ocr['done']}/{ocr['total']}"
    for en, th in _STEP_TH:
        if label.startswith(en):
            return th + label[len(en) :]
    return label


def report_markdown(report: IngestReport) -> str:
    """The ingest summary and the problem files, in Thai Markdown."""
    r = report
    head = (
        f"**นำเข้าเสร็จใน {r.seconds:.1f} วินาที** — พบ {r.seen} ไฟล์: เพิ่ม {r.added} · ปรับปรุง {r.updated} · "
        f"ไม่เปลี่ยน {r.unchanged} · ลบ {r.deleted} · ข้าม {len(r.skipped)} · "
        f"เขียน {r.chunks} ส่วน · ลบ {r.chunks_deleted} ส่วน"
    )
    if not r.skipped:
        return head
    problems = [f"- **{markdown_text(s.file)}**: {markdown_text(s.reason)}" for s in r.skipped if s.page is None]
    problems += [f"- **{markdown_text(p.file)}** {p.pages('หน้า', 'หน้า', '–')}: {markdown_text(p.reason)}"
                 for p in page_spans(r.skipped)]
    return "\n\n".join([head, "**ไฟล์ที่มีปัญหา (ข้าม):**", "\n".join(problems)])


def progress_words(state: IngestState) -> str:
    """An ingest run in progress, in Thai: the step, N/M, and an estimate of what is left."""
    where = f" {state.done}/{state.total}" if state.total else ""
    left = state.seconds_left()
    estimate = f" (อีกประมาณ {left:.0f} วินาที)" if left is not None else ""
    step = step_label(state.label)
    return f"กำลังนำเข้าเอกสาร{where}{estimate}" + (f" — {step}" if step else "")


def status_markdown(state: IngestState, documents: int, chunks: int) -> str:
    """The one-line index status shown above the chat."""
    if state.running:
        return f"**{markdown_text(progress_words(state))}**"
    if state.error:
        return f"**การนำเข้าครั้งล่าสุดล้มเหลว:** {markdown_text(state.error)} · ดัชนีมี {documents} แผน ({chunks} ส่วน)"
    if not documents:
        return "ยังไม่มีเอกสารในดัชนี — อัปโหลดหรือนำเข้าเอกสารที่แท็บ “เอกสาร”"
    return f"ดัชนีพร้อมใช้งาน: {documents} แผน ({chunks} ส่วน)"
