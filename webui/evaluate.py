"""The Evaluation tab's work, without Gradio: run a question set against the
app's own index and turn the report into a table, a chart and the worst cases.

One evaluation at a time; questions in the chat go on meanwhile (the run
reads the index under the same readers-writer lock as they do).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import evals
from evals.cases import load_cases
from evals.report import badness
from planqa.errors import PlanQAError
from planqa.settings import Settings
from planqa.types import Progress
from retrieval.hybrid import RETRIEVERS
from webui.render import markdown_text

log = logging.getLogger(__name__)
# (summary key, column header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "จำนวนคำถาม"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("citation_precision", "ความแม่นยำการอ้างอิง"),
    ("office_exact", "ระบุสำนักงานถูก"),
    ("abstention_precision", "งดตอบ: precision"),
    ("abstention_recall", "งดตอบ: recall"),
    ("citations_valid", "อ้างอิงตรงบรรทัด"),
    ("latency_p50_ms", "เวลา p50 (ms)"),
    ("latency_p95_ms", "เวลา p95 (ms)"),
)
KIND_NAMES = {
    "overall": "ทั้งหมด",
    "lookup": "ค้นข้อมูล (lookup)",
    "which": "สำนักงานใด (which)",
    "compare": "เปรียบเทียบ (compare)",
    "crosslingual": "ภาษาอังกฤษ (crosslingual)",
    "followup": "คำถามต่อเนื่อง (followup)",
    "abstain": "ควรงดตอบ (abstain)",
}
HEADERS = ["ชนิดคำถาม", *(h for _, h in COLUMNS)]


class EvaluationRefused(PlanQAError):
    """The evaluation did not start; the message (Thai) says why."""


class EvaluationCancelled(PlanQAError):
    """The evaluation was stopped (``Evaluator.cancel``); the message, in Thai, says how far it got."""


@dataclass(frozen=True, slots=True)
class EvaluationView:
    rows: list[list[Any]]  # HEADERS order: overall first, then each kind
    chart: Path
    report_md: Path
    report_json: Path
    worst: str  # markdown list of the worst questions
    questions: int


def summary_rows(summary: dict[str, Any]) -> list[list[Any]]:
    """One row per kind ("ทั้งหมด" first); "—" where a metric does not apply."""
    blocks = [("overall", summary["overall"]), *sorted(summary.get("by_kind", {}).items())]
    return [[KIND_NAMES.get(kind, kind), *(_cell(block.get(key)) for key, _ in COLUMNS)] for kind, block in blocks]


def _cell(value: Any) -> Any:
    if value is None:
        return "—"
    if isinstance(value, float):
        return round(value, 3) if value <= 1.0 else round(value)
    return value


def worst_questions(report: dict[str, Any], n: int = 5) -> str:
    """The n questions that went worst, with what came back."""
    bad = sorted(report["questions"], key=badness)[:n]
    lines = []
    for q in bad:
        s = q["scores"]
        if s.get("abstain_correct") == 0.0:
            what = "งดตอบทั้งที่แผนมีคำตอบ" if q["gold"] else "ตอบทั้งที่ควรงดตอบ"
        else:
            mrr = s.get("mrr@10")
            what = "ไม่พบข้อความที่ถูกใน 10 อันดับแรก" if mrr == 0 else f"MRR {mrr:.2f}" if mrr is not None else "—"
        lines.append(f"- {markdown_text(q['id'])}: {markdown_text(q['question'])} — {what}")
    return "\n".join(lines) if lines else "ไม่มีคำถามที่ผิด"


def _bad_set(exc: PlanQAError, path: Path) -> EvaluationRefused:
    """evals.cases' error for ``path`` in Thai, by file name and line."""
    text = str(exc).replace(str(path), path.name)
    if m := re.match(rf"{re.escape(path.name)}:(\d+): (.*)", text, re.S):
        return EvaluationRefused(f"ชุดคำถามผิดรูปแบบที่บรรทัด {m[1]} ({path.name}:{m[1]}): {m[2]}")
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return EvaluationRefused(f"อ่านไฟล์ชุดคำถาม {path.name} ไม่ได้: ต้องเป็นข้อความ UTF-8")
    return EvaluationRefused(f"อ่านไฟล์ชุดคำถามไม่ได้: {text}")


