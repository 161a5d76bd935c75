"""The lexical index and chunk store: SQLite FTS5 over pre-tokenised Thai.

One SQLite file holds the chunk records (the text we quote), an FTS5 table
of their pythainlp tokens ranked with BM25, the per-document catalogue and
index metadata. It is updated in place by each ingest run: no rebuild at
start-up or on change.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ingest.tokens import tokenize
from planqa.errors import ReadOnlyIndex
from planqa.types import Chunk, IndexedDocument, PageInfo, SectionKind, SourceDoc, StoredLine

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    source TEXT NOT NULL,
    office TEXT NOT NULL,
    section TEXT NOT NULL,
    section_kind TEXT NOT NULL,
    items TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_office ON chunks(office);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    tokens, tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M*'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_vocab USING fts5vocab(fts, 'row');
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    office TEXT NOT NULL,
    office_named INTEGER NOT NULL,
    title TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    sections TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS term_vectors (term TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS unit_vectors (chunk_id TEXT PRIMARY KEY, rows INTEGER NOT NULL, vecs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS unit_words (chunk_id TEXT PRIMARY KEY, words TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS document_lines (
    source TEXT NOT NULL, line INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER, box TEXT,
    PRIMARY KEY (source, line)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS document_pages (
    source TEXT NOT NULL, number INTEGER NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
    ocr INTEGER NOT NULL, confidence REAL, PRIMARY KEY (source, number)
) WITHOUT ROWID;
"""


