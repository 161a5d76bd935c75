"""The overview's stored cells: one office's stance on one default theme, kept in the index.

A table in the lexical store's SQLite file (the same connection and write
lock), so a cell lives and goes with the index it was computed from. Each
cell carries a ``stamp``: what it was computed from (the office's plans and
the stance model, see ``retrieval.overview_cells``). This module only stores
and reads; deciding which cells are stale is the retrieval layer's business.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.lexical import LexicalIndex
from planqa.types import Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS overview_cells (
    office TEXT NOT NULL,
    theme TEXT NOT NULL,
    stamp TEXT NOT NULL,
    source TEXT NOT NULL,
    strength TEXT NOT NULL,
    probability REAL NOT NULL,
    quotes TEXT NOT NULL,
    PRIMARY KEY (office, theme)
);
"""
# a quote as stored: the citation's fields that locate and show it (its number is per answer)
_QUOTE_FIELDS = ("source", "office", "section", "start_line", "end_line", "text", "chunk_id")


@dataclass(frozen=True, slots=True)
class StoredCell:
    office: str
    theme: str
    stamp: str  # what the cell was computed from; a cell whose stamp is not current is stale
    source: str  # the office's plan, as cited ("" when nothing was found)
    strength: str  # strong / some / none
    probability: float
    quotes: tuple[Citation, ...]  # the original text at the cited lines


class CellStore:
    """The stored cells of one index (thread-safe, as its lexical store is)."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self._ready = False

    @property
    def writable(self) -> bool:
        return not self.lexical.read_only

    def _table(self) -> sqlite3.Connection:
        conn = self.lexical._conn()
        if not self._ready and self.writable:
            conn.executescript(_SCHEMA)
            self._ready = True
        return conn

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        try:
            return list(self._table().execute(sql, args))
        except sqlite3.OperationalError as exc:  # a read-only index written before cells were stored
            if "no such table" in str(exc):
                return []
            raise

    def stamps(self) -> dict[tuple[str, str], str]:
        """(office, theme) -> the stamp of every stored cell."""
        return {(r[0], r[1]): r[2] for r in self._rows("SELECT office, theme, stamp FROM overview_cells")}

    def get(self, themes: Sequence[str]) -> list[StoredCell]:
        """The stored cells of ``themes``, every office."""
        if not themes:
            return []
        marks = ",".join("?" * len(themes))
        rows = self._rows(f"SELECT * FROM overview_cells WHERE theme IN ({marks})", list(themes))
        return [StoredCell(r["office"], r["theme"], r["stamp"], r["source"], r["strength"], float(r["probability"]),
                           tuple(_citation(n, q) for n, q in enumerate(json.loads(r["quotes"]), 1))) for r in rows]

    def put(self, cells: Iterable[StoredCell]) -> int:
        """Write ``cells``, each replacing the cell of its office and theme."""
        rows = [(c.office, c.theme, c.stamp, c.source, c.strength, c.probability,
                 json.dumps([[getattr(q, f) for f in _QUOTE_FIELDS] for q in c.quotes], ensure_ascii=False))
                for c in cells]
        self._table()
        with self.lexical._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO overview_cells VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def drop(self, keys: Iterable[tuple[str, str]]) -> int:
        """Remove the cells of these (office, theme) pairs."""
        keys = list(keys)
        if not keys:
            return 0
        self._table()
        with self.lexical._transaction() as conn:
            conn.executemany("DELETE FROM overview_cells WHERE office = ? AND theme = ?", keys)
        return len(keys)


def _citation(n: int, fields: list[object]) -> Citation:
    source, office, section, start, end, text, chunk_id = fields
    return Citation(n, str(source), str(office), str(section), int(str(start)), int(str(end)), str(text),
                    str(chunk_id))
