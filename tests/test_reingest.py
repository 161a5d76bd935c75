"""Re-ingest keeps Chroma, the lexical index and the record manager in step
with the corpus: unchanged files write nothing, edits/deletes/renames touch
only their own chunks, bad files are skipped with reasons, a killed run is
repaired, and a model change is refused until --full.

Two small seeds keep the embedding cost low: the index over them is built
once per module and each test works on its own copy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.chunking import chunk_document
from ingest.index import PlanIndex
from ingest.loaders import load
from ingest.pipeline import run
from ingest.structure import parse
from planqa.errors import IndexMismatch, UnreadableDocument
from planqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SMALL = ("001_6c7f6f6f50bc0cc0.txt", "003_500a49f8050b8f55.txt")  # 8 + 6 chunks
EDITED, OTHER = SMALL


def test_a_document_record_comes_back_typed_as_it_was_put(tmp_path: Path) -> None:
    from ingest.lexical import LexicalIndex
    from planqa.types import IndexedDocument

    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    doc = IndexedDocument(source="sub/plan.txt", office="สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 4", office_named=True,
                          title="แผนพัฒนาการศึกษา", sha256="ab" * 32, format="txt", encoding="cp874",
                          sections=("วิสัยทัศน์", "พันธกิจ"), chunk_ids=("c2", "c1"), aliases=("สพม.4",),
                          ingested_at="2026-12-05T08:00:00+00:00")
    unnamed = IndexedDocument(source="a.txt", office="แผนไม่ระบุสำนักงาน", office_named=False, title="", sha256="",
                              format="txt", encoding="utf-8", sections=(), chunk_ids=())
    lexical.put_document(doc)
    lexical.put_document(unnamed)
    assert lexical.documents() == [unnamed, doc]  # by source; tuples, bool and Thai as they went in
    lexical.delete_document("a.txt")
    assert lexical.documents() == [doc]


def _keep_only(corpus: Path, names: tuple[str, ...]) -> None:
    for path in corpus.iterdir():
        if path.name not in names:
            path.unlink()


def _expected_ids(corpus: Path) -> dict[str, list[str]]:
    """Chunk ids per file, straight from the parser (what the index must hold)."""
    out = {}
    for path in sorted(corpus.glob("*.txt")):
        try:
            doc = load(path, path.name)
        except UnreadableDocument:
            continue
        out[path.name] = [c.id for c in chunk_document(parse(doc))]
    return out


def _stores(settings: Settings) -> tuple[set[str], set[str], set[str]]:
    ix = PlanIndex(settings)
    return ix.chroma_ids(), ix.lexical.all_ids(), set(ix.records.list_keys())


def _assert_index_matches_corpus(settings: Settings) -> None:
    expected = _expected_ids(settings.corpus_dir)
    want = {i for ids in expected.values() for i in ids}
    chroma, lexical, records = _stores(settings)
    assert chroma == lexical == records == want
    ix = PlanIndex(settings)
    assert ix.check() == []
    assert {d.source: list(d.chunk_ids) for d in ix.lexical.documents()} == expected
    sources = [m["source"] for m in ix.collection.get(include=["metadatas"])["metadatas"]]
    assert len(sources) == len(want)  # one vector per chunk: nothing stored twice
    assert {s: sources.count(s) for s in set(sources)} == {s: len(ids) for s, ids in expected.items()}


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "PLANQA_CORPUS_DIR": str(settings.corpus_dir),
            "PLANQA_INDEX_DIR": str(settings.index_dir), **extra}


def _cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=ROOT, env=_env(settings, **env),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index over the two small seeds, built once (tests copy it)."""
    base = tmp_path_factory.mktemp("reingest-template")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in SMALL:
        shutil.copy(SEED_PLANS / name, corpus / name)
    report = run(Settings(corpus_dir=corpus, index_dir=base / "index"))
    assert report.added == 2
    return base / "index"


@pytest.fixture
def indexed(fresh_settings: Settings, template: Path) -> Settings:
    """fresh_settings over the two small seeds, with a private copy of their index."""
    _keep_only(fresh_settings.corpus_dir, SMALL)
    shutil.copytree(template, fresh_settings.index_dir)
    return fresh_settings


# ---- the incremental cases ----------------------------------------------------------------------


