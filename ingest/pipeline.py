"""One ingest run: find files, read, parse, chunk, and sync the index."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
import tomllib
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest import themes
from ingest.index import DOCUMENTS_VERSION, EMBEDDING_KEY, PlanIndex, index_read_only
from ingest.loaders import PAGED_SUFFIXES, SUPPORTED_SUFFIXES, load, ocr_work
from ingest.ocr import OcrConfig, PageProgress, require_tesseract
from ingest.prepare import parser_fingerprint, prepare_many
from ingest.staging import IngestRun
from ingest.themes import THEMES_KEY
from ingest.writelock import index_write_lock
from planqa.errors import ConfigError, DiskFull, ReadOnlyIndex, UnreadableDocument, is_disk_full
from planqa.settings import CATALOGUE_NAME, Settings
from planqa.types import (
    Chunk,
    Conflict,
    IndexedDocument,
    IngestReport,
    OcrWork,
    ParsedDoc,
    Progress,
    Skipped,
    SkipReason,
    SourceDoc,
)

log = logging.getLogger(__name__)
SHOWN_CONFLICTS = 10  # a run's log and summary name this many offices claimed twice; --check names all
GROUP_CHUNKS = 2000  # chunks per index() call: bounds memory, keeps batches full
FINGERPRINT_KEY = "parser_fingerprint"
# (plans added or changed, plans removed): what a run wrote, for the work a layer above does after it
Written = Callable[[frozenset[str], frozenset[str]], None]


@dataclass(slots=True)
class _Prepared:
    parsed: ParsedDoc
    chunks: list[Chunk]
    status: str  # added / updated / unchanged
    tokens: list[str]  # BM25 tokens of each chunk, joined by spaces


def discover(corpus_dir: Path, paths: Iterable[Path] | None = None, unreadable: list[str] | None = None
             ) -> tuple[list[Path], list[Skipped]]:
    """Supported regular files under ``corpus_dir`` (or the given paths inside it), and what was
    passed over with why: unreadable folders (their plans keep their chunks), FIFOs and other
    special files, names that are not UTF-8, links out of the corpus, unsupported types.
    ``unreadable`` collects the corpus-relative folders that could not be read."""
    root = corpus_dir.resolve() if corpus_dir.is_dir() else corpus_dir
    skipped: list[Skipped] = []
    if not corpus_dir.is_dir():
        raise ConfigError(f"corpus directory {corpus_dir} does not exist; create it or set PLANQA_CORPUS_DIR")
    if not os.access(corpus_dir, os.R_OK | os.X_OK):
        raise ConfigError(f"corpus directory {corpus_dir} cannot be read; fix its permissions")
    candidates: list[Path] = []
    for p in list(paths or [corpus_dir]):
        p = Path(p)
        if p.is_dir():
            candidates.extend(_walk(p, corpus_dir, skipped, unreadable if unreadable is not None else []))
        elif p.exists() or p.is_symlink():
            candidates.append(p)
        else:
            skipped.append(Skipped(display_name(str(p)), "no such file", SkipReason.MISSING))
    files: list[Path] = []
    for path in candidates:
        rel = _relative(path, corpus_dir)
        if any(part.startswith(".") for part in Path(rel).parts) or path.name == CATALOGUE_NAME:
            continue
        refusal = _refusal(path, rel, root)
        if refusal:
            skipped.append(Skipped(display_name(rel), *refusal))
        else:
            files.append(path)
    return files, skipped


def _walk(top: Path, corpus_dir: Path, skipped: list[Skipped], unreadable: list[str]) -> list[Path]:
    """Every non-folder under ``top``, sorted; an unreadable folder is reported, not taken as empty."""
    found: list[Path] = []

    def refused(err: OSError) -> None:
        rel = _relative(Path(err.filename), corpus_dir) if err.filename else "?"
        skipped.append(Skipped(display_name(rel), f"folder cannot be read ({err.strerror}); "
                                                  "its plans keep their chunks until it can",
                               SkipReason.FOLDER_UNREADABLE))
        unreadable.append(rel)

    for folder, dirs, names in os.walk(top, onerror=refused):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / n for n in names)
    return sorted(found)


def _refusal(path: Path, rel: str, root: Path) -> tuple[str, SkipReason] | None:
    """Why ``path`` is not read (the English detail and its code), or None when it is a readable candidate."""
    if not utf8_name(rel):
        return "file name is not valid UTF-8; rename the file", SkipReason.NAME_NOT_UTF8
    try:
        resolved = path.resolve(strict=True)
        mode = resolved.stat().st_mode
    except (OSError, RuntimeError):
        return "broken link or unreadable path", SkipReason.BROKEN_LINK
    if not resolved.is_relative_to(root):
        return "outside the corpus directory (links are not followed out of it)", SkipReason.OUTSIDE_CORPUS
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device is never read)", SkipReason.NOT_REGULAR
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}", SkipReason.UNSUPPORTED_TYPE
    return None


def utf8_name(name: str) -> bool:
    """The OS gave a name that is valid UTF-8 (Python maps invalid bytes to lone surrogates)."""
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def display_name(name: str) -> str:
    """A file name safe to print and store: invalid bytes shown as U+FFFD."""
    return name if utf8_name(name) else name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _relative(path: Path, corpus_dir: Path) -> str:
    try:
        return path.absolute().relative_to(corpus_dir.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def load_catalogue(settings: Settings) -> dict[str, dict[str, Any]]:
    """Office overrides from ``corpus/offices.toml``: one table per file name."""
    path = settings.catalogue_path
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it") from exc
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def run(
    settings: Settings,
    paths: list[Path] | None = None,
    *,
    full: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    progress: Progress | None = None,
    plan_index: PlanIndex | None = None,
    wait: bool = True,
    on_written: Written | None = None,
) -> IngestReport:
    """Bring the index in step with the corpus and report what changed.

    A run that writes holds the index's write lock (``ingest/writelock.py``):
    one writer at a time across processes; another run waits for it
    (``wait=False``: fails at once with IndexBusy).

    Args:
        settings: where the corpus and the index are.
        paths: only these files or folders (inside the corpus); deletions are
            only detected on a whole-corpus run.
        full: drop the index and rebuild it from scratch.
        dry_run: report what would change, write nothing.
        repair: compare every store's chunk ids with the records and write
            again what any store lost (what ``--check`` recommends); without
            it a run repairs after a crash or when the cheap counts disagree.
    """
    if dry_run:
        return _run(settings, paths, full, dry_run, repair, progress, plan_index, on_written)
    if index_read_only(settings):
        raise ReadOnlyIndex(f"the index folder {settings.index_dir} is read-only: it can be served, not written; "
                            "ingest into a writable PLANQA_INDEX_DIR")

    def waiting(message: str) -> None:
        if progress:
            progress(0, 0, message)

    try:
        with index_write_lock(settings.index_dir, wait=wait, on_wait=waiting):
            return _run(settings, paths, full, dry_run, repair, progress, plan_index, on_written)
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFull(f"the disk holding {settings.index_dir} is full: free some space, then run "
                           "`python -m ingest` again (the run was marked unfinished and is repaired then; "
                           "what was indexed before is kept)") from exc
        raise




@dataclass(frozen=True, slots=True)
class _Changes:
    """What a run found: the documents read and parsed (with their status against the index),
    the indexed sources gone from the corpus, and the parser fingerprint they were parsed with."""

    prepared: tuple[_Prepared, ...]
    gone: tuple[str, ...]
    fingerprint: str


def _run(settings: Settings, paths: list[Path] | None, full: bool, dry_run: bool, repair: bool,
         progress: Progress | None, plan_index: PlanIndex | None, on_written: Written | None = None
         ) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(dry_run=dry_run)
    unreadable: list[str] = []
    files, report.skipped = discover(settings.corpus_dir, paths, unreadable)
    catalogue = _catalogue(settings, report)
    ix = plan_index or PlanIndex(settings)
    if not full:
        ix.check_model()
    known = _known_documents(ix, full=full, dry_run=dry_run, repair=repair)
    changes = _load_changes(settings, ix, report, files, known, catalogue, unreadable, partial=bool(paths),
                            full=full, dry_run=dry_run, progress=progress)
    if not dry_run:
        _apply_changes(settings, ix, report, changes, catalogue, partial=bool(paths), full=full, progress=progress,
                       started=started, on_written=on_written)
    report.conflicts = office_conflicts(ix.lexical.documents())
    for line in conflict_lines(report.conflicts):
        log.warning("%s", line)
    report.seconds = time.perf_counter() - started
    return report


def _catalogue(settings: Settings, report: IngestReport) -> dict[str, dict[str, Any]]:
    """The office overrides; a bad catalogue is reported as skipped, never a reason to stop the run."""
    try:
        return load_catalogue(settings)
    except ConfigError as exc:
        log.warning("%s; ingesting without its office overrides", exc)
        report.skipped.append(Skipped(CATALOGUE_NAME, f"{exc}; ingested without its office overrides",
                                      SkipReason.CATALOGUE_INVALID))
        return {}


def _known_documents(ix: PlanIndex, *, full: bool, dry_run: bool, repair: bool) -> dict[str, IndexedDocument]:
    """The indexed documents by source ({} for a rebuild). A run that writes repairs the index first
    when a run died while writing, a store lost chunks, or ``repair`` asks; then every document
    that lost a chunk gets a blank hash, which marks it changed: it is written again."""
    known = {} if full else {d.source: d for d in ix.lexical.documents()}
    if not known or dry_run or not (repair or ix.dirty_marker.exists() or not ix.counts_agree()):
        return known
    with ix.rw.write():
        ix.repair()
        ix.dirty_marker.unlink(missing_ok=True)
    recorded = set(ix.records.list_keys())
    return {source: d if recorded.issuperset(d.chunk_ids) else replace(d, sha256="") for source, d in known.items()}


def _load_changes(settings: Settings, ix: PlanIndex, report: IngestReport, files: list[Path],
                  known: dict[str, IndexedDocument], catalogue: dict[str, dict[str, Any]], unreadable: list[str],
                  *, partial: bool, full: bool, dry_run: bool, progress: Progress | None) -> _Changes:
    """Read the files, parse those that changed, and find the sources gone (never on a ``partial``
    run); counted in ``report``."""
    fingerprint = parser_fingerprint(settings.catalogue_path)
    # same bytes, same parser, same catalogue: the same chunks, so no need to parse
    same_parser = not full and ix.lexical.get_meta(FINGERPRINT_KEY) == fingerprint
    loaded = _read_changed(settings, ix, report, files, known, same_parser=same_parser, dry_run=dry_run,
                           progress=progress)
    prepared = tuple(_Prepared(p.parsed, p.chunks, _status(p.parsed.doc, p.chunks, known.get(p.parsed.doc.source), full),
                               p.tokens) for p in prepare_many(loaded, catalogue))
    for p in prepared:
        setattr(report, p.status, getattr(report, p.status) + 1)
    present = {_relative(p, settings.corpus_dir) for p in files}
    # a plan in a folder that cannot be read now is not gone: it keeps its chunks
    in_unreadable = {src for src in known if any(src.startswith(d.rstrip("/") + "/") for d in unreadable)}
    gone = tuple(sorted(set(known) - present - in_unreadable)) if not partial else ()
    report.deleted = len(gone)
    return _Changes(prepared, gone, fingerprint)


def _read_changed(settings: Settings, ix: PlanIndex, report: IngestReport, files: list[Path],
                  known: dict[str, IndexedDocument], *, same_parser: bool, dry_run: bool,
                  progress: Progress | None) -> list[SourceDoc]:
    """Read every file; return those to parse again (all but the unchanged ones, when the parser is
    the same); unreadable files and duplicates are reported in ``report``."""
    loaded: list[SourceDoc] = []
    seen_hashes: dict[str, str] = {}
    ocr = OcrConfig.from_settings(settings)
    max_bytes = int(settings.max_file_mb * 1e6)

    def duplicate(rel: str, digest: str) -> bool:
        """Whether ``rel`` has the bytes of a file read earlier in this run (then it is reported)."""
        if digest in seen_hashes:
            report.skipped.append(Skipped(rel, f"duplicate of {seen_hashes[digest]} (same content)",
                                          SkipReason.DUPLICATE))
            return True
        seen_hashes[digest] = rel
        return False

    for n, path in enumerate(files):
        rel = _relative(path, settings.corpus_dir)
        report.seen += 1
        if progress:
            progress(n, len(files), f"reading {rel}")
        digest = _unchanged_scan(path, known.get(rel) if same_parser else None, max_bytes)
        if digest and (dry_run or ix.lexical.line_count(rel)):
            # a scan whose bytes are as indexed: its chunks stand, and it is not OCR'd again to find out
            if not duplicate(rel, digest):
                report.unchanged += 1
            continue
        if dry_run and _would_ocr(path, rel, max_bytes, ocr, report, known):
            continue
        try:
            doc = load(path, rel, max_bytes=max_bytes, ocr=ocr,
                       progress=_ocr_progress(progress, rel))
        except UnreadableDocument as exc:
            kept = " (the previous version stays in the index)" if rel in known else ""
            report.skipped.append(Skipped(rel, f"{exc}{kept}", exc.kind))
            seen_hashes.setdefault(f"unreadable:{rel}", rel)
            continue
        if duplicate(rel, doc.sha256):
            continue
        report.skipped.extend(doc.skipped_pages)
        if same_parser and rel in known and known[rel].sha256 == doc.sha256:
            report.unchanged += 1
            if not dry_run and not ix.lexical.line_count(rel):  # indexed before the index kept lines
                ix.lexical.put_lines(doc)
        else:
            loaded.append(doc)
    return loaded


def _apply_changes(settings: Settings, ix: PlanIndex, report: IngestReport, changes: _Changes,
                   catalogue: dict[str, dict[str, Any]], *, partial: bool, full: bool, progress: Progress | None,
                   started: float, on_written: Written | None) -> None:
    """Write the changes, then what readers and the next run key on: the model, a new documents
    version, the parser fingerprint (whole-corpus runs only), the overview's themes."""
    _write(ix, report, changes.prepared, changes.gone, catalogue, progress, full, started)
    if not full:  # a rebuild set them inside its transaction, with the switch (a second version: a second reopen)
        ix.lexical.set_meta(EMBEDDING_KEY, ix.model_id)
        ix.lexical.set_meta(DOCUMENTS_VERSION, uuid.uuid4().hex)  # readers reload the office list
    if not partial:  # a partial run did not re-parse the other files
        ix.lexical.set_meta(FINGERPRINT_KEY, changes.fingerprint)
    if report.added or report.updated or report.deleted or ix.lexical.get_meta(THEMES_KEY) is None:
        themes.refresh(ix.lexical, limit=settings.overview_themes)
    if on_written is not None:
        on_written(frozenset(p.parsed.doc.source for p in changes.prepared if p.status != "unchanged"),
                   frozenset(changes.gone))
    ix.lexical.checkpoint()


