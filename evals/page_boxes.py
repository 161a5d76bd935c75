"""Is the highlight on its line? Every stored line of every text-PDF fixture, before and after.

``python -m evals.page_boxes`` reads each text-PDF fixture of ``tests/fixtures/thai_pdf`` as the
loader does, finds each stored (non-blank) line on its page, and checks the rectangles against an
independent truth: poppler's ``pdftotext -bbox-layout``, which gives each printed line's box and
text (poppler reads these producers' Thai best, and its boxes come from its own layout analysis,
not pdfium's; a mark poppler boxes apart is put back on its line). A line's highlight is *on its line* when

- the poppler lines whose middle lies inside one of its rectangles hold the line's text
  (rapidfuzz partial ratio >= 90 on the compared form: repaired, spaces removed; for texts of
  about one length, or 90% of their characters in common, in any order), and
- each of those poppler lines is part of the line or holds it (a rectangle that spans a
  neighbouring line fails).

A line not found counts as off. A line whose text is printed twice on the page passes on either
copy: the check cannot tell them apart (their number is printed). "before" is main's
``_find_box`` as it was (pdfium text search of the squashed line, one box), "after" is
``ingest.pageboxes``. Progress goes to stderr, the table to stdout (``--json`` for machines).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from evals.pdf_cer import FIXTURES, manifest
from ingest.pageboxes import PageText, canonical_text
from ingest.thai_repair import PUA_MAP
from planqa.types import Box

ON_LINE = 90.0
_NS = "{http://www.w3.org/1999/xhtml}"
_GAPS = re.compile(r"[\s\u00a0\u200b]+")
PRODUCERS = (("LibreOffice DOCX", "libreoffice_docx"), ("LibreOffice .txt", "libreoffice_txt"),
             ("Chromium print", "chromium_print"), ("reportlab+HarfBuzz", "reportlab_harfbuzz"))


def poppler_lines(path: Path, number: int) -> list[tuple[str, Box]]:
    """Page ``number``'s printed lines as poppler lays them out: canonical text and box (fractions).

    poppler puts a mark drawn above or below its line's box (HarfBuzz, LibreOffice's fallback
    font) in a "line" of its own; such a piece whose middle lies within a taller line's height is
    put back into that line, in x order.
    """
    xml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(number), "-l", str(number), str(path), "-"],
                         capture_output=True, check=True).stdout
    root = ElementTree.fromstring(xml)
    page = next(root.iter(f"{_NS}page"))
    w, h = float(page.get("width", 1)), float(page.get("height", 1))
    pieces = []
    for line in page.iter(f"{_NS}line"):
        text = "".join(word.text or "" for word in line.iter(f"{_NS}word"))
        box = (float(line.get("xMin", 0)) / w, float(line.get("yMin", 0)) / h,
               float(line.get("xMax", 0)) / w, float(line.get("yMax", 0)) / h)
        pieces.append((text, box))
    rows: list[tuple[Box, list[tuple[str, Box]]]] = []
    for text, box in sorted(pieces, key=lambda p: p[1][1] - p[1][3]):  # tallest first
        middle = (box[1] + box[3]) / 2
        row = next((r for r in rows if r[0][1] <= middle <= r[0][3]), None)
        if row is None:
            rows.append((box, [(text, box)]))
        else:
            row[1].append((text, box))
    out = []
    for row_box, parts in sorted(rows, key=lambda r: r[0][1]):
        parts.sort(key=lambda p: p[1][0])
        left, right = min(b[0] for _, b in parts), max(b[2] for _, b in parts)
        out.append((canonical_text("".join(t for t, _ in parts)), (left, row_box[1], right, row_box[3])))
    return out


def on_its_line(line: str, rects: Sequence[Box], printed: Sequence[tuple[str, Box]]) -> bool:
    """The check described in the module docstring."""
    wanted = canonical_text(line)
    covered = [text for text, (left, top, right, bottom) in printed
               if any(r[1] <= (top + bottom) / 2 <= r[3] and left < r[2] and r[0] < right for r in rects)]
    if not covered or _similar(wanted, "".join(covered)) < ON_LINE:
        return False
    return all(_similar(text, wanted) >= ON_LINE for text in covered)


def _similar(a: str, b: str) -> float:
    """How far the shorter text lies in the longer (0..100): rapidfuzz's partial ratio, or for two
    texts of about one length the share of characters they have in common, whatever their order
    (poppler orders the marks of a short line by x: "ตัวชีว้ัด" for ตัวชี้วัด)."""
    from rapidfuzz import fuzz

    score = fuzz.partial_ratio(a, b)
    if min(len(a), len(b)) >= 0.8 * max(len(a), len(b)):
        common = sum((Counter(a) & Counter(b)).values())
        score = max(score, 100 * common / max(len(a), len(b)))
    return score


def main_find_box(pdf_page: object, line: str) -> Box | None:
    """main's ``webui.pageimage._find_box`` before ``ingest.pageboxes`` (commit 249809f), kept to
    measure against: the squashed line searched in pdfium's squashed characters, first hit."""
    def canon(text: str) -> str:
        return _GAPS.sub("", text.translate(PUA_MAP)).replace("\u0e33", "\u0e4d\u0e32")

    textpage = pdf_page.get_textpage()  # type: ignore[attr-defined]
    kept = [(i, ch) for i in range(textpage.count_chars()) for ch in canon(textpage.get_text_range(i, 1))]
    squashed = "".join(ch for _, ch in kept)
    wanted = canon(line)
    at = squashed.find(wanted) if wanted else -1
    if at < 0:
        return None
    width, height = pdf_page.get_size()  # type: ignore[attr-defined]
    rects = [textpage.get_charbox(i) for i, _ in kept[at : at + len(wanted)]]
    left, bottom = min(r[0] for r in rects), min(r[1] for r in rects)
    right, top = max(r[2] for r in rects), max(r[3] for r in rects)
    return (left / width, 1 - top / height, right / width, 1 - bottom / height)


