"""The re-ingest scenario: edit a plan, re-ingest, and see the answer follow.

On a copy of the corpus: ask for สพม.มุกดาหาร's vision, replace that vision
line of its plan with a new sentence, re-ingest (incremental), ask again.
The answer must quote the new sentence and no longer the old one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from evals.workdir import work_dir
from ingest.normalize import fold_spaces
from ingest.pipeline import run as ingest_run
from planqa.errors import PlanQAError
from planqa.settings import Settings

PLAN = "004_324aff1e68aa4ee5.txt"
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
OLD = "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน สู่สังคมที่ยั่งยืน"
NEW = "องค์กรแห่งการเรียนรู้ดิจิทัล สร้างผู้เรียนที่มีความสุข สู่ชุมชนที่เข้มแข็ง"


def replace_line(text: str, old: str, new: str) -> str:
    """Replace every line that says ``old`` (NBSP and spacing as in real plans) by ``new``."""
    lines = text.split("\n")
    hits = [i for i, line in enumerate(lines) if fold_spaces(old) in fold_spaces(line)]
    if not hits:
        raise PlanQAError(f"no line of the plan says {old!r}")
    for i in hits:
        lines[i] = new
    return "\n".join(lines)


def quotes(text: str, sentence: str) -> bool:
    return fold_spaces(sentence) in fold_spaces(text)


def run_scenario(settings: Settings, workdir: Path | None = None) -> dict[str, Any]:
    """Copy the corpus, answer, edit the vision, re-ingest, answer again.

    Args:
        settings: the corpus to copy (it is never changed) and the embedding options.
        workdir: where the copy and its index go (default: a temporary folder, removed afterwards).

    Raises:
        PlanQAError: the corpus has no plan ``PLAN`` or it does not say ``OLD``.
    """
    from retrieval.service import Service

    if not (settings.corpus_dir / PLAN).exists():
        raise PlanQAError(f"the scenario edits {PLAN}, which is not in {settings.corpus_dir}")
    with work_dir(workdir, "planqa-scenario-") as base:
        corpus = base / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        shutil.copytree(settings.corpus_dir, corpus)
        # an on-disk Chroma of its own: the edit must never reach a shared server's collection
        local = settings.model_copy(update={"corpus_dir": corpus, "index_dir": base / "index", "chroma_host": None})
        ingest_run(local)
        svc = Service(local)
        before = svc.answer(QUESTION)
        plan = corpus / PLAN
        plan.write_text(replace_line(plan.read_text(encoding="utf-8"), OLD, NEW), encoding="utf-8")
        report = ingest_run(local)
        after = svc.answer(QUESTION)
    return {
        "question": QUESTION,
        "old": OLD,
        "new": NEW,
        "before": before.text,
        "after": after.text,
        "after_citations": [c.to_dict() for c in after.citations],
        "reingest": report.to_dict(),
        "old_quoted_before": quotes(before.text, OLD),
        "new_quoted_after": quotes(after.text, NEW),
        "old_gone_after": not quotes(after.text, OLD),
    }