def test_first_run_adds_all_and_an_unchanged_corpus_writes_nothing(fresh_settings: Settings) -> None:
    _keep_only(fresh_settings.corpus_dir, SMALL)
    expected = _expected_ids(fresh_settings.corpus_dir)
    first = run(fresh_settings)
    assert (first.added, first.updated, first.unchanged, first.deleted, first.skipped) == (2, 0, 0, 0, [])
    assert first.chunks == sum(len(ids) for ids in expected.values())
    _assert_index_matches_corpus(fresh_settings)
    before = PlanIndex(fresh_settings).lexical.documents()

    second = run(fresh_settings)
    assert (second.added, second.updated, second.deleted, second.chunks, second.chunks_deleted) == (0, 0, 0, 0, 0)
    assert second.unchanged == 2
    assert PlanIndex(fresh_settings).lexical.documents() == before  # not even re-recorded (same ingested_at)
    _assert_index_matches_corpus(fresh_settings)


def test_editing_one_file_rewrites_only_its_changed_chunks(indexed: Settings) -> None:
    path = indexed.corpus_dir / EDITED
    old = _expected_ids(indexed.corpus_dir)
    text = path.read_text(encoding="utf-8")
    assert "ผู้เรียนทุกคนมีคุณภาพตามมาตรฐาน" in text
    path.write_text(text.replace("ผู้เรียนทุกคนมีคุณภาพตามมาตรฐาน", "ผู้เรียนทุกคนปลอดภัยและมีคุณภาพตามมาตรฐาน"), encoding="utf-8")
    new = _expected_ids(indexed.corpus_dir)
    changed = set(new[EDITED]) - set(old[EDITED])
    assert len(changed) == 1 and new[OTHER] == old[OTHER]

    report = run(indexed)
    assert (report.added, report.updated, report.unchanged, report.deleted) == (0, 1, 1, 0)
    assert report.chunks == 1  # the other chunks of the edited file were already there
    _assert_index_matches_corpus(indexed)
    ix = PlanIndex(indexed)
    (cid,) = changed
    assert "ปลอดภัยและมีคุณภาพ" in ix.lexical.get_chunks([cid])[cid].text
    meta = ix.collection.get(ids=[cid], include=["metadatas"])["metadatas"][0]
    assert meta["source"] == EDITED and "ปลอดภัยและมีคุณภาพ" in meta["text"]


def test_deleting_a_file_removes_its_chunks_from_every_store(indexed: Settings) -> None:
    gone = _expected_ids(indexed.corpus_dir)[EDITED]
    (indexed.corpus_dir / EDITED).unlink()
    report = run(indexed)
    assert (report.deleted, report.unchanged, report.chunks_deleted) == (1, 1, len(gone))
    _assert_index_matches_corpus(indexed)
    ix = PlanIndex(indexed)
    assert ix.lexical.chunks_of(EDITED) == []
    assert ix.collection.get(where={"source": EDITED})["ids"] == []
    assert ix.records.list_keys(group_ids=[EDITED]) == []
    # a word only the deleted plan has is no longer found by BM25
    from ingest.tokens import tokenize

    assert ix.lexical.search(tokenize("ลัดดาวรรณ"), k=5) == []


def test_renaming_a_file_leaves_no_duplicates(indexed: Settings) -> None:
    count = len(PlanIndex(indexed).chroma_ids())
    (indexed.corpus_dir / EDITED).rename(indexed.corpus_dir / "renamed_plan.txt")
    report = run(indexed)
    assert (report.added, report.deleted, report.unchanged) == (1, 1, 1)
    _assert_index_matches_corpus(indexed)
    assert len(PlanIndex(indexed).chroma_ids()) == count
    assert {d.source for d in PlanIndex(indexed).lexical.documents()} == {"renamed_plan.txt", OTHER}


