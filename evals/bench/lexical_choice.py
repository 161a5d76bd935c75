"""Which BM25 engine: SQLite FTS5 (what ships, ``ingest/lexical.py``) against bm25s, on the same tokens.

``python -m evals.bench.lexical_choice [--sets xquad-th iapp-wiki-qa] [--synthetic 100000] [--runs 3] [--json]``

Both engines index exactly the token lists our index stores (``ingest.tokens.tokenize`` of
``Chunk.embed_text``) and are asked with ``tokenize(question)``:

* the external sets (``shared/external-evals``): one passage = one document (its text, no labels);
  R@1, R@5, R@10 and MRR@10 scored as ``evals/external.py`` scores them;
* a synthetic plan corpus of about N chunks (``evals/bench/synthetic.py`` through our parser and chunker),
  asked ~200 clauses drawn from its own text, for speed and size only.

Speed: index build, query latency p50/p95 (tokenising the query included, and the engine call alone),
the update that makes one changed plan searchable (FTS5: ``LexicalIndex.upsert`` of its chunks, one
transaction; bm25s has no add or delete, so: ``index()`` of every chunk again, plus ``save()`` so that
another process sees it), index size on disk and the resident memory the index adds. Each run is a
fresh child process (fresh index, memory counted from there); figures are medians over runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import multiprocessing
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals import external
from evals.bench.figures import percentile
from evals.cases import SEED_PLANS
from planqa.errors import PlanQAError
from planqa.types import Chunk, SectionKind

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("fts5", "bm25s")  # the comparison; "fts5-lean" is an opt-in proposal (--engines)
ENGINE_LABELS = {
    "fts5": "SQLite FTS5 bm25() (LexicalIndex)",
    "fts5-lean": "FTS5, words in >½ of chunks dropped (proposal)",
    "bm25s": "bm25s 0.3 (lucene, k1 1.5, b 0.75)",
    "ref": "rank_bm25 BM25Okapi (README ref.)",
}
CANDIDATE_K = 50  # what HybridSearcher asks the lexical index for (its candidate_k)
WRITE_BATCH = 1000  # chunks per LexicalIndex.upsert when building
WARM_UP = 5  # untimed queries before timing
_ITEM_PREFIX = re.compile(r"^\s*(?:ข้อ\s*)?[0-9๐-๙]{1,2}\s*[.)]?\s*")
QUALITY = ("recall@1", "recall@5", "recall@10", "mrr@10")
RUN_TIMEOUT_S = 3600.0  # one measuring run; the 100,000-chunk synthetic build takes minutes


# ---- corpora -------------------------------------------------------------------------------------
@dataclass
class Corpus:
    name: str
    chunks: list[Chunk]
    tokens: list[list[str]]  # per chunk, as the lexical index stores them
    queries: list[str]
    gold: list[set[str]] | None  # per query: gold passage ids (None: speed only)
    k: int  # hits asked per query
    docs: list[list[int]]  # per source document: indices of its chunks (the unit of an update)
    prepare_s: float = 0.0  # tokenising the corpus, the same for both engines
    extra: dict[str, Any] = field(default_factory=dict)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def external_corpus(name: str, directory: Path | None = None, passages: int | None = None) -> Corpus:
    """One document per passage (its text, as ``evals/external.py`` writes it); with ``passages``,
    only the first ``passages`` passages and the questions whose gold passages are all among them."""
    from ingest.tokens import tokenize

    if name not in external.SETS:
        raise PlanQAError(f"unknown set {name!r}; choose from {', '.join(external.SETS)}")
    src = directory or external.DEFAULT_DIR
    rows = _read_jsonl(src / f"{name}.passages.jsonl")[:passages]
    kept = {str(p["id"]) for p in rows}
    questions = [
        q for q in _read_jsonl(src / f"{name}.questions.jsonl") if {str(g) for g in q["gold_passage_ids"]} <= kept
    ]
    chunks = [
        Chunk(
            id=str(p["id"]),
            source=f"{p['id']}.txt",
            office="",
            section="",
            section_kind=SectionKind.NONE,
            items=(),
            start_line=1,
            end_line=p["text"].count("\n") + 1,
            text=p["text"],
            content_hash=hashlib.sha256(p["text"].encode()).hexdigest(),
        )
        for p in rows
    ]
    t = time.perf_counter()
    tokens = [tokenize(c.embed_text) for c in chunks]
    return Corpus(
        name=name,
        chunks=chunks,
        tokens=tokens,
        queries=[q["question"] for q in questions],
        gold=[{str(g) for g in q["gold_passage_ids"]} for q in questions],
        k=10,
        docs=[[i] for i in range(len(chunks))],
        prepare_s=time.perf_counter() - t,
    )


def synthetic_corpus(n_chunks: int, n_queries: int = 200, workers: int = 2, seed: int = 8) -> Corpus:
    """About ``n_chunks`` chunks of synthetic plans, parsed, chunked and tokenised as ingest does,
    and ``n_queries`` clauses of 1-2 parts drawn (seeded) from random chunks' text."""
    from evals.bench.synthetic import PlanWriter, docs_for
    from ingest.loaders import load
    from ingest.prepare import prepare_many

    work = Path(tempfile.mkdtemp(prefix="planqa-lexical-choice-"))
    try:
        paths = PlanWriter(SEED_PLANS, seed=seed).write(work, docs_for(n_chunks))
        docs = [load(p, p.name) for p in paths]
        t = time.perf_counter()
        prepared = prepare_many(docs, {}, workers=workers)
        prepare_s = time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    groups: list[list[int]] = []
    for p in prepared:
        groups.append(list(range(len(chunks), len(chunks) + len(p.chunks))))
        chunks.extend(p.chunks)
        tokens.extend(t.split() for t in p.tokens)
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < n_queries:
        clauses = [
            clause
            for line in rng.choice(chunks).text.splitlines()
            for clause in re.split(r"\s+(?=[\u0e01-\u0e4e])", _ITEM_PREFIX.sub("", line).strip().strip('“”"'))
            if len(clause) >= 12 and re.search(r"[\u0e01-\u0e4e]{6}", clause)
        ]
        if clauses:
            start = rng.randrange(len(clauses))
            queries.append(" ".join(clauses[start : start + rng.randint(1, 2)]))
    return Corpus(
        name=f"synthetic {len(chunks):,}",
        chunks=chunks,
        tokens=tokens,
        queries=queries,
        gold=None,
        k=CANDIDATE_K,
        docs=groups,
        prepare_s=prepare_s,
        extra={"plans": len(groups)},
    )


