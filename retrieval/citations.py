"""Citation bookkeeping: every quote gets a number that points at its exact original lines."""

from __future__ import annotations

from collections.abc import Sequence

from planqa.types import Citation
from retrieval.evidence import Unit


class CitationBook:
    """The citations of one answer, numbered in order of first use; a span cited twice keeps its number."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.units: dict[int, list[Unit]] = {}

    def cite(self, units: Sequence[Unit]) -> int:
        """One citation for units of one chunk (a run of items); returns its number.

        Units from later chunks are left out of the span: a citation is one
        contiguous run of original lines.
        """
        first = units[0]
        chunk = first.chunk
        same = [u for u in units if u.chunk.id == chunk.id]
        last = same[-1]
        lines = chunk.text.split("\n")
        raw = "\n".join(lines[first.start_line - chunk.start_line : last.end_line - chunk.start_line + 1]).strip()
        for c in self.citations:
            if (c.source, c.start_line, c.end_line) == (chunk.source, first.start_line, last.end_line):
                return c.n
        n = len(self.citations) + 1
        self.citations.append(
            Citation(n, chunk.source, chunk.office, chunk.section, first.start_line, last.end_line, raw, chunk.id)
        )
        self.units[n] = list(same)
        return n

    @property
    def quoted(self) -> list[Unit]:
        return [u for c in self.citations for u in self.units.get(c.n, [])]