def test_bad_files_are_skipped_with_reasons_and_the_run_goes_on(indexed: Settings) -> None:
    (indexed.corpus_dir / "empty.txt").write_bytes(b"")
    (indexed.corpus_dir / "image.txt").write_bytes(bytes(range(256)) * 8)
    (indexed.corpus_dir / "notes.xlsx").write_bytes(b"PK\x03\x04")
    report = run(indexed)
    reasons = {s.file: s.reason for s in report.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["image.txt"]
    assert reasons["notes.xlsx"].startswith("unsupported file type")
    assert (report.unchanged, report.added, report.chunks) == (2, 0, 0)
    _assert_index_matches_corpus(indexed)
    out = _cli(indexed)
    assert out.returncode == 0, out.stderr  # some files were read: not a failure
    assert "skipped image.txt: binary" in out.stdout


def test_a_good_file_replaced_by_a_corrupt_one_keeps_its_chunks(indexed: Settings) -> None:
    path = indexed.corpus_dir / EDITED
    good = path.read_bytes()
    before = _stores(indexed)
    path.write_bytes(b"\x00\x01\x02binary" * 100)
    report = run(indexed)
    (skip,) = report.skipped
    assert skip.file == EDITED and "binary" in skip.reason and "previous version stays" in skip.reason
    assert (report.deleted, report.chunks_deleted, report.chunks) == (0, 0, 0)
    assert _stores(indexed) == before
    path.write_bytes(good)
    again = run(indexed)
    assert (again.unchanged, again.chunks, again.skipped) == (2, 0, [])
    _assert_index_matches_corpus(indexed)


# ---- the command line -------------------------------------------------------------------------


def test_json_summary_is_one_object_on_stdout(indexed: Settings) -> None:
    path = indexed.corpus_dir / OTHER
    path.write_text(path.read_text(encoding="utf-8").replace("ค่านิยม", "ค่านิยมองค์กร"), encoding="utf-8")
    (indexed.corpus_dir / "empty.txt").write_bytes(b"")
    out = _cli(indexed, "--json")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 1
    summary = json.loads(out.stdout)
    assert {"added", "updated", "unchanged", "deleted", "skipped", "chunks"} <= set(summary)
    assert (summary["added"], summary["updated"], summary["unchanged"], summary["deleted"]) == (0, 1, 1, 0)
    assert summary["skipped"] == [{"file": "empty.txt", "reason": "empty file", "kind": "empty"}]
    assert summary["chunks"] == 1 and summary["dry_run"] is False
    _assert_index_matches_corpus(indexed)


def test_dry_run_reports_but_writes_nothing(indexed: Settings) -> None:
    before = _stores(indexed), PlanIndex(indexed).lexical.documents()
    (indexed.corpus_dir / EDITED).unlink()
    path = indexed.corpus_dir / OTHER
    path.write_text(path.read_text(encoding="utf-8") + "\nเพิ่มบรรทัดใหม่", encoding="utf-8")
    shutil.copy(SEED_PLANS / "004_324aff1e68aa4ee5.txt", indexed.corpus_dir / "new.txt")
    out = _cli(indexed, "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["added"], summary["updated"], summary["deleted"], summary["chunks"]) == (1, 1, 1, 0)
    assert summary["dry_run"] is True
    assert (_stores(indexed), PlanIndex(indexed).lexical.documents()) == before
    assert not (indexed.index_dir / "ingest.dirty").exists()


def test_check_passes_on_a_good_index_and_fails_when_chroma_lost_a_chunk(indexed: Settings) -> None:
    ok = _cli(indexed, "--check")
    assert ok.returncode == 0 and "index consistent" in ok.stdout, ok.stderr
    ix = PlanIndex(indexed)
    victim = sorted(ix.chroma_ids())[0]
    ix.collection.delete(ids=[victim])
    bad = _cli(indexed, "--check", "--json")
    assert bad.returncode != 0
    result = json.loads(bad.stdout)
    assert result["ok"] is False and any("missing from chroma" in p for p in result["problems"])
    assert "inconsistent:" in bad.stderr


def test_a_plain_run_repairs_a_chunk_lost_from_the_lexical_store(indexed: Settings) -> None:
    ix = PlanIndex(indexed)
    lost = sorted(ix.lexical.all_ids())[0]
    ix.lexical.delete([lost])
    assert not ix.counts_agree()  # the cheap check every run makes
    report = run(indexed)
    assert report.updated == 1 and PlanIndex(indexed).check() == []
    assert lost in PlanIndex(indexed).lexical.all_ids()


def test_the_run_that_check_recommends_repairs_a_lost_chunk(indexed: Settings) -> None:
    ix = PlanIndex(indexed)
    lost = sorted(ix.chroma_ids())[0]
    ix.collection.delete(ids=[lost])
    assert ix.check() and not ix.counts_agree(with_chroma=True)
    advice = _cli(indexed, "--check")
    assert "python -m ingest --repair" in advice.stderr
    repaired = _cli(indexed, "--repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["updated"] == 1 and report["added"] == 0
    assert PlanIndex(indexed).check() == []
    assert lost in PlanIndex(indexed).chroma_ids()  # same text, same id, written again


# ---- crashes and model changes ------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_part_way_is_repaired_by_the_next(fresh_settings: Settings) -> None:
    # Embedding happens before any write, so a kill that hits the write needs a
    # run whose write takes seconds: many chunks, and the instant hash model
    # (the model plays no part in keeping the three stores in step).
    corpus = fresh_settings.corpus_dir
    seeds = sorted(corpus.glob("*.txt"))
    for n in range(1, 9):
        for seed in seeds:
            text = seed.read_text(encoding="utf-8").replace("การศึกษา", f"การศึกษาชุด{n}")
            (corpus / f"copy{n}_{seed.name}").write_text(text, encoding="utf-8")
    settings = fresh_settings.model_copy(update={"embedding": "hash:384"})
    proc = subprocess.Popen([sys.executable, "-m", "ingest"], cwd=ROOT, env=_env(settings, PLANQA_EMBEDDING="hash:384"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    marker = settings.index_dir / "ingest.dirty"  # written when the run starts writing
    deadline = time.monotonic() + 240
    while proc.poll() is None and not (marker.exists() and settings.chroma_dir.exists()) and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(0.05)  # part-way into the write
    if proc.poll() is not None:
        pytest.fail(f"the run finished (rc {proc.returncode}) before it could be killed; use a bigger corpus")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert marker.exists() and settings.chroma_dir.exists()  # it died while writing

    report = run(settings)
    assert report.skipped == []
    _assert_index_matches_corpus(settings)
    assert not (settings.index_dir / "ingest.dirty").exists()
    again = run(settings)
    assert (again.added, again.updated, again.deleted, again.chunks) == (0, 0, 0, 0)


def test_another_embedding_model_is_refused_until_full(indexed: Settings) -> None:
    hashed = indexed.model_copy(update={"embedding": "hash:384"})
    with pytest.raises(IndexMismatch, match="--full"):
        run(hashed)
    with pytest.raises(IndexMismatch, match="--full"):
        PlanIndex(hashed).collection  # noqa: B018 - opening the collection is the check
    out = _cli(indexed, PLANQA_EMBEDDING="hash:384")
    assert out.returncode == 2 and "--full" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert _stores(indexed)[0]  # the refused run touched nothing

    full = _cli(indexed, "--full", "--json", PLANQA_EMBEDDING="hash:384")
    assert full.returncode == 0, full.stderr
    assert json.loads(full.stdout)["added"] == 2
    _assert_index_matches_corpus(hashed)
    ix = PlanIndex(hashed)
    assert ix.collection.metadata["embedding_model"] == "hash:384"
    assert ix.lexical.get_meta("embedding_model") == "hash:384"
    with pytest.raises(IndexMismatch, match="--full"):
        run(indexed)  # and now the bundled model is the stranger


def test_groups_are_embedded_while_the_one_before_is_written(fresh_settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Small groups: every plan's chunks still land once in every store, plans whole in
    their group, the next group embedded while this one is written, and phase two fills in
    every chunk's sentence vectors and the vocabulary."""
    import threading

    from ingest import pipeline

    monkeypatch.setattr(pipeline, "GROUP_CHUNKS", 8)
    second_embedding = threading.Event()
    embeds: list[int] = []
    writes: list[int] = []
    overlapped: list[bool] = []
    embed, write = pipeline._GroupWriter.embed, pipeline._GroupWriter.write

    def logged_embed(self: pipeline._GroupWriter, group: list[pipeline._Prepared]) -> None:
        embeds.append(len(group))
        if len(embeds) == 2:
            second_embedding.set()
        embed(self, group)

    def logged_write(self: pipeline._GroupWriter, group: list[pipeline._Prepared]) -> None:
        if not writes:  # the first group's write: the second group is being embedded meanwhile
            overlapped.append(second_embedding.wait(timeout=30))
        writes.append(len(group))
        write(self, group)

    monkeypatch.setattr(pipeline._GroupWriter, "embed", logged_embed)
    monkeypatch.setattr(pipeline._GroupWriter, "write", logged_write)
    report = run(fresh_settings)
    assert report.added == len(list(fresh_settings.corpus_dir.glob("*.txt"))) and 0 < report.answerable_s < report.seconds
    _assert_index_matches_corpus(fresh_settings)
    assert len(writes) >= 3 and sum(writes) == report.added and embeds == writes  # whole plans, each group once
    assert overlapped == [True]
    ix = PlanIndex(fresh_settings)
    assert ix.lexical.ids_without_unit_vectors() == [] and len(ix.lexical.vector_terms()) > 100
