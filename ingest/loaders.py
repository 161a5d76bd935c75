"""Read a corpus file into a SourceDoc: encodings, PDF (``ingest/pdftext.py``), DOCX and HTML.

Every loader returns the document as lines; for text files they are the
file's own lines, for PDF/DOCX/HTML the lines of the extracted text (a
citation's line numbers then refer to that extracted text).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest import scans
from ingest.ocr import OcrConfig, PageProgress, PageText
from ingest.pdftext import MAX_PDF_PAGES, MAX_PDF_SECONDS, pdf_pages
from planqa.errors import UnreadableDocument
from planqa.types import Box, PageInfo, Skipped, SkipReason, SourceDoc

log = logging.getLogger(__name__)

_THAI = re.compile("[\u0e00-\u0e7f]")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
# what normalisation removes: a file of only these has nothing to index
_NO_TEXT = re.compile(r"[\s\x00-\x1f\x7f\u200b-\u200d\u2060\ufeff\u00ad]*")


def load(path: Path, source: str, max_bytes: int | None = None, *, ocr: OcrConfig | None = None,
         progress: PageProgress | None = None) -> SourceDoc:
    """Read ``path`` and return its text as a SourceDoc named ``source``.

    Args:
        max_bytes: refuse larger files (a plan is kilobytes; a huge file is
            almost always a mistake and would take hours to embed).
        ocr: how to OCR a PDF's pages that have no text layer, and images; None: such a PDF
            is refused ("needs OCR"), an image too (after checking that it opens).
        progress: ``(done, total)`` pages, called as each OCR page finishes.

    Raises:
        UnreadableDocument: with the reason, when no usable text comes out.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(
            f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}",
            SkipReason.UNSUPPORTED_TYPE,
        )
    raw = _read_regular(path, max_bytes)
    if not raw.strip():
        raise UnreadableDocument("empty file", SkipReason.EMPTY)
    digest = hashlib.sha256(raw).hexdigest()
    if suffix in PAGED:
        fmt = PAGED[suffix]
        read_pages = _pdf_pages(raw, source, ocr, progress) if fmt == "pdf" else _image_pages(raw, ocr, progress)
        return _paged_document(source, fmt, digest, read_pages)
    fmt, read = READERS[suffix]
    text, encoding = read(raw)
    lines = tuple(_LINE_SPLIT.split(text))
    if all(_NO_TEXT.fullmatch(line) for line in lines):
        raise UnreadableDocument("no text found in file", SkipReason.NO_TEXT)
    return SourceDoc(source=source, lines=lines, format=fmt, encoding=encoding, sha256=digest)


def _pdf_pages(raw: bytes, source: str, ocr: OcrConfig | None, progress: PageProgress | None) -> list[PageText]:
    """Each page's text layer; with ``ocr``, the pages that have none but an image are OCR'd."""
    unread: dict[int, str] = {}
    try:
        texts, unread = pdf_pages(raw, source)
    except UnreadableDocument as exc:
        if exc.kind is not SkipReason.PDF_NO_TEXT_LAYER or ocr is None:
            raise
        texts = [""] * scans.pdf_page_count(raw)
    scanned = scans.pages_to_ocr(raw, texts) if ocr is not None else []
    read = scans.ocr_pdf(raw, scanned, ocr, progress) if ocr is not None and scanned else {}
    return [read.get(n) or PageText(n, tuple(_LINE_SPLIT.split(text)), problem=unread.get(n, ""),
                                    problem_kind=SkipReason.PDF_PAGE_UNREADABLE) for n, text in enumerate(texts, 1)]


def ocr_work(path: Path, max_bytes: int | None = None) -> tuple[int, int]:
    """``(pages an ingest would OCR, pages in the file)`` of a PDF or an image, found without
    running Tesseract (what ``python -m ingest --dry-run`` reports, to foresee a long run).

    Raises:
        UnreadableDocument: as ``load`` would, before any OCR (too large, corrupt, encrypted).
    """
    raw = _read_regular(path, max_bytes)
    if PAGED.get(path.suffix.lower()) == "image":
        frames = scans.image_page_count(raw)
        return frames, frames
    try:
        texts, _ = pdf_pages(raw, path.name)
    except UnreadableDocument as exc:
        if exc.kind is not SkipReason.PDF_NO_TEXT_LAYER:
            raise
        texts = [""] * scans.pdf_page_count(raw)
    return len(scans.pages_to_ocr(raw, texts)), len(texts)


def _image_pages(raw: bytes, ocr: OcrConfig | None, progress: PageProgress | None) -> list[PageText]:
    if ocr is None:
        scans.image_page_count(raw)  # opens, or says it is corrupt
        raise UnreadableDocument("an image: its text needs OCR", SkipReason.NEEDS_OCR)
    return scans.ocr_image_file(raw, ocr, progress)


