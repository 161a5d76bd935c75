"""Repairs of OCR'd Thai lines: the Thai repair every extracted text gets (``ingest/thai_repair.py``)."""

from __future__ import annotations

from ingest.thai_repair import repair_line


def repair_ocr_line(line: str) -> str:
    """One OCR'd line repaired: sara am that Tesseract writes as nikhahit + sara aa folded, spaced
    marks rejoined, PUA variants mapped (never seen from Tesseract, harmless)."""
    return repair_line(line)