# ---- engines -------------------------------------------------------------------------------------
class Fts5Engine:
    """Our LexicalIndex: chunk records + FTS5 over the space-joined tokens, one SQLite file."""

    name = "fts5"

    def __init__(self, work: Path) -> None:
        from ingest.lexical import LexicalIndex

        self.path = work / "lexical.sqlite"
        self.ix = LexicalIndex(self.path)

    def build(self, chunks: Sequence[Chunk], tokens: Sequence[list[str]]) -> None:
        for i in range(0, len(chunks), WRITE_BATCH):
            self.ix.upsert(chunks[i : i + WRITE_BATCH], tokens[i : i + WRITE_BATCH])

    def search(self, tokens: list[str], k: int) -> list[str]:
        return [cid for cid, _ in self.ix.search(tokens, k)]

    def update(self, chunks: list[Chunk], tokens: list[list[str]], all_tokens: list[list[str]]) -> dict[str, float]:
        t = time.perf_counter()
        self.ix.upsert(chunks, tokens)  # delete the old rows by id, insert the new, commit
        return {"update_s": time.perf_counter() - t}

    def disk(self) -> dict[str, float]:
        conn = self.ix._conn()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fts = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'fts%'").fetchone()[0] or 0
        total = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {"index_mb": fts / 1e6, "file_mb": total / 1e6}

    def close(self) -> None:
        self.ix.close()