class Evaluator:
    def __init__(self, settings: Settings, sync: Callable[[], Any]) -> None:
        """``sync`` brings the index in step with the corpus (the app's own ingest, under its lock)."""
        self.settings = settings
        self.sync = sync
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def cancel(self) -> bool:
        """Stop the running evaluation after the question it is asking (False: none is running)."""
        if not self.running:
            return False
        self._stop.set()
        return True

    @property
    def running(self) -> bool:
        return self._lock.locked()

    def check_upload(self, path: Path | None) -> Path | None:
        """The uploaded question file, if one is given and acceptable.

        Raises:
            EvaluationRefused: not a .jsonl file, or too large.
        """
        if path is None:
            return None
        path = Path(path)
        if path.suffix.lower() != ".jsonl":
            raise EvaluationRefused("ชุดคำถามต้องเป็นไฟล์ .jsonl (หนึ่งคำถามต่อหนึ่งบรรทัด)")
        if path.stat().st_size > self.settings.max_upload_mb * 1024 * 1024:
            raise EvaluationRefused(f"ไฟล์ชุดคำถามใหญ่เกิน {self.settings.max_upload_mb} MB")
        return path

    def check_questions(self, path: Path | None) -> Path | None:
        """The uploaded question file, read through once so that a bad one is
        refused before anything runs, in Thai, by its name and line (not the
        server's temporary path).

        Raises:
            EvaluationRefused: not a .jsonl file, too large, unreadable, malformed or empty.
        """
        path = self.check_upload(path)
        if path is None:
            return None
        try:
            cases = load_cases(path)
        except PlanQAError as exc:
            raise _bad_set(exc, path) from None
        if not cases:
            raise EvaluationRefused(f"ไฟล์ชุดคำถาม {path.name} ไม่มีคำถามเลย")
        cap = self.settings.eval_max_questions
        if len(cases) > cap:
            raise EvaluationRefused(f"ชุดคำถาม {path.name} มี {len(cases):,} คำถาม เกินที่ประเมินได้ครั้งละ {cap:,} คำถาม "
                                    "กรุณาแบ่งเป็นหลายไฟล์ (ผู้ดูแลระบบปรับได้ที่ PLANQA_EVAL_MAX_QUESTIONS)")
        return path

    def run(
        self,
        questions: Path | None = None,
        retriever: str = "hybrid",
        progress: Progress | None = None,
    ) -> EvaluationView:
        """Evaluate ``questions`` (default: the seed set) and write the report
        under ``<index>/evals/<time>/``.

        Raises:
            EvaluationRefused: another evaluation is running, a bad retriever,
                or a bad question file (a malformed line is named as name:line).
            PlanQAError: nothing to evaluate (no documents in the corpus).
        """
        if retriever not in RETRIEVERS:
            raise EvaluationRefused(f"ไม่รู้จักวิธีค้น {retriever!r} (ใช้ได้: {', '.join(RETRIEVERS)})")
        sets = [p] if (p := self.check_questions(questions)) else []
        if not self._lock.acquire(blocking=False):
            raise EvaluationRefused("กำลังประเมินผลชุดอื่นอยู่ กรุณารอให้เสร็จก่อน")
        self._stop.clear()

        def step(done: int, total: int, what: str) -> None:
            if progress:
                progress(done, total, what)
            if self._stop.is_set():  # between two questions: nothing half asked, no report written
                raise EvaluationCancelled(f"หยุดการประเมินผลแล้ว (ถามไป {done:,} จาก {total:,} คำถาม ไม่มีการเขียนรายงาน)")

        try:
            out = self.settings.index_dir / "evals" / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1000:03d}"
            started = time.perf_counter()
            result = evals.run(self.settings, sets, out, retriever=retriever, progress=step, sync=self.sync)
            log.info("evaluation of %d questions (%s) in %.1f s -> %s", len(result.report["questions"]),
                     retriever, time.perf_counter() - started, out)
        finally:
            self._stop.clear()
            self._lock.release()
        return EvaluationView(
            rows=summary_rows(result.report["summary"]),
            chart=result.chart_path,
            report_md=result.md_path,
            report_json=result.json_path,
            worst=worst_questions(result.report),
            questions=len(result.report["questions"]),
        )
