"""A PDF's text layer, page by page, as the best of three extractors reads each page.

Measured on the producer fixtures (``python -m evals.pdf_cer``, table in the README): no one
extractor reads every producer's Thai right. pypdf loses marks in lossy ToUnicode maps
("ผ้่เรียน"); pdfium honours ``/ActualText`` but repeats glyphs of browser-made spans ("ยั่ที่ยั่ง")
and keeps HarfBuzz's drawing order ("ทัว่ถึง"); poppler's ``pdftotext -raw`` orders glyphs by
position and reads those right, but drops marks of LibreOffice's fallback font. Each reading goes
through the Thai repair step, and the page keeps the one whose Thai the dictionary covers best.
Without ``pdftotext`` (poppler-utils) the page is read by pypdf and pdfium alone.

A password-protected PDF is refused with what to do; a page that cannot be read is skipped (logged)
and the rest of the file is read.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import time
from typing import Any

from ingest.thai_repair import repair_text
from planqa.errors import UnreadableDocument
from planqa.types import SkipReason

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 2000
MAX_PDF_SECONDS = 120.0
ENCRYPTED_REASON = ("PDF is password-protected: remove the password (open it with the password and save a copy "
                    "without one, or run qpdf --decrypt --password=PASSWORD in.pdf out.pdf) and add it again")


def pdf_pages(raw: bytes, source: str = "") -> tuple[list[str], dict[int, str]]:
    """Each page's text, repaired, and the pages no extractor could read (number -> why; their text is '').

    Raises:
        UnreadableDocument: a password-protected or corrupt PDF, one over the page or time limit,
            or one with no text layer on any page (a scan: it needs OCR).
    """
    started = time.monotonic()
    reader = _open(raw)
    pages, failed = _pypdf_pages(reader, started)
    alternatives = _pdfium_pages(raw, len(pages))
    if failed and len(failed) == len(pages) and not any(a.strip() for a in alternatives):
        raise UnreadableDocument(f"corrupt or unreadable PDF: no page could be read ({failed[1]})",
                                 SkipReason.CORRUPT)
    if not any(p.strip() for p in pages) and not failed:
        raise UnreadableDocument("PDF has no text layer (scanned?): needs OCR before ingest",
                                 SkipReason.PDF_NO_TEXT_LAYER)
    by_poppler = poppler_pages(raw, len(pages), MAX_PDF_SECONDS - (time.monotonic() - started))
    texts = [best_reading(*readings) for readings in zip(pages, alternatives, by_poppler)]
    unread = {}
    for number, why in failed.items():
        if texts[number - 1].strip():
            log.info("%s: page %d read by pdfium or poppler (pypdf could not: %s)", source or "PDF", number, why)
        else:
            log.warning("%s: page %d could not be read (%s); skipped, the rest of the file is read",
                        source or "PDF", number, why)
            unread[number] = f"page {number} could not be read ({why}); the rest of the file was read"
    return texts, unread


def _open(raw: bytes) -> Any:
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise UnreadableDocument(ENCRYPTED_REASON, SkipReason.PDF_ENCRYPTED)
            log.info("PDF encrypted with an empty user password: read as any viewer opens it")
        count = len(reader.pages)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise UnreadableDocument(f"corrupt or unreadable PDF: {_why(exc)}", SkipReason.CORRUPT) from exc
    if count > MAX_PDF_PAGES:
        raise UnreadableDocument(f"PDF has {count} pages, more than {MAX_PDF_PAGES}; split it", SkipReason.TOO_COMPLEX)
    return reader


def _pypdf_pages(reader: Any, started: float) -> tuple[list[str], dict[int, str]]:
    """pypdf's text of each page, and the pages it could not read (number -> why)."""
    pages: list[str] = []
    failed: dict[int, str] = {}
    for number in range(1, len(reader.pages) + 1):
        try:
            pages.append(reader.pages[number - 1].extract_text() or "")
        except Exception as exc:  # one damaged page: the others are still read
            pages.append("")
            failed[number] = _why(exc)
        if time.monotonic() - started > MAX_PDF_SECONDS:
            raise UnreadableDocument(f"PDF text took over {MAX_PDF_SECONDS:.0f} s to extract; "
                                     "export it as text or DOCX", SkipReason.TOO_COMPLEX)
    return pages, failed


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:160] if str(exc) else type(exc).__name__


def _pdfium_pages(raw: bytes, count: int) -> list[str]:
    """Each page's text as pdfium reads it ('' where it cannot): it honours /ActualText."""
    try:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(raw)
    except Exception:  # not installed, or a file pdfium cannot open: the other readings stand
        return [""] * count
    pages = []
    try:
        for i in range(min(count, len(document))):
            try:
                text = document[i].get_textpage().get_text_bounded()
            except Exception:  # a damaged page: the other readings of it stand
                text = ""
            pages.append(text.replace("\r\n", "\n").replace("\r", "\n"))
    finally:
        document.close()
    return pages + [""] * (count - len(pages))


def poppler_pages(raw: bytes, count: int, timeout: float = MAX_PDF_SECONDS) -> list[str]:
    """Each page's text as poppler's ``pdftotext -raw`` reads it (content order, glyphs placed by
    position); all '' when pdftotext is missing, fails, or finds another number of pages."""
    exe = shutil.which("pdftotext")
    if exe is None:
        _warn_no_poppler()
        return [""] * count
    try:
        done = subprocess.run([exe, "-raw", "-enc", "UTF-8", "-q", "-", "-"], input=raw, capture_output=True,
                              timeout=max(1.0, timeout))
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("pdftotext failed (%s): this PDF is read by pypdf and pdfium only", type(exc).__name__)
        return [""] * count
    pages = done.stdout.decode("utf-8", errors="replace").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # the form feed after the last page
    if len(pages) != count:
        return [""] * count
    return pages


_warned: list[bool] = []


def _warn_no_poppler() -> None:
    if not _warned:
        _warned.append(True)
        log.warning("pdftotext not found: PDFs are read by pypdf and pdfium only, and some Thai PDFs read worse "
                    "(install poppler-utils: apt-get install poppler-utils)")


def thai_quality(text: str) -> float:
    """How much of a text's Thai falls inside dictionary words (0..1; 1.0 for text with no Thai).

    Each extractor's failures (lost marks, repeated glyphs, marks out of order) make
    out-of-dictionary pieces, so the better reading of a page is the one whose Thai the
    dictionary covers.
    """
    from ingest.tokens import dictionary_share

    return dictionary_share([text], lambda c: "\u0e00" <= c <= "\u0e7f")


def best_reading(*readings: str) -> str:
    """The repaired reading the dictionary covers best; ties keep the first (pypdf's, then pdfium's)."""
    candidates = [repair_text(r) for r in readings if r.strip()]
    if not candidates:
        return ""
    return max(candidates, key=thai_quality)
