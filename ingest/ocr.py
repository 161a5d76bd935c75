"""OCR of page images with Tesseract: text lines, their boxes, each page's confidence.

Each page is read by its own ``tesseract`` process (the Debian packages
``tesseract-ocr`` and ``tesseract-ocr-tha``), at most ``OcrConfig.workers`` at
a time: the threads of the pool here only feed images to those processes and
wait, so the pool is one of processes. One run writes both of Tesseract's plain
text (its lines, with the spaces it decided on) and its TSV (a box and a
confidence for each line and word); the two are matched line by line.

A page over ``page_timeout_s`` is killed and reported (``PageText.problem``);
the other pages are read. A file whose OCR has run ``file_budget_s`` hands no
further page to Tesseract: the pages left are reported (``SkipReason.OCR_BUDGET``)
and those read are kept, so a 300-page scan takes bounded time. Tesseract missing, or without Thai, is an
``UnreadableDocument`` whose reason names the packages to install.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.ocr_repair import repair_ocr_line
from planqa.errors import UnreadableDocument
from planqa.settings import Settings
from planqa.types import Box, SkipReason

log = logging.getLogger(__name__)

INSTALL_HINT = ("install Tesseract with its Thai data (as root: apt-get install tesseract-ocr tesseract-ocr-tha), "
                "or set PLANQA_TESSERACT to the tesseract program")
# (done, total) pages
PageProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class OcrConfig:
    """How pages are OCR'd (built from ``Settings`` by the pipeline)."""

    tesseract: str = "tesseract"
    languages: str = "tha+eng"
    workers: int = 1
    page_timeout_s: float = 120.0
    dpi: int = 300
    retry_below: float = 0.95  # dictionary coverage under which a page is read again (0: never)
    file_budget_s: float = 1800.0  # OCR time one file may use; the pages left after it are skipped

    @classmethod
    def from_settings(cls, settings: Settings) -> OcrConfig:
        return cls(settings.tesseract, settings.ocr_languages, settings.ocr_workers or os.cpu_count() or 1,
                   settings.ocr_page_timeout_s, settings.ocr_dpi, settings.ocr_retry_below,
                   settings.ocr_file_budget_s)


@dataclass(frozen=True, slots=True)
class PageText:
    """One page as read: its lines, their boxes (fractions of the page) and, for OCR, a confidence."""

    number: int  # 1-based page number in the file
    lines: tuple[str, ...]
    boxes: tuple[Box | None, ...] = ()  # one per line where known, else empty
    ocr: bool = False
    confidence: float | None = None  # Tesseract's mean word confidence, 0-100 (None: no words)
    problem: str = ""  # why an OCR page gave nothing (its time limit, a Tesseract error); "" when read
    problem_kind: SkipReason = SkipReason.OCR_PAGE_FAILED  # or PDF_PAGE_UNREADABLE: a damaged page


def require_tesseract(config: OcrConfig) -> str:
    """The path of the Tesseract program, checked to hold every language of ``config``.

    Raises:
        UnreadableDocument: (OCR_UNAVAILABLE) no such program, or a language missing; the
            reason names the packages to install.
    """
    path = shutil.which(config.tesseract)
    if path is None:
        raise UnreadableDocument(f"needs OCR, but Tesseract ({config.tesseract}) is not installed: {INSTALL_HINT}",
                                 SkipReason.OCR_UNAVAILABLE)
    missing = [lang for lang in config.languages.split("+") if lang not in _languages(path)]
    if missing:
        raise UnreadableDocument(f"needs OCR, but Tesseract at {path} lacks the language data {'+'.join(missing)}: "
                                 f"{INSTALL_HINT}", SkipReason.OCR_UNAVAILABLE)
    return path


@lru_cache(maxsize=8)
def _languages(path: str) -> frozenset[str]:
    try:
        out = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())


