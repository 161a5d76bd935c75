"""python -m ingest [PATH ...] [--full] [--dry-run] [--json] [--check] [--repair]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planqa.cli import ProgressLines, add_settings_args, guarded, settings_from_args, setup_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Sync the index with the corpus.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders inside the corpus (default: all)")
    parser.add_argument("--full", action="store_true", help="drop the index and rebuild it")
    parser.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    parser.add_argument("--check", action="store_true", help="check that Chroma, BM25 and records agree")
    parser.add_argument("--repair", action="store_true",
                        help="compare every store with the records and write again what any lost")
    parser.add_argument("--no-wait", action="store_true",
                        help="fail at once if another ingest run is writing the index (default: wait for it)")
    add_settings_args(parser)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)

    def _main() -> int:
        from ingest.index import PlanIndex
        from ingest.pipeline import conflict_lines, office_conflicts, run
        from planqa.settings import CATALOGUE_NAME

        settings = settings_from_args(args)
        if args.check:
            ix = PlanIndex(settings)
            problems = ix.check()
            conflicts = office_conflicts(ix.lexical.documents())
            if args.json:
                print(json.dumps({"ok": not problems, "problems": problems,
                                  "conflicts": [{"office": c.office, "files": list(c.files)} for c in conflicts]},
                                 ensure_ascii=False))
            for p in problems:
                print(f"inconsistent: {p}; run `python -m ingest --repair` to repair", file=sys.stderr)
            for line in conflict_lines(conflicts, limit=None):
                print(f"warning: {line}; set the right office in {CATALOGUE_NAME}", file=sys.stderr)
            if not problems and not args.json:
                print("index consistent")
            return 1 if problems else 0
        bar = _progress_bar() if sys.stderr.isatty() and not args.json else None
        # no terminal (a log file, a service): plain lines, a few a minute
        lines = ProgressLines() if not sys.stderr.isatty() and not args.dry_run else None
        report = run(settings, args.paths or None, full=args.full, dry_run=args.dry_run, repair=args.repair,
                     progress=bar or lines, wait=not args.no_wait)
        if bar is not None:
            bar.close()
        if args.json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
        else:
            print(_summary(report.to_dict()))
        # a bad catalogue is reported among the skipped but is no file of the corpus
        files_skipped = [s for s in report.skipped if s.file != CATALOGUE_NAME and s.page is None]
        nothing_read = report.seen > 0 and len(files_skipped) >= report.seen
        return 1 if nothing_read else 0

    return guarded(_main)


class _progress_bar:
    def __init__(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=0, unit="step", file=sys.stderr)

    def __call__(self, done: int, total: int, label: str) -> None:
        self._bar.total = total
        self._bar.n = done
        self._bar.set_description(label[:60])
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _summary(d: dict[str, object]) -> str:
    from ingest.pipeline import conflict_lines
    from planqa.types import Conflict, Skipped, SkipReason, page_spans

    lines = [
        f"files seen {d['seen']}: added {d['added']}, updated {d['updated']}, unchanged {d['unchanged']}, "
        f"deleted {d['deleted']}, skipped {len(d['skipped'])}",  # type: ignore[arg-type]
        f"chunks written {d['chunks']}, chunks deleted {d['chunks_deleted']}, {d['seconds']} s"
        + (" (dry run: nothing written)" if d["dry_run"] else "")
        + (f" (answerable after {d['answerable_s']} s)" if d["chunks"] else ""),
    ]
    skipped = [Skipped(s["file"], s["reason"], SkipReason(s["kind"]), s.get("page"))
               for s in d["skipped"]]  # type: ignore[attr-defined]
    lines.extend(f"  skipped {s.file}: {s.reason}" for s in skipped if s.page is None)
    # a 300-page scan over its OCR budget: one line for its 180 pages left, not 180
    lines.extend(f"  {span.file} {span.pages()} skipped: {span.reason}" for span in page_spans(skipped))
    for w in d.get("to_ocr", []):  # type: ignore[attr-defined]
        lines.append(f"  would OCR {w['file']}: {w['pages']} of {w['total_pages']} pages")
    conflicts = [Conflict(c["office"], tuple(c["files"])) for c in d["conflicts"]]  # type: ignore[attr-defined]
    for line in conflict_lines(conflicts):
        lines.append(f"  {line}" if line.startswith("...") else f"  warning: {line}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
