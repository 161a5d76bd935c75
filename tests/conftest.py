"""Shared fixtures: real Chroma on disk, real pythainlp, the real bundled model.

The tests read their own copy of the five seed plans (``evals/seeds``), never
the live ``corpus/``, which the app writes uploads into. The seed index is
built once per test session and shared read-only; tests that change a corpus
or an index get their own copies.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# a test that forgot to name its corpus or index must fail, not read the live corpus/ (the app's
# uploads land there) or write into the checkout's .index/
_NOWHERE = Path(tempfile.gettempdir()) / "planqa-tests-name-your-corpus-and-index"
os.environ["PLANQA_CORPUS_DIR"] = str(_NOWHERE / "corpus")
os.environ["PLANQA_INDEX_DIR"] = str(_NOWHERE / "index")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = SEED_PLANS
SEED_FILES = sorted(p.name for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings for a session-wide index of the seed corpus (read-only: don't ingest into it)."""
    from ingest.pipeline import run
    from planqa.settings import Settings

    base = tmp_path_factory.mktemp("seed-index")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index")
    report = run(settings)
    assert report.added == len(SEED_FILES)
    return settings


@pytest.fixture(scope="session")
def pdf_index(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings for a session-wide index of every text-PDF fixture (several plans, producers and
    fonts; ``tests/fixtures/thai_pdf/manifest.json``). Tests may re-ingest it unchanged, not edit it."""
    from evals.pdf_cer import FIXTURES, manifest
    from ingest.pipeline import run
    from planqa.settings import Settings

    base = tmp_path_factory.mktemp("pdf-index")
    corpus = base / "corpus"
    corpus.mkdir()
    texts = [f.file for f in manifest() if f.kind == "text"]
    for name in texts:
        shutil.copy(FIXTURES / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index")
    assert run(settings).added == len(texts)
    return settings


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the seed corpus that a test may edit."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def fresh_settings(tmp_path: Path, corpus_copy: Path) -> Iterator[object]:
    """Settings over a private corpus copy and an empty private index."""
    from planqa.settings import Settings

    yield Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Kill what a test left running: a stuck child keeps the run's output open, and CI waits on it
    until its own time is up (a hung bench child once did). Each one is named, so the leak gets fixed."""
    import signal
    import sys

    from planqa.procs import descendants

    for pid in descendants(os.getpid()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
        print(f"\nconftest: killed process {pid} a test left running: {cmd[:200]}", file=sys.stderr)
