"""The cited page of a PDF as a small PNG, the quoted lines' rectangles highlighted.

Rendered with pypdfium2 when a citation of that page is first shown (never at ingest), bounded to
``MAX_SIDE`` pixels and a palette, and kept in a small in-memory cache. The rectangles are the
boxes the reader stored in the index for OCR pages (Tesseract's); a text page's lines are found in
pdfium's characters by ``ingest.pageboxes`` (the page's lines above the quote first, so that a line
printed twice is found where it is), one rectangle per printed line. A page that cannot be rendered
gives None: the viewer then shows the page's text alone, with a note.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from planqa.types import Box

log = logging.getLogger(__name__)

MAX_SIDE = 900  # pixels, the page's longer side
MAX_PNG_BYTES = 400_000  # a bigger rendering is not sent into the chat
CACHE_PAGES = 64
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
RENDERABLE = (".pdf", *IMAGE_SUFFIXES)


def page_png(path: Path, page: int, lines: Sequence[str], boxes: Sequence[Box | None], sha256: str = "",
             max_side: int = MAX_SIDE, before: Sequence[str] = ()) -> bytes | None:
    """PNG bytes of 1-based ``page`` of the PDF at ``path``, with the quoted ``lines`` highlighted
    (``boxes``: their stored rectangles, None where unknown; ``before``: the page's lines above the
    quote); None when it cannot be rendered or is not the file that was indexed (``sha256``, when
    given, must match)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _render(str(path), stat.st_mtime_ns, stat.st_size, page, tuple(lines), tuple(boxes), sha256, max_side,
                   tuple(before))


@lru_cache(maxsize=CACHE_PAGES)
def _render(path: str, mtime_ns: int, size: int, page: int, lines: tuple[str, ...], boxes: tuple[Box | None, ...],
            sha256: str, max_side: int, before: tuple[str, ...] = ()) -> bytes | None:
    del mtime_ns, size  # part of the cache key only: a changed file is rendered anew
    try:
        from PIL import Image, ImageDraw

        raw = Path(path).read_bytes()
        if sha256 and hashlib.sha256(raw).hexdigest() != sha256:
            return None
        if Path(path).suffix.lower() in IMAGE_SUFFIXES:  # a photo or scan: one page, boxes from OCR only
            if page != 1:
                return None
            image = Image.open(io.BytesIO(raw)).convert("RGBA")
            image.thumbnail((max_side, max_side))
            found = [box for box in boxes if box]
        else:
            rendered = _render_pdf_page(raw, page, lines, boxes, max_side, before)
            if rendered is None:
                return None
            image, found = rendered
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        w, h = image.size
        for box in found:
            left, top, right, bottom = box
            rect = (left * w - 2, top * h - 2, right * w + 2, bottom * h + 2)
            draw.rectangle(rect, fill=(255, 214, 0, 110), outline=(230, 120, 0, 255), width=2)
        out = io.BytesIO()
        Image.alpha_composite(image, overlay).convert("RGB").quantize(colors=64).save(out, "PNG", optimize=True)
    except Exception as exc:  # a damaged page, a missing renderer: the text alone is shown
        log.warning("page %d of %s could not be rendered: %s", page, path, exc)
        return None
    data = out.getvalue()
    return data if len(data) <= MAX_PNG_BYTES else None


def _render_pdf_page(raw: bytes, page: int, lines: tuple[str, ...], boxes: tuple[Box | None, ...], max_side: int,
                     before: tuple[str, ...]) -> tuple[Any, list[Box]] | None:
    import pypdfium2 as pdfium

    from ingest.pageboxes import PageText

    document = pdfium.PdfDocument(raw)
    try:
        if not 1 <= page <= len(document):
            return None
        pdf_page = document[page - 1]
        width, height = pdf_page.get_size()
        found: list[Box] = [box for box in boxes if box]
        if len(found) < len(lines):  # a text page (OCR pages have every box stored)
            located = PageText(pdf_page).locate([*before, *lines])[len(before) :]
            found = [rect for i, rects in enumerate(located)
                     for rect in ((boxes[i],) if i < len(boxes) and boxes[i] else rects) if rect]
        image = pdf_page.render(scale=max_side / max(width, height)).to_pil().convert("RGBA")
        image.thumbnail((max_side, max_side))  # pdfium rounds up: 901 px for 900
        return image, found
    finally:
        document.close()


def img_tag(png: bytes, alt: str) -> str:
    """The PNG inline (the chat's sanitizer keeps data: images; no route to serve files from)."""
    from html import escape

    data = base64.b64encode(png).decode("ascii")
    return f'<img class="page" loading="lazy" alt="{escape(alt, quote=True)}" src="data:image/png;base64,{data}">'
