"""python -m evals run | external | scenario | bench"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from planqa.cli import add_settings_args, guarded, settings_from_args, setup_logging


def _bar(total_label: str) -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar = tqdm(total=0, unit="q", desc=total_label, file=sys.stderr, disable=not sys.stderr.isatty())

    def step(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return step


def cmd_run(args: Any) -> int:
    from evals import report as rep
    from evals.questions import DEFAULT_SET, load_cases
    from evals.runner import run_cases
    from ingest.pipeline import run as ingest_run

    settings = settings_from_args(args)
    ingest_run(settings)
    cases = [c for path in (args.questions or [DEFAULT_SET]) for c in load_cases(Path(path))]
    report = run_cases(settings, cases, k=args.k, retriever=args.retriever, progress=_bar("questions"))
    out = Path(args.out or f"evals/out/{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    old = json.loads(Path(args.compare).read_text(encoding="utf-8")) if args.compare else None
    paths = rep.write(report, out, old)
    print(rep.summary_table(report["summary"]))
    if old is not None:
        print("\n".join(rep.compare(old, report)))
    print(f"\nwrote {paths['json']}, {paths['md']}, {paths['chart']}")
    return 0


def cmd_external(args: Any) -> int:
    from evals.external import run_external, table

    settings = settings_from_args(args)
    result = run_external(args.set, settings, retriever=args.retriever, directory=args.data_dir,
                          index_dir=Path(args.work_dir) if args.work_dir else None, limit=args.limit,
                          progress=_bar(args.set))
    print(json.dumps(result, ensure_ascii=False) if args.json else table(result))
    return 0


def cmd_scenario(args: Any) -> int:
    from evals.scenario import run_scenario

    result = run_scenario(settings_from_args(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(f"Q: {result['question']}\n--- before ---\n{result['before']}\n--- after re-ingest ---\n{result['after']}")
    ok = result["old_quoted_before"] and result["new_quoted_after"] and result["old_gone_after"]
    return 0 if ok else 1


def cmd_bench(args: Any) -> int:
    from evals.bench import main as bench_main

    return int(bench_main(args.rest))


COMMANDS: dict[str, Callable[[Any], int]] = {
    "run": cmd_run, "external": cmd_external, "scenario": cmd_scenario, "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description="Evaluate retrieval and answers.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run question sets and write report.json/report.md/chart.png")
    p.add_argument("--questions", action="append", help="JSONL question set (repeatable; default: the seeds)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--retriever", choices=("dense", "bm25", "hybrid"), default="hybrid")
    p.add_argument("--out", help="output folder (default evals/out/<timestamp>)")
    p.add_argument("--compare", help="an older report.json to compare with")
    add_settings_args(p)
    p = sub.add_parser("external", help="XQuAD-th / iApp Wiki QA passage retrieval")
    p.add_argument("--set", required=True, choices=("xquad-th", "iapp-wiki-qa"))
    p.add_argument("--retriever", choices=("dense", "bm25", "hybrid"), default="hybrid")
    p.add_argument("--data-dir", type=Path, help="folder with the sets (PLANQA_EXTERNAL_EVALS_DIR)")
    p.add_argument("--work-dir", help="keep the temporary corpus and index here (reused: ingest is incremental)")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--json", action="store_true")
    add_settings_args(p)
    p = sub.add_parser("scenario", help="edit a plan, re-ingest, and check the answer follows")
    p.add_argument("--json", action="store_true")
    add_settings_args(p)
    p = sub.add_parser("bench", help="scale and speed benchmark (see python -m evals bench --help)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "verbose", False))
    return guarded(lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    raise SystemExit(main())