def _would_ocr(path: Path, rel: str, max_bytes: int, ocr: OcrConfig, report: IngestReport,
               known: dict[str, IndexedDocument]) -> bool:
    """A dry run: whether ``path`` has pages to OCR; then they are counted in ``report.to_ocr``
    (Tesseract is not run, so its chunks are not). Otherwise it is read as usual."""
    if path.suffix.lower() not in PAGED_SUFFIXES:
        return False
    try:
        require_tesseract(ocr)  # without it the run skips the file: load() says so
        pages, total = ocr_work(path, max_bytes)
    except UnreadableDocument:
        return False
    if not pages:
        return False
    report.to_ocr.append(OcrWork(rel, pages, total))
    if rel in known:
        report.updated += 1
    else:
        report.added += 1
    return True


def _unchanged_scan(path: Path, known: IndexedDocument | None, max_bytes: int) -> str | None:
    """The SHA-256 of a PDF or image whose bytes are those ``known`` was indexed from, else None
    (then the file is read as usual: text files are cheap to read, and a changed or new file must be)."""
    if known is None or path.suffix.lower() not in PAGED_SUFFIXES:
        return None
    try:
        if path.stat().st_size > max_bytes:
            return None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return digest if digest == known.sha256 else None


def _ocr_progress(progress: Progress | None, source: str) -> PageProgress | None:
    """Each OCR'd page of ``source`` reported as a step of its own ("OCR plan.pdf page 3/11")."""
    if progress is None:
        return None
    report = progress

    def page_done(done: int, total: int) -> None:
        report(done, total, f"OCR {source} page {done}/{total}")

    return page_done


