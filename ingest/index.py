"""The index: Chroma (vectors) + lexical SQLite (BM25, chunk records) + the
LangChain record manager that keeps both in step with the corpus.

Only this module knows Chroma's flat metadata and LangChain Documents. What one ingest run
prepares and writes is that run's (``ingest/staging.py``), never the long-lived index's.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.embeddings import document_embedder, embeddings_for, model_id
from ingest.lexical import LexicalIndex
from planqa.errors import IndexMismatch, IndexNotReady
from planqa.rwlock import RWLock
from planqa.settings import Settings

log = logging.getLogger(__name__)
DIRTY_MARKER = "ingest.dirty"
EMBEDDING_KEY = "embedding_model"  # lexical meta key: the model the index was built with
DOCUMENTS_VERSION = "documents_version"  # lexical meta key: changes after every ingest write
# lexical meta key: the Chroma collection that pairs with the lexical store. A ``--full`` rebuild
# writes a new one beside it and switches this key in the lexical store's own transaction.
COLLECTION_KEY = "collection"
# what a reader that opened Chroma before another process rewrote it meets: reopen and ask again
_STALE = ("does not exist", "Nothing found on disk", "Error finding id", "hnsw segment", "NotFoundError",
          "InternalError")


class IndexWatch:
    """Runs ``load`` again whenever an ingest run has changed the index since the last load (its
    ``DOCUMENTS_VERSION``): what a reader derives from the index (the vocabulary's vectors, a sample of
    its units, word weights) is read once per index version, under ``lock`` (the owner's, when the
    state it loads is read under that lock too)."""

    def __init__(self, lexical: LexicalIndex, load: Callable[[], None], lock: threading.Lock | None = None) -> None:
        self.lexical = lexical
        self._load = load
        self._lock = lock or threading.Lock()
        self.version: str | None = "unloaded"  # no index version is this: the first refresh loads

    def refresh(self) -> str | None:
        """Load again if the index changed; the index version now loaded."""
        version = self.lexical.get_meta(DOCUMENTS_VERSION)
        with self._lock:
            if version != self.version:
                self._load()
                self.version = version
            return self.version


def index_read_only(settings: Settings) -> bool:
    """The index folder exists and cannot be written (a read-only mount): served, never ingested."""
    return settings.index_dir.is_dir() and not os.access(settings.index_dir, os.W_OK)


class PlanIndex:
    """Handles to the three stores of one index, opened from Settings."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self.embeddings = embeddings or embeddings_for(settings)  # questions
        self._document_embeddings: Embeddings | None = None  # ingest runs: see document_embeddings
        self.model_id = model_id(self.embeddings)
        # a folder that exists but cannot be written (a read-only disk or mount) is served as it is
        self.read_only = index_read_only(settings)
        if not self.read_only:
            settings.index_dir.mkdir(parents=True, exist_ok=True)
        self.lexical = LexicalIndex(settings.lexical_path, read_only=self.read_only)
        self._client: Any = None
        self._collection: Any = None
        self._records: Any = None
        self._pinned: str | None = None  # a rebuild's new collection (``rebuild_target``)
        self._seen_collection: str | None = None
        self._lock = threading.Lock()
        # readers (questions) share it; an ingest run takes it only to write
        self.rw = RWLock()
        self._query_vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._seen_version: str | None = None
        # (documents version, chunk ids, offices, unit-length vectors): every chunk, for dense_scores
        self._matrix: tuple[str | None, list[str], list[str], np.ndarray] | None = None

    # ---- stores -----------------------------------------------------------
    @property
    def client(self) -> Any:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            if self.settings.chroma_host:
                self._client = chromadb.HttpClient(
                    host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings
                )
            else:
                self._client = _fresh_persistent_client(self._chroma_path(), chroma_settings)
        return self._client

    def reopen(self) -> None:
        """Forget the Chroma client and collection: the next use opens them afresh from the disk
        (another process rebuilt or rewrote them)."""
        with self._lock:
            self._collection = None
            if not self.settings.chroma_host and not self.read_only:
                self._client = None

    @property
    def collection_name(self) -> str:
        """The Chroma collection paired with the lexical store (a rebuild target's own new one)."""
        return self._pinned or self.lexical.get_meta(COLLECTION_KEY) or self.settings.collection

    def rebuild_target(self) -> PlanIndex:
        """The same index writing to a new, empty collection (and record namespace) beside the
        live one: a ``--full`` rebuild fills it, then ``switch_to`` makes it the live pair."""
        import copy
        import uuid

        target = copy.copy(self)
        target._pinned = f"{self.settings.collection}.{uuid.uuid4().hex[:12]}"
        target._collection = target._records = target._matrix = None
        target._lock = threading.Lock()
        target._query_vectors = OrderedDict()
        return target

    def _chroma_path(self) -> Path:
        """Chroma's folder; a read-only one is served from a private copy (Chroma writes on opening)."""
        if not self.read_only:
            return self.settings.chroma_dir
        import atexit
        import shutil
        import tempfile

        copy = Path(tempfile.mkdtemp(prefix="planqa-readonly-chroma-")) / "chroma"
        atexit.register(shutil.rmtree, copy.parent, True)
        log.warning("the index %s is read-only: serving a copy of its vectors from %s", self.settings.index_dir, copy)
        shutil.copytree(self.settings.chroma_dir, copy)
        return copy

    @property
    def collection(self) -> Any:
        with self._lock:
            if self._collection is None:
                name = self.collection_name
                if self._pinned or name == self.settings.collection:
                    self._collection = self.client.get_or_create_collection(
                        name, metadata={"embedding_model": self.model_id, "hnsw:space": "cosine"})
                else:  # a reader never creates a rebuilt collection that a later rebuild has dropped
                    self._collection = self.client.get_collection(name)
                _same_model((self._collection.metadata or {}).get("embedding_model"), self.model_id)
        return self._collection

    @property
    def document_embeddings(self) -> Embeddings:
        """The engine ingest runs embed chunks with: a second one where the model offers
        it cheaply, so a question asked during a re-ingest is not queued behind it."""
        if self._document_embeddings is None:
            self._document_embeddings = document_embedder(self.embeddings)
        return self._document_embeddings

    def check_model(self) -> None:
        """Raise IndexMismatch when the index was built with another embedding model."""
        _same_model(self.lexical.get_meta(EMBEDDING_KEY), self.model_id)

    def ensure_current(self) -> None:
        """Before a question: the model check, and fresh store handles when another process has
        written the index since (a CLI ``--full`` drops and recreates the Chroma collection)."""
        version = self.lexical.get_meta(DOCUMENTS_VERSION)
        name = self.collection_name
        if version != self._seen_version or name != self._seen_collection:
            # a fresh client too: the old one's segment cache may hold vectors the writer deleted
            # ("Error finding id") or segments it removed ("Nothing found on disk")
            if self._seen_version is not None or self._seen_collection is not None:
                self.reopen()
            self._seen_version, self._seen_collection = version, name
        self.check_model()

    def _stale_retry(self, read: Any) -> Any:
        """``read()``, and once more on a fresh client when another process rewrote Chroma under it."""
        try:
            return read()
        except Exception as exc:
            if not _is_stale(exc):
                raise
            log.info("reopening Chroma after another process rewrote it (%s)", str(exc)[:120])
            self.reopen()
        try:
            return read()
        except Exception as exc:
            if not _is_stale(exc):
                raise
            raise IndexNotReady("the index is being rebuilt by another process; ask again in a moment") from exc

    def query_vector(self, text: str) -> list[float]:
        """The question's embedding, computed once however many searches and features use it."""
        with self._lock:
            if text in self._query_vectors:
                self._query_vectors.move_to_end(text)
                return self._query_vectors[text]
        vec = self.embeddings.embed_query(text)
        with self._lock:
            self._query_vectors[text] = vec
            while len(self._query_vectors) > 256:
                self._query_vectors.popitem(last=False)
        return vec

    def dense_search(self, text: str, k: int, offices: Sequence[str] = ()) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first, within ``offices`` when given."""
        vec = self.query_vector(text)
        where: dict[str, Any] | None = None
        if offices:
            where = {"office": offices[0]} if len(offices) == 1 else {"office": {"$in": list(offices)}}

        def query() -> Any:
            collection = self.collection
            count = collection.count()
            if count == 0:
                return {}
            return collection.query(query_embeddings=[vec], n_results=min(k, count), where=where,
                                    include=["distances"])

        res = self._stale_retry(query)
        ids = (res.get("ids") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists)]

    def dense_scores(self, text: str) -> tuple[list[str], list[str], np.ndarray]:
        """(chunk ids, their offices, cosine similarities) of every chunk, in one pass over the vectors
        (kept in memory until the next ingest write): ``dense_search`` of every office at once, for
        a theme asked of every office."""
        ids, offices, matrix = self._chunk_matrix()
        q = np.asarray(self.query_vector(text), dtype=np.float32)
        q /= max(float(np.linalg.norm(q)), 1e-12)
        return ids, offices, matrix @ q if len(ids) else np.zeros(0, dtype=np.float32)

    def _chunk_matrix(self) -> tuple[list[str], list[str], np.ndarray]:
        version = self.lexical.get_meta(DOCUMENTS_VERSION)
        with self._lock:
            if self._matrix is not None and self._matrix[0] == version:
                return self._matrix[1:]

        def read_all() -> tuple[list[str], list[str], list[np.ndarray]]:
            ids: list[str] = []
            offices: list[str] = []
            rows: list[np.ndarray] = []
            collection = self.collection
            for start in range(0, collection.count(), 5000):
                got = collection.get(include=["embeddings", "metadatas"], limit=5000, offset=start)
                ids.extend(got["ids"])
                offices.extend(str((m or {}).get("office", "")) for m in got["metadatas"] or [])
                rows.append(np.asarray(got["embeddings"], dtype=np.float32))
            return ids, offices, rows

        ids, offices, rows = self._stale_retry(read_all)
        matrix = np.concatenate(rows) if rows else np.zeros((0, 1), dtype=np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        with self._lock:
            self._matrix = (version, ids, offices, matrix)
        return ids, offices, matrix

    @property
    def records(self) -> Any:
        if self._records is not None and self._records.namespace != self.record_namespace:
            self._records = None  # a rebuild switched the collection, and so the namespace
        if self._records is None:
            from langchain_classic.indexes import SQLRecordManager

            path = self.settings.records_path.resolve()
            url = f"sqlite:///file:{path}?mode=ro&immutable=1&uri=true" if self.read_only else f"sqlite:///{path}"
            self._records = SQLRecordManager(namespace=self.record_namespace, db_url=url)
            self._records.create_schema()
        return self._records

    def stored_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors Chroma holds for ``ids`` (those it has), as float32."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 1000):
            got = self.collection.get(ids=list(ids[i : i + 1000]), include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else []):
                out[cid] = np.asarray(vec, dtype=np.float32)
        return out

    def office_of(self) -> dict[str, str]:
        """Each indexed file's office: corpus-relative source -> office name."""
        return {d.source: d.office for d in self.lexical.documents()}

    # ---- writes -------------------------------------------------------------
    def delete_sources(self, sources: Sequence[str]) -> int:
        """Remove every chunk of ``sources`` from all three stores."""
        keys: list[str] = []
        for source in sources:
            keys.extend(self.records.list_keys(group_ids=[source]))
            keys.extend(c.id for c in self.lexical.chunks_of(source))
        keys = sorted(set(keys))
        if keys:
            self.delete_ids(keys)
            self.records.delete_keys(keys)
        for source in sources:
            self.lexical.delete_document(source)
        return len(keys)

    def delete_ids(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), 1000):
            self.collection.delete(ids=list(ids[i : i + 1000]))
        self.lexical.delete(ids)

    def reset(self) -> None:
        """Empty this index's stores (a ``rebuild_target``'s lexical side, inside its transaction)."""
        if not self._pinned:
            try:
                self.client.delete_collection(self.collection_name)
            except Exception:  # chroma raises NotFoundError/ValueError by version
                log.debug("no collection to drop")
            self._collection = None
        self.lexical.clear()
        keys = self.records.list_keys()
        if keys:
            self.records.delete_keys(keys)

    def switch_to(self, target: PlanIndex) -> None:
        """Make ``target``'s collection the live one: its name goes in the lexical meta, inside the
        rebuild's transaction, so the lexical store and Chroma switch together on its commit."""
        assert target._pinned, "switch_to takes a rebuild_target"
        self.lexical.set_meta(COLLECTION_KEY, target._pinned)

    def drop_replaced(self) -> list[str]:
        """After a rebuild committed: delete every collection of this index but the live one, their
        records and (local Chroma) the vector segment folders no collection uses any more. Run
        under the index's write lock (no other writer is building one). Returns the dropped names."""
        live = self.collection_name
        base = self.settings.collection
        dropped = []
        for name in self.client.list_collections():
            name = getattr(name, "name", name)
            if name != live and (name == base or name.startswith(base + ".")):
                try:
                    self.client.delete_collection(name)
                except Exception as exc:  # dropped by a crashed run's cleanup, or by Chroma itself
                    log.debug("could not drop collection %s: %s", name, exc)
                dropped.append(name)
        self._forget_namespaces(live)
        if not self.shared and not self.read_only:
            _remove_unused_segments(self.settings.chroma_dir)
        return dropped

    def _forget_namespaces(self, live: str) -> None:
        """Delete the record manager's rows of this index's other collections."""
        path = self.settings.records_path
        if not path.exists():
            return
        base = self.settings.collection
        with sqlite3.connect(path) as conn:
            try:
                conn.execute("DELETE FROM upsertion_record WHERE (namespace = ? OR namespace LIKE ?) AND namespace != ?",
                             (f"chroma/{base}", f"chroma/{base}.%", f"chroma/{live}"))
            except sqlite3.OperationalError:  # no table yet
                return

    # ---- consistency ----------------------------------------------------------
    def chroma_ids(self) -> set[str]:
        def read() -> set[str]:
            ids: set[str] = set()
            offset, page = 0, 5000
            collection = self.collection
            while True:
                got = collection.get(include=[], limit=page, offset=offset)["ids"]
                ids.update(got)
                if len(got) < page:
                    return ids
                offset += page

        return set(self._stale_retry(read))

    def check(self) -> list[str]:
        """Problems that make the three stores disagree ([] when consistent)."""
        chroma = self.chroma_ids()
        lexical = self.lexical.all_ids()
        records = set(self.records.list_keys())
        docs = {cid for d in self.lexical.documents() for cid in d.chunk_ids}
        problems = []
        for name, ids in (("chroma", chroma), ("lexical", lexical), ("documents", docs)):
            extra, missing = ids - records, records - ids
            if extra and not (name == "chroma" and self.shared):  # other instances' chunks are theirs
                problems.append(f"{len(extra)} chunk ids in {name} but not in the record manager")
            if missing:
                problems.append(f"{len(missing)} record-manager ids missing from {name}")
        if self.lexical.fts_count() != self.lexical.chunk_count():
            problems.append("lexical full-text rows and chunk rows differ in number")
        return problems

    def counts_agree(self, with_chroma: bool = False) -> bool:
        """A cheap test of step, run before every ingest: the lexical store, its
        full-text rows and the documents hold as many chunks as the records say.
        Chroma's count costs most of a second, so only ``with_chroma``."""
        docs = sum(len(d.chunk_ids) for d in self.lexical.documents())
        counts = {self.lexical.chunk_count(), self.lexical.fts_count(), docs}
        if with_chroma and not self.shared:  # a shared server also holds other instances' chunks
            counts.add(self.collection.count())
        return counts == {self.record_count()}

    @property
    def record_namespace(self) -> str:
        return f"chroma/{self.collection_name}"

    def record_count(self) -> int:
        """Keys in the record manager's namespace, counted in SQL (no key list)."""
        path = self.settings.records_path
        if not path.exists():
            return 0
        with sqlite3.connect(path) as conn:
            try:
                row = conn.execute("SELECT count(*) FROM upsertion_record WHERE namespace = ?",
                                   (self.record_namespace,)).fetchone()
            except sqlite3.OperationalError:  # no table yet
                return 0
        return int(row[0])

    def repair(self) -> set[str]:
        """Delete chunks the record manager does not know (left by a crash) and
        forget records whose chunk went missing; returns the forgotten ids, whose
        documents must be written again."""
        records = set(self.records.list_keys())
        # on a shared Chroma server, ids this instance does not know may be another's
        orphans = (set() if self.shared else self.chroma_ids()) | self.lexical.all_ids()
        orphans -= records
        if orphans:
            log.warning("removing %d orphaned chunks left by an interrupted run", len(orphans))
            if self.shared:  # the same id on the server may be another instance's chunk
                self.lexical.delete(sorted(orphans))
            else:
                self.delete_ids(sorted(orphans))
        # records whose chunk vanished from a store: forget them so they are rewritten
        lost = records - (self.chroma_ids() & self.lexical.all_ids())
        if lost:
            log.warning("forgetting %d records whose chunks are missing", len(lost))
            self.records.delete_keys(sorted(lost))
        return lost

    @property
    def shared(self) -> bool:
        """Vectors live on a Chroma server that other app instances may write too."""
        return bool(self.settings.chroma_host)

    @property
    def dirty_marker(self) -> Path:
        return self.settings.index_dir / DIRTY_MARKER


