"""Cut a parsed plan into chunks that follow its structure.

A heading stays with its items; a long section is split between items, never
inside one; every chunk's text is exactly its line span of the original file.
"""

from __future__ import annotations

import hashlib

from ingest.normalize import normalize_line
from ingest.structure import item_number, section_kind_of_heading
from planqa.types import Chunk, ParsedDoc, Section

MAX_CHUNK_CHARS = 700


def chunk_document(parsed: ParsedDoc, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Split ``parsed`` into chunks, one section at a time."""
    chunks: list[Chunk] = []
    for section in parsed.sections:
        for start, end in _section_spans(parsed, section, max_chars):
            chunks.append(_make_chunk(parsed, section, start, end))
    return chunks


def _section_spans(parsed: ParsedDoc, section: Section, max_chars: int) -> list[tuple[int, int]]:
    """Line spans (1-based, inclusive) of the chunks of one section."""
    lines = parsed.doc.lines
    # blocks: the heading (with anything before the first item) then one block per item
    # an item starts a block; so does a paragraph after a blank line (but a
    # bullet after a blank line still belongs to its item)
    blocks: list[list[int]] = [[]]
    after_blank = False
    for ln in range(section.start_line, section.end_line + 1):
        norm = normalize_line(lines[ln - 1])
        starts = item_number(norm) is not None or (after_blank and not norm.startswith(("-", "•", "*", "–")))
        if norm and ln > section.start_line and starts and blocks[-1]:
            blocks.append([])
        blocks[-1].append(ln)
        after_blank = not norm
    sizes = [sum(len(normalize_line(lines[ln - 1])) for ln in block) for block in blocks]
    body_start = _body_start(lines, section)
    groups: list[list[int]] = []
    group_chars: list[int] = []
    for block, size in zip(blocks, sizes):
        # a heading never stands alone: the group holding it takes the next block
        bare_heading = bool(groups) and body_start is not None and groups[-1][-1] < body_start
        if groups and (bare_heading or group_chars[-1] + size <= max_chars):
            groups[-1].extend(block)
            group_chars[-1] += size
        else:
            groups.append(list(block))
            group_chars.append(size)
    # a small tail (e.g. one indicator line) stays with the items before it
    if len(groups) > 1 and group_chars[-1] < max_chars // 4:
        groups[-2].extend(groups.pop())
    spans = [(g[0], g[-1]) for g in groups]
    return [s for s in (_trim(lines, a, b) for a, b in spans) if s is not None]


def _body_start(lines: tuple[str, ...], section: Section) -> int | None:
    """The first non-blank line after the section's heading (None without a heading)."""
    if not section.title:
        return None
    heading: int | None = None
    for ln in range(section.start_line, section.end_line + 1):
        norm = normalize_line(lines[ln - 1])
        if heading is None:
            found = section_kind_of_heading(norm)
            heading = ln if found and found[1] == section.title else None
        elif norm:
            return ln
    return None


def _trim(lines: tuple[str, ...], start: int, end: int) -> tuple[int, int] | None:
    while start <= end and not normalize_line(lines[start - 1]):
        start += 1
    while end >= start and not normalize_line(lines[end - 1]):
        end -= 1
    return (start, end) if start <= end else None


def _make_chunk(parsed: ParsedDoc, section: Section, start: int, end: int) -> Chunk:
    doc = parsed.doc
    text = "\n".join(doc.lines[start - 1 : end])
    items = tuple(num for num, ln in section.items if start <= ln <= end)
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    key = "\x1f".join((doc.source, parsed.office, section.title, section.kind, str(start), str(end), text))
    chunk_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return Chunk(
        id=chunk_id,
        source=doc.source,
        office=parsed.office,
        section=section.title,
        section_kind=section.kind,
        items=items,
        start_line=start,
        end_line=end,
        text=text,
        content_hash=content_hash,
    )
