"""Document management for the web app: safe uploads, delete, re-ingest.

Uploads are checked (name, type, size, readable text) before they reach the
corpus folder and land there with an atomic rename, so an ingest run never
reads half a file. Ingest runs one at a time under a lock; questions don't
take that lock (the index's own readers-writer lock keeps their reads
consistent).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import tomlkit
from tqdm import tqdm

from ingest.index import PlanIndex
from ingest.loaders import SUPPORTED_SUFFIXES, load
from ingest.offices import parse_office_name
from ingest.pipeline import Written, discover, load_catalogue, office_conflicts, run
from planqa.errors import ConfigError, PlanQAError, UnreadableDocument
from planqa.settings import CATALOGUE_NAME, Settings
from planqa.types import Citation, IngestReport, PageInfo, Progress, Skipped, SkipReason, page_spans
from webui.escape import markdown_text

log = logging.getLogger(__name__)
MAX_NAME_BYTES = 200
UPLOAD_PREFIX = ".upload-"  # an upload being checked, in the corpus folder (hidden: ingest passes it over)
# control, format (zero-width, bidirectional overrides) and line/paragraph separator characters: a name
# with one can show as another name ("inv\u202eoice8.txt" reads reversed) or as no name at all
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


class UploadRefused(PlanQAError):
    """An uploaded file was not stored; the message (Thai) says why."""


def safe_filename(name: str) -> str:
    """The bare file name an upload may be stored under in the corpus folder.

    Directories are stripped ("C:\\\\fakepath\\\\plan.txt" -> "plan.txt"); a name
    that climbs out of its folder, is hidden, has control, format or separator
    characters (Unicode Cc, Cf, Zl, Zp: invisible or reordering) or an
    unsupported type is refused.

    Raises:
        UploadRefused: with the reason, in Thai.

    >>> safe_filename("uploads/แผน เขต 4.txt")
    'แผน เขต 4.txt'
    """
    raw = unicodedata.normalize("NFC", name or "")
    if any(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in raw):
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
    step_started: float = 0.0  # when the current step (reading, embedding, writing) began
    step: str = ""

    def seconds_left(self) -> float | None:
        """A rough estimate for the current step, from its pace so far (None until it has one)."""
        if not self.running or not self.total or not self.done or self.done >= self.total:
            return None
        spent = time.monotonic() - self.step_started
        return spent / self.done * (self.total - self.done)


class DocumentManager:
    def __init__(self, settings: Settings, plan_index: PlanIndex, on_written: Written | None = None) -> None:
        """``on_written``: what each ingest run calls once the index is written (``ingest.pipeline.run``)."""
        self.settings = settings
        self.index = plan_index
        self.on_written = on_written
        self.state = IngestState()
        self._lock = threading.Lock()
        self.remove_stale_uploads()

    def remove_stale_uploads(self) -> list[str]:
        """Remove the upload temporaries (``corpus/.upload-*``) that a killed process left behind.

        An upload holds an ``flock`` on its temporary while it writes and checks it; the kernel
        drops that lock when the process dies, so a temporary nobody holds is stale and goes,
        while another app's upload in progress is left alone. Returns the names removed.
        """
        if not self.corpus.is_dir():
            return []
        removed: list[str] = []
        for path in sorted(self.corpus.glob(f"{UPLOAD_PREFIX}*")):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:  # gone already (renamed into place), or a link: not ours
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # an upload in progress
                if os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False)):
                    path.unlink()
                    removed.append(path.name)
            except OSError as exc:
                log.warning("could not remove the stale upload temporary %s: %s", path, exc)
            finally:
                os.close(fd)
        if removed:
            log.warning("removed %d stale upload temporaries left by an interrupted upload in %s: %s",
                        len(removed), self.corpus, ", ".join(removed))
        return removed

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

    def rows(self, files: Sequence[str] | None = None) -> list[list[Any]]:
        """The documents table (ROW_HEADERS), read fresh: every corpus file (``files``, when the caller
        has just listed them) and indexed plan, with its status: indexed, not yet ingested, skipped
        with the reason, or claiming another plan's office."""
        documents = self.index.lexical.documents()
        docs = {d.source: d for d in documents}
        last = self.state.report.skipped if self.state.report else []
        skipped = {s.file: s for s in last if s.page is None}
        skipped_pages: dict[str, list[Skipped]] = {}
        for s in last:
            if s.page is not None:
                skipped_pages.setdefault(s.file, []).append(s)
        conflicted = {f for c in office_conflicts(documents) for f in c.files}
        out: list[list[Any]] = []
        for source in sorted(set(docs) | set(self.files() if files is None else files) | set(skipped)):
            d = docs.get(source)
            status = "อยู่ในดัชนี" if d else "ยังไม่นำเข้า"
            if source in skipped:
                status = f"ข้าม: {thai_reason(skipped[source])}" + (" (ฉบับก่อนยังอยู่ในดัชนี)" if d else "")
            elif source in conflicted:
                status = "อยู่ในดัชนี — มีเอกสารอื่นระบุเป็นสำนักงานเดียวกัน"
            if d is not None and source not in skipped:
                status += ocr_review_note(self.index.lexical.pages_of(source), skipped_pages.get(source, ()),
                                          self.settings.ocr_review_below)
            if d is None:
                out.append(["—", "", source, status, 0, 0, ""])
                continue
            key = parse_office_name(d.office) if d.office_named else None
            out.append([key.short_name() if key else d.office, d.title, source, status, len(d.chunk_ids),
                        len(d.sections), _local_time(d.ingested_at)])
        return out

    def preview(self, source: str | None, limit: int = 160) -> str:
        """The chunks of one indexed document, as Markdown: section, lines and the start of the text."""
        if not source:
            return "เลือกไฟล์เพื่อดูส่วนที่นำเข้า"
        chunks = self.index.lexical.chunks_of(source)
        if not chunks:
            return f"ไฟล์ {markdown_text(source)} ยังไม่มีส่วนในดัชนี"
        lines = [f"**{markdown_text(source)}** — {len(chunks)} ส่วน"]
        pages = self.index.lexical.pages_of(source)
        for c in chunks:
            body = " ".join(c.text.split())
            body = body if len(body) <= limit else body[:limit] + "…"
            span = f"บรรทัด {c.start_line}–{c.end_line}"
            if pages:  # a PDF: where the reader finds it, page and lines on the page
                span = Citation(0, source, c.office, c.section, c.start_line, c.end_line, "").on_pages(pages).where()
            lines.append(f"- **{markdown_text(c.section or 'ส่วนนำ')}** ({span}): {markdown_text(body)}")
        return "\n".join(lines)

    def office_entry(self, source: str | None) -> tuple[str, str]:
        """The office and aliases ``corpus/offices.toml`` sets for ``source`` ("" when none)."""
        try:
            entry = load_catalogue(self.settings).get(source or "", {})
        except ConfigError as exc:  # a hand-edited file gone bad: shown as no override (the ingest reports it)
            log.warning("%s", exc)
            return "", ""
        return str(entry.get("office", "")), ", ".join(str(a) for a in entry.get("aliases", []))

    def set_office(self, source: str, office: str, aliases: Sequence[str]) -> None:
        """Write (or with an empty office, remove) ``source``'s entry in ``corpus/offices.toml``.

        Raises:
            UploadRefused: the file is not in the corpus, or the office name is too long or has a
                control, format or separator character (it would be invisible in every answer).
        """
        if source not in self.files():
            raise UploadRefused(f"ไม่พบไฟล์ {source} ในโฟลเดอร์เอกสาร")
        if len(office) > 200 or any(len(a) > 200 for a in aliases):
            raise UploadRefused("ชื่อสำนักงานยาวเกิน 200 ตัวอักษร")
        if any(unicodedata.category(ch) in INVISIBLE_CATEGORIES for name in (office, *aliases) for ch in name):
            raise UploadRefused("ชื่อสำนักงานหรือชื่อย่อมีอักขระควบคุมหรืออักขระที่มองไม่เห็น กรุณาพิมพ์ใหม่")
        try:
            catalogue = load_catalogue(self.settings)
        except ConfigError as exc:  # never written over: it may hold a hand edit worth keeping
            raise UploadRefused(catalogue_refusal(exc)) from exc
        if office.strip():
            catalogue[source] = {"office": office.strip(), "aliases": [a.strip() for a in aliases if a.strip()]}
        else:
            catalogue.pop(source, None)
        path = self.settings.catalogue_path
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(catalogue_toml(catalogue), encoding="utf-8")
        os.replace(tmp, path)
        log.info("office of %s set to %r in %s", source, office, path)

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
        fd, tmp_name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=target.suffix, dir=corpus)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until done: a temporary nobody holds is stale (remove_stale_uploads)
        tmp = Path(tmp_name)
        try:
            shutil.copyfile(upload, tmp)
            try:
                load(tmp, base)
            except UnreadableDocument as exc:
                if exc.kind not in OCR_KINDS:  # a scan or photo is read by the ingest's OCR
                    raise UploadRefused(f"อ่านข้อความในไฟล์ไม่ได้: {exc}") from exc
            replaced = target.exists()
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
            os.close(fd)
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
        stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{source.replace('/', '__')}"
        dest, n = trash / stem, 1
        while dest.exists():  # two deletions in one second must not share a copy
            n += 1
            dest = trash / f"{stem}.{n}"
        shutil.move(str(path), dest)
        log.info("deleted %s (kept a copy at %s)", source, dest)
        return dest

    # ---- ingest -------------------------------------------------------------------------
    def reingest(self, full: bool = False, progress: Progress | None = None) -> IngestReport:
        """Sync the index with the corpus; one run at a time (others wait)."""
        with self._lock:
            self.state.running, self.state.done, self.state.total = True, 0, 0
            self.state.label, self.state.error = "เริ่มนำเข้า", ""

            bar = tqdm(total=0, desc="ingest", unit="step", file=sys.stderr, disable=None)

            def step(done: int, total: int, label: str) -> None:
                kind = label.split(" ")[0]
                if kind != self.state.step:  # a new step: its own pace
                    self.state.step, self.state.step_started = kind, time.monotonic()
                self.state.done, self.state.total, self.state.label = done, total, label
                bar.total, bar.n = total, done
                bar.set_description(label[:40])
                bar.refresh()
                log.debug("ingest %d/%d %s", done, total, label)
                if progress is not None:
                    progress(done, total, label)

            try:
                report = run(self.settings, full=full, progress=step, plan_index=self.index, on_written=self.on_written)
            except Exception as exc:
                self.state.error = str(exc) if isinstance(exc, PlanQAError) else type(exc).__name__
                raise
            finally:
                bar.close()
                self.state.running = False
            self.state.report = report
            log.info(
                "ingest done: %d seen, %d added, %d updated, %d deleted, %d skipped, %.1f s",
                report.seen, report.added, report.updated, report.deleted, len(report.skipped), report.seconds,
            )
            return report