def conflict_lines(conflicts: Sequence[Conflict], limit: int | None = SHOWN_CONFLICTS) -> list[str]:
    """One line an office claimed by several documents, the first ``limit`` of them (None: all),
    then how many more."""
    shown = conflicts if limit is None else conflicts[:limit]
    lines = [f"{len(c.files)} documents claim to be the plan of {c.office}: {', '.join(c.files)}" for c in shown]
    if len(conflicts) > len(shown):
        lines.append(f"... and {len(conflicts) - len(shown)} more offices claimed by several documents "
                     "(`python -m ingest --check --json` lists them all)")
    return lines


def office_conflicts(documents: Iterable[IndexedDocument]) -> list[Conflict]:
    """Offices that more than one indexed document names as its own."""
    by_office: dict[str, list[str]] = {}
    for d in documents:
        if d.office_named:
            by_office.setdefault(d.office, []).append(d.source)
    return [Conflict(office, tuple(sorted(files))) for office, files in sorted(by_office.items()) if len(files) > 1]


def _status(doc: SourceDoc, chunks: list[Chunk], old: IndexedDocument | None, full: bool) -> str:
    if old is None:
        return "added"
    if old.sha256 == doc.sha256 and old.chunk_ids == tuple(c.id for c in chunks) and not full:
        return "unchanged"
    return "updated"


