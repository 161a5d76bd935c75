"""Chroma server mode: a real `chroma run` on a free port, two app instances sharing it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.embeddings import make_embeddings
from ingest.index import PlanIndex
from ingest.pipeline import run
from planqa.settings import Settings
from retrieval.service import Service
from tests.procs import stop

ROOT = Path(__file__).resolve().parent.parent
MUKDAHAN = "004_324aff1e68aa4ee5.txt"
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chroma_cli() -> str | None:
    """The `chroma` script the chromadb package installed: beside the running Python first (a virtual
    environment's bin/, which is not on PATH when the tests run as ``PYTHON=venv/bin/python``), else PATH."""
    here = Path(sys.executable).parent / ("chroma.exe" if os.name == "nt" else "chroma")
    return str(here) if here.is_file() else shutil.which("chroma")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` on 127.0.0.1:<free port>, offline, telemetry off; stopped afterwards."""
    exe = _chroma_cli()
    if exe is None:
        pytest.skip("the chroma CLI (installed with the chromadb package) is neither beside this Python nor on PATH")
    port = _free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield "127.0.0.1", port
    finally:
        stop(proc)
        log.close()


class _Counting:
    """The real embedder, keeping the passages it is asked to embed."""

    def __init__(self, spec: str) -> None:
        self.inner = make_embeddings(spec)
        self.model_id = self.inner.model_id  # type: ignore[attr-defined]
        self.passages: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.passages += texts
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_ingest_and_answer_through_a_chroma_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = chroma_server
    first = Settings(corpus_dir=SEED_PLANS, index_dir=tmp_path / "app1", chroma_host=host, chroma_port=port)
    report = run(first)
    assert report.added == 5 and report.chunks > 0
    assert not first.chroma_dir.exists()  # vectors went to the server, not to an on-disk store

    server = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
    assert server.get_collection(first.collection).count() == report.chunks

    answer = Service(first).answer(QUESTION)
    assert not answer.abstained
    assert MUKDAHAN in {c.source for c in answer.citations}
    assert "องค์กรนวัตกรรม" in answer.text

    # a second app instance: its own lexical index and record manager, the server's vectors
    second = first.model_copy(update={"index_dir": tmp_path / "app2"})
    counting = _Counting(second.embedding)
    again = run(second, plan_index=PlanIndex(second, embeddings=counting))  # type: ignore[arg-type]
    assert again.added == 5
    # no chunk embedded twice: the only passages it embeds are the quotable sentences its
    # own (local) lexical index keeps vectors for
    held = PlanIndex(second).lexical
    chunk_texts = {c.embed_text for c in held.get_chunks(sorted(held.all_ids())).values()}
    assert counting.passages and not chunk_texts & set(counting.passages)
    assert server.get_collection(first.collection).count() == report.chunks
    assert PlanIndex(second).check() == []
    assert MUKDAHAN in {c.source for c in Service(second).answer(QUESTION).citations}

    # an instance never removes what another wrote: a third has one more plan on the server
    corpus3 = tmp_path / "corpus3"
    shutil.copytree(SEED_PLANS, corpus3)
    (corpus3 / "extra.txt").write_text((SEED_PLANS / MUKDAHAN).read_text(encoding="utf-8")
                                       .replace("มุกดาหาร", "นครพนม"), encoding="utf-8")
    third = first.model_copy(update={"index_dir": tmp_path / "app3", "corpus_dir": corpus3})
    assert run(third).added == 6
    total = server.get_collection(first.collection).count()
    assert total > report.chunks
    quiet = run(first)  # sees more vectors on the server than it wrote: not a reason to repair
    assert (quiet.added, quiet.updated, quiet.deleted, quiet.chunks) == (0, 0, 0, 0)
    assert server.get_collection(first.collection).count() == total
    assert PlanIndex(first).check() == [] and PlanIndex(third).check() == []
