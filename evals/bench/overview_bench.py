"""The overview at scale: ``python -m evals.bench.overview_bench [--work-dir DIR] [--runs N]``.

Over the bench's synthetic plans (``evals/bench/synthetic.py``, one office a plan):

* 245 offices: ingest with the overview hook (the default themes' cells computed at
  ingest), then open the 245 x 30 overview from the stored cells (the tab's work:
  the matrix's JSON, its rows and colours), then re-ingest one changed plan and
  count the cells computed again;
* 1,000 plans: one typed theme over every office (the stance of 1,000 offices), and
  the tab's whole action (the stored default themes plus the typed one).

Medians of ``--runs`` runs. The indexes use the ``hash:384`` stand-in embedder by
default (speed only: its cells carry no meaning); ``--embedding`` takes another.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from evals.bench.figures import bench_settings
from evals.bench.which import TOPICS
from evals.cases import SEED_PLANS


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _corpus(work: Path, n_docs: int) -> Path:
    from evals.bench.synthetic import PlanWriter

    corpus = work / f"overview-corpus-{n_docs}"
    if not (corpus.is_dir() and len(list(corpus.glob("*.txt"))) == n_docs):
        PlanWriter(SEED_PLANS).write(corpus, n_docs)
    return corpus


def _timed(fn: Callable[[], Any], cpu: list[float] | None = None) -> tuple[float, Any]:
    """Wall seconds of ``fn()`` and its result; ``cpu`` gets the process's CPU seconds (on a shared,
    loaded machine they are what the wall time would be on an idle core, for single-threaded work)."""
    started, used = time.perf_counter(), time.process_time()
    out = fn()
    if cpu is not None:
        cpu.append(time.process_time() - used)
    return time.perf_counter() - started, out


def _ingested(work: Path, n_docs: int, embedding: str, cells: bool) -> tuple[Any, dict[str, float]]:
    """The warm service over an index of ``n_docs`` plans, and how long the ingest and its cells took."""
    from ingest.pipeline import run as ingest
    from retrieval import overview_cells
    from retrieval.service import Service

    corpus = _corpus(work, n_docs)
    settings = bench_settings(corpus, work / f"overview-index-{n_docs}-{embedding.replace(':', '_')}", embedding)
    service = Service(settings)
    hook_s = {"s": 0.0}

    def hook(changed: frozenset[str], removed: frozenset[str]) -> None:
        spent, _ = _timed(lambda: overview_cells.after_ingest(service, changed, removed))
        hook_s["s"] += spent

    report = ingest(settings, plan_index=service.index, on_written=hook if cells else None)
    service.warm_up()
    _say(f"  {n_docs} plans: ingest {report.seconds:.1f} s ({report.added} added), cells at ingest {hook_s['s']:.1f} s")
    return service, {"ingest_s": report.seconds, "cells_at_ingest_s": hook_s["s"]}


def open_overview(service: Any) -> dict[str, Any]:
    """What the tab asks for to show the default overview: the matrix's JSON from stored cells (the
    tab's rows and colours are a walk over it; webui sits above evals, so the bench does not import it)."""
    from retrieval import overview_cells

    return overview_cells.overview(service).to_dict()


