"""Scanned pages and images to OCR: which pages need it, and their images.

A PDF page needs OCR when it gave no text and holds an image (a blank page is
left blank, so a text PDF with an empty page never waits for Tesseract). Pages
are rendered one at a time with pypdfium2 at ``OcrConfig.dpi`` as grayscale
PGM (no compression to spend time on; Tesseract reads it from a pipe). An
image file is read with Pillow: every frame of a multi-page TIFF is a page, a
photo is turned upright by its EXIF orientation first.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence

from ingest.ocr import OcrConfig, PageProgress, PageText, ocr_pages
from planqa.errors import UnreadableDocument
from planqa.types import SkipReason

log = logging.getLogger(__name__)
MAX_IMAGE_PAGES = 2000
MAX_IMAGE_SIDE = 10_000  # pixels; a larger photo is scaled down before OCR (Tesseract's time grows with it)


def pdf_page_count(raw: bytes) -> int:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(raw)
    except Exception as exc:  # pdfium raises its own PdfiumError on damaged files
        raise UnreadableDocument(f"corrupt or unreadable PDF: {exc}", SkipReason.CORRUPT) from exc
    try:
        return len(document)
    finally:
        document.close()


def pages_to_ocr(raw: bytes, page_texts: Sequence[str]) -> list[int]:
    """The 1-based numbers of the pages that gave no text but hold an image."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    blank = [n for n, text in enumerate(page_texts, 1) if not text.strip()]
    if not blank:
        return []
    try:
        document = pdfium.PdfDocument(raw)
    except Exception:  # pypdf read it; pdfium cannot: nothing to render either
        return []
    try:
        return [n for n in blank if n <= len(document)
                and next(iter(document[n - 1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None)]
    finally:
        document.close()


def _pdf_images(raw: bytes, numbers: Sequence[int], dpi: int) -> Iterator[tuple[int, bytes]]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(raw)
    try:
        for n in numbers:
            try:
                image = document[n - 1].render(scale=dpi / 72, grayscale=True).to_pil()
            except Exception as exc:  # a damaged page: OCR gets an empty image, reported as no text
                log.warning("page %d could not be rendered for OCR: %s", n, exc)
                continue
            yield n, _pgm(image)
    finally:
        document.close()


def _pgm(image: object) -> bytes:
    out = io.BytesIO()
    image.convert("L").save(out, "PPM")  # type: ignore[attr-defined]
    return out.getvalue()


def ocr_pdf(raw: bytes, numbers: Sequence[int], config: OcrConfig,
            progress: PageProgress | None = None) -> dict[int, PageText]:
    """The given pages of a PDF, OCR'd (by page number)."""
    read = ocr_pages(_pdf_images(raw, numbers, config.dpi), len(numbers), config, progress, numbers)
    return {p.number: p for p in read}


def image_frames(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """Each frame of an image file as grayscale PGM (1-based frame numbers).

    Raises:
        UnreadableDocument: not an image Pillow can read.
    """
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        frames = getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableDocument(f"corrupt or unreadable image: {exc}", SkipReason.CORRUPT) from exc
    if frames > MAX_IMAGE_PAGES:
        raise UnreadableDocument(f"image has {frames} pages, more than {MAX_IMAGE_PAGES}; split it",
                                 SkipReason.TOO_COMPLEX)
    for n, frame in enumerate(ImageSequence.Iterator(image), 1):
        try:
            page = ImageOps.exif_transpose(frame.copy())
            page.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            yield n, _pgm(page)
        except (OSError, ValueError) as exc:
            raise UnreadableDocument(f"corrupt or unreadable image (page {n}): {exc}", SkipReason.CORRUPT) from exc


def image_page_count(raw: bytes) -> int:
    """How many pages (frames) an image file holds; checks that Pillow can open it.

    Raises:
        UnreadableDocument: not an image Pillow can read.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(raw))
        image.verify()
        return int(getattr(Image.open(io.BytesIO(raw)), "n_frames", 1))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnreadableDocument(f"corrupt or unreadable image: {exc}", SkipReason.CORRUPT) from exc


def ocr_image_file(raw: bytes, config: OcrConfig, progress: PageProgress | None = None) -> list[PageText]:
    """Every page of an image file, OCR'd."""
    return ocr_pages(image_frames(raw), image_page_count(raw), config, progress)
