"""Shared fixtures: real Chroma on disk, real pythainlp, the real bundled model.

The seed index is built once per test session and shared read-only; tests
that change a corpus or an index get their own copies.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED_FILES = sorted(p.name for p in CORPUS.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Settings for a session-wide index of the seed corpus (read-only: don't ingest into it)."""
    from ingest.pipeline import run
    from planqa.settings import Settings

    base = tmp_path_factory.mktemp("seed-index")
    settings = Settings(corpus_dir=CORPUS, index_dir=base / "index")
    report = run(settings)
    assert report.added == len(SEED_FILES)
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