def _is_stale(exc: Exception) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(mark in text for mark in _STALE)


def _fresh_persistent_client(path: Path, chroma_settings: Any) -> Any:
    """A PersistentClient with a system of its own: chromadb caches one system per path in the
    process, and a reopened index must not get the old one (and its segment cache) back."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = str(path)
    with SharedSystemClient._refcount_lock:
        # the old system is not stopped: a question still reading through it finishes
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    return chromadb.PersistentClient(path=identifier, settings=chroma_settings)


def _remove_unused_segments(chroma_dir: Path) -> None:
    """Remove the vector segment folders (named by segment id) that Chroma's catalogue no longer lists."""
    import shutil

    catalogue = chroma_dir / "chroma.sqlite3"
    if not catalogue.exists():
        return
    with sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True) as conn:
        live = {str(row[0]) for row in conn.execute("SELECT id FROM segments")}
    for folder in chroma_dir.iterdir():
        if folder.is_dir() and _is_uuid(folder.name) and folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)


def _is_uuid(name: str) -> bool:
    import uuid

    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _same_model(built_with: str | None, configured: str) -> None:
    """The one model check: an index answers only with the model that built it."""
    if built_with and built_with != configured:
        raise IndexMismatch(
            f"the index was built with embedding model {built_with!r} but {configured!r} is configured; "
            "re-ingest with `python -m ingest --full` (or set PLANQA_EMBEDDING back)"
        )