def measure() -> dict[str, dict[str, int]]:
    """Per producer: lines, and how many are on their line before and after; repeated lines."""
    import pypdfium2 as pdfium

    from ingest.loaders import load

    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "lines": 0, "before": 0, "after": 0,
                                                             "rects_after": 0, "repeated": 0})
    for fixture in manifest():
        if fixture.kind != "text":
            continue
        producer = next(name for name, key in PRODUCERS if key in fixture.file)
        path = FIXTURES / fixture.file
        print(f"reading {fixture.file}", file=sys.stderr)
        doc = load(path, fixture.file)
        document = pdfium.PdfDocument(path)
        row = counts[producer]
        row["files"] += 1
        try:
            for page in doc.pages:
                lines = doc.lines[page.start_line - 1 : page.end_line]
                printed = poppler_lines(path, page.number)
                pdf_page = document[page.number - 1]
                after = PageText(pdf_page).locate(lines)
                texts = [canonical_text(line) for line in lines]
                for line, wanted, rects in zip(lines, texts, after, strict=True):
                    if not wanted:
                        continue
                    before = main_find_box(pdf_page, line)
                    row["lines"] += 1
                    row["before"] += on_its_line(line, [before] if before else [], printed)
                    row["after"] += on_its_line(line, rects, printed)
                    row["rects_after"] += len(rects)
                    row["repeated"] += texts.count(wanted) > 1
        finally:
            document.close()
    return dict(counts)


def table(counts: dict[str, dict[str, int]]) -> str:
    rows = ["| producer | files | lines | on its line, before (main's `_find_box`) | after (`ingest.pageboxes`) "
            "| rectangles after | lines printed twice on their page |", "|---|---|---|---|---|---|---|"]
    for name, _ in PRODUCERS:
        r = counts.get(name)
        if r:
            rows.append(f"| {name} | {r['files']} | {r['lines']} | {r['before'] / r['lines']:.0%} ({r['before']}) "
                        f"| {r['after'] / r['lines']:.0%} ({r['after']}) | {r['rects_after']} | {r['repeated']} |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.page_boxes", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="the counts as JSON on stdout")
    args = parser.parse_args(argv)
    counts = measure()
    print(json.dumps(counts, ensure_ascii=False, indent=1) if args.json else table(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
