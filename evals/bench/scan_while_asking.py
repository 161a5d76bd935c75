"""A long scan ingested while questions are asked: ``python -m evals.bench.scan_while_asking
[--pages 50] [--workers 1] [--runs 1] [--json]``.

Prints figures, tests nothing. Each run, in a temporary folder:

1. an index of seed plans 000-003 is built (plan 004, สพม.มุกดาหาร, is left out, so its vision
   question can only be answered from the scan);
2. a ``--pages``-page scan of plan 004 (the 300 dpi sample's pages repeated; without the samples,
   a scan rendered here from the committed LibreOffice PDF) is put in the corpus, and
   ``python -m ingest`` runs on it in a child process under ``nice``, ``--workers`` Tesseract
   processes, its stderr a pipe (no terminal: the plain progress lines);
3. meanwhile this process asks, round after round, the seed questions about plans 000-003 that it
   answered right before the ingest began, and the scan's vision question, until the ingest ends.

Reported: OCR seconds a page (median over the progress lines' intervals), ingest seconds,
answerable-after seconds (the vision question first answered from the scan), questions asked,
errors, false answers (a question answered right before, answered wrong now), latency median and
p95, the peak RSS of the ingest process and of one Tesseract process. Several runs: medians.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.bench.ocr_bench import QUESTION, SAMPLES, made_scan, repeated

ROOT = Path(__file__).resolve().parents[2]
LEFT_OUT = "004_324aff1e68aa4ee5.txt"  # the scan's plan: asked about only through the scan
SCAN_NAME = "plan004_long_scan.pdf"
_LINE = re.compile(r"^progress (?P<done>\d+)/(?P<total>\d+), (?P<pace>[\d.]+) s/page.*: OCR ")


@dataclass
class Watch:
    """What the ingest child showed: its progress lines (with the time each came) and peak memory."""

    lines: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, pages done)
    log: list[str] = field(default_factory=list)
    ingest_rss_kb: int = 0
    tesseract_rss_kb: int = 0


def cases() -> list[Any]:
    """The seed set's lookup questions about plans 000-003 (none about the scan's office)."""
    from evals.cases import DEFAULT_SET, load_cases

    return [c for c in load_cases(DEFAULT_SET) if c.kind == "lookup" and c.gold and not c.history
            and all(g.doc != LEFT_OUT for g in c.gold) and "มุกดาหาร" not in c.question]


def right(answer: Any, case: Any) -> bool:
    from evals.cases import matches

    return not answer.abstained and any(matches(c.source, c.text, g) for c in answer.citations for g in case.gold)


def seed_index(base: Path) -> Any:
    from evals.cases import SEED_PLANS
    from ingest.pipeline import run
    from planqa.settings import Settings

    corpus = base / "corpus"
    corpus.mkdir()
    for plan in SEED_PLANS.glob("*.txt"):
        if plan.name != LEFT_OUT:
            shutil.copy(plan, corpus / plan.name)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index")
    run(settings)
    return settings


def _rss_kb(pid: int, key: str = "VmHWM") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Every thread's children: Tesseract is started from the OCR pool's threads, not the main one."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def watch(proc: subprocess.Popen[str], started: float, seen: Watch) -> list[threading.Thread]:
    """Threads that read the child's stderr lines and sample its memory and its Tesseracts'."""

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.log.append(line.rstrip())
            found = _LINE.match(line)
            if found:
                seen.lines.append((time.monotonic() - started, int(found["done"])))

    def sample() -> None:
        while proc.poll() is None:
            seen.ingest_rss_kb = max(seen.ingest_rss_kb, _rss_kb(proc.pid))
            for child in _children(proc.pid):
                seen.tesseract_rss_kb = max(seen.tesseract_rss_kb, _rss_kb(child, "VmRSS"))
            time.sleep(0.1)

    threads = [threading.Thread(target=read, daemon=True), threading.Thread(target=sample, daemon=True)]
    for t in threads:
        t.start()
    return threads


def pages_paces(lines: list[tuple[float, int]]) -> list[float]:
    """Seconds a page between consecutive progress lines of the scan's OCR."""
    out = []
    previous = (0.0, 0)
    for at, done in lines:
        if done > previous[1]:
            out.append((at - previous[0]) / (done - previous[1]))
        previous = (at, done)
    return out


