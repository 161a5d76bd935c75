"""Where a stored line is printed on its PDF page: rectangles from pdfium's characters.

A text PDF's stored lines are the repaired reading of the page (``ingest.pdftext``), while pdfium's
characters are the raw glyph text: Chromium and HarfBuzz PDFs draw marks from the Private Use Area,
write sara am as nikhahit + sara aa (or "ำา"), and Chromium's /ActualText spans repeat glyphs
("ที่ยั่ที่ง"). So both sides go through the same Thai repair here, with each repaired character
keeping the pdfium character indices it came from, and spaces dropped. A page's lines are found in
the order they are stored (a cursor moves down the page, so a line printed twice is found where it
is): exactly, else by a bounded fuzzy alignment (rapidfuzz), near the cursor first, then anywhere on
the page. The characters found are grouped by baseline, so a line that wraps over several printed
lines gets one rectangle per printed line; a repeated glyph that pdfium places off its baseline
adds nothing.

Rectangles are ``Box`` tuples, fractions of the page: (left, top, right, bottom), top-down.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.thai_repair import PUA_MAP
from planqa.types import Box

MIN_SCORE = 80.0  # rapidfuzz partial-ratio alignment: below it a line is "not found", not guessed
STRAY, STRAY_OF = 2, 8  # a first or last printed line of at most 2 glyphs, beside one of 8 or more, is dropped
NEAR = 200  # characters past the cursor the near search looks at, beyond twice the line's length
_NIKHAHIT, _AA, _AM = "\u0e4d", "\u0e32", "\u0e33"
_TONES = frozenset("\u0e48\u0e49\u0e4a\u0e4b")

Chars = list[tuple[str, tuple[int, ...]]]  # repaired characters, each with the raw indices it came from


def canonical(chars: Iterable[tuple[str, int]]) -> Chars:
    """Raw characters (with their indices) as both sides are compared: PUA glyph variants as their
    characters, sara am written as "ํา", "ํ่า" or "ำา" folded to "ำ" (a tone before it), no whitespace.

    >>> canonical_text("ส\\u0e4dา นักงาน ที\\uf70a") == "สำนักงานที่"
    True
    """
    out: Chars = []
    for ch, index in chars:
        ch = ch.translate(PUA_MAP)
        if not ch or ch.isspace() or ch == "\u00a0" or ch == "\u200b":
            continue
        if ch == _AA and out and out[-1][0] in (_NIKHAHIT, _AM):  # "ํา", "ำา" -> "ำ"
            out[-1] = (_AM, (*out[-1][1], index))
            continue
        if ch == _AA and len(out) > 1 and out[-1][0] in _TONES and out[-2][0] == _NIKHAHIT:  # "ํ่า" -> "่ำ"
            tone, nikhahit = out.pop(), out.pop()
            out += [tone, (_AM, (*nikhahit[1], index))]
            continue
        out.extend((c, (index,)) for c in ch)
    return out


def canonical_text(text: str) -> str:
    """``text`` in the compared form (see ``canonical``)."""
    return "".join(c for c, _ in canonical((ch, i) for i, ch in enumerate(text)))


@dataclass(frozen=True, slots=True)
class _Char:
    box: tuple[float, float, float, float]  # pdfium's loose box: left, bottom, right, top (points)
    baseline: float
    size: float


class PageText:
    """One PDF page's characters as pdfium reads them, ready to find stored lines in.

    Args:
        pdf_page: a ``pypdfium2.PdfPage``.
    """

    def __init__(self, pdf_page: object) -> None:
        import pypdfium2.raw as raw

        self._textpage = pdf_page.get_textpage()  # type: ignore[attr-defined]
        self._width, self._height = pdf_page.get_size()  # type: ignore[attr-defined]
        self._raw = raw
        count = self._textpage.count_chars()
        stream = canonical((self._textpage.get_text_range(i, 1), i) for i in range(count))
        self.text = "".join(c for c, _ in stream)
        self._at = [indices for _, indices in stream]
        self._chars: dict[int, _Char | None] = {}

    def locate(self, lines: Sequence[str]) -> list[tuple[Box, ...]]:
        """Each of ``lines`` (a page's stored lines, in order, or its first ones) as rectangles on
        the page, one per printed line it covers; () for a line not found (or blank)."""
        cursor = 0
        found: list[tuple[Box, ...]] = []
        for line in lines:
            span = self.find(canonical_text(line), cursor)
            if span is None:
                found.append(())
                continue
            found.append(self.rects(span[0], span[1]))
            cursor = span[1]
        return found

    def find(self, wanted: str, cursor: int = 0) -> tuple[int, int] | None:
        """[start, end) of ``wanted`` (canonical text) in the page's canonical text: exactly or by
        alignment near ``cursor`` first, then anywhere on the page; None when it is not there."""
        if not wanted:
            return None
        near_end = cursor + 2 * len(wanted) + NEAR
        at = self.text.find(wanted, cursor, near_end)
        if at >= 0:
            return at, at + len(wanted)
        aligned = self._align(wanted, cursor, near_end)
        if aligned is not None:
            return aligned
        at = self.text.find(wanted)
        if at >= 0:
            return at, at + len(wanted)
        return self._align(wanted, 0, len(self.text))

    def _align(self, wanted: str, start: int, end: int) -> tuple[int, int] | None:
        from rapidfuzz import fuzz
        from rapidfuzz.distance import Levenshtein

        window = self.text[start:end]
        if len(window) < len(wanted) * 0.8:
            return None
        result = fuzz.partial_ratio_alignment(wanted, window, score_cutoff=MIN_SCORE)
        if result is None or result.dest_end <= result.dest_start:
            return None
        # the window's ends may hold characters the line does not: keep from the first to the last match
        at = start + result.dest_start
        same = [op for op in Levenshtein.opcodes(wanted, window[result.dest_start : result.dest_end])
                if op.tag == "equal"]
        return at + same[0].dest_start, at + same[-1].dest_end

    def rects(self, start: int, end: int) -> tuple[Box, ...]:
        """The rectangles of canonical characters [start, end): one per baseline, in reading order."""
        groups: list[list[_Char]] = []
        for indices in self._at[start:end]:
            for index in indices:
                char = self._char(index)
                if char is None:
                    continue
                if groups and abs(char.baseline - groups[-1][0].baseline) <= 0.5 * groups[-1][0].size:
                    groups[-1].append(char)
                else:
                    groups.append([char])
        if len(groups) > 1 and max(map(len, groups)) >= STRAY_OF:  # a fuzzy end took a neighbour's glyph
            groups = [g for i, g in enumerate(groups) if len(g) > STRAY or 0 < i < len(groups) - 1]
        rects = [self._box(group) for group in groups]
        return tuple(r for r in rects if r is not None)

    def _char(self, index: int) -> _Char | None:
        if index not in self._chars:
            self._chars[index] = self._read_char(index)
        return self._chars[index]

    def _read_char(self, index: int) -> _Char | None:
        raw = self._raw
        if raw.FPDFText_IsGenerated(self._textpage, index):
            return None
        x, y = ctypes.c_double(), ctypes.c_double()
        raw.FPDFText_GetCharOrigin(self._textpage, index, x, y)
        left, bottom, right, top = self._textpage.get_charbox(index, loose=True)
        if right - left <= 0 or top - bottom <= 0:
            return None
        return _Char((left, bottom, right, top), y.value, top - bottom)

    def _box(self, group: list[_Char]) -> Box | None:
        """The group's rectangle from the characters whose loose box holds the group's baseline
        (a glyph that pdfium repeats above or below the line is left out)."""
        baseline = sorted(c.baseline for c in group)[len(group) // 2]
        on_line = [c for c in group if c.box[1] - 0.5 <= baseline <= c.box[3] + 0.5]
        if not on_line:
            return None
        left = min(c.box[0] for c in on_line)
        bottom = min(c.box[1] for c in on_line)
        right = max(c.box[2] for c in on_line)
        top = max(c.box[3] for c in on_line)
        w, h = self._width, self._height
        return (max(0.0, left / w), max(0.0, 1 - top / h), min(1.0, right / w), min(1.0, 1 - bottom / h))
