"""Evaluation: question sets, metrics, reports, external benchmarks and benches.

``evals.run`` is what the CLI and the web app call: sync the index, ask every
question, write report.json / report.md / chart.png.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planqa.errors import PlanQAError
from planqa.settings import Settings
from planqa.types import Progress

log = logging.getLogger(__name__)
OUT_DIR = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True, slots=True)
class RunResult:
    report: dict[str, Any]  # report.json's content: config, summary, questions
    json_path: Path
    md_path: Path
    chart_path: Path
    changes: tuple[str, ...] = ()  # with ``compare``: what got better and worse


def run(
    settings: Settings,
    questions: Sequence[Path] = (),
    out_dir: Path | None = None,
    *,
    k: int = 10,
    retriever: str = "hybrid",
    compare: Path | None = None,
    progress: Progress | None = None,
    sync: Callable[[], Any] | None = None,
) -> RunResult:
    """Ingest the corpus (incremental), evaluate the question sets and write the report.

    Args:
        questions: JSONL question sets (default: evals/questions/seeds.jsonl).
        out_dir: where the three files go (default: evals/out/<timestamp>).
        compare: an older report.json to compare with.
        sync: brings the index in step with the corpus first (default: an
            incremental ``ingest.pipeline.run``; the web app passes its own,
            which holds its ingest lock).

    Raises:
        PlanQAError: a bad question set, an unreadable old report, an empty index.
    """
    from datetime import datetime

    from evals import report as rep
    from evals.cases import DEFAULT_SET, load_cases
    from evals.runner import run_cases
    from ingest.pipeline import run as ingest_run

    cases = [c for path in (questions or [DEFAULT_SET]) for c in load_cases(Path(path))]
    if not cases:
        raise PlanQAError("the question sets hold no questions")
    if len(cases) > settings.eval_max_questions:  # a run's time, memory and report grow with its questions
        raise PlanQAError(f"the question sets hold {len(cases):,} questions; one run asks at most "
                          f"{settings.eval_max_questions:,} (PLANQA_EVAL_MAX_QUESTIONS): split them")
    old = _read_report(compare) if compare else None
    ingested = (sync or (lambda: ingest_run(settings)))()
    log.info("ingest before the run: %s", ingested.to_dict())
    if ingested.seen == 0:
        raise PlanQAError(f"no documents in {settings.corpus_dir}; nothing to evaluate")
    report = run_cases(settings, cases, k=k, retriever=retriever, progress=progress)
    out = out_dir or OUT_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = rep.write(report, out, old)
    if out_dir is None:
        _point_latest(out)
    changes = tuple(rep.compare(old, report)) if old is not None else ()
    return RunResult(report, paths["json"], paths["md"], paths["chart"], changes)


def _read_report(path: Path) -> dict[str, Any]:
    try:
        old = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanQAError(f"cannot read the report to compare with, {path}: {exc}") from exc
    if not isinstance(old, dict) or "questions" not in old or "summary" not in old:
        raise PlanQAError(f"{path} is not a report.json from `python -m evals run`")
    return old


def _point_latest(out: Path) -> None:
    """evals/out/latest -> the newest run, so `--compare evals/out/latest/report.json` works."""
    latest = out.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(out.name, target_is_directory=True)
    except OSError as exc:  # a folder named latest, or no symlinks on this filesystem
        log.warning("could not point %s at %s: %s", latest, out, exc)