class LexicalIndex:
    """BM25 search and chunk records in one SQLite file (thread-safe)."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        """``read_only``: open an existing file that cannot be written (a read-only folder or disk);
        every query works, every write raises ReadOnlyIndex."""
        self.path = path
        self.read_only = read_only
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise ReadOnlyIndex(f"{path} does not exist and its folder is read-only; ingest somewhere writable first")
        self._local = threading.local()
        # re-entrant: the writes of a rebuild run inside its one transaction (``rebuild``)
        self._write_lock = threading.RLock()
        self._batch_thread: int | None = None
        self._rows_sql: str | None = None
        if not read_only:
            with self._conn() as conn:
                conn.executescript(_SCHEMA)
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:
                conn = _read_only(self.path)
            else:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (after an ingest run): the file alone is
        then the whole index, as a read-only copy of it must be."""
        if not self._in_rebuild():
            self._writing().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _writing(self) -> sqlite3.Connection:
        if self.read_only:
            raise ReadOnlyIndex(f"the index {self.path.parent} is read-only: it can be served, not written")
        return self._conn()

    # ---- writes -----------------------------------------------------------
    def _in_rebuild(self) -> bool:
        return self._batch_thread == threading.get_ident()

    @contextmanager
    def rebuild(self) -> Iterator[None]:
        """Every write of this thread inside, one transaction: a ``--full`` rebuild clears and refills the
        store, and readers (other threads, other processes) see the old index until it commits, then the
        new one; never a half-built one. Rolled back on any error: the old index stays."""
        with self._write_lock:
            conn = self._writing()
            conn.execute("BEGIN IMMEDIATE")
            self._batch_thread = threading.get_ident()
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._batch_thread = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the write lock: committed at the end, rolled back on any error
        (inside a ``rebuild``, a savepoint of its transaction)."""
        with self._write_lock:
            conn = self._writing()
            undo: tuple[str, ...]
            if self._in_rebuild():
                begin, commit, undo = "SAVEPOINT step", ("RELEASE step",), ("ROLLBACK TO step", "RELEASE step")
            else:
                begin, commit, undo = "BEGIN IMMEDIATE", ("COMMIT",), ("ROLLBACK",)
            conn.execute(begin)
            try:
                yield conn
                for statement in commit:
                    conn.execute(statement)
            except BaseException:
                for statement in undo:
                    conn.execute(statement)
                raise

    def upsert(self, chunks: Sequence[Chunk], tokens: Sequence[list[str]] | None = None) -> None:
        """Insert or replace chunks (and their tokens) by id, atomically; their units' vectors and
        words come later (``put_unit_vectors``)."""
        if tokens is None:
            tokens = [tokenize(c.embed_text) for c in chunks]
        with self._transaction() as conn:
            self._delete_ids(conn, [c.id for c in chunks])
            for chunk, toks in zip(chunks, tokens):
                cur = conn.execute(
                    "INSERT INTO chunks (id, source, office, section, section_kind, items, start_line,"
                    " end_line, text, content_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        chunk.id,
                        chunk.source,
                        chunk.office,
                        chunk.section,
                        chunk.section_kind,
                        ",".join(chunk.items),
                        chunk.start_line,
                        chunk.end_line,
                        chunk.text,
                        chunk.content_hash,
                    ),
                )
                conn.execute("INSERT INTO fts (rowid, tokens) VALUES (?, ?)", (cur.lastrowid, " ".join(toks)))

    def delete(self, ids: Iterable[str]) -> int:
        with self._transaction() as conn:
            return self._delete_ids(conn, list(ids))

    @staticmethod
    def _delete_ids(conn: sqlite3.Connection, ids: list[str]) -> int:
        n = 0
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = conn.execute(f"SELECT rowid FROM chunks WHERE id IN ({marks})", batch).fetchall()
            for (rowid,) in rows:
                conn.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
            conn.execute(f"DELETE FROM chunks WHERE id IN ({marks})", batch)
            conn.execute(f"DELETE FROM unit_vectors WHERE chunk_id IN ({marks})", batch)
            conn.execute(f"DELETE FROM unit_words WHERE chunk_id IN ({marks})", batch)
            n += len(rows)
        return n

    def clear(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM fts")
            conn.execute("DELETE FROM chunks")
            conn.execute("DELETE FROM documents")
            conn.execute("DELETE FROM term_vectors")
            conn.execute("DELETE FROM unit_vectors")
            conn.execute("DELETE FROM unit_words")
            conn.execute("DELETE FROM document_lines")
            conn.execute("DELETE FROM document_pages")
            conn.execute("DELETE FROM meta WHERE key != 'schema'")

    # ---- reads ------------------------------------------------------------
    def search(self, query_tokens: list[str], k: int, offices: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; higher is better."""
        match = self._match(query_tokens)
        if match is None:
            return []
        conn = self._conn()
        if offices:
            sql = ("SELECT c.id, -bm25(fts) AS score FROM fts JOIN chunks c ON c.rowid = fts.rowid WHERE fts MATCH ?"
                   f" AND c.office IN ({','.join('?' * len(offices))}) ORDER BY bm25(fts) LIMIT ?")
            return [(row[0], float(row[1])) for row in conn.execute(sql, [match, *offices, k])]
        # rank inside FTS5 first, then look up only the k winners
        ranked = conn.execute("SELECT rowid, -rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (match, k)).fetchall()
        if not ranked:
            return []
        marks = ",".join("?" * len(ranked))
        ids = dict(conn.execute(f"SELECT rowid, id FROM chunks WHERE rowid IN ({marks})", [r[0] for r in ranked]).fetchall())
        return [(ids[r[0]], float(r[1])) for r in ranked if r[0] in ids]

    def search_each(self, query_tokens: list[str], k: int, offices: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        """``search(query_tokens, k, [office])`` for every office of ``offices``, in one FTS5 query."""
        out: dict[str, list[tuple[str, float]]] = {o: [] for o in offices}
        match = self._match(query_tokens)
        if match is None:
            return out
        sql = ("SELECT c.id, c.office, -bm25(fts) AS score FROM fts JOIN chunks c ON c.rowid = fts.rowid"
               " WHERE fts MATCH ? ORDER BY bm25(fts)")
        for cid, office, score in self._conn().execute(sql, (match,)):
            got = out.get(office)
            if got is not None and len(got) < k:
                got.append((cid, float(score)))
        return out

    def _match(self, query_tokens: list[str]) -> str | None:
        """The FTS5 query of the tokens' discriminating terms, each quoted, OR'ed; None when none is left."""
        terms = self._discriminating(sorted(set(query_tokens)))
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) if terms else None

    def _discriminating(self, terms: list[str]) -> list[str]:
        """Terms in at most half the chunks (the rarest one if none is).

        FTS5's BM25 gives a term in more than half the chunks an IDF of ~0
        (1e-6), so leaving it out changes no ranking, but scoring it means
        visiting every chunk that has it: office-name words are in all of them.
        """
        if not terms:
            return []
        conn = self._conn()
        marks = ",".join("?" * len(terms))
        df = dict(conn.execute(f"SELECT term, doc FROM fts_vocab WHERE term IN ({marks})", terms).fetchall())
        total = self.chunk_count()
        kept = [t for t in terms if df.get(t, 0) * 2 <= total]
        return kept or [min(terms, key=lambda t: df.get(t, 0))]

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            batch = list(ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            for row in self._conn().execute(f"{self._chunk_rows()} WHERE c.id IN ({marks})", batch):
                out[row["id"]] = _row_to_chunk(row)
        return out

    def _chunk_rows(self) -> str:
        """The chunk query: with the units' words, unless the file predates them (read-only, old)."""
        if self._rows_sql is None:
            has = self._conn().execute("SELECT 1 FROM sqlite_master WHERE name = 'unit_words'").fetchone()
            self._rows_sql = _CHUNK_ROWS if has else "SELECT c.*, NULL AS unit_words FROM chunks c"
        return self._rows_sql

    def chunks_of(self, source: str) -> list[Chunk]:
        rows = self._conn().execute(f"{self._chunk_rows()} WHERE c.source = ? ORDER BY c.start_line", (source,))
        return [_row_to_chunk(r) for r in rows]

    def doc_freq(self, token: str) -> int:
        """Number of chunks whose tokens include ``token``."""
        row = self._conn().execute("SELECT doc FROM fts_vocab WHERE term = ?", (token,)).fetchone()
        return int(row[0]) if row else 0

    def has_prefix(self, token: str) -> bool:
        """Some chunk holds a word that starts with ``token`` ("โรค" in "โรคติดเชื้อ")."""
        row = self._conn().execute("SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1",
                                   ('"' + token.replace('"', '""') + '"*',))
        return row.fetchone() is not None

    def contains_text(self, text: str) -> bool:
        """Some chunk's text holds ``text`` anywhere ("กิจกรรม" in "จัดกิจกรรม"); a scan,
        so ask ``has_prefix`` first."""
        row = self._conn().execute("SELECT 1 FROM chunks WHERE instr(text, ?) > 0 LIMIT 1", (text,))
        return row.fetchone() is not None

    def all_ids(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT id FROM chunks")}

    def fts_count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM fts").fetchone()[0])

    def chunk_count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM chunks").fetchone()[0])

    # ---- the vocabulary's vectors (meaning-aware term matching) ---------------------
    def terms(self) -> dict[str, int]:
        """Every indexed token with the number of chunks that hold it."""
        return dict(self._conn().execute("SELECT term, doc FROM fts_vocab").fetchall())

    def vector_terms(self) -> set[str]:
        return {r[0] for r in self._conn().execute("SELECT term FROM term_vectors")}

    def put_term_vectors(self, terms: Sequence[str], vectors: Any) -> None:
        """Store unit float32 vectors of ``terms`` (rows of ``vectors``)."""
        rows = [(t, v.astype("float32").tobytes()) for t, v in zip(terms, vectors)]
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO term_vectors VALUES (?, ?)", rows)

    def prune_term_vectors(self) -> int:
        """Forget the vectors of terms no chunk holds any more."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM term_vectors WHERE term NOT IN (SELECT term FROM fts_vocab)")
            return int(cur.rowcount or 0)

    def term_vectors(self) -> tuple[list[str], bytes, int]:
        """(terms, their vectors as one float32 buffer, row count), in term order."""
        rows = self._conn().execute("SELECT term, vec FROM term_vectors ORDER BY term").fetchall()
        return [r[0] for r in rows], b"".join(r[1] for r in rows), len(rows)

    # ---- the units' vectors (unit-level dense similarity) ------------------------------
    def unit_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Chunk id -> its quotable units' vectors (float32 rows, in unit order)."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 500):
            batch = list(ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            for cid, n, blob in self._conn().execute(
                    f"SELECT chunk_id, rows, vecs FROM unit_vectors WHERE chunk_id IN ({marks})", batch):
                out[cid] = np.frombuffer(blob, dtype=np.float16).reshape(n, -1).astype(np.float32) if n else \
                    np.zeros((0, 0), dtype=np.float32)
        return out

    def ids_without_unit_vectors(self) -> list[str]:
        return [r[0] for r in self._conn().execute(
            "SELECT id FROM chunks WHERE id NOT IN (SELECT chunk_id FROM unit_vectors)")]

    def ids_without_unit_words(self) -> list[str]:
        return [r[0] for r in self._conn().execute(
            "SELECT id FROM chunks WHERE id NOT IN (SELECT chunk_id FROM unit_words)")]

    def put_unit_vectors(self, vectors: dict[str, np.ndarray], words: dict[str, tuple[str, ...]] | None = None) -> None:
        """Store units' vectors (and their words: one string a unit, see ``Chunk.unit_words``)."""
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO unit_vectors VALUES (?, ?, ?)",
                             [(cid, len(v), np.asarray(v, dtype=np.float16).tobytes()) for cid, v in vectors.items()])
            conn.executemany("INSERT OR REPLACE INTO unit_words VALUES (?, ?)",
                             [(cid, "\n".join(w)) for cid, w in (words or {}).items()])
            # what was prepared for chunks that were not written after all has no chunk to belong to
            conn.execute("DELETE FROM unit_vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)")
            conn.execute("DELETE FROM unit_words WHERE chunk_id NOT IN (SELECT id FROM chunks)")

    # ---- documents and meta ---------------------------------------------------
    def put_document(self, doc: IndexedDocument) -> None:
        with self._write_lock:
            self._writing().execute(
                "INSERT OR REPLACE INTO documents (source, office, office_named, title, sha256, format, encoding,"
                " sections, chunk_ids, aliases, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (doc.source, doc.office, int(doc.office_named), doc.title, doc.sha256, doc.format, doc.encoding,
                 json.dumps(list(doc.sections), ensure_ascii=False), json.dumps(list(doc.chunk_ids)),
                 json.dumps(list(doc.aliases), ensure_ascii=False), doc.ingested_at),
            )

    def delete_document(self, source: str) -> None:
        with self._transaction() as conn:
            for table in ("documents", "document_lines", "document_pages"):
                conn.execute(f"DELETE FROM {table} WHERE source = ?", (source,))

    def put_lines(self, doc: SourceDoc) -> None:
        """Keep ``doc``'s lines (and pages, line boxes) so that passages are served without the file."""
        page_of = {ln: p.number for p in doc.pages for ln in range(p.start_line, p.end_line + 1)}
        boxes = doc.line_boxes
        rows = [(doc.source, n, line, page_of.get(n),
                 json.dumps(boxes[n - 1]) if n <= len(boxes) and boxes[n - 1] is not None else None)
                for n, line in enumerate(doc.lines, 1)]
        pages = [(doc.source, p.number, p.start_line, p.end_line, int(p.ocr), p.confidence) for p in doc.pages]
        with self._transaction() as conn:
            conn.execute("DELETE FROM document_lines WHERE source = ?", (doc.source,))
            conn.execute("DELETE FROM document_pages WHERE source = ?", (doc.source,))
            conn.executemany("INSERT INTO document_lines VALUES (?, ?, ?, ?, ?)", rows)
            conn.executemany("INSERT INTO document_pages VALUES (?, ?, ?, ?, ?, ?)", pages)

    def lines_of(self, source: str, first: int = 1, last: int | None = None) -> list[StoredLine]:
        """The stored lines ``first``..``last`` of ``source`` ([] when the index keeps none for it)."""
        if not self._has_lines():
            return []
        rows = self._conn().execute(
            "SELECT line, text, page, box FROM document_lines WHERE source = ? AND line BETWEEN ? AND ? ORDER BY line",
            (source, first, last if last is not None else 2**62))
        return [StoredLine(r[0], r[1], r[2], tuple(json.loads(r[3])) if r[3] else None) for r in rows]

    def document_sha256(self, source: str) -> str:
        """The SHA-256 of the file as it was indexed ("" when it is not indexed)."""
        row = self._conn().execute("SELECT sha256 FROM documents WHERE source = ?", (source,)).fetchone()
        return str(row[0]) if row else ""

    def _has_lines(self) -> bool:
        """False for a read-only index written before documents' lines were kept (no such tables)."""
        if not self.read_only:
            return True
        row = self._conn().execute("SELECT 1 FROM sqlite_master WHERE name = 'document_pages'").fetchone()
        return row is not None

    def line_count(self, source: str) -> int:
        if not self._has_lines():
            return 0
        row = self._conn().execute("SELECT MAX(line) FROM document_lines WHERE source = ?", (source,)).fetchone()
        return int(row[0] or 0)

    def pages_of(self, source: str) -> tuple[PageInfo, ...]:
        """The pages of a paged document (() for the rest, or for one ingested before pages were kept)."""
        if not self._has_lines():
            return ()
        rows = self._conn().execute("SELECT number, start_line, end_line, ocr, confidence FROM document_pages"
                                    " WHERE source = ? ORDER BY number", (source,))
        return tuple(PageInfo(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows)

    def documents(self) -> list[IndexedDocument]:
        """Every indexed file's record, by source."""
        rows = self._conn().execute(
            "SELECT source, office, office_named, title, sha256, format, encoding, sections, chunk_ids, aliases,"
            " ingested_at FROM documents ORDER BY source")
        return [IndexedDocument(source=r[0], office=r[1], office_named=bool(r[2]), title=r[3], sha256=r[4],
                                format=r[5], encoding=r[6], sections=tuple(json.loads(r[7])),
                                chunk_ids=tuple(json.loads(r[8])), aliases=tuple(json.loads(r[9])),
                                ingested_at=r[10])
                for r in rows]

    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write_lock:
            self._writing().execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: through the write-ahead log when SQLite can share it, else immutable
    (no lock, no journal: the file as it is)."""
    uri = f"file:{path.resolve()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        conn.execute("SELECT count(*) FROM meta").fetchone()
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(uri + "&immutable=1", uri=True, timeout=30, isolation_level=None)


# a chunk's row with its units' words (NULL where none are stored)
_CHUNK_ROWS = "SELECT c.*, w.words AS unit_words FROM chunks c LEFT JOIN unit_words w ON w.chunk_id = c.id"


def _row_to_chunk(row: sqlite3.Row) -> Chunk:
    words = row["unit_words"]
    return Chunk(
        id=row["id"],
        source=row["source"],
        office=row["office"],
        section=row["section"],
        section_kind=SectionKind.parse(row["section_kind"]),
        items=tuple(x for x in row["items"].split(",") if x),
        start_line=row["start_line"],
        end_line=row["end_line"],
        text=row["text"],
        content_hash=row["content_hash"],
        unit_words=None if words is None else tuple(words.split("\n")),
    )

