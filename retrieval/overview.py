"""The theme x office overview: every office's stance on every theme, with quotes.

Built on the stance primitive (``retrieval.stance.supports``): this module only
asks it for one stance per (office, theme), arranges the answers as a matrix
and renders the stable JSON contract of ``python -m retrieval overview``::

    {"themes": [...], "offices": [{"office", "source"}],
     "cells": [{"theme", "office", "source", "supported", "strength",
                "probability", "quotes": [{"text", "source", "start_line", "end_line"}]}]}

The primitive is taken as a callable so that the matrix does not depend on
how stances are judged, only on their shape (``StanceLike``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from planqa.types import Citation

STRENGTHS = ("strong", "some", "none")  # the values of a stance's strength, strongest first
SUPPORTED = frozenset(("strong", "some"))
# one character per strength for the plain-text table
_MARKS = {"strong": "●", "some": "◐", "none": "·"}


class StanceLike(Protocol):
    """The fields of ``retrieval.stance.Stance`` that the overview reads."""

    @property
    def office(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def strength(self) -> Any: ...  # a str-valued enum (strong / some / none)
    @property
    def quotes(self) -> tuple[Citation, ...]: ...


@dataclass(frozen=True, slots=True)
class PlainStance:
    """A stance as plain values (a stored cell read back, or a stance from any other reader)."""

    office: str
    source: str
    topic: str
    probability: float
    strength: str
    quotes: tuple[Citation, ...]


# (offices, topics) -> one stance per pair, in any order
SupportsFn = Callable[[Sequence[str], Sequence[str]], Sequence[StanceLike]]


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # the original text at start_line..end_line of source
    source: str
    start_line: int
    end_line: int
    page: int | None = None  # paged sources (PDF) only

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "source": self.source,
                               "start_line": self.start_line, "end_line": self.end_line}
        if self.page is not None:
            out["page"] = self.page
        return out


@dataclass(frozen=True, slots=True)
class Cell:
    theme: str
    office: str
    source: str
    strength: str  # one of STRENGTHS
    probability: float
    quotes: tuple[Quote, ...]

    @property
    def supported(self) -> bool:
        return self.strength in SUPPORTED

    def to_dict(self) -> dict[str, Any]:
        return {"theme": self.theme, "office": self.office, "source": self.source,
                "supported": self.supported, "strength": self.strength,
                "probability": round(self.probability, 4),
                "quotes": [q.to_dict() for q in self.quotes]}


@dataclass(frozen=True, slots=True)
class Overview:
    themes: tuple[str, ...]
    offices: tuple[tuple[str, str], ...]  # (office, source), in row order
    cells: tuple[Cell, ...]  # row-major: for each office, every theme in ``themes`` order

    def cell(self, office: str, theme: str) -> Cell:
        """The cell of ``office`` and ``theme``.

        Raises:
            KeyError: naming the office or theme that is not in the matrix.
        """
        for c in self.cells:
            if c.office == office and c.theme == theme:
                return c
        raise KeyError(f"no cell for office {office!r} and theme {theme!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"themes": list(self.themes),
                "offices": [{"office": o, "source": s} for o, s in self.offices],
                "cells": [c.to_dict() for c in self.cells]}


def _strength_value(strength: Any) -> str:
    value = str(getattr(strength, "value", strength))
    if value not in STRENGTHS:
        raise ValueError(f"unknown stance strength {value!r}; valid: {', '.join(STRENGTHS)}")
    return value


def _quote(c: Citation, page_of: Callable[[str, int], int | None] | None) -> Quote:
    page = page_of(c.source, c.start_line) if page_of else None
    return Quote(text=c.text, source=c.source, start_line=c.start_line, end_line=c.end_line, page=page)


def build(supports: SupportsFn, offices: Sequence[str], themes: Sequence[str],
          page_of: Callable[[str, int], int | None] | None = None) -> Overview:
    """The matrix of ``offices`` x ``themes`` from one batched call of ``supports``.

    Args:
        supports: the stance primitive, ``(offices, topics) -> [Stance]``.
        offices: the rows, in order; duplicates are dropped.
        themes: the columns, in order; blank and duplicate themes are dropped.
        page_of: ``(source, line) -> page`` for paged sources, to put the page on quotes.

    Raises:
        ValueError: when no theme is left, or the primitive leaves a cell out.
    """
    themes = tuple(dict.fromkeys(t.strip() for t in themes if t.strip()))
    offices = tuple(dict.fromkeys(offices))
    if not themes:
        raise ValueError("no theme given; pass at least one non-blank theme")
    by_pair = {(s.office, s.topic): s for s in supports(offices, themes)}
    cells: list[Cell] = []
    sources: dict[str, str] = {}
    for office in offices:
        for theme in themes:
            stance = by_pair.get((office, theme))
            if stance is None:
                raise ValueError(f"the stance primitive gave no stance for office {office!r} and theme {theme!r}")
            sources.setdefault(office, stance.source)
            cells.append(Cell(theme=theme, office=office, source=stance.source,
                              strength=_strength_value(stance.strength), probability=float(stance.probability),
                              quotes=tuple(_quote(q, page_of) for q in stance.quotes)))
    return Overview(themes=themes, offices=tuple((o, sources.get(o, "")) for o in offices), cells=tuple(cells))


def table(overview: Overview, width: int = 12) -> str:
    """A plain-text table: offices as rows, themes as columns, one mark per cell."""
    names = [o for o, _ in overview.offices]
    first = max([len("office"), *(len(n) for n in names)])
    head = " ".join(t[:width].ljust(width) for t in overview.themes)
    lines = [f"{'office'.ljust(first)} {head}".rstrip()]
    for office in names:
        marks = " ".join(_MARKS[overview.cell(office, t).strength].ljust(width) for t in overview.themes)
        lines.append(f"{office.ljust(first)} {marks}".rstrip())
    lines.append("legend: " + "  ".join(f"{_MARKS[s]} {s}" for s in STRENGTHS))
    return "\n".join(lines)