def _write(
    ix: PlanIndex,
    report: IngestReport,
    prepared: Sequence[_Prepared],
    gone: Sequence[str],
    catalogue: dict[str, dict[str, Any]],
    progress: Progress | None,
    full: bool = False,
    started: float = 0.0,
) -> None:
    """Two phases. First the chunks (their vectors, tokens and records): after it the index
    answers with the new plans. Then what refines the answers: the vectors of the chunks'
    quotable sentences and of new vocabulary words (about as much embedding again); until
    they are written an answer scores a sentence by its chunk and matches exact words only.
    A run that dies in the second phase leaves them missing; the next run fills them in."""
    todo = [p for p in prepared if p.status != "unchanged"]
    # a rebuild writes a new collection beside the live one (the live pair keeps answering); on a
    # shared Chroma server the one collection is every instance's, and is reset in place
    target = ix.rebuild_target() if full and not ix.shared else ix
    run = IngestRun(target)
    run.prepare_tokens({c.id: t for p in todo for c, t in zip(p.chunks, p.tokens)})
    groups = _groups(todo)
    writer = _GroupWriter(run, report, catalogue, progress, sum(len(p.chunks) for p in todo))
    if full:
        # a rebuild is embedded first (no lock: questions go on), then written under one lock and in
        # one lexical transaction that also switches the live collection: readers, in this process
        # or another, see the old pair until it commits and the new pair after, never a half-built one
        run.prepare_vectors([c for p in todo for c in p.chunks], progress, force=True)
        with ix.rw.write():
            with ix.lexical.rebuild():
                writer.begin(full=True)
                for group in groups:
                    writer.write(group)
                writer.end(gone)
                ix.lexical.set_meta(EMBEDDING_KEY, ix.model_id)
                ix.lexical.set_meta(DOCUMENTS_VERSION, uuid.uuid4().hex)
                if target is not ix:
                    ix.switch_to(target)
            if target is not ix:
                ix.reopen()
                dropped = ix.drop_replaced()
                log.info("rebuilt into collection %s; dropped %s", ix.collection_name, ", ".join(dropped) or "none")
    else:
        # the next group is embedded while this one is written (the engine releases the GIL):
        # a fast embedder is not held back by the writes; readers see each plan old or new
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed") as pool:
            embedding = pool.submit(writer.embed, groups[0]) if groups else None
            with ix.rw.write():
                writer.begin(full=False)
            for i, group in enumerate(groups):
                assert embedding is not None
                embedding.result()
                embedding = pool.submit(writer.embed, groups[i + 1]) if i + 1 < len(groups) else None
                with ix.rw.write():
                    writer.write(group)
            with ix.rw.write():
                writer.end(gone)
    run.clear_prepared()  # tokens of chunks index() found unchanged were not used
    report.answerable_s = time.perf_counter() - started
    if report.chunks:
        log.info("%d chunks written after %.1f s: questions see them now; embedding their sentences and new words "
                 "next", report.chunks, report.answerable_s)
    run.prepare_unit_vectors(progress)
    run.prepare_term_vectors(progress)
    with ix.rw.write():
        run.write_unit_vectors()
        run.write_term_vectors()