def measure_open(work: Path, n_docs: int, embedding: str, runs: int) -> dict[str, Any]:
    from retrieval import overview_cells

    service, built = _ingested(work, n_docs, embedding, cells=True)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        spent, data = _timed(lambda: open_overview(service), cpu)
        times.append(spent)
    # one plan changes: the cells computed again, and how long that took
    plan = sorted(service.settings.corpus_dir.glob("*.txt"))[n_docs // 2]
    original = plan.read_text(encoding="utf-8")
    plan.write_text(original + "\nส่งเสริมการออมของนักเรียนทุกคน\n", encoding="utf-8")
    try:
        from ingest.pipeline import run as ingest

        counted: dict[str, Any] = {}

        def hook(changed: frozenset[str], removed: frozenset[str]) -> None:
            spent, result = _timed(lambda: overview_cells.refresh(service))
            counted.update(seconds=spent, computed=result.computed, kept=result.kept)

        ingest(service.settings, plan_index=service.index, on_written=hook)
    finally:
        plan.write_text(original, encoding="utf-8")
    out = {"offices": len(data["offices"]), "themes": len(data["themes"]), "cells": len(data["cells"]),
           "open_s_median": statistics.median(times), "open_s_runs": times,
           "open_cpu_s_median": statistics.median(cpu), **built,
           "one_plan_changed": counted}
    _say(f"  open {out['offices']} x {out['themes']}: median {out['open_s_median']:.2f} s; one plan changed: "
         f"{counted.get('computed')} cells computed in {counted.get('seconds', 0):.1f} s")
    return out


def measure_typed(work: Path, n_docs: int, embedding: str, runs: int, themes: int, cells: bool) -> dict[str, Any]:
    from retrieval import overview_cells

    service, built = _ingested(work, n_docs, embedding, cells=cells)
    typed = [topic for topic, _ in TOPICS[:themes]]
    stance_s: list[float] = []
    stance_cpu: list[float] = []
    tab_s: list[float] = []
    for _ in range(runs):
        for theme in typed:
            spent, _ = _timed(partial(overview_cells.overview, service, [theme], defaults=False), stance_cpu)
            stance_s.append(spent)
            if cells:
                spent, _ = _timed(partial(overview_cells.overview, service, [theme]))
                tab_s.append(spent)
    searches = _searches(service, typed[0])
    out = {"plans": n_docs, "offices": len(service.offices()), "typed_themes": typed, **built, **searches,
           "typed_s_median": statistics.median(stance_s), "typed_s_runs": stance_s,
           "typed_cpu_s_median": statistics.median(stance_cpu),
           "typed_with_defaults_s_median": statistics.median(tab_s) if tab_s else None}
    _say(f"  typed theme over {out['offices']} offices: median {out['typed_s_median']:.2f} s"
         + (f"; with the stored defaults {out['typed_with_defaults_s_median']:.2f} s" if tab_s else ""))
    return out


def _searches(service: Any, theme: str) -> dict[str, float]:
    """The searches of one theme over every office: each office searched alone (as the stance primitive
    did before) against one pass for all (``HybridSearcher.search_each``)."""
    from retrieval.gather import OWN_K as SEARCH_K
    from retrieval.query import parse_query

    known = service.offices()
    names = [o.name for o in known]
    query = parse_query(theme, known)
    expansion = service.gatherer.expansion(service.gatherer.terms(query, known))
    each_s, _ = _timed(lambda: service.searcher.search_each(query, SEARCH_K, names, expansion=expansion))
    alone_s, _ = _timed(lambda: [service.searcher.search(query, SEARCH_K, "hybrid", offices=(o,), expansion=expansion)
                                 for o in names])
    _say(f"  searches of one theme over {len(names)} offices: one by one {alone_s:.1f} s, in one pass {each_s:.2f} s")
    return {"searches_one_by_one_s": alone_s, "searches_one_pass_s": each_s}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench.overview_bench", description=__doc__.split("\n")[0])
    p.add_argument("--work-dir", type=Path, help="corpora and indexes go here (kept; default: a temporary folder)")
    p.add_argument("--embedding", default="hash:384", help="embedder of the bench indexes (default hash:384)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--offices", type=int, default=245, help="plans of the open figure (default 245)")
    p.add_argument("--plans", type=int, default=1000, help="plans of the typed-theme figure (default 1000)")
    p.add_argument("--typed", type=int, default=3, help="typed themes a run (default 3)")
    p.add_argument("--no-cells", action="store_true",
                   help="typed theme only: no default cells at the 1,000-plan ingest")
    p.add_argument("--only", choices=("open", "typed"), help="one of the two figures")
    args = p.parse_args(argv)
    work = (args.work_dir or Path(tempfile.mkdtemp(prefix="planqa-overview-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"embedding": args.embedding, "runs": args.runs}
    if args.only in (None, "open"):
        out["open"] = measure_open(work, args.offices, args.embedding, args.runs)
    if args.only in (None, "typed"):
        out["typed"] = measure_typed(work, args.plans, args.embedding, args.runs, args.typed, not args.no_cells)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    figures = []
    if "open" in out:
        o = out["open"]
        figures.append(f"open {o['offices']} offices x {o['themes']} themes from stored cells: "
                       f"median {o['open_s_median']:.2f} s, CPU {o['open_cpu_s_median']:.2f} s (target <= 2 s)")
    if "typed" in out:
        t = out["typed"]
        figures.append(f"one typed theme over {t['offices']} offices: median {t['typed_s_median']:.2f} s, "
                       f"CPU {t['typed_cpu_s_median']:.2f} s (target <= 5 s)")
    for line in figures:
        _say(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
