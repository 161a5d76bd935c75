"""Quotable units: the items (with their continuation lines) and body lines of a chunk.

A unit has its exact line span in the original file, so every quote can be
cited. Units are a property of the chunk: ingest embeds each one (its vector
is stored beside the chunk, ``ingest/lexical.py``) and the answerer quotes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize import normalize_line
from ingest.structure import item_number, section_kind_of_heading
from ingest.tokens import tokenize
from planqa.types import Chunk

# a unit's words are read from its first characters only: a plan item is a few hundred, and a
# megabyte-long line must not be tokenised again for every question that retrieves it
TOKEN_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Unit:
    chunk: Chunk
    start_line: int
    end_line: int
    text: str  # normalised, for display (of each line, its first TOKEN_CHARS characters)
    raw: str  # exact original lines, for the citation
    item: str | None
    tokens: frozenset[str]  # the unit's own words
    is_heading: bool = False
    title_tokens: frozenset[str] = frozenset()  # its section title's words


def units_of(chunk: Chunk) -> list[Unit]:
    """Split a chunk into items (with continuation lines) and body lines.

    The section heading, and any preamble before it (a page title, the
    office name), become non-quotable units flagged ``is_heading``. A chunk
    is split and tokenised once per process, not once per question.
    """
    return list(_units(chunk))


@lru_cache(maxsize=20_000)
def _units(chunk: Chunk) -> tuple[Unit, ...]:
    lines = chunk.text.split("\n")
    groups: list[list[int]] = []
    label_groups: set[int] = set()
    heads = [normalize_line(x[:TOKEN_CHARS]) for x in lines]  # structure needs only a line's beginning
    heading_at = next(
        (i for i, x in enumerate(heads) if chunk.section and x and section_kind_of_heading(x)),
        None,
    )
    blanks = 0
    for i, norm in enumerate(heads):
        if not norm:
            blanks += 1
            continue
        # after a wide gap (two blank lines) a new block starts, e.g. a signature
        detached = blanks >= 2 and not norm.startswith(("-", "•", "*", "–"))
        blanks = 0
        is_label = (heading_at is not None and i <= heading_at) or section_kind_of_heading(norm) is not None
        if is_label:
            label_groups.add(len(groups))
            groups.append([i])
        elif item_number(norm) is not None or detached or not groups or (len(groups) - 1) in label_groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    # the words ingest stored (tokenising a thousand plans' units per question is what a
    # "which office" question over them would otherwise spend its time on)
    stored = chunk.unit_words if chunk.unit_words is not None and len(chunk.unit_words) == len(groups) else None
    units = []
    for gi, g in enumerate(groups):
        raw_lines = lines[g[0] : g[-1] + 1]
        raw = "\n".join(raw_lines).strip()
        text = " ".join(n for n in heads[g[0] : g[-1] + 1] if n).strip("“”\"")
        units.append(
            Unit(
                chunk=chunk,
                start_line=chunk.start_line + g[0],
                end_line=chunk.start_line + g[-1],
                text=text,
                raw=raw,
                item=item_number(heads[g[0]]),
                tokens=frozenset(stored[gi].split() if stored is not None else _words(text)),
                title_tokens=_title_tokens(chunk.section),
                is_heading=gi in label_groups,
            )
        )
    return tuple(units)


def _words(text: str) -> list[str]:
    return tokenize(text[:TOKEN_CHARS], drop_stopwords=False)


def unit_words(chunk: Chunk) -> tuple[str, ...]:
    """What the index stores as ``Chunk.unit_words``: each unit's words, space-separated, in
    unit order."""
    return tuple(" ".join(sorted(u.tokens)) for u in _units(chunk))


@lru_cache(maxsize=4096)
def _title_tokens(title: str) -> frozenset[str]:
    """A section title's words support its items ("กลยุทธ์ที่ 4 การสร้างความปลอดภัย")."""
    return frozenset(tokenize(title)) if title else frozenset()


def quotable(chunk: Chunk) -> list[Unit]:
    """The units of ``chunk`` an answer may quote (headings and preambles left out)."""
    return [u for u in units_of(chunk) if not u.is_heading]