def _groups(todo: Sequence[_Prepared]) -> list[list[_Prepared]]:
    """Whole documents in groups of about GROUP_CHUNKS chunks (a plan is never split)."""
    groups: list[list[_Prepared]] = []
    size = GROUP_CHUNKS
    for p in todo:
        if size >= GROUP_CHUNKS:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += len(p.chunks)
    return groups


class _GroupWriter:
    """Phase one of ``_write``: groups of documents embedded and written (the caller holds
    the readers' lock around ``begin``, ``write`` and ``end``)."""

    def __init__(self, run: IngestRun, report: IngestReport, catalogue: dict[str, dict[str, Any]],
                 progress: Progress | None, total: int) -> None:
        self.run, self.ix = run, run.ix
        self.report, self.catalogue, self.progress, self.total = report, catalogue, progress, total
        self.embedded = 0
        self.done = 0

    def embed(self, group: list[_Prepared]) -> None:
        chunks = [c for p in group for c in p.chunks]
        offset = self.embedded

        def step(done: int, total: int, label: str) -> None:
            if self.progress:
                self.progress(offset + done, self.total, label)

        self.run.prepare_vectors(chunks, step)
        self.embedded += len(chunks)

    def begin(self, full: bool) -> None:
        # the marker first: a run killed anywhere below, inside a --full reset too, is repaired by the next
        was_dirty = self.ix.dirty_marker.exists()
        self.ix.dirty_marker.write_text("an ingest run is writing; if it died, the next run repairs the index\n")
        if full:
            self.ix.reset()
        elif was_dirty:  # a run that died while writing, before this one
            self.ix.repair()

    def write(self, group: list[_Prepared]) -> None:
        self.run.index_chunks([c for p in group for c in p.chunks])
        for p in group:
            _record_document(self.ix, p, self.catalogue)
        self.done += sum(len(p.chunks) for p in group)
        if self.progress:
            self.progress(self.done, self.total, f"indexed {group[-1].parsed.doc.source}")

    def end(self, gone: Sequence[str]) -> None:
        if gone:
            self.report.chunks_deleted = self.ix.delete_sources(gone)
        self.report.chunks = self.run.written
        self.ix.dirty_marker.unlink(missing_ok=True)


def _record_document(ix: PlanIndex, p: _Prepared, catalogue: dict[str, dict[str, Any]]) -> None:
    doc = p.parsed.doc
    entry = catalogue.get(doc.source) or catalogue.get(Path(doc.source).name) or {}
    ix.lexical.put_document(IndexedDocument(
        source=doc.source,
        office=p.parsed.office,
        office_named=p.parsed.office_named,
        title=p.parsed.title,
        sha256=doc.sha256,
        format=doc.format,
        encoding=doc.encoding,
        sections=tuple(s.title for s in p.parsed.sections if s.title),
        chunk_ids=tuple(c.id for c in p.chunks),
        aliases=tuple(str(a) for a in entry.get("aliases", [])),
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
    ))
    ix.lexical.put_lines(doc)
