"""The re-ingest scenario: edit a plan, re-ingest, and see the answer follow."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ingest.normalize import fold_spaces
from ingest.pipeline import run as ingest_run
from planqa.settings import Settings

PLAN = "004_324aff1e68aa4ee5.txt"
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
OLD = "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน สู่สังคมที่ยั่งยืน"
NEW = "องค์กรแห่งการเรียนรู้ดิจิทัล สร้างผู้เรียนที่มีความสุข สู่ชุมชนที่เข้มแข็ง"


def replace_line(text: str, old: str, new: str) -> str:
    """Replace the line that says ``old`` (NBSP and spacing as in real plans) by ``new``."""
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if fold_spaces(old) in fold_spaces(line)]
    if not hits:
        raise ValueError(f"no line of the plan says {old!r}")
    for i in hits:
        lines[i] = new
    return "\n".join(lines)


def run_scenario(settings: Settings, workdir: Path | None = None) -> dict[str, Any]:
    """Copy the corpus, answer, edit the vision, re-ingest, answer again."""
    from retrieval.service import Service

    base = workdir or Path(tempfile.mkdtemp(prefix="planqa-scenario-"))
    corpus = base / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(settings.corpus_dir, corpus)
    local = settings.model_copy(update={"corpus_dir": corpus, "index_dir": base / "index"})
    ingest_run(local)
    svc = Service(local)
    before = svc.answer(QUESTION)
    plan = corpus / PLAN
    plan.write_text(replace_line(plan.read_text(encoding="utf-8"), OLD, NEW), encoding="utf-8")
    report = ingest_run(local)
    after = svc.answer(QUESTION)
    return {
        "question": QUESTION,
        "before": before.text,
        "after": after.text,
        "reingest": report.to_dict(),
        "old_quoted_before": OLD in before.text,
        "new_quoted_after": NEW in after.text,
        "old_gone_after": OLD not in after.text,
    }
