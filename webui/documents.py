"""Document management for the web app: safe uploads, delete, re-ingest.

Uploads are checked (name, type, size, readable text) before they reach the
corpus folder and land there with an atomic rename, so an ingest run never
reads half a file. Ingest runs one at a time under a lock; questions don't
take that lock (the index's own readers-writer lock keeps their reads
consistent).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest.index import PlanIndex
from ingest.loaders import SUPPORTED_SUFFIXES, load
from ingest.pipeline import discover, run
from planqa.errors import PlanQAError, UnreadableDocument
from planqa.settings import Settings
from planqa.types import IngestReport, Progress

log = logging.getLogger(__name__)
MAX_NAME_BYTES = 200


class UploadRefused(PlanQAError):
    """An uploaded file was not stored; the message (Thai) says why."""


def safe_filename(name: str) -> str:
    """The bare file name an upload may be stored under in the corpus folder.

    Directories are stripped ("C:\\\\fakepath\\\\plan.txt" -> "plan.txt"); a name
    that climbs out of its folder, is hidden, has control characters or an
    unsupported type is refused.

    Raises:
        UploadRefused: with the reason, in Thai.

    >>> safe_filename("uploads/แผน เขต 4.txt")
    'แผน เขต 4.txt'
    """
    raw = unicodedata.normalize("NFC", name or "")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise UploadRefused("ชื่อไฟล์มีอักขระควบคุม")
    parts = raw.replace("\\", "/").split("/")
    if any(part.strip() == ".." for part in parts):
        raise UploadRefused("ชื่อไฟล์ชี้ออกนอกโฟลเดอร์เอกสาร (path traversal)")
    base = parts[-1].strip()
    if not base or base == ".":
        raise UploadRefused("ไม่มีชื่อไฟล์")
    if base.startswith("."):
        raise UploadRefused("ไม่รับไฟล์ซ่อน (ชื่อขึ้นต้นด้วยจุด)")
    if Path(base).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UploadRefused(f"ไม่รองรับไฟล์ชนิดนี้ รองรับเฉพาะ {' '.join(SUPPORTED_SUFFIXES)}")
    if len(base.encode("utf-8")) > MAX_NAME_BYTES:
        raise UploadRefused(f"ชื่อไฟล์ยาวเกิน {MAX_NAME_BYTES} ไบต์")
    return base


@dataclass(frozen=True, slots=True)
class UploadResult:
    name: str  # the name asked for (as given)
    stored: str  # the corpus file written, "" when refused
    replaced: bool = False
    reason: str = ""  # why it was refused


@dataclass(slots=True)
class IngestState:
    """What the status line shows: the run in progress or the last one."""

    running: bool = False
    done: int = 0
    total: int = 0
    label: str = ""
    report: IngestReport | None = None
    error: str = ""
    finished_at: float = 0.0


class DocumentManager:
    def __init__(self, settings: Settings, plan_index: PlanIndex) -> None:
        self.settings = settings
        self.index = plan_index
        self.state = IngestState()
        self._lock = threading.Lock()

    @property
    def corpus(self) -> Path:
        return self.settings.corpus_dir

    # ---- listing ------------------------------------------------------------------
    def files(self) -> list[str]:
        """Corpus-relative names of the files an ingest run would read."""
        if not self.corpus.is_dir():
            return []
        found, _ = discover(self.corpus)
        return sorted(p.absolute().relative_to(self.corpus.absolute()).as_posix() for p in found)

    def rows(self) -> list[list[Any]]:
        """The documents table: office, file, chunks, last ingested, sections."""
        docs = {d["source"]: d for d in self.index.lexical.documents()}
        out: list[list[Any]] = []
        for source in sorted(set(docs) | set(self.files())):
            d = docs.get(source)
            if d is None:
                out.append(["—", source, 0, "ยังไม่อยู่ในดัชนี", ""])
                continue
            out.append([d["office"], source, len(d["chunk_ids"]), _local_time(d["ingested_at"]), ", ".join(d["sections"])])
        return out

    def is_empty(self) -> bool:
        return not self.index.lexical.documents()

    # ---- changes to the corpus -------------------------------------------------------
    def save_uploads(self, uploads: Sequence[str | Path], save_as: str | None = None) -> list[UploadResult]:
        """Check and store uploaded files; ``save_as`` renames a single upload."""
        if save_as and len(uploads) != 1:
            return [UploadResult(str(save_as), "", reason="ตั้งชื่อใหม่ได้เมื่ออัปโหลดทีละไฟล์เท่านั้น")]
        return [self._save_one(Path(u), save_as or Path(u).name) for u in uploads]

    def _save_one(self, upload: Path, name: str) -> UploadResult:
        try:
            stored, replaced = self._store(upload, name)
        except UploadRefused as exc:
            log.warning("upload %r refused: %s", name, exc)
            return UploadResult(name, "", reason=str(exc))
        log.info("upload stored as %s%s", stored, " (replaced)" if replaced else "")
        return UploadResult(name, stored, replaced)

    def _store(self, upload: Path, name: str) -> tuple[str, bool]:
        base = safe_filename(name)
        corpus = self.corpus.resolve()
        target = corpus / base
        if target.parent != corpus or not target.resolve().is_relative_to(corpus):
            raise UploadRefused("ชื่อไฟล์ชี้ออกนอกโฟลเดอร์เอกสาร")
        if target.is_dir():
            raise UploadRefused("มีโฟลเดอร์ชื่อนี้อยู่แล้ว")
        limit = self.settings.max_upload_mb * 1024 * 1024
        try:
            size = upload.stat().st_size
        except OSError as exc:
            raise UploadRefused("อ่านไฟล์ที่อัปโหลดไม่ได้") from exc
        if size > limit:
            raise UploadRefused(f"ไฟล์ใหญ่เกิน {self.settings.max_upload_mb} MB")
        # a hidden temp name in the corpus: ingest ignores it, and the rename is atomic
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=target.suffix, dir=corpus)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            shutil.copyfile(upload, tmp)
            try:
                load(tmp, base)
            except UnreadableDocument as exc:
                raise UploadRefused(f"อ่านข้อความในไฟล์ไม่ได้: {exc}") from exc
            replaced = target.exists()
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return base, replaced

    def delete(self, source: str) -> Path:
        """Move a corpus file to ``<index>/deleted/`` (re-ingest drops its chunks).

        Raises:
            UploadRefused: the name is not a file of the corpus.
        """
        if source not in self.files():
            raise UploadRefused(f"ไม่พบไฟล์ {source} ในโฟลเดอร์เอกสาร")
        path = self.corpus / source
        if not path.resolve().is_relative_to(self.corpus.resolve()):
            raise UploadRefused("ชื่อไฟล์ชี้ออกนอกโฟลเดอร์เอกสาร")
        trash = self.settings.index_dir / "deleted"
        trash.mkdir(parents=True, exist_ok=True)
        dest = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{Path(source).name}"
        shutil.move(str(path), dest)
        log.info("deleted %s (kept a copy at %s)", source, dest)
        return dest

    # ---- ingest -------------------------------------------------------------------------
    def reingest(self, full: bool = False, progress: Progress | None = None) -> IngestReport:
        """Sync the index with the corpus; one run at a time (others wait)."""
        with self._lock:
            self.state.running, self.state.done, self.state.total = True, 0, 0
            self.state.label, self.state.error = "เริ่มนำเข้า", ""

            def step(done: int, total: int, label: str) -> None:
                self.state.done, self.state.total, self.state.label = done, total, label
                log.info("ingest %d/%d %s", done, total, label)
                if progress is not None:
                    progress(done, total, label)

            try:
                report = run(self.settings, full=full, progress=step, plan_index=self.index)
            except Exception as exc:
                self.state.error = str(exc) if isinstance(exc, PlanQAError) else type(exc).__name__
                raise
            finally:
                self.state.running = False
                self.state.finished_at = time.time()
            self.state.report = report
            log.info(
                "ingest done: %d seen, %d added, %d updated, %d deleted, %d skipped, %.1f s",
                report.seen, report.added, report.updated, report.deleted, len(report.skipped), report.seconds,
            )
            return report


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(iso or "")
