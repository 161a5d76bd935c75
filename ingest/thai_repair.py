"""Repair Thai text as PDF extractors and OCR hand it over, before normalisation.

Word-, browser- and HarfBuzz-made PDFs and OCR text layers damage Thai in four
known ways; each rule below undoes one of them and leaves clean text alone
(the seed plans come out byte-identical, which the tests check):

- shaped fonts put shifted tone marks and upper vowels in the Private Use Area
  (U+F700-U+F71A, the layout of Microsoft's and Apple's Thai fonts): mapped
  back to the standard characters;
- lossy ToUnicode maps and OCR write sara am as two characters ("ำา", or
  nikhahit + sara aa "ํา"): folded to one "ำ";
- OCR text layers put a space between a base letter and its mark ("ที ่"):
  the mark is rejoined, never dropped;
- some lines come spelled out letter by letter ("ส ำ นั ก"): rejoined.

Every rule works within a line, so line numbers (and citations) are unchanged.
"""

from __future__ import annotations

import re

# Private Use Area glyph variants -> the characters they draw
PUA_MAP: dict[int, str] = {
    0xF700: "\u0e10",  # ฐ without its lower tail
    0xF701: "\u0e34", 0xF702: "\u0e35", 0xF703: "\u0e36", 0xF704: "\u0e37",  # upper vowels, shifted left
    0xF705: "\u0e48", 0xF706: "\u0e49", 0xF707: "\u0e4a", 0xF708: "\u0e4b", 0xF709: "\u0e4c",  # marks, low-left
    0xF70A: "\u0e48", 0xF70B: "\u0e49", 0xF70C: "\u0e4a", 0xF70D: "\u0e4b", 0xF70E: "\u0e4c",  # marks, low
    0xF70F: "\u0e0d",  # ญ without its lower tail
    0xF710: "\u0e31", 0xF711: "\u0e4d", 0xF712: "\u0e47",  # mai han-akat, nikhahit, mai taikhu, shifted left
    0xF713: "\u0e48", 0xF714: "\u0e49", 0xF715: "\u0e4a", 0xF716: "\u0e4b", 0xF717: "\u0e4c",  # marks, left
    0xF718: "\u0e38", 0xF719: "\u0e39", 0xF71A: "\u0e3a",  # lower vowels and phinthu, lowered
}

# marks that sit on a base letter: mai han-akat, upper/lower vowels, phinthu, tone marks and the rest
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_TONES = "\u0e48-\u0e4b"
# a Thai base letter (consonants, vowels that stand alone, signs)
_THAI = "\u0e01-\u0e30\u0e32\u0e33\u0e3f-\u0e46\u0e4f-\u0e5b"
# sara am written as nikhahit (+ tone) + sara aa, or sara am + a stray sara aa
_SARA_AM_SPLIT = re.compile(f"\u0e4d([{_TONES}]?)\u0e32")
_SARA_AM_TONE_AFTER = re.compile(f"\u0e4d\u0e32([{_TONES}])")
_SARA_AM_DOUBLE = re.compile("\u0e33\u0e32")
# spaces between a Thai letter and the mark (or sara am) that belongs on it
_SPACED_MARK = re.compile(f"(?<=[{_THAI}{_MARKS}]) +(?=[{_MARKS}\u0e33])")
# one Thai letter with its marks: the unit a spelled-out line is made of
_CLUSTER = f"[{_THAI}][{_MARKS}]*\u0e33?"
_SPELLED_RUN = re.compile(f"(?<![^ ]){_CLUSTER}(?: {_CLUSTER}){{3,}}(?![^ ])")


def _fold_sara_am(line: str) -> str:
    line = _SARA_AM_TONE_AFTER.sub("\\1\u0e33", line)
    line = _SARA_AM_SPLIT.sub("\\1\u0e33", line)
    return _SARA_AM_DOUBLE.sub("\u0e33", line)


def _join_spelled(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


def repair_line(line: str) -> str:
    """Repair one line of extracted Thai text (no newlines in, none out).

    >>> repair_line("วิสัยทัศน\\uf70e")
    'วิสัยทัศน์'
    >>> repair_line("สำานักงาน ที ่ตั้ง")
    'สำนักงาน ที่ตั้ง'
    >>> repair_line("ส ำ นั ก ง า น")
    'สำนักงาน'
    """
    if not line:
        return line
    line = line.translate(PUA_MAP)
    line = _SPACED_MARK.sub("", line)
    line = _fold_sara_am(line)
    return _SPELLED_RUN.sub(_join_spelled, line)


def repair_text(text: str) -> str:
    """Repair a multi-line text; the line count is preserved."""
    return "\n".join(repair_line(line) for line in text.split("\n"))