class Fts5LeanEngine(Fts5Engine):
    """Not what ships, a proposal: the same index, but query words found in more than half of the chunks
    are left out (FTS5's bm25() gives them an idf of 1e-6, so the order hardly changes while every row they
    match had to be scored), and FTS5 ranks before the chunk ids are joined. Document frequencies are
    cached per word and forgotten on each write, as ``retrieval/evidence.py`` caches its idf."""

    name = "fts5-lean"

    def build(self, chunks: Sequence[Chunk], tokens: Sequence[list[str]]) -> None:
        super().build(chunks, tokens)
        self._forget()

    def _forget(self) -> None:
        self.n = self.ix.fts_count()
        self.df: dict[str, int] = {}

    def _df(self, token: str) -> int:
        if token not in self.df:
            self.df[token] = self.ix.doc_freq(token)
        return self.df[token]

    def search(self, tokens: list[str], k: int) -> list[str]:
        terms = sorted(set(tokens))
        terms = [t for t in terms if self._df(t) <= self.n / 2] or terms
        if not terms:
            return []
        conn = self.ix._conn()
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rowids = [
            r[0] for r in conn.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?", (match, k))
        ]
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        ids = dict(conn.execute(f"SELECT rowid, id FROM chunks WHERE rowid IN ({marks})", rowids).fetchall())
        return [ids[r] for r in rowids]

    def update(self, chunks: list[Chunk], tokens: list[list[str]], all_tokens: list[list[str]]) -> dict[str, float]:
        out = super().update(chunks, tokens, all_tokens)
        self._forget()
        return out


class Bm25sEngine:
    """bm25s with our token lists (its own vocabulary; no stemmer, no stop-words of its own)."""

    name = "bm25s"

    def __init__(self, work: Path) -> None:
        try:
            import bm25s
        except ImportError as exc:
            raise PlanQAError("bm25s is not installed: pip install bm25s==0.3.11") from exc
        self.bm25s = bm25s
        self.work = work
        self.ids: list[str] = []
        self.model: Any = None

    def _index(self, tokens: Sequence[list[str]]) -> Any:
        model = self.bm25s.BM25(k1=1.5, b=0.75)
        model.index(list(tokens), show_progress=False)
        return model

    def build(self, chunks: Sequence[Chunk], tokens: Sequence[list[str]]) -> None:
        self.ids = [c.id for c in chunks]
        self.model = self._index(tokens)

    def search(self, tokens: list[str], k: int) -> list[str]:
        if not tokens:
            return []
        docs, scores = self.model.retrieve([tokens], k=min(k, len(self.ids)), show_progress=False)
        return [self.ids[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0]  # 0: no query word in it

    def update(self, chunks: list[Chunk], tokens: list[list[str]], all_tokens: list[list[str]]) -> dict[str, float]:
        """No add or delete in bm25s: index everything again, then save it for the other processes."""
        pos = {cid: i for i, cid in enumerate(self.ids)}
        new = list(all_tokens)
        for chunk, toks in zip(chunks, tokens):
            new[pos[chunk.id]] = toks
        t = time.perf_counter()
        self.model = self._index(new)
        reindex = time.perf_counter() - t
        save = self._save()
        t = time.perf_counter()
        self.bm25s.BM25.load(str(self.work / "bm25s"), mmap=False)
        load = time.perf_counter() - t
        return {"update_s": reindex + save, "reindex_s": reindex, "save_s": save, "load_s": load}

    def _save(self) -> float:
        t = time.perf_counter()
        self.model.save(str(self.work / "bm25s"))
        return time.perf_counter() - t

    def disk(self) -> dict[str, float]:
        self._save()
        size = sum(p.stat().st_size for p in (self.work / "bm25s").rglob("*") if p.is_file()) / 1e6
        return {"index_mb": size, "file_mb": size}

    def close(self) -> None:
        self.model = None


ENGINE_CLASSES: dict[str, Callable[[Path], Any]] = {
    "fts5": Fts5Engine,
    "fts5-lean": Fts5LeanEngine,
    "bm25s": Bm25sEngine,
}


# ---- one run of one engine on one corpus (in a child process) ---------------------------------------------
def _status_kb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return float(line.split()[1])
    return float("nan")


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def changed_document(corpus: Corpus, run_no: int) -> tuple[list[Chunk], list[list[str]]]:
    """One document's chunks with their last word replaced (what an edit of that plan re-ingests)."""
    idx = corpus.docs[(run_no * 7919) % len(corpus.docs)]
    return [corpus.chunks[i] for i in idx], [corpus.tokens[i][:-1] + [f"แก้ไข{run_no}"] for i in idx]


def _preload(engine_name: str) -> None:
    import ingest.lexical  # noqa: F401

    if engine_name.startswith("bm25s"):
        with contextlib.suppress(ImportError):
            import bm25s  # noqa: F401


def measure_run(engine_name: str, corpus: Corpus, run_no: int = 0, keep_hits: bool = True) -> dict[str, Any]:
    """Build, query, update and size one engine on ``corpus`` in this process."""
    from ingest.tokens import tokenize

    work = Path(tempfile.mkdtemp(prefix=f"planqa-{engine_name}-"))
    _preload(engine_name)  # its imports are no part of the index's memory
    try:
        gc.collect()
        _reset_peak()
        rss0 = _status_kb("VmRSS")
        engine = ENGINE_CLASSES[engine_name](work)
        t = time.perf_counter()
        engine.build(corpus.chunks, corpus.tokens)
        build_s = time.perf_counter() - t
        peak = _status_kb("VmHWM")
        for q in corpus.queries[:WARM_UP]:
            engine.search(tokenize(q), corpus.k)
        total, alone, hits = [], [], []
        for q in corpus.queries:
            t0 = time.perf_counter()
            toks = tokenize(q)
            t1 = time.perf_counter()
            ranked = engine.search(toks, corpus.k)
            t2 = time.perf_counter()
            total.append((t2 - t0) * 1000)
            alone.append((t2 - t1) * 1000)
            hits.append(ranked)
        gc.collect()
        rss_delta = (_status_kb("VmRSS") - rss0) / 1024
        disk = engine.disk()
        chunks, tokens = changed_document(corpus, run_no)
        update = engine.update(chunks, tokens, corpus.tokens)
        probe = engine.search(tokens[0], corpus.k)  # the edited chunk is found by its new words
        engine.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "engine": engine_name,
        "build_s": build_s,
        "query_p50_ms": percentile(total, 0.5),
        "query_p95_ms": percentile(total, 0.95),
        "search_p50_ms": percentile(alone, 0.5),
        "search_p95_ms": percentile(alone, 0.95),
        "rss_delta_mb": rss_delta,
        "peak_build_mb": (peak - rss0) / 1024,
        **disk,
        **update,
        "update_chunks": len(chunks),
        "update_visible": chunks[0].id in probe,
        "hits": hits if keep_hits else None,
    }


