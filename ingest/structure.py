"""Plan structure: the office, the title, section headings and numbered items.

Headings are recognised by their Thai keywords (with English glosses and the
typos found in real plans, e.g. "ป้าประสงค์"), not by layout, because web
copies of plans keep almost no layout.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ingest.normalize import normalize_line, thai_digits_to_arabic
from ingest.offices import find_office_in_document
from ingest.sections import ENGLISH_KEYWORDS, HEADING_KEYWORDS, SectionKind
from planqa.types import ParsedDoc, Section, SourceDoc

MAX_HEADING_CHARS = 70
_ITEM = re.compile(r"^\s*(?:ข้อ\s*)?(\d{1,2})\s*(?:[.)]|(?=[\u0e01-\u0e4e\s]))")
_GLOSS_OR_NUMBER = re.compile(r"^(?:\s*\(|\s*ที่\s*\d|$)")
# one short word, then an English section name in parentheses, and nothing else
_GLOSSED_HEADING = re.compile(r"^\S{1,15}\s*\(\s*(?P<gloss>[A-Za-z]{3,12})\s*\)$")


def section_kind_of_heading(line: str) -> tuple[SectionKind, str] | None:
    """(kind, heading) when ``line`` (normalised) is a section heading."""
    # markdown: "## วิสัยทัศน์", "**พันธกิจ**"
    text = thai_digits_to_arabic(line).strip().lstrip("#").strip().strip("*_").strip()
    numbered = re.match(r"^\S+\s*ที่\s*\d", text) is not None
    limit = MAX_HEADING_CHARS * 2 if numbered else MAX_HEADING_CHARS
    if not text or len(text) > limit or _ITEM.match(text):
        return None
    keyword_hits = {kind for kw, kind in HEADING_KEYWORDS if kw in text}
    if len(keyword_hits) > 2:  # a line listing several sections is a title
        return None
    for keyword, kind in HEADING_KEYWORDS:
        if not text.startswith(keyword):
            continue
        rest = text[len(keyword) :]
        # "ตัวชี้วัด <content>" is a labelled line, "กลยุทธ์ที่ 1 <name>" a heading
        if _GLOSS_OR_NUMBER.match(rest) or not rest.startswith(" "):
            return kind, text
        return None
    # a heading whose Thai keyword OCR could not read, known by its English gloss: "Jaana (Vision)"
    # is how Tesseract tha+eng reads "วิสัยทัศน์ (Vision)" on plan 004's scans
    glossed = _GLOSSED_HEADING.match(text)
    if glossed and (gloss_kind := ENGLISH_KEYWORDS.get(glossed.group("gloss").lower())) is not None:
        return gloss_kind, text
    return None


def item_number(line: str) -> str | None:
    """The item number a line starts with, in Arabic digits ("๓ส่งเสริม" -> "3")."""
    m = _ITEM.match(thai_digits_to_arabic(line))
    return m.group(1) if m else None


def parse(doc: SourceDoc, catalogue: dict[str, dict[str, object]] | None = None) -> ParsedDoc:
    """Find the office, title and sections of a plan.

    Args:
        doc: the document as loaded.
        catalogue: optional overrides by source name: {"office": "...", ...}.
    """
    norm = [normalize_line(line) for line in doc.lines]
    title = next((line for line in norm if line), "")
    override = (catalogue or {}).get(doc.source) or (catalogue or {}).get(PurePath(doc.source).name)
    key = find_office_in_document(norm)
    if override and override.get("office"):
        office, named = str(override["office"]), True
    elif key is not None:
        office, named = key.full_name(), True
    else:
        office, named = fallback_office_label(doc.source, title), False
    return ParsedDoc(doc=doc, office=office, office_named=named, title=title, sections=_sections(norm))


UNNAMED = "แผนไม่ระบุสำนักงาน"
TITLE_LABEL_CHARS = 48


def fallback_office_label(source: str, title: str) -> str:
    """A readable label for a plan that never names its office: from its own title (cut at a word),
    or its file name when it has none. ``corpus/offices.toml`` sets the real office."""
    title = " ".join(title.split())
    if not title:
        return f"{UNNAMED} ({PurePath(source).stem})"
    if len(title) > TITLE_LABEL_CHARS:
        cut = title.rfind(" ", 0, TITLE_LABEL_CHARS)
        title = title[: cut if cut > TITLE_LABEL_CHARS // 2 else TITLE_LABEL_CHARS] + "…"
    return f"{UNNAMED} “{title}”"


def _sections(norm: list[str]) -> tuple[Section, ...]:
    heads: list[tuple[int, SectionKind, str]] = []  # (0-based line, kind, title)
    folded: list[int] = []  # indicator headings kept inside their strategy
    current_kind = SectionKind.NONE
    current_title = ""
    for i, line in enumerate(norm):
        found = section_kind_of_heading(line)
        if found is None:
            continue
        kind, title = found
        # an indicator heading inside a numbered strategy belongs to that strategy
        if kind == SectionKind.INDICATOR and current_kind == SectionKind.STRATEGY and re.search(r"ที่\s*\d", current_title):
            folded.append(i)
            continue
        heads.append((i, kind, title))
        current_kind, current_title = kind, title
    sections: list[Section] = []
    last = len(norm) - 1
    starts = [0] + [h[0] for h in heads]
    if heads and heads[0][0] == 0:
        starts = starts[1:]
        labels = [(h[1], h[2]) for h in heads]
    else:
        labels = [(SectionKind.NONE, "")] + [(h[1], h[2]) for h in heads]
    for n, start in enumerate(starts):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else last
        kind, title = labels[n]
        # "1) ..." under a folded indicator heading numbers indicators, not the strategy's items
        stop = min((f for f in folded if start < f <= end), default=end + 1)
        items = tuple(
            (num, i + 1) for i in range(start + (1 if title else 0), stop) if (num := item_number(norm[i])) and norm[i]
        )
        sections.append(Section(title=title, kind=kind, start_line=start + 1, end_line=end + 1, items=items))
    return tuple(_merge_forward(sections, norm))


PREAMBLE_MAX_CHARS = 160


def _merge_forward(sections: list[Section], norm: list[str]) -> list[Section]:
    """Glue a bare heading or a short preamble onto the section after it,
    so that a line like an office name never stands alone."""
    out: list[Section] = []
    carry: int | None = None
    for n, sec in enumerate(sections):
        start = carry if carry is not None else sec.start_line
        body = [norm[i - 1] for i in range(sec.start_line + (1 if sec.title else 0), sec.end_line + 1)]
        body_chars = sum(len(b) for b in body)
        short_preamble = not sec.title and body_chars <= PREAMBLE_MAX_CHARS
        if n + 1 < len(sections) and (body_chars == 0 or short_preamble):
            carry = start
            continue
        carry = None
        out.append(Section(sec.title, sec.kind, start, sec.end_line, sec.items))
    return out