def one_run(pages: int, workers: int, scan_source: Path) -> dict[str, Any]:
    from retrieval.service import Service

    with tempfile.TemporaryDirectory(prefix="planqa-scan-asking-") as tmp:
        base = Path(tmp)
        settings = seed_index(base)
        service = Service(settings)
        chosen = [c for c in cases() if right(service.answer(c.question), c)]
        assert not right_scan(service.answer(QUESTION)), "the vision question is answered before the scan"
        repeated(scan_source, pages, settings.corpus_dir / SCAN_NAME)
        env = {**os.environ, "PLANQA_OCR_WORKERS": str(workers), "PYTHONPATH": str(ROOT),
               "PLANQA_CORPUS_DIR": str(settings.corpus_dir), "PLANQA_INDEX_DIR": str(settings.index_dir)}
        started = time.monotonic()
        proc = subprocess.Popen(["nice", "-n", "10", sys.executable, "-m", "ingest", "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        seen = Watch()
        threads = watch(proc, started, seen)
        latencies: list[float] = []
        errors = false = 0
        answerable_after: float | None = None
        while proc.poll() is None:
            for case in chosen:
                if proc.poll() is not None:
                    break
                t0 = time.monotonic()
                try:
                    answer = service.answer(case.question)
                except Exception as exc:  # counted, and the run goes on: that is the measurement
                    errors += 1
                    print(f"error: {case.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    continue
                finally:
                    latencies.append(time.monotonic() - t0)
                if not right(answer, case):
                    false += 1
                    print(f"false: {case.id}: {answer.text[:80]!r}", file=sys.stderr)
            if answerable_after is None and proc.poll() is None:
                t0 = time.monotonic()
                try:
                    if right_scan(service.answer(QUESTION)):
                        answerable_after = time.monotonic() - started
                except Exception as exc:
                    errors += 1
                    print(f"error: the scan's vision question: {type(exc).__name__}: {exc}", file=sys.stderr)
                latencies.append(time.monotonic() - t0)
        ingest_s = time.monotonic() - started
        stdout = proc.stdout.read() if proc.stdout else ""
        for t in threads:
            t.join(timeout=5)
        report = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
        try:  # a fresh reader: the scan answers once the run is over
            if answerable_after is None and right_scan(Service(settings).answer(QUESTION)):
                answerable_after = ingest_s
        except Exception as exc:  # a local Chroma written by another process: see the README
            errors += 1
            print(f"error: the scan's vision question after the run: {type(exc).__name__}: {exc}", file=sys.stderr)
        paces = pages_paces(seen.lines)
        latencies.sort()
        return {"pages": pages, "workers": workers, "exit": proc.returncode,
                "skipped": [s["reason"] for s in report.get("skipped", [])],
                "ocr_s_per_page": statistics.median(paces) if paces else None, "ingest_s": ingest_s,
                "answerable_after_s": answerable_after, "questions": len(latencies), "distinct": len(chosen),
                "errors": errors, "false": false, "latency_median_s": statistics.median(latencies) if latencies else None,
                "latency_p95_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
                "ingest_peak_rss_mb": seen.ingest_rss_kb / 1024, "tesseract_peak_rss_mb": seen.tesseract_rss_kb / 1024,
                "progress_lines": [line for line in seen.log if line.startswith("progress")][-3:]}


def right_scan(answer: Any) -> bool:
    """The vision question answered from the scan, with the vision's words."""
    text = re.sub(r"\s+", "", "".join(c.text for c in answer.citations))
    return (not answer.abstained and any(c.source == SCAN_NAME for c in answer.citations)
            and "องค์กรนวัตกรรม" in text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.scan_while_asking",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--pages", type=int, default=50, help="pages of the scan (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="Tesseract processes (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=1, help="runs; figures are their medians")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of plan004_scan.pdf")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="planqa-scan-source-") as tmp:
        source = args.samples / "plan004_scan.pdf"
        if not source.exists():
            print(f"no {source}; making a scan from the committed LibreOffice PDF at 300 dpi", file=sys.stderr)
            source = made_scan(Path(tmp) / "plan004_made_scan.pdf")
        runs = []
        for n in range(args.runs):
            runs.append(one_run(args.pages, args.workers, source))
            print(f"run {n + 1}/{args.runs}: {json.dumps(runs[-1], ensure_ascii=False)}", file=sys.stderr)
    out = {"runs": args.runs, "load_average": os.getloadavg(), **summary(runs)}
    print(json.dumps(out, ensure_ascii=False, indent=1) if args.json else table(out))
    return 0


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    out: dict[str, Any] = {k: median(k) for k in ("ocr_s_per_page", "ingest_s", "answerable_after_s",
                                                  "latency_median_s", "latency_p95_s", "ingest_peak_rss_mb",
                                                  "tesseract_peak_rss_mb", "questions")}
    out.update(pages=runs[0]["pages"], workers=runs[0]["workers"], errors=sum(r["errors"] for r in runs),
               false=sum(r["false"] for r in runs), exits=[r["exit"] for r in runs],
               answered=sum(r["answerable_after_s"] is not None for r in runs))
    return out


def table(out: dict[str, Any]) -> str:
    def f(value: float | None, digits: int = 1) -> str:
        return "–" if value is None else f"{value:.{digits}f}"

    load = ", ".join(f"{x:.1f}" for x in out["load_average"])
    return "\n".join([
        f"{out['pages']}-page scan, {out['workers']} Tesseract worker(s) under nice, medians of {out['runs']} "
        f"run(s); load average at the end {load}", "",
        "| OCR s/page | ingest s | answerable after s | questions | errors | false | latency median s "
        "| latency p95 s | peak RSS ingest MB | peak RSS tesseract MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {f(out['ocr_s_per_page'], 2)} | {f(out['ingest_s'])} | {f(out['answerable_after_s'])} "
        f"| {f(out['questions'], 0)} | {out['errors']} | {out['false']} | {f(out['latency_median_s'], 3)} "
        f"| {f(out['latency_p95_s'], 3)} | {f(out['ingest_peak_rss_mb'], 0)} | {f(out['tesseract_peak_rss_mb'], 0)} |",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