def catalogue_refusal(exc: ConfigError) -> str:
    """What the Documents tab says when ``offices.toml`` cannot be read, so an office cannot be set:
    what is wrong, where, and what to do; the file is left as it is."""
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    where = f" (บรรทัด {found[1]} ตำแหน่ง {found[2]})" if found else ""
    return (f"บันทึกชื่อสำนักงานไม่ได้ เพราะไฟล์ {CATALOGUE_NAME} ในโฟลเดอร์เอกสารไม่ใช่ TOML ที่ถูกต้อง{where} "
            f"ซึ่งอาจเกิดจากการแก้ไขด้วยมือ กรุณาให้ผู้ดูแลระบบแก้ไขหรือลบไฟล์นั้น แล้วบันทึกอีกครั้ง "
            f"(ไฟล์เดิมไม่ถูกเปลี่ยนแปลง ระหว่างนี้การนำเข้ายังทำงานต่อโดยไม่ใช้ชื่อสำนักงานที่กำหนดในไฟล์นั้น)")


def catalogue_toml(catalogue: dict[str, dict[str, Any]]) -> str:
    """``corpus/offices.toml``: one table per file, written by a TOML library (every string escaped)."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("office overrides by file: set in the web app's Documents tab or by hand (README)"))
    for source, entry in sorted(catalogue.items()):
        table = tomlkit.table()
        for key, value in entry.items():
            table[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
        doc[source] = table
    return tomlkit.dumps(doc)


REASONS_TH: dict[SkipReason, str] = {
    SkipReason.MISSING: "ไม่พบไฟล์",
    SkipReason.FOLDER_UNREADABLE: "อ่านโฟลเดอร์ไม่ได้ แผนในโฟลเดอร์ยังอยู่ในดัชนี",
    SkipReason.NAME_NOT_UTF8: "ชื่อไฟล์ไม่ใช่ UTF-8 กรุณาเปลี่ยนชื่อไฟล์",
    SkipReason.BROKEN_LINK: "ลิงก์เสียหรืออ่านไม่ได้",
    SkipReason.OUTSIDE_CORPUS: "ลิงก์ชี้ออกนอกโฟลเดอร์เอกสาร",
    SkipReason.NOT_REGULAR: "ไม่ใช่ไฟล์ปกติ (เช่น FIFO หรืออุปกรณ์)",
    SkipReason.UNSUPPORTED_TYPE: "ไม่รองรับไฟล์ชนิดนี้",
    SkipReason.DUPLICATE: "ซ้ำกับไฟล์อื่น",
    SkipReason.TOO_LARGE: "ไฟล์ใหญ่เกินกำหนด",
    SkipReason.CANNOT_READ: "อ่านไฟล์ไม่ได้ (สิทธิ์หรือข้อผิดพลาดของระบบ)",
    SkipReason.EMPTY: "ไฟล์ว่าง",
    SkipReason.NO_TEXT: "ไม่พบข้อความในไฟล์",
    SkipReason.BINARY: "เป็นข้อมูลไบนารีหรือไม่ทราบรหัสอักขระ",
    SkipReason.CORRUPT: "ไฟล์เสียหรืออ่านไม่ได้",
    SkipReason.PDF_PAGE_UNREADABLE: "หน้านี้ของ PDF เสียหรืออ่านไม่ได้ ข้ามหน้านี้และอ่านหน้าอื่นแล้ว",
    SkipReason.PDF_ENCRYPTED: "PDF ถูกล็อกด้วยรหัสผ่าน กรุณาปลดรหัสผ่านออก (เปิดด้วยรหัสผ่านแล้วบันทึกสำเนาที่ไม่มีรหัส) แล้วเพิ่มไฟล์อีกครั้ง",
    SkipReason.TOO_COMPLEX: "ไฟล์ยาวหรือซับซ้อนเกินกำหนด",
    SkipReason.PDF_NO_TEXT_LAYER: "PDF ไม่มีชั้นข้อความ (เป็นภาพสแกน) ต้องทำ OCR ก่อน",
    SkipReason.DOCX_INVALID: "ไฟล์ DOCX ผิดปกติหรือใหญ่เกินไป",
    SkipReason.NEEDS_OCR: "เป็นภาพ ต้องอ่านข้อความด้วย OCR",
    SkipReason.OCR_UNAVAILABLE: ("ต้องอ่านด้วย OCR แต่เครื่องนี้ยังไม่ได้ติดตั้ง Tesseract ภาษาไทย"
                                 " (ผู้ดูแลระบบ: apt-get install tesseract-ocr tesseract-ocr-tha)"),
    SkipReason.NO_THAI_TEXT: "ไม่พบข้อความภาษาไทย",
    SkipReason.OCR_PAGE_FAILED: "อ่านหน้านี้ด้วย OCR ไม่สำเร็จหรือใช้เวลาเกินกำหนด",
    SkipReason.OCR_BUDGET: ("ใช้เวลาอ่านไฟล์นี้ด้วย OCR ครบตามกำหนดแล้ว จึงไม่ได้อ่านหน้าที่เหลือ"
                            " (หน้าที่อ่านแล้วอยู่ในดัชนี ผู้ดูแลระบบเพิ่มเวลาได้ที่ PLANQA_OCR_FILE_BUDGET_S)"),
    SkipReason.CATALOGUE_INVALID: ("offices.toml ไม่ใช่ TOML ที่ถูกต้อง นำเข้าโดยไม่ใช้ชื่อสำนักงานที่กำหนดไว้ในไฟล์นี้"
                                   " กรุณาแก้หรือลบไฟล์"),
}


# what an upload's check (no OCR) says of a scan or a photo: stored, and OCR'd by the ingest
OCR_KINDS = frozenset({SkipReason.PDF_NO_TEXT_LAYER, SkipReason.NEEDS_OCR})


def ocr_review_note(pages: Sequence[PageInfo], skipped: Sequence[Skipped], below: float) -> str:
    """" — ตรวจทาน OCR: หน้า 2 (ความมั่นใจ 61%), หน้า 5 (ข้าม: …)" for a document with OCR pages read
    with a confidence under ``below`` or passed over; "" when none."""
    notes = {p.number: f"หน้า {p.number} (ความมั่นใจ {p.confidence:.0f}%)" for p in pages
             if p.ocr and p.confidence is not None and p.confidence < below}
    for p in pages:
        if p.ocr and p.confidence is None and p.end_line < p.start_line:
            notes[p.number] = f"หน้า {p.number} (ไม่ได้ข้อความ)"
    for span in page_spans(skipped):  # 180 pages over the OCR budget: one note, "หน้า 121–300"
        notes[span.first] = f"{span.pages('หน้า', 'หน้า', '–')} (ข้าม: {thai_reason(Skipped(span.file, span.reason, span.kind))})"
        for n in range(span.first + 1, span.last + 1):
            notes.pop(n, None)
    return f" — ตรวจทาน OCR: {', '.join(notes[n] for n in sorted(notes))}" if notes else ""


def thai_reason(skip: Skipped) -> str:
    """Why a file was skipped, in Thai (keyed on its code), with the English detail kept."""
    return f"{REASONS_TH[skip.kind]} ({skip.reason})"


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(iso or "")