def _child(conn: Any, engine_name: str, corpus: Corpus, run_no: int, keep_hits: bool) -> None:
    try:
        conn.send(("ok", measure_run(engine_name, corpus, run_no, keep_hits)))
    except BaseException as exc:  # report it to the parent rather than dying silently
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure_in_child(
    engine_name: str, corpus: Corpus, run_no: int, keep_hits: bool, timeout_s: float = RUN_TIMEOUT_S
) -> dict[str, Any]:
    """``measure_run`` in a fresh child process, so the memory the index takes is not mixed with the
    previous run's. The child is spawned, not forked: a fork of a process that runs threads (a thread
    pool, tqdm's monitor) can deadlock on a lock one of them held, and did, under pytest in CI. A child
    that has not answered in ``timeout_s`` is killed, never left behind."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, engine_name, corpus, run_no, keep_hits), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout_s):
            raise PlanQAError(
                f"{engine_name} on {corpus.name}: no result after {timeout_s:.0f} s; the run was stopped "
                "(a larger corpus needs a longer timeout_s)"
            )
        status, payload = parent.recv()
    except EOFError:
        status, payload = "error", f"the measuring process died (exit code {proc.exitcode})"
    finally:
        parent.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
    if status != "ok":
        raise PlanQAError(f"{engine_name} on {corpus.name}: {payload}")
    return payload


def _tokenize(text: str) -> list[str]:
    from ingest.tokens import tokenize

    return tokenize(text)


# ---- scoring and the whole comparison -------------------------------------------------------------
def quality(hits: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    """As ``evals/external.py``: rank of the first gold passage among the first 10 distinct passages."""
    ranks = [external.passage_ranks([f"{pid}.txt" for pid in ranked], g) for ranked, g in zip(hits, gold)]
    return external.scores(ranks)


def agreement(a: list[list[str]], b: list[list[str]], k: int = 10) -> dict[str, float]:
    """How alike two engines' rankings are: same first hit, and the share of top-k ids in common."""
    n = len(a) or 1
    return {
        "top1_same": sum(1 for x, y in zip(a, b) if x[:1] == y[:1]) / n,
        f"top{k}_overlap": sum(len(set(x[:k]) & set(y[:k])) / max(1, min(k, len(x), len(y))) for x, y in zip(a, b)) / n,
    }