def ocr_pages(images: Iterable[tuple[int, bytes]], total: int, config: OcrConfig,
              progress: PageProgress | None = None, numbers: Sequence[int] | None = None) -> list[PageText]:
    """OCR each ``(page number, image bytes)``, in page order, ``config.workers`` pages at a time.

    ``images`` is consumed lazily (a few pages ahead of the workers), so a 300-page scan is
    never held in memory at once. ``progress(done, total)`` is called as pages finish, from the
    calling thread (a web app's progress tracker is bound to it; the pool's threads have none).
    Once ``config.file_budget_s`` has passed, no further page is started (the first always is):
    the pages of ``numbers`` (default 1..total) after the last one started come back as
    ``OCR_BUDGET`` problems, and the pages in flight finish.

    Raises:
        UnreadableDocument: Tesseract is missing (before any page is read).
    """
    program = require_tesseract(config)
    workers = max(1, config.workers)
    deadline = time.monotonic() + config.file_budget_s
    read: list[PageText] = []
    pending: set[Future[PageText]] = set()
    last = 0  # the last page number handed to Tesseract
    over_budget = False

    def settle(all_of_them: bool) -> None:
        nonlocal pending
        finished, pending = wait(pending, return_when=ALL_COMPLETED if all_of_them else FIRST_COMPLETED)
        read.extend(f.result() for f in finished)
        if finished and progress is not None:
            progress(len(read), total)

    with ThreadPoolExecutor(workers, thread_name_prefix="ocr") as pool:
        items = iter(images)
        while True:
            while len(pending) >= 2 * workers:
                settle(all_of_them=False)
            if last and time.monotonic() >= deadline:
                over_budget = True
                break
            item = next(items, None)
            if item is None:
                break
            last = item[0]
            pending.add(pool.submit(ocr_image, program, item[0], item[1], config))
        settle(all_of_them=True)
    if over_budget:
        reason = (f"the file's OCR time budget ({config.file_budget_s:g} s) was used; "
                  "raise PLANQA_OCR_FILE_BUDGET_S")
        left = [n for n in (numbers if numbers is not None else range(1, total + 1)) if n > last]
        log.warning("OCR time budget (%g s) used: %d of %d pages left unread", config.file_budget_s, len(left), total)
        read.extend(PageText(n, (), ocr=True, problem=reason, problem_kind=SkipReason.OCR_BUDGET) for n in left)
    return sorted(read, key=lambda p: p.number)


def ocr_image(program: str, number: int, image: bytes, config: OcrConfig) -> PageText:
    """One page image (any format Tesseract reads: PNG, PGM, JPEG, TIFF) read by Tesseract, and
    read again with Sauvola binarisation when the first reading looks poor (``better_reading``)."""
    page = tesseract_page(program, number, image, config)
    return better_reading(page, lambda: tesseract_page(program, number, image, config, SAUVOLA), config.retry_below)


SAUVOLA = ("-c", "thresholding_method=2")  # Tesseract 5's local (Sauvola) binarisation; the default is Otsu's


def better_reading(page: PageText, reread: Callable[[], PageText], below: float) -> PageText:
    """``page``, or ``reread()`` when ``page``'s dictionary coverage is under ``below`` and the
    second reading's coverage is higher. Coverage (``dictionary_coverage``) needs no ground truth:
    a reading that breaks letters makes pieces that are no Thai word. ``below`` 0 never re-reads."""
    first = dictionary_coverage(page.lines)
    if page.problem or first >= below:
        return page
    second = reread()
    again = dictionary_coverage(second.lines)
    log.info("page %d: dictionary coverage %.3f under %.2f, read again with Sauvola: %.3f (%s)", page.number, first,
             below, again, "kept" if again > first and not second.problem else "dropped")
    return second if again > first and not second.problem else page


_THAI_LETTER = re.compile("[\u0e01-\u0e4e]")  # Thai letters and marks, not digits or signs


def dictionary_coverage(lines: Sequence[str]) -> float:
    """The share of the Thai letters of ``lines`` that fall in words of pythainlp's dictionary,
    as newmm cuts them (1.0 for a page without Thai: nothing to judge).

    >>> dictionary_coverage(["สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา"])
    1.0
    >>> dictionary_coverage(["สำนักงานเขตพื่นที่การศุกษามธยมศกษา"])  # misread marks: half its letters in no word
    0.5
    """
    from ingest.tokens import dictionary_share

    return dictionary_share(lines, lambda c: _THAI_LETTER.fullmatch(c) is not None)


