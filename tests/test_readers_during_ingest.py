"""Readers while another writer rewrites the index (issue #22, items 1 and 10).

A reader (a ``Service`` with its own Chroma client, as the app in another process has) must
answer from the old index or the new one while a ``--full`` rebuild or a sync writes, never from
a half-built one and never with a stale client's error; a rebuild leaves only the live collection
and its segment folders. The quick tests use the ``hash`` embedder (real Chroma, real SQLite,
real pythainlp); the slow one runs the real app, a real CLI ``--full`` and a CLI sync.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from ingest.index import PlanIndex
from ingest.pipeline import run
from planqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
MUKDAHAN = "004_324aff1e68aa4ee5.txt"
VISION = "องค์กรนวัตกรรม"
HASH = "hash:384"


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("ingest_during_questions", ROOT / "scripts" / "ingest_during_questions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hashed(corpus_copy: Path, tmp_path: Path) -> Settings:
    settings = Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index", embedding=HASH)
    assert run(settings).added == 5
    return settings


def _true_answer(svc: Any) -> bool:
    """The reader knows Mukdahan's office and finds its plan, by the words and by the vectors (the
    ``hash`` embedder ranks too roughly to quote the vision: the slow test asks the real model)."""
    for retriever in ("hybrid", "dense"):
        hits = svc.search(QUESTION, retriever=retriever)
        if not hits or {h.chunk.source for h in hits} != {MUKDAHAN}:
            return False
    return True


def _cli(settings: Settings, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
    env.update(PLANQA_CORPUS_DIR=str(settings.corpus_dir), PLANQA_INDEX_DIR=str(settings.index_dir),
               PLANQA_EMBEDDING=HASH, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def _edit_mukdahan(settings: Settings) -> None:
    plan = settings.corpus_dir / MUKDAHAN
    plan.write_text(plan.read_text(encoding="utf-8") + f"\nหมายเหตุ ฉบับแก้ไข {uuid.uuid4().hex[:6]}\n",
                    encoding="utf-8")


def test_a_reader_answers_from_the_old_index_throughout_a_rebuild_and_from_the_new_one_after(
        hashed: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.service import Service

    monkeypatch.setattr("ingest.pipeline.GROUP_CHUNKS", 1)  # one plan a group: a look after each

    reader = Service(hashed)
    assert _true_answer(reader)
    during: list[bool] = []

    def progress(done: int, total: int, label: str) -> None:
        if label.startswith("indexed"):  # inside the rebuild's write: the reader must see the old pair
            during.append(_true_answer(reader))

    run(hashed, full=True, progress=progress)  # its own PlanIndex and Chroma client: another "process"
    assert during and all(during), during
    assert _true_answer(reader)
    assert PlanIndex(hashed).check() == []


def test_a_reader_opened_before_cli_runs_answers_after_a_sync_and_a_rebuild(hashed: Settings) -> None:
    from retrieval.service import Service

    reader = Service(hashed)
    assert _true_answer(reader)  # its client has loaded the vectors
    _edit_mukdahan(hashed)
    _cli(hashed)  # a plain sync rewrites Mukdahan's chunks ("Error finding id" in a stale client)
    assert _true_answer(reader)
    _cli(hashed, "--full")  # a rebuild replaces the collection ("Nothing found on disk")
    assert _true_answer(reader)
    _cli(hashed, "--check")


def _segment_folders(chroma: Path) -> set[str]:
    return {p.name for p in chroma.iterdir() if p.is_dir()}


def test_rebuilds_leave_only_the_live_collection_its_records_and_its_segment_folders(hashed: Settings) -> None:
    for _ in range(3):
        _cli(hashed, "--full")
    ix = PlanIndex(hashed)
    names = [getattr(c, "name", c) for c in ix.client.list_collections()]
    assert len(names) == 1, names
    with sqlite3.connect(hashed.chroma_dir / "chroma.sqlite3") as conn:
        catalogue = {str(r[0]) for r in conn.execute("SELECT id FROM segments")}
    assert _segment_folders(hashed.chroma_dir) <= catalogue
    assert len(_segment_folders(hashed.chroma_dir)) == 1  # the live collection's vector segment
    with sqlite3.connect(hashed.records_path) as conn:
        spaces = {r[0] for r in conn.execute("SELECT DISTINCT namespace FROM upsertion_record")}
    assert spaces == {ix.record_namespace}
    assert ix.check() == []


@pytest.mark.slow
@pytest.mark.timeout(2400)  # three real-model ingests and an app start: ~10 min on 2 loaded cores
def test_the_running_app_answers_truly_through_a_cli_rebuild_and_a_cli_sync(tmp_path: Path) -> None:
    rows = _script().one_round(ROOT, tmp_path, ["full", "sync"])
    for row in rows:
        assert row["questions"] >= 5, row
        assert (row["errors"], row["false_answers"], row["check"]) == (0, 0, "clean"), row