def compare(
    corpus: Corpus,
    engines: Sequence[str] = ENGINES,
    runs: int = 3,
    isolate: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Every engine on one corpus, ``runs`` times each; medians, quality of the first run."""
    out: dict[str, Any] = {
        "corpus": corpus.name,
        "documents": len(corpus.chunks),
        "queries": len(corpus.queries),
        "k": corpus.k,
        "tokenise_corpus_s": corpus.prepare_s,
        "query_tokens_median": statistics.median(len(set(_tokenize(q))) for q in corpus.queries)
        if corpus.queries
        else 0,
        "engines": {},
        **corpus.extra,
    }
    first_hits: dict[str, list[list[str]]] = {}
    for name in engines:
        results = []
        for run_no in range(runs):
            say(f"{corpus.name}: {name} run {run_no + 1}/{runs}")
            measure = measure_in_child if isolate else measure_run
            results.append(measure(name, corpus, run_no, run_no == 0))
        first_hits[name] = results[0]["hits"]
        numeric = [k for k, v in results[0].items() if isinstance(v, float | int) and not isinstance(v, bool)]
        row: dict[str, Any] = {k: statistics.median(r[k] for r in results) for k in numeric}
        row["update_visible"] = all(r["update_visible"] for r in results)
        row["runs"] = runs
        if corpus.gold is not None:
            row.update(quality(first_hits[name], corpus.gold))
        out["engines"][name] = row
    if len(first_hits) > 1:  # each engine against the first one
        first, *others = first_hits
        out["agreement"] = {name: agreement(first_hits[first], first_hits[name]) for name in others}
        out["agreement_with"] = first
    if corpus.gold is not None and corpus.name in external.REFERENCE:
        out["reference"] = external.REFERENCE[corpus.name]
    return out


# ---- report --------------------------------------------------------------------------------------
def _f(value: Any, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def table(results: Sequence[dict[str, Any]]) -> str:
    head = (
        "| corpus | engine | docs | R@1 | R@5 | R@10 | MRR@10 | build s | query p50 ms | query p95 ms "
        "| engine-only p95 ms | update 1 doc s | index MB on disk | RSS Δ MB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for res in results:
        for name, row in res["engines"].items():
            lines.append(
                f"| {res['corpus']} | {ENGINE_LABELS[name]} | {res['documents']:,} | "
                + " | ".join(_f(row.get(k), ".4f") for k in QUALITY)
                + f" | {row['build_s']:.2f} | {row['query_p50_ms']:.2f} | {row['query_p95_ms']:.2f}"
                f" | {row['search_p95_ms']:.2f} | {_update_cell(name, row)} | {row['index_mb']:.1f}"
                f" | {row['rss_delta_mb']:.0f} |"
            )
        if "reference" in res:
            ref = res["reference"]
            lines.append(
                f"| {res['corpus']} | {ENGINE_LABELS['ref']} | {res['documents']:,} | "
                + " | ".join(f"{ref[k]:.4f}" for k in QUALITY)
                + " | – | – | – | – | – | – | – |"
            )
    return "\n".join(lines)


def _update_cell(name: str, row: dict[str, Any]) -> str:
    if "reindex_s" in row:
        return f"{row['update_s']:.2f} (re-index {row['reindex_s']:.2f} + save {row['save_s']:.2f})"
    return f"{row['update_s']:.4f} (upsert {row['update_chunks']:.0f} rows)"


def notes(results: Sequence[dict[str, Any]], runs: int) -> str:
    out = [
        f"Medians of {runs} run(s), each a fresh build in a fresh process. Same tokens for both engines: "
        "ingest.tokens.tokenize (pythainlp newmm, stop-words out) of Chunk.embed_text; queries tokenize(question). "
        "Query latency includes tokenising the question; 'engine-only' is the engine call alone. "
        f"External sets: k 10, one passage = one document; synthetic: k {CANDIDATE_K} (the hybrid's candidate_k), "
        "queries are clauses of the corpus text. FTS5 ranks with its built-in bm25() (k1 1.2, b 0.75, "
        "distinct query words OR-ed); bm25s with method lucene, k1 1.5, b 0.75, numpy backend. "
        "Update = make one changed document searchable by every process: FTS5 upsert of its chunks (one transaction); "
        "bm25s index() of all chunks again + save(). Index on disk: FTS5 tables only (dbstat); the SQLite file also "
        "holds the chunk records. RSS Δ: resident memory added by the built index after the queries."
    ]
    for res in results:
        parts = [
            f"{res['corpus']}: {res['queries']} queries of median {res['query_tokens_median']:g} distinct words,"
            f" tokenising the corpus {res['tokenise_corpus_s']:.1f} s (shared)"
        ]
        for name, ag in res.get("agreement", {}).items():
            parts.append(
                f"{name} vs {res['agreement_with']}: same first hit {ag['top1_same']:.1%},"
                f" top-10 overlap {ag['top10_overlap']:.1%}"
            )
        for name, row in res["engines"].items():
            if name.startswith("fts5"):
                parts.append(f"{name} SQLite file {row['file_mb']:.1f} MB, build peak +{row['peak_build_mb']:.0f} MB")
            else:
                parts.append(f"bm25s load {row['load_s']:.2f} s, build peak +{row['peak_build_mb']:.0f} MB")
            if not row["update_visible"]:
                parts.append(f"{name}: the updated chunk was NOT found by its new words")
        out.append("; ".join(parts))
    return "\n".join(out)


def run(
    sets: Sequence[str],
    synthetic: int,
    runs: int,
    engines: Sequence[str] = ENGINES,
    directory: Path | None = None,
    n_queries: int = 200,
    workers: int = 2,
    say: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, Any]]:
    results = []
    for name in sets:
        say(f"tokenising {name}")
        results.append(compare(external_corpus(name, directory), engines, runs, say=say))
    if synthetic:
        say(f"writing and tokenising a synthetic corpus of about {synthetic:,} chunks")
        corpus = synthetic_corpus(synthetic, n_queries, workers)
        results.append(compare(corpus, engines, runs, say=say))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench.lexical_choice", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sets",
        nargs="*",
        default=list(external.SETS),
        choices=external.SETS,
        metavar="SET",
        help=f"external sets (default: {' '.join(external.SETS)}; none: --sets with no name)",
    )
    p.add_argument("--synthetic", type=int, default=100_000, metavar="N", help="synthetic chunks (0: skip)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--queries", type=int, default=200, help="synthetic queries")
    p.add_argument(
        "--engines",
        nargs="+",
        default=list(ENGINES),
        choices=list(ENGINE_CLASSES),
        help="default: fts5 bm25s; fts5-lean is a proposal for FTS5's latency at scale",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="external sets folder")
    p.add_argument("--workers", type=int, default=2, help="processes tokenising the synthetic corpus")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    try:
        results = run(
            args.sets, args.synthetic, args.runs, args.engines, args.data_dir, args.queries, args.workers, say
        )
    except PlanQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table(results))
    print()
    print(notes(results, args.runs))
    if args.json:
        for res in results:
            for row in res["engines"].values():
                row.pop("hits", None)
        print(json.dumps({"runs": args.runs, "results": results}, ensure_ascii=False, indent=2))
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