def _paged_document(source: str, fmt: str, digest: str, read_pages: list[PageText]) -> SourceDoc:
    """The pages' lines one after another (as a plain reading of the file gives them), each page's
    span of them, OCR boxes and confidences, and the OCR pages that failed."""
    lines: list[str] = []
    boxes: list[Box | None] = []
    pages = []
    for page in read_pages:
        pages.append(PageInfo(page.number, len(lines) + 1, len(lines) + len(page.lines), page.ocr, page.confidence))
        lines.extend(page.lines)
        boxes.extend(page.boxes if len(page.boxes) == len(page.lines) else [None] * len(page.lines))
    if all(_NO_TEXT.fullmatch(line) for line in lines):
        failed = next((p for p in read_pages if p.problem), None)
        if failed and all(p.problem for p in read_pages if p.ocr):
            raise UnreadableDocument(failed.problem, failed.problem_kind)
        if any(p.ocr for p in read_pages):
            raise UnreadableDocument("no Thai text found (OCR read no text)", SkipReason.NO_THAI_TEXT)
        raise UnreadableDocument("no text found in file", SkipReason.NO_TEXT)
    if fmt == "image" and not any(_THAI.search(line) for line in lines):
        raise UnreadableDocument("no Thai text found in the image", SkipReason.NO_THAI_TEXT)
    skipped = tuple(Skipped(source, p.problem, p.problem_kind, p.number) for p in read_pages if p.problem)
    return SourceDoc(source=source, lines=tuple(lines), format=fmt, encoding="binary", sha256=digest,
                     pages=tuple(pages), line_boxes=tuple(boxes) if any(boxes) else (), skipped_pages=skipped)


def _read_regular(path: Path, max_bytes: int | None) -> bytes:
    """The bytes of a regular file: a FIFO, socket or device is refused without blocking on it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}", SkipReason.CANNOT_READ) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableDocument("not a regular file (a FIFO, socket or device is never read)",
                                     SkipReason.NOT_REGULAR)
        if max_bytes is not None and info.st_size > max_bytes:
            raise UnreadableDocument(
                f"file too large ({info.st_size / 1e6:.1f} MB > {max_bytes / 1e6:.0f} MB limit; "
                "raise PLANQA_MAX_FILE_MB to ingest it)",
                SkipReason.TOO_LARGE,
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}", SkipReason.CANNOT_READ) from exc
    finally:
        os.close(fd)


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode bytes of a text file, detecting the encoding.

    BOMs decide first (UTF-8, UTF-16, UTF-32); then strict UTF-8; then
    charset-normalizer, checked against the Thai code page cp874 (TIS-620
    is its subset) because detectors often mistake Thai for other single-byte
    code pages.

    Raises:
        UnreadableDocument: binary data, or no encoding fits.
    """
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(f"invalid {name} text: {exc.reason}", SkipReason.BINARY) from exc
    utf16 = _bomless_utf16(raw)
    if utf16 is not None:
        return utf16
    if b"\x00" in raw:
        raise UnreadableDocument("binary data, not a text file", SkipReason.BINARY)
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _detect_single_byte(raw)


