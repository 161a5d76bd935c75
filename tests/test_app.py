"""The web app end to end: a real `python app.py` server, a real temp index, gradio_client.

One server per module (it ingests a copy of the seeds on its first start);
the render and upload-name tests need no server.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from planqa.types import Citation
from tests.procs import stop
from webui.chat import respond
from webui.documents import UploadRefused, safe_filename
from webui.render import citation_html, citation_title, passage, plain
from webui.services import Services, is_local, login

ROOT = Path(__file__).resolve().parent.parent
MUKDAHAN = "004_324aff1e68aa4ee5.txt"
OLD_VISION = "องค์กรนวัตกรรม"
NEW_VISION = "องค์กรแห่งการเรียนรู้ดิจิทัล มุ่งสร้างผู้เรียนให้มีความสุขและปลอดภัย"
START_TIMEOUT = 180


@dataclass
class AppServer:
    url: str
    corpus: Path
    index: Path
    log: Path
    proc: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(corpus: Path, index: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
    env.update(
        PLANQA_CORPUS_DIR=str(corpus),
        PLANQA_INDEX_DIR=str(index),
        GRADIO_TEMP_DIR=str(tmp / "gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def serve_app(tmp: Path, plans: Path = SEED_PLANS, env: dict[str, str] | None = None) -> Iterator[AppServer]:
    """`python app.py --port N` over a copy of ``plans`` (the seed corpus) and an empty index
    (``env``: more environment variables)."""
    corpus, index, log = tmp / "corpus", tmp / "index", tmp / "app.log"
    shutil.copytree(plans, corpus)
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=ROOT, env={**app_env(corpus, index, tmp), **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
        )
    server = AppServer(f"http://127.0.0.1:{port}/", corpus, index, log, proc)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        stop(proc)


def _wait_until_serving(server: AppServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"app.py exited with {server.proc.returncode}:\n{server.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"app.py did not serve within {START_TIMEOUT} s:\n{server.log.read_text(errors='replace')}")


def ready_client(server: AppServer):  # type: ignore[no-untyped-def]
    """A gradio_client for the server, once its first ingest has finished."""
    from gradio_client import Client

    client = Client(server.url, verbose=False)
    report = client.predict(api_name="/ingest")  # waits for the first-start ingest (one run at a time)
    assert report["seen"] == 5 and not report["skipped"], report
    return client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve_app(tmp_path_factory.mktemp("app")) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: AppServer):  # type: ignore[no-untyped-def]
    return ready_client(server)


TINY_SET = "\n".join([
    '{"id": "t1", "question": "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", "kind": "lookup", '
    '"gold": [{"doc": "004_324aff1e68aa4ee5.txt", "text": "องค์กรนวัตกรรม"}]}',
    '{"id": "t2", "question": "สำนักงานใดเน้นความปลอดภัยของนักเรียน", "kind": "which", '
    '"gold": [{"doc": "004_324aff1e68aa4ee5.txt"}, {"doc": "002_1f30bfc08ba12608.txt"}]}',
    '{"id": "t3", "question": "งบประมาณของ สพม.มุกดาหาร เท่าไร", "kind": "abstain", "gold": []}',
]) + "\n"


def _sources(answer: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["source"] for c in answer["citations"]}


# ---- against the running server -----------------------------------------------------------
@pytest.mark.slow
def test_first_start_ingests_the_corpus_and_logs_progress(server: AppServer, client) -> None:  # type: ignore[no-untyped-def]
    log = server.log.read_text(errors="replace")
    assert "index is empty" in log and "ingest done: 5 seen, 5 added" in log
    assert (server.index / "lexical.sqlite3").exists()


@pytest.mark.slow
def test_a_question_during_the_first_ingest_waits_for_it_instead_of_a_false_not_found(tmp_path: Path) -> None:
    """The page is served at once; an API question asked before the first ingest finished is answered
    when it has (or told "indexing" with the progress), never "no plan of that office"."""
    from gradio_client import Client

    with serve_app(tmp_path) as fresh:
        answer = Client(fresh.url, verbose=False).predict("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", api_name="/ask")
        assert "ไม่พบแผน" not in answer["text"]
        assert MUKDAHAN in _sources(answer) or answer["abstain_reason"] == "indexing", answer
        assert "กำลังนำเข้าเอกสาร" in fresh.log.read_text(errors="replace") or MUKDAHAN in _sources(answer)


@pytest.mark.slow
def test_ask_cites_the_mukdahan_plan(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.predict("สำนักงานใดเน้นความปลอดภัยของนักเรียน", api_name="/ask")
    assert not answer["abstained"]
    assert MUKDAHAN in _sources(answer)
    cited = next(c for c in answer["citations"] if c["source"] == MUKDAHAN)
    assert "ปลอดภัย" in cited["text"] and cited["start_line"] >= 1


@pytest.mark.slow
def test_ask_follow_up_and_office_filter(client) -> None:  # type: ignore[no-untyped-def]
    follow = client.predict("แล้วเขต 20 ล่ะ", ["วิสัยทัศน์ของเขต 13 คืออะไร"], None, api_name="/ask")
    assert "เขต 20" in follow["rewritten_question"]
    assert _sources(follow) == {"003_500a49f8050b8f55.txt"}, follow  # เขต 20's plan
    offices = client.predict("วิสัยทัศน์", 5, ["สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร"], api_name="/search")
    assert offices and {h["source"] for h in offices} == {MUKDAHAN}


@pytest.mark.slow
@pytest.mark.parametrize("k", [0, -1, "abc", 1e300])
def test_search_refuses_a_bad_k_with_a_clear_message(client, k: object) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="จำนวนผลลัพธ์ \\(k\\) ต้อง"):
        client.predict("วิสัยทัศน์", k, None, api_name="/search")


@pytest.mark.slow
def test_upload_of_an_edited_plan_changes_the_answer(server: AppServer, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    question = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
    before = client.predict(question, api_name="/ask")
    assert OLD_VISION in before["text"] and MUKDAHAN in _sources(before)

    original = (server.corpus / MUKDAHAN).read_text(encoding="utf-8")
    edited_line = next(line for line in original.splitlines() if OLD_VISION in line)
    edited = tmp_path / MUKDAHAN
    edited.write_text(original.replace(edited_line, NEW_VISION), encoding="utf-8")
    result = client.predict([handle_file(str(edited))], None, api_name="/upload")
    assert "แทนที่ไฟล์เดิม" in result[0] and "ปรับปรุง 1" in result[1], result[:2]

    after = client.predict(question, api_name="/ask")
    assert NEW_VISION in after["text"] and OLD_VISION not in after["text"]
    assert (server.corpus / MUKDAHAN).read_text(encoding="utf-8") == edited.read_text(encoding="utf-8")


@pytest.mark.slow
def test_evaluation_of_an_uploaded_question_set(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    questions = tmp_path / "mine.jsonl"
    questions.write_text(TINY_SET, encoding="utf-8")
    table, chart, worst, reports = client.predict(handle_file(str(questions)), "hybrid", api_name="/evaluate")
    kinds = [row[0] for row in table["data"]]
    assert kinds[0] == "ทั้งหมด" and any("which" in k for k in kinds) and any("abstain" in k for k in kinds)
    assert Path(chart).exists() and "3 คำถาม" in worst
    assert sorted(Path(r).name for r in reports) == ["report.json", "report.md"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(TINY_SET.splitlines()[0] + "\n{not json\n", encoding="utf-8")
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"บรรทัด 2 \(bad\.jsonl:2\)") as refused:
        client.predict(handle_file(str(bad)), "hybrid", api_name="/evaluate")
    assert "/" not in str(refused.value)  # no server path, no trace
    answer = client.predict("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", api_name="/ask")
    assert MUKDAHAN in _sources(answer)  # nothing indexed was lost


@pytest.mark.slow
def test_a_second_evaluation_is_refused_while_one_runs_and_the_chat_goes_on(client) -> None:  # type: ignore[no-untyped-def]
    first = client.submit(None, "hybrid", api_name="/evaluate")  # the seed set (about a hundred questions)
    deadline = time.monotonic() + 120
    while not (first.status().progress_data or first.done()) and time.monotonic() < deadline:
        time.sleep(0.05)  # until it reports questions done
    assert not first.done(), "the seed set finished before a second click could be made"
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="กำลังประเมินผล"):
        client.predict(None, "bm25", api_name="/evaluate")
    answer = client.predict("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", api_name="/ask")
    assert MUKDAHAN in _sources(answer)
    table, _chart, worst, _reports = first.result(timeout=300)
    assert table["data"][0][0] == "ทั้งหมด" and len(table["data"]) > 2 and " คำถาม" in worst


@pytest.mark.slow
@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", ".hidden.txt", "sub/../../evil.txt"])
def test_upload_refuses_unsafe_names(server: AppServer, client, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    payload = tmp_path / "plan.txt"
    payload.write_text("วิสัยทัศน์\nไฟล์ทดสอบที่ไม่ควรถูกบันทึก\n", encoding="utf-8")
    before = sorted(p.name for p in server.corpus.iterdir())
    passwd = Path("/etc/passwd").stat().st_mtime_ns
    refused = client.predict([handle_file(str(payload))], name, api_name="/upload")
    assert "ไม่รับไฟล์" in refused[0] and refused[1] == {"__type__": "update"}  # one message, nothing else changed
    assert sorted(p.name for p in server.corpus.iterdir()) == before
    assert not (server.corpus.parent / "evil.txt").exists() and not (ROOT / "evil.txt").exists()
    assert Path("/etc/passwd").stat().st_mtime_ns == passwd


@pytest.mark.slow
def test_upload_refuses_a_hidden_file_by_its_own_name(server: AppServer, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    hidden = tmp_path / ".hidden.txt"
    hidden.write_text("วิสัยทัศน์\nซ่อน\n", encoding="utf-8")
    refused = client.predict([handle_file(str(hidden))], None, api_name="/upload")
    assert "ไฟล์ซ่อน" in refused[0]
    assert not (server.corpus / ".hidden.txt").exists()


@pytest.mark.slow
def test_upload_new_plan_then_delete_it(server: AppServer, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gradio_client import handle_file

    new = tmp_path / "900_ทดสอบ.md"
    new.write_text(
        "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 99\n\nวิสัยทัศน์\n\nโรงเรียนสีเขียว นักเรียนรักษ์โลก\n",
        encoding="utf-8",
    )
    added = client.predict([handle_file(str(new))], None, api_name="/upload")
    assert "เพิ่มไฟล์" in added[0] and "เพิ่ม 1" in added[1], added[:2]
    row = next(r for r in added[2]["data"] if r[2] == new.name)
    assert row[0] == "สพม. เขต 99" and row[3] == "อยู่ในดัชนี" and row[4] >= 1 and row[5] >= 1
    hits = client.predict("โรงเรียนสีเขียว นักเรียนรักษ์โลก", 3, None, api_name="/search")
    assert hits[0]["source"] == new.name

    deleted = client.predict(new.name, api_name="/delete")
    assert deleted["deleted"] == 1, deleted
    assert not (server.corpus / new.name).exists()
    assert list((server.index / "deleted").glob(f"*{new.name}"))  # a copy is kept
    hits = client.predict("โรงเรียนสีเขียว นักเรียนรักษ์โลก", 3, None, api_name="/search")
    assert all(h["source"] != new.name for h in hits)


# ---- without a server -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("plan.txt", "plan.txt"),
        ("uploads/แผน เขต 4.md", "แผน เขต 4.md"),
        ("C:\\fakepath\\แผนปฏิบัติการ.docx", "แผนปฏิบัติการ.docx"),
        ("/tmp/report.PDF", "report.PDF"),
        ("page.html", "page.html"),
    ],
)
def test_safe_filename_strips_directories(name: str, stored: str) -> None:
    assert safe_filename(name) == stored


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "path traversal"),
        ("a/../../evil.txt", "path traversal"),
        ("..\\evil.txt", "path traversal"),
        ("/etc/passwd", "ไม่รองรับไฟล์ชนิดนี้"),
        (".hidden.txt", "ไฟล์ซ่อน"),
        ("dir/.env", "ไฟล์ซ่อน"),
        ("", "ไม่มีชื่อไฟล์"),
        ("dir/", "ไม่มีชื่อไฟล์"),
        ("evil.exe", "ไม่รองรับไฟล์ชนิดนี้"),
        ("offices.toml", "ไม่รองรับไฟล์ชนิดนี้"),
        ("bad\x00name.txt", "อักขระควบคุม"),
        # invisible or reordering characters (Unicode Cc, Cf, Zl, Zp; issue #22 item 7)
        ("inv\u202eoice8.txt", "อักขระควบคุม"),  # right-to-left override: shows as "invtxt.8eoice"
        ("plan\u0085.txt", "อักขระควบคุม"),  # next line (C1 control)
        ("plan\u2028.txt", "อักขระควบคุม"),  # line separator
        ("plan\u2029.txt", "อักขระควบคุม"),  # paragraph separator
        ("\u200b.txt", "อักขระควบคุม"),  # zero-width space: looks like ".txt"
        ("แผน\u200dเขต.txt", "อักขระควบคุม"),  # zero-width joiner
        ("\ufeffplan.txt", "อักขระควบคุม"),  # byte order mark
        ("plan\x9b.txt", "อักขระควบคุม"),
        ("ก" * 80 + ".txt", "ยาวเกิน"),
    ],
)
def test_safe_filename_refuses(name: str, reason: str) -> None:
    with pytest.raises(UploadRefused, match=reason):
        safe_filename(name)


def test_refuses_a_public_address_without_a_login(tmp_path: Path) -> None:
    env = app_env(tmp_path / "corpus", tmp_path / "index", tmp_path)
    proc = subprocess.run(
        [sys.executable, "app.py", "--host", "0.0.0.0", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "refusing to serve on 0.0.0.0 without a login" in proc.stderr
    assert "PLANQA_AUTH_USER" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "index").exists()  # refused before anything was opened


def _citation(source: str, start: int, end: int, text: str) -> Citation:
    return Citation(1, source, "สพม.ทดสอบ <b>", "วิสัยทัศน์", start, end, text)


def test_citation_shows_context_with_the_quote_marked_and_escaped(tmp_path: Path) -> None:
    lines = [f"บรรทัด {n}" for n in range(1, 11)]
    lines[4] = "นักเรียน <script>alert(1)</script> ปลอดภัย"
    (tmp_path / "plan.txt").write_text("\n".join(lines), encoding="utf-8")
    c = _citation("plan.txt", 5, 6, "นักเรียน <script>alert(1)</script> ปลอดภัย\nบรรทัด 6")
    p = passage(c, tmp_path)
    assert [n for n, _, _ in p.rows] == [2, 3, 4, 5, 6, 7, 8, 9] and not p.note
    assert [n for n, _, quoted in p.rows if quoted] == [5, 6]
    html = citation_html(c, tmp_path)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>นักเรียน &lt;script&gt;alert(1)&lt;/script&gt; ปลอดภัย</mark>" in html
    assert "<mark>บรรทัด 6</mark>" in html and "<mark>บรรทัด 4</mark>" not in html
    assert "สพม.ทดสอบ &lt;b&gt;" in html and "plan.txt" in html  # the file name, in the source's detail
    assert "<b>" not in citation_title(c) and "plan.txt" not in citation_title(c)  # not in its title
    assert 'class="planqa-source cite-1"' in html


def test_citation_of_a_changed_or_missing_file_shows_the_quote_only(tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_text("หนึ่ง\nสอง\nสาม\n", encoding="utf-8")
    changed = passage(_citation("plan.txt", 2, 2, "ข้อความเดิม"), tmp_path)
    assert changed.rows == ((2, "ข้อความเดิม", True),) and "เปลี่ยนไป" in changed.note
    missing = passage(_citation("gone.txt", 1, 1, "ข้อความ"), tmp_path)
    assert missing.rows == ((1, "ข้อความ", True),) and missing.note
    outside = passage(_citation("../plan.txt", 1, 1, "หนึ่ง"), tmp_path / "sub")
    assert outside.note and outside.rows == ((1, "หนึ่ง", True),)


def test_answers_are_plain_text_that_markdown_shows_as_it_is() -> None:
    text = plain("สพม. <i>x</i> — “ข้อความ” [1]\n1. ข้อแรก *สำคัญ* [12]\n# ไม่ใช่หัวข้อ")
    assert "<i>" not in text and "\\<i\\>" in text  # no markup reaches the page (nor a screen reader)
    assert "[1]" in text and "[12]" in text  # the markers stay for copying and for the chips
    assert "1\\. ข้อแรก \\*สำคัญ\\*" in text and "\\# ไม่ใช่หัวข้อ" in text


# ---- the chat handler in process (the shared seed index, read-only) -----------------------------
def test_chat_streams_the_answer_then_adds_numbered_sources(seed_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.open(seed_settings)
    steps = list(respond(services, "สำนักงานใดเน้นความปลอดภัยของนักเรียน", [], [], [], None))
    assert len(steps) >= 4  # the question, then the answer growing line by line, then the sources
    partial = [s[0][-1]["content"] for s in steps[1:-1]]
    assert all(len(a) <= len(b) for a, b in zip(partial, partial[1:]))
    history, asked, box, turns = steps[-1]
    assert asked == ["สำนักงานใดเน้นความปลอดภัยของนักเรียน"] and box == ""
    assert turns[-1]["citations"] and turns[-1]["citations"][0]["source"].endswith(".txt")  # for the export
    answer = next(m["content"] for m in history if m["role"] == "assistant" and not m.get("metadata"))
    assert "<" not in answer and "แหล่งอ้างอิง:" in answer and "[1]" in answer  # plain, copyable, with sources
    assert ".txt" not in answer  # file names only in the source detail
    sources = [m for m in history if m.get("metadata")]
    assert sources and all(s["metadata"]["title"].startswith(f"\\[{n}\\]") for n, s in enumerate(sources, 1))
    mukdahan = [s for s in sources if "สพม.มุกดาหาร" in s["metadata"]["title"]]
    assert mukdahan and "<mark>" in mukdahan[0]["content"] and MUKDAHAN in mukdahan[0]["content"]


def test_chat_passes_earlier_questions_for_follow_ups(seed_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.open(seed_settings)
    first = list(respond(services, "วิสัยทัศน์ของเขต 13 คืออะไร", [], [], [], None))[-1]
    history, asked, _, turns = first
    second = list(respond(services, "แล้วเขต 20 ล่ะ", history, asked, turns, None))[-1]
    answer = next(m["content"] for m in second[0][len(history) :] if m["role"] == "assistant")
    assert "เขต 20" in answer and second[1] == ["วิสัยทัศน์ของเขต 13 คืออะไร", "แล้วเขต 20 ล่ะ"]
    assert "ตีความคำถามว่า: “วิสัยทัศน์ของเขต 20 คืออะไร”" in answer  # how it was read, shown
    alone = list(respond(services, "แล้วเขต 20 ล่ะ", [], [], [], None, alone=True))[-1]
    assert "ตีความคำถามว่า" not in alone[0][-1]["content"]  # asked again without the history


def test_chat_refuses_a_long_question_in_thai_and_reads_the_last_questions(seed_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.open(seed_settings)
    history, asked, box, _ = list(respond(services, "ก" * 2001, [], [], [], None))[-1]
    assert history[-1]["content"].startswith("คำถามยาว 2,001 ตัวอักษร เกินที่รับได้ (2,000 ตัวอักษร)")
    assert asked == [] and box == ""  # a refused question is not an earlier question of the conversation
    # a long conversation (and one kept from before the limits) still answers: the last 20 accepted questions
    earlier = ["ข" * 5000] + [f"วิสัยทัศน์ของเขต {n} คืออะไร" for n in range(1, 31)] + ["วิสัยทัศน์ของเขต 13 คืออะไร"]
    history, asked, _, _ = list(respond(services, "แล้วเขต 20 ล่ะ", [], earlier, [], None))[-1]
    answer = next(m["content"] for m in history if m["role"] == "assistant")
    assert "ตีความคำถามว่า: “วิสัยทัศน์ของเขต 20 คืออะไร”" in answer and asked[-1] == "แล้วเขต 20 ล่ะ"


def test_chat_office_filter_and_escaped_question(seed_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.open(seed_settings)
    mukdahan = next(name for label, name in services.office_choices() if "มุกดาหาร" in label)
    history, _, _, _ = list(respond(services, "วิสัยทัศน์ <img src=x onerror=alert(1)>", [], [], [], [mukdahan]))[-1]
    assert "\\<img" in history[0]["content"] and not re.search(r"(?<!\\)<", history[0]["content"])
    titles = [m["metadata"]["title"] for m in history if m.get("metadata")]
    assert titles and all("มุกดาหาร" in t for t in titles)


def test_login_is_required_off_loopback() -> None:
    from planqa.errors import ConfigError
    from planqa.settings import Settings

    open_settings = Settings(auth_user=None, auth_password=None)
    assert is_local("127.0.0.1") and is_local("localhost") and not is_local("0.0.0.0")
    assert login(open_settings, "127.0.0.1", share=False) is None
    for host, share in (("0.0.0.0", False), ("192.168.1.5", False), ("127.0.0.1", True)):
        with pytest.raises(ConfigError, match="PLANQA_AUTH_USER"):
            login(open_settings, host, share=share)
    closed = Settings(auth_user="ครู", auth_password="s3cret")
    assert login(closed, "0.0.0.0", share=False) == ("ครู", "s3cret")


@pytest.mark.slow
def test_questions_are_answered_while_a_reingest_runs(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    import threading

    corpus = fresh_settings.corpus_dir
    for path in corpus.glob("*.txt"):
        if path.name not in (MUKDAHAN, "001_6c7f6f6f50bc0cc0.txt"):
            path.unlink()
    services = Services.open(fresh_settings)
    services.docs.reingest()
    for path in sorted(corpus.glob("*.txt")):  # shift every line: every chunk is embedded again
        path.write_text("หมายเหตุ: ฉบับปรับปรุง\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    run = threading.Thread(target=services.docs.reingest)
    run_started = time.monotonic()
    run.start()
    while not services.docs.state.label.startswith(f"reading {MUKDAHAN}") and run.is_alive():
        time.sleep(0.005)
    asked = time.monotonic()
    history, _, _, _ = list(respond(services, "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", [], [], [], None))[-1]
    took, answered_during_run = time.monotonic() - asked, services.docs.state.running
    run.join()
    run_took = time.monotonic() - run_started
    assert answered_during_run, "the re-ingest finished before the answer: nothing was shown"
    assert OLD_VISION in history[1]["content"]
    assert took < run_took / 3, (took, run_took)  # not held up by the run's embedding
    assert services.docs.state.report is not None and services.docs.state.report.updated == 2


@pytest.mark.slow
def test_a_running_app_answers_right_after_a_cli_full_rebuild(server: AppServer, client) -> None:  # type: ignore[no-untyped-def]
    """A CLI `ingest --full` drops and recreates the Chroma collection under the running app: the app
    notices (the index's version changed) and reopens it before the next question."""
    question = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
    assert "004_324aff1e68aa4ee5.txt" in _sources(client.predict(question, api_name="/ask"))
    env = app_env(server.corpus, server.index, server.log.parent)
    out = subprocess.run([sys.executable, "-m", "ingest", "--full", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    answer = client.predict(question, api_name="/ask")
    assert not answer["abstained"] and "004_324aff1e68aa4ee5.txt" in _sources(answer)
    assert "NotFoundError" not in server.log.read_text(errors="replace")


@pytest.mark.slow
def test_api_parameters_are_checked_with_thai_messages(client) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    for kwargs, thai in (({"offices": "สพม.4"}, "ตัวกรองสำนักงานต้องเป็นรายการ"),
                         ({"offices": ["ไม่มีสำนักงานนี้"]}, "ไม่พบสำนักงาน"),
                         ({"history": ["x" * 50]}, None)):
        if thai is None:
            assert client.predict("วิสัยทัศน์ของเขต 4", api_name="/ask", **kwargs)["citations"]
            continue
        with pytest.raises(AppError, match=thai):
            client.predict("วิสัยทัศน์ของเขต 4", api_name="/ask", **kwargs)
    # a question over 2,000 characters is refused, in Thai and then in English for API clients
    with pytest.raises(AppError, match=r"คำถามยาว 2,001 ตัวอักษร.*\(the question is 2,001 characters long"):
        client.predict("ก" * 2001, api_name="/ask")


def test_the_documents_tab_sets_an_office_in_offices_toml(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    import tomllib

    from webui.documents import UploadRefused

    services = Services.open(fresh_settings)
    unnamed = "002_1f30bfc08ba12608.txt"
    services.docs.set_office(unnamed, "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 99", ["เขต \"เก้าเก้า\"", " "])
    data = tomllib.loads(fresh_settings.catalogue_path.read_text(encoding="utf-8"))
    assert data[unnamed] == {"office": "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 99", "aliases": ['เขต "เก้าเก้า"']}
    services.docs.reingest()
    row = next(r for r in services.docs.rows() if r[2] == unnamed)
    assert row[0] == "สพม. เขต 99" and row[3] == "อยู่ในดัชนี"
    assert services.docs.office_entry(unnamed)[0].endswith("เขต 99")
    answer = services.qa.answer("วิสัยทัศน์ของ สพม. เขต 99")
    assert answer.citations and answer.citations[0].source == unnamed
    services.docs.set_office(unnamed, "", [])  # empty: the plan names its office itself again
    assert unnamed not in tomllib.loads(fresh_settings.catalogue_path.read_text(encoding="utf-8"))
    with pytest.raises(UploadRefused):
        services.docs.set_office("no-such.txt", "x", [])


def test_a_comparison_shares_content_words_not_fillers(seed_settings) -> None:  # type: ignore[no-untyped-def]
    services = Services.open(seed_settings)
    text = services.qa.answer("เปรียบเทียบวิสัยทัศน์ของเขต 13 กับเขต 20").text
    shared = next(line for line in text.split("\n") if line.startswith("คำสำคัญ"))
    words = [w.strip() for w in shared.split(":", 1)[1].split(",")]
    assert words and not {"เป็น", "ความ", "และ", "การ", "ให้", "มี"} & set(words)
    assert "ไทย" in words or "คุณภาพ" in words


def test_a_start_up_that_fails_before_its_first_ingest_does_not_leave_questions_waiting(
        fresh_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """main() marks an empty index as being ingested; if warming up fails first, the mark
    must go, or every question would wait for an ingest that never comes."""
    import app

    services = Services.open(fresh_settings)
    assert services.docs.is_empty()
    services.docs.state.running = True  # as main() sets it

    def broken() -> None:
        raise RuntimeError("the model did not load")

    monkeypatch.setattr(services.qa, "warm_up", broken)
    app._start(services, empty=True)
    assert not services.docs.state.running


def test_each_error_kind_has_its_own_thai_text_and_an_unexpected_one_reveals_nothing() -> None:
    from planqa.errors import DiskFull, IndexBusy, IndexNotReady, InvalidInput, PlanQAError
    from webui.chat import INTERNAL_ERROR, thai_error

    texts = [thai_error(e) for e in (IndexNotReady("x"), IndexBusy("x"), DiskFull("x"))]
    assert len(set(texts)) == 3 and all(t != INTERNAL_ERROR and "x" not in t for t in texts)
    assert thai_error(InvalidInput("bad k", "k ผิด")) == "k ผิด"
    assert thai_error(PlanQAError("boom")) == "ดำเนินการไม่สำเร็จ: boom"
    assert thai_error(KeyError("secret")) == INTERNAL_ERROR