def tesseract_page(program: str, number: int, image: bytes, config: OcrConfig, options: Sequence[str] = ()) -> PageText:
    """One Tesseract run over a page image, with extra command-line ``options`` (e.g. ``SAUVOLA``)."""
    with tempfile.TemporaryDirectory(prefix="planqa-ocr-") as tmp:
        base = Path(tmp) / "page"
        # one thread a process: the pool is the parallelism, and OpenMP threads on top only contend
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        cmd = [program, "stdin", str(base), "-l", config.languages, "--dpi", str(config.dpi), *options, "txt", "tsv"]
        try:
            run = subprocess.run(cmd, input=image, capture_output=True, timeout=config.page_timeout_s, env=env)
        except subprocess.TimeoutExpired:
            return PageText(number, (), ocr=True, problem=f"OCR took over {config.page_timeout_s:g} s "
                                                          "(PLANQA_OCR_PAGE_TIMEOUT_S); page skipped")
        except OSError as exc:
            return PageText(number, (), ocr=True, problem=f"Tesseract could not run: {exc}")
        txt, tsv = base.with_suffix(".txt"), base.with_suffix(".tsv")
        if run.returncode != 0 or not txt.exists() or not tsv.exists():
            err = run.stderr.decode("utf-8", "replace").strip().splitlines()
            return PageText(number, (), ocr=True, problem=f"Tesseract failed: {err[-1] if err else run.returncode}")
        return read_output(number, txt.read_text(encoding="utf-8"), tsv.read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class _TsvLine:
    text: str  # the words joined without spaces
    box: Box
    confs: tuple[float, ...]
    chars: tuple[int, ...]  # each word's length, to weigh its confidence


def read_output(number: int, txt: str, tsv: str) -> PageText:
    """A page from Tesseract's text and TSV outputs of one run.

    The text gives each line as Tesseract spaced it (Thai words run together, real spaces
    kept); the TSV gives the same lines, in the same order, with their boxes and word
    confidences. A line is repaired (``ingest/ocr_repair.py``) before it is kept."""
    tsv_lines, confidence = _tsv_lines(tsv)
    text_lines = [line for line in txt.replace("\f", "\n").split("\n") if line.strip()]
    squashed = ["".join(line.split()) for line in text_lines]
    if squashed != ["".join(t.text.split()) for t in tsv_lines]:
        # never seen; if the outputs ever disagree, the TSV's words are the text (boxes stay right)
        log.warning("page %d: Tesseract's text and TSV lines differ; using the TSV's words", number)
        text_lines = [t.text for t in tsv_lines]
    kept = [(text, t) for text, t in zip(text_lines, tsv_lines, strict=True) if not _speck(text, t, tsv_lines)]
    lines = tuple(repair_ocr_line(text.strip()) for text, _ in kept)
    return PageText(number, lines, tuple(t.box for _, t in kept), ocr=True, confidence=confidence)


SPECK_HEIGHT = 0.4  # of the page's median line height
SPECK_CHARS = 3


def _speck(text: str, line: _TsvLine, page: list[_TsvLine]) -> bool:
    """A dot of dirt read as a letter or two ("ข" 20 px high among 60 px lines): far shorter than
    the page's lines and almost empty. Kept out of the text, where it would join a quote."""
    heights = sorted(t.box[3] - t.box[1] for t in page)
    median = heights[len(heights) // 2]
    return len("".join(text.split())) <= SPECK_CHARS and line.box[3] - line.box[1] < SPECK_HEIGHT * median


def _tsv_lines(tsv: str) -> tuple[list[_TsvLine], float | None]:
    rows = list(csv.reader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        return [], None
    header = rows[0]
    width = height = 1.0
    lines: dict[tuple[str, str, str, str], list[dict[str, str]]] = {}
    for values in rows[1:]:
        row = dict(zip(header, values))
        if row.get("level") == "1":
            width, height = max(1.0, float(row["width"])), max(1.0, float(row["height"]))
        elif row.get("level") == "5" and row.get("text", "").strip():
            key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
            lines.setdefault(key, []).append(row)
    out = []
    for words in lines.values():
        left = min(int(w["left"]) for w in words)
        top = min(int(w["top"]) for w in words)
        right = max(int(w["left"]) + int(w["width"]) for w in words)
        bottom = max(int(w["top"]) + int(w["height"]) for w in words)
        box = (left / width, top / height, right / width, bottom / height)
        out.append(_TsvLine("".join(w["text"] for w in words), box,
                            tuple(float(w["conf"]) for w in words), tuple(len(w["text"]) for w in words)))
    weights = [(c, n) for t in out for c, n in zip(t.confs, t.chars) if c >= 0]
    total = sum(n for _, n in weights)
    confidence = sum(c * n for c, n in weights) / total if total else None
    return out, confidence