def _bomless_utf16(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 without BOM shows as NULs in every other byte of ASCII/Thai text."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    sample = raw[:4096]
    even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
    for name, ratio_lo, ratio_hi in (("utf-16-le", odd_nul, even_nul), ("utf-16-be", even_nul, odd_nul)):
        if ratio_hi < 0.05 and (ratio_lo > 0.3 or _thai_utf16_ratio(sample, name) > 0.3):
            try:
                text = raw.decode(name)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, name
    return None


def _thai_utf16_ratio(sample: bytes, name: str) -> float:
    # Thai in UTF-16 has 0x0E as the high byte of each code unit
    high = sample[1::2] if name == "utf-16-le" else sample[0::2]
    return high.count(0x0E) / max(1, len(high))


def _detect_single_byte(raw: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    candidates: list[tuple[str, str]] = []
    best = from_bytes(raw).best()
    if best is not None:
        candidates.append((str(best), best.encoding))
    with contextlib.suppress(UnicodeDecodeError):
        candidates.append((raw.decode("cp874"), "cp874"))
    mixed = _mixed_lines(raw)
    if mixed is not None:  # after cp874: a tie goes to the single encoding
        candidates.append(mixed)
    # the reading with the most Thai letters among the plausible ones wins
    plausible = [c for c in candidates if _looks_like_text(c[0])]
    if not plausible:
        raise UnreadableDocument("binary data or unknown text encoding", SkipReason.BINARY)
    return max(plausible, key=lambda c: len(_THAI.findall(c[0])))


def _mixed_lines(raw: bytes) -> tuple[str, str] | None:
    """A file pasted together from UTF-8 and cp874 sources, decoded line by line."""
    lines, seen = [], set()
    for line in raw.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
            if not line.isascii():
                seen.add("utf-8")
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp874"))
            except UnicodeDecodeError:
                return None
            seen.add("cp874")
    return ("\n".join(lines), "utf-8+cp874") if len(seen) == 2 else None


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\r\n\t\f") or ch == "\ufffd")
    return bad / len(sample) < 0.01


# elements that start a new line; inline ones (b, i, span, a ...) never do
_HTML_BLOCKS = (
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "title", "tr", "ul",
)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(html, "lxml")
        for tag in soup(["script", "style", "noscript", "template"]):
            tag.decompose()
        text = _html_walk(soup)
    except RecursionError as exc:
        raise UnreadableDocument("HTML nested too deeply to read", SkipReason.TOO_COMPLEX) from exc
    except Exception as exc:  # lxml/bs4 raise many types on broken input
        raise UnreadableDocument(f"cannot parse HTML: {type(exc).__name__}", SkipReason.CORRUPT) from exc
    lines = (line.strip(" \t") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _html_walk(soup: Any) -> str:
    """The text as a browser lays it out: blocks and <br> break lines, inline
    tags do not, source line breaks are spaces (except in <pre>).

    One pass with an explicit stack: deep nesting costs no recursion and
    stays linear.
    """
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    stack: list[Any] = []
    in_pre = 0

    def close(tag: Any) -> None:
        nonlocal in_pre
        if tag.name in ("td", "th"):
            parts.append("\t")
        elif tag.name in _HTML_BLOCKS:
            parts.append("\n")
        in_pre -= tag.name == "pre"

    for node in soup.descendants:
        while stack and stack[-1] is not node.parent:
            close(stack.pop())
        if isinstance(node, Tag):
            stack.append(node)
            in_pre += node.name == "pre"
            if node.name in _HTML_BLOCKS or node.name == "br":
                parts.append("\n")
        elif type(node) is NavigableString:
            parts.append(str(node) if in_pre else _HTML_SPACE.sub(" ", node))
    while stack:
        close(stack.pop())
    return "".join(parts)


MAX_ZIP_MEMBERS = 5000
MAX_DOCX_XML_BYTES = 25_000_000  # the document's XML, unpacked; a plan's is a few MB
MAX_ZIP_RATIO = 100  # a member packed more than this is a decompression bomb
__all__ = ["MAX_PDF_PAGES", "MAX_PDF_SECONDS", "SUPPORTED_SUFFIXES", "decode_text", "load"]  # the limits live in pdftext


def check_zip(raw: bytes) -> None:
    """Refuse a DOCX that would unpack into far more than it weighs (a decompression bomb)."""
    import zipfile

    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableDocument(f"corrupt or unreadable DOCX: {exc}", SkipReason.DOCX_INVALID) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableDocument(f"DOCX holds {len(members)} parts, more than {MAX_ZIP_MEMBERS}",
                                 SkipReason.DOCX_INVALID)
    xml = sum(m.file_size for m in members if m.filename.endswith((".xml", ".rels")))
    if xml > MAX_DOCX_XML_BYTES:
        raise UnreadableDocument(f"DOCX text unpacks to {xml / 1e6:.0f} MB, more than {MAX_DOCX_XML_BYTES / 1e6:.0f} MB "
                                 "(a decompression bomb, or a document to split)", SkipReason.DOCX_INVALID)
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_ZIP_RATIO * max(1, m.compress_size):
            raise UnreadableDocument(f"DOCX part {m.filename} unpacks {m.file_size // max(1, m.compress_size)}x "
                                     "its size (a decompression bomb)", SkipReason.DOCX_INVALID)


def _docx_text(raw: bytes) -> str:
    import zipfile

    from docx import Document as DocxDocument

    check_zip(raw)
    try:
        document = DocxDocument(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocument(f"corrupt or unreadable DOCX: {exc}", SkipReason.DOCX_INVALID) from exc
    except Exception as exc:  # python-docx raises assorted errors on damaged files
        raise UnreadableDocument(f"corrupt or unreadable DOCX: {type(exc).__name__}", SkipReason.DOCX_INVALID) from exc
    from docx.table import Table

    # body order: a table stays under the heading it follows
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend("\t".join(cell.text for cell in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _plain(raw: bytes) -> tuple[str, str]:
    return decode_text(raw)


def _html(raw: bytes) -> tuple[str, str]:
    text, encoding = decode_text(raw)
    return _html_text(text), encoding


def _docx(raw: bytes) -> tuple[str, str]:
    return _docx_text(raw), "binary"


# suffix -> (format, reader of the raw bytes -> (text, encoding)): adding a format is one row
READERS: dict[str, tuple[str, Callable[[bytes], tuple[str, str]]]] = {
    ".txt": ("txt", _plain),
    ".md": ("md", _plain),
    ".html": ("html", _html),
    ".htm": ("html", _html),
    ".docx": ("docx", _docx),
}
# suffix -> format of the files read page by page in load(): a PDF's text layer (its pages without
# one OCR'd), scans and photos OCR'd (refused as "needs OCR" without it)
PAGED: dict[str, str] = {".pdf": "pdf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
                         ".tiff": "image"}
SUPPORTED_SUFFIXES = (*READERS, *PAGED)
PAGED_SUFFIXES = tuple(PAGED)
