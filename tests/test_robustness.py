"""Hardening, round two: each defect of the red-team pass reproduced, then shown fixed.

Concurrent writers, a kill inside a --full reset, FIFOs, megabyte lines, DOCX
bombs, hijacked and impostor offices, names that are not UTF-8, unreadable
folders, read-only and full disks, oversized or malformed inputs, logins.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.pipeline import run
from planqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
AREA20 = "003_500a49f8050b8f55.txt"
AREA13 = "001_6c7f6f6f50bc0cc0.txt"


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "PLANQA_CORPUS_DIR": str(settings.corpus_dir), "PLANQA_INDEX_DIR": str(settings.index_dir)}


def _cli(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(settings), capture_output=True, text=True,
                          timeout=timeout)


def _two_plans(corpus: Path) -> None:
    for name in sorted(p.name for p in corpus.iterdir())[2:]:
        (corpus / name).unlink()


# ---- one writer at a time ------------------------------------------------------------------
@pytest.mark.slow
def test_concurrent_ingest_runs_leave_a_consistent_index(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    """Two plain runs after an edit, then two --full runs, at the same moment: --check is clean."""
    run(fresh_settings)
    plan = fresh_settings.corpus_dir / AREA20
    plan.write_text(plan.read_text(encoding="utf-8") + "\nจุดเน้น\n1. ส่งเสริมการอ่านเพื่อพัฒนาความคิด\n", encoding="utf-8")
    for args in (("-m", "ingest"), ("-m", "ingest", "--full")):
        procs = [subprocess.Popen([sys.executable, *args], cwd=ROOT, env=_env(fresh_settings),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=600) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        check = _cli(fresh_settings, "-m", "ingest", "--check", "--json")
        assert check.returncode == 0 and json.loads(check.stdout)["ok"], check.stdout + check.stderr
    from ingest.index import PlanIndex

    assert PlanIndex(fresh_settings).lexical.chunk_count() > 40  # never left empty


def test_a_second_writer_waits_or_fails_fast_naming_the_first(tmp_path: Path) -> None:
    from ingest.writelock import index_write_lock
    from planqa.errors import IndexBusy

    told: list[str] = []
    with index_write_lock(tmp_path):
        with pytest.raises(IndexBusy, match=f"pid {os.getpid()}"), index_write_lock(tmp_path, wait=False):
            pass
        with pytest.raises(IndexBusy, match="gave up"), index_write_lock(tmp_path, timeout=0.3, on_wait=told.append):
            pass
    assert told and "waiting for another ingest run" in told[0]
    with index_write_lock(tmp_path, wait=False):  # free again
        pass


def test_a_lock_left_by_a_killed_writer_is_taken_over(tmp_path: Path) -> None:
    from ingest.writelock import index_write_lock

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from ingest.writelock import "
         "index_write_lock as l\nwith l(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(60)",
         str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with index_write_lock(tmp_path, wait=False):  # the kernel released it with the process
        pass


# ---- a --full that dies half-way -------------------------------------------------------------
KILL_IN_RESET = r'''
import os, signal, sys
from pathlib import Path
from planqa.settings import Settings
from ingest import index as index_mod, pipeline
from ingest.lexical import LexicalIndex

point, corpus, index_dir = sys.argv[1], sys.argv[2], sys.argv[3]
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
if point == "after-chroma":
    LexicalIndex.clear = die  # Chroma's collection is dropped, then the process dies
else:
    original = LexicalIndex.clear
    def clear(self):
        original(self)
        die()
    LexicalIndex.clear = clear
pipeline.run(Settings(corpus_dir=Path(corpus), index_dir=Path(index_dir)), full=True)
'''


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after-chroma", "after-lexical"])
def test_a_kill_inside_a_full_rebuild_leaves_the_old_index_live(corpus_copy: Path, tmp_path: Path, point: str) -> None:
    """A --full writes its new collection and lexical store in one transaction: killed inside it,
    the old pair stays live and whole (answers, ``--check`` clean), and the next run finds it current."""
    from ingest.index import PlanIndex
    from retrieval.service import Service

    _two_plans(corpus_copy)
    settings = Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "index")
    chunks = run(settings).chunks
    assert chunks > 0
    proc = subprocess.run([sys.executable, "-c", KILL_IN_RESET, point, str(corpus_copy), str(settings.index_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    for _ in range(2):  # right after the kill, then after the next run
        assert PlanIndex(settings).check() == []
        answer = Service(settings).answer("วิสัยทัศน์ของ สพม. เขต 4")
        assert not answer.abstained and answer.citations[0].source == "000_85eb215d03d6bd52.txt"
        assert len(PlanIndex(settings).lexical.documents()) == 2
        report = run(settings)
        assert report.chunks == 0  # nothing lost by the kill, so nothing to write again


# ---- inputs that could hang or blow up -----------------------------------------------------
def test_a_fifo_is_skipped_with_a_reason_and_never_read(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    os.mkfifo(fresh_settings.corpus_dir / "x.txt")
    started = time.monotonic()
    dry = _cli(fresh_settings, "-m", "ingest", "--dry-run", "--json", timeout=60)
    report = run(fresh_settings)
    assert time.monotonic() - started < 60
    reasons = {s.file: s.reason for s in report.skipped}
    assert "not a regular file" in reasons["x.txt"] and report.added == 5
    assert "not a regular file" in dry.stdout


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_run_goes_on(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    bad = os.fsdecode(b"\xa1\xb2\xc3plan.txt")
    shutil.copy(SEED_PLANS / AREA20, fresh_settings.corpus_dir / bad)
    report = run(fresh_settings)
    assert report.added == 5
    [skip] = [s for s in report.skipped if "UTF-8" in s.reason]
    assert "\ufffd" in skip.file
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable and storable


def _bomb(size_mb: int) -> bytes:
    body = "<w:t>" + "ก" * (size_mb * 1_000_000 // 3) + "</w:t>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", body)
    return buf.getvalue()


def test_a_docx_bomb_is_refused_quickly(tmp_path: Path) -> None:
    from ingest.loaders import load
    from planqa.errors import UnreadableDocument

    path = tmp_path / "bomb.docx"
    path.write_bytes(_bomb(50))
    assert path.stat().st_size < 1_000_000
    started = time.monotonic()
    with pytest.raises(UnreadableDocument, match="decompression bomb"):
        load(path, "bomb.docx")
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_a_one_line_megabyte_plan_ingests_and_answers_in_bounded_time(tmp_path: Path) -> None:
    """Ceilings for a hang (CI is slow); the figures are in the README (Reliability)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    line = ("ส่งเสริมการจัดการศึกษาให้ผู้เรียนมีความปลอดภัยจากภัยทุกรูปแบบ และพัฒนาหุ่นยนต์เพื่อการเรียนรู้ " * 15000)
    (corpus / "big.txt").write_text("สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 77\n" + line[:1_000_000] + "\n",
                                    encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    started = time.monotonic()
    report = run(settings)
    assert report.added == 1 and time.monotonic() - started < 120
    from retrieval.service import Service

    svc = Service(settings)
    svc.warm_up()
    started = time.monotonic()
    answer = svc.answer("เขต 77 พัฒนาหุ่นยนต์อย่างไร")
    assert time.monotonic() - started < 10
    assert not answer.abstained and len(answer.text) < 5000  # the quote is shown cut, the citation has it all


def test_long_questions_and_histories_are_refused_with_a_clear_message(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from planqa.errors import InvalidInput
    from retrieval.service import get_service

    svc = get_service(seed_settings)
    # over the limits: refused out loud (English for Python and the CLI, Thai for the web app), never cut
    for options, english, thai in (
        ({"question": "วิสัยทัศน์ " * 300}, "question is 3,299 characters long; at most 2,000",
         "คำถามยาว 3,299 ตัวอักษร"),
        ({"question": "แล้วเขต 20 ล่ะ", "history": ["วิสัยทัศน์ของเขต 13 คืออะไร " * 2000]},
         "earlier question 1 of the history is 55,999 characters long", "คำถามก่อนหน้าข้อที่ 1"),
        ({"question": "x", "history": [f"q{i}" for i in range(500)]}, "history holds 500 earlier questions; at most 20",
         "ประวัติการสนทนามี 500 คำถาม"),
    ):
        with pytest.raises(InvalidInput, match=english) as err:
            svc.answer(**options)
        assert thai in err.value.thai
    # at the limits: accepted whole
    ask = svc.ask("ก" * 2000 + "  ", history=[f"q{i}" for i in range(19)] + ["ข" * 2000])
    assert len(ask.question.strip()) == 2000 and len(ask.history) == 20 and ask.history[-1] == "ข" * 2000
    assert svc.ask("x", history=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a" * 9000}]
                   ).history == ("q",)  # answers in a message history are not questions
    for bad in ({"question": "วิสัย\udcffทัศน์"}, {"question": "x", "offices": "สพม.4"},
                {"question": "x", "offices": ["nowhere"] * 40000}, {"question": "x", "offices": ["no such office"]},
                {"question": "x", "history": "not a list"}):
        with pytest.raises(InvalidInput) as err:
            svc.ask(**bad)
        assert err.value.thai  # a Thai message for the web app


def test_a_long_question_is_one_clear_line_in_the_cli(seed_settings) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run([sys.executable, "-m", "retrieval", "ask", "ก" * 2001], cwd=ROOT,
                          env=_env(seed_settings), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: the question is 2,001 characters long; at most 2,000 are accepted: shorten it, "
        "or ask it as several questions"]


def test_invalid_utf8_in_a_cli_question_is_one_clear_line(seed_settings) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run([sys.executable.encode(), b"-m", b"retrieval", b"ask", b"\xa1\xb2 vision"], cwd=ROOT,
                          env=_env(seed_settings), capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == [
        "error: the question is not valid Unicode text (it holds bytes that are not UTF-8)"]


# ---- offices you can trust -----------------------------------------------------------------
def test_a_plan_mentioning_a_partner_keeps_its_own_office(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    plan = fresh_settings.corpus_dir / AREA20
    lines = plan.read_text(encoding="utf-8").split("\n")
    partner = ["ร่วมมือกับ สพม.มุกดาหาร ในการพัฒนาครูและบุคลากร"] * 3
    plan.write_text("\n".join(partner + lines[:10] + partner + lines[10:]), encoding="utf-8")
    run(fresh_settings)
    from ingest.index import PlanIndex

    office = PlanIndex(fresh_settings).office_of()[AREA20]
    assert office.endswith("เขต 20")
    from retrieval.service import Service

    answer = Service(fresh_settings).answer("วิสัยทัศน์ของ สพม. เขต 20")
    assert not answer.abstained and answer.citations[0].source == AREA20


def test_a_document_that_names_no_office_is_never_given_one_it_mentions(tmp_path: Path) -> None:
    from ingest.loaders import load
    from ingest.structure import parse

    path = tmp_path / "notes.txt"
    path.write_text("บันทึกการประชุม\nพันธกิจ\n1. ประสานงานกับ สพม. เขต 4 ในการอบรมครู\n", encoding="utf-8")
    parsed = parse(load(path, "notes.txt"))
    assert not parsed.office_named and parsed.office.startswith("แผนไม่ระบุสำนักงาน")


def test_two_documents_claiming_one_office_are_flagged_everywhere(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    (fresh_settings.corpus_dir / "impostor.txt").write_text(
        "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 13\nวิสัยทัศน์\nเป็นองค์กรที่เน้นการท่องเที่ยวเชิงนิเวศ\n",
        encoding="utf-8")
    report = run(fresh_settings)
    [conflict] = report.conflicts
    assert conflict.office.endswith("เขต 13") and set(conflict.files) == {AREA13, "impostor.txt"}
    check = _cli(fresh_settings, "-m", "ingest", "--check", "--json", timeout=120)
    assert json.loads(check.stdout)["conflicts"] == [{"office": conflict.office, "files": list(conflict.files)}]
    assert "2 documents claim to be the plan of" in check.stderr
    from retrieval.service import Service

    answer = Service(fresh_settings).answer("วิสัยทัศน์ของ สพม. เขต 13")
    assert "เอกสาร 2 ฉบับระบุว่าเป็นแผนของ สพม. เขต 13" in answer.text


# ---- folders and disks ---------------------------------------------------------------------
def test_an_unreadable_folder_keeps_its_plans(fresh_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sub = fresh_settings.corpus_dir / "sub"
    sub.mkdir()
    shutil.move(str(fresh_settings.corpus_dir / AREA20), sub / AREA20)
    run(fresh_settings)
    real = os.scandir

    def scandir(path=None):  # type: ignore[no-untyped-def]
        if path is not None and Path(path) == sub:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path) if path is not None else real()

    monkeypatch.setattr(os, "scandir", scandir)  # root reads every folder: deny this one by hand
    report = run(fresh_settings)
    assert report.deleted == 0
    assert any(s.file == "sub" and "cannot be read" in s.reason for s in report.skipped)
    from ingest.index import PlanIndex

    assert f"sub/{AREA20}" in {d.source for d in PlanIndex(fresh_settings).lexical.documents()}


def test_an_unreadable_corpus_root_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from planqa.errors import ConfigError

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != corpus)
    with pytest.raises(ConfigError, match="cannot be read"):
        run(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"))


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.slow
def test_a_read_only_index_is_served_and_refuses_writes_clearly(seed_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with _tmpfs(tmp_path / "ro", "100m") as mount:
        shutil.copytree(seed_settings.index_dir, mount / "index")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        settings = seed_settings.model_copy(update={"index_dir": mount / "index"})
        ask = _cli(settings, "-m", "retrieval", "ask", "วิสัยทัศน์ของ สพม. เขต 4", "--json")
        assert ask.returncode == 0, ask.stderr
        assert json.loads(ask.stdout)["citations"][0]["source"] == "000_85eb215d03d6bd52.txt"
        check = _cli(settings, "-m", "ingest", "--check")
        assert check.returncode == 0 and "index consistent" in check.stdout, check.stderr
        write = _cli(settings, "-m", "ingest")
        assert write.returncode == 2 and write.stderr.strip().splitlines()[-1].startswith(
            "error: the index folder") and "read-only" in write.stderr


@pytest.mark.slow
def test_a_full_disk_is_one_clear_message(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "small", "1200k") as mount:
        settings = Settings(corpus_dir=SEED_PLANS, index_dir=mount / "index")
        out = _cli(settings, "-m", "ingest")
        assert out.returncode == 2
        assert out.stderr.strip().splitlines()[-1].startswith("error: the disk holding")
        assert "Traceback" not in out.stderr
        check = _cli(settings, "-m", "ingest", "--check")
        assert check.returncode in (1, 2) and "Traceback" not in check.stderr


# ---- the web surface -------------------------------------------------------------------------
def test_logins_are_rate_limited_per_client() -> None:
    import asyncio

    from webui.ratelimit import LoginRateLimit

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limit = LoginRateLimit(app, attempts=3, window=60)

    def attempt(client: str, path: str = "/login") -> int:
        sent: list[dict] = []  # type: ignore[type-arg]

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": path, "client": (client, 1)}
        asyncio.run(limit(scope, None, send))  # type: ignore[arg-type]
        return int(sent[0]["status"])

    assert [attempt("10.0.0.1") for _ in range(5)] == [400, 400, 400, 429, 429]
    assert attempt("10.0.0.2") == 400  # another client is not punished
    assert attempt("10.0.0.1", "/config") == 400  # other routes are not limited


def _login_statuses(url: str, forwarded_for: list[str]) -> list[int]:
    """POST a wrong password to the app's /login once per X-Forwarded-For value; the HTTP statuses."""
    import urllib.error
    import urllib.parse
    import urllib.request

    statuses = []
    for address in forwarded_for:
        body = urllib.parse.urlencode({"username": "ครู", "password": "wrong"}).encode()
        request = urllib.request.Request(url + "login", data=body, headers={"X-Forwarded-For": address})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                statuses.append(resp.status)
        except urllib.error.HTTPError as err:
            statuses.append(err.code)
    return statuses


@pytest.mark.slow
def test_a_forged_x_forwarded_for_buys_no_fresh_login_tries(tmp_path: Path) -> None:
    """Through a real app: the client is the connecting address unless it is one of PLANQA_TRUSTED_PROXIES
    (before, uvicorn trusted 127.0.0.1, so every new X-Forwarded-For was a new client)."""
    from tests.test_app import serve_app

    plans = tmp_path / "plans"
    plans.mkdir()
    shutil.copy(SEED_PLANS / "004_324aff1e68aa4ee5.txt", plans)
    login = {"PLANQA_AUTH_USER": "ครู", "PLANQA_AUTH_PASSWORD": "s3cret", "PLANQA_LOGIN_ATTEMPTS": "3"}
    rotating = [f"203.0.113.{n}" for n in range(1, 7)]
    with serve_app(tmp_path / "direct", plans, env=login) as server:
        assert _login_statuses(server.url, rotating)[3:] == [429, 429, 429]  # one client: the connection's
    with serve_app(tmp_path / "proxied", plans, env={**login, "PLANQA_TRUSTED_PROXIES": "127.0.0.1"}) as server:
        assert 429 not in _login_statuses(server.url, rotating)  # behind a trusted proxy: its header counts
        assert _login_statuses(server.url, ["198.51.100.7"] * 4)[3] == 429  # ... per forwarded client
    with pytest.raises(ValueError, match="PLANQA_TRUSTED_PROXIES: '\\*' is not an IP address"):
        Settings(trusted_proxies="127.0.0.1, *")


def test_an_ipv6_host_is_a_clear_refusal(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "app.py", "--host", "::1"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PLANQA_CORPUS_DIR": str(tmp_path),
                                           "PLANQA_INDEX_DIR": str(tmp_path / "index")})
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: cannot serve on the IPv6 address ::1")


def test_a_run_names_ten_offices_claimed_twice_and_counts_the_rest() -> None:
    """A corpus that repeats many offices (10,000 plans of 1,043 offices in the bench) must not bury
    the summary under a warning an office; --check --json lists them all."""
    from ingest.__main__ import _summary
    from ingest.pipeline import SHOWN_CONFLICTS
    from planqa.types import IngestReport

    d = IngestReport(seen=30).to_dict()
    d["conflicts"] = [{"office": f"สพป.ทดสอบ เขต {i}", "files": [f"a{i}.txt", f"b{i}.txt"]} for i in range(12)]
    lines = _summary(d).splitlines()
    assert sum("documents claim to be the plan of" in x for x in lines) == SHOWN_CONFLICTS
    assert lines[-1].strip().startswith("... and 2 more offices claimed by several documents")
