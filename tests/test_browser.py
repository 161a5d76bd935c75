"""The web chat in a real headless Chromium, as a Thai officer meets it, from a first start.

Uses Debian's Chromium at /usr/bin/chromium (never `playwright install`) and a real
`python app.py` started on an empty index, as in test_app. The tests run in order on
one browser context (one localStorage), like one user's session; screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_app import MUKDAHAN, AppServer, serve_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
QUESTION = "สำนักงานใดเน้นความปลอดภัยของนักเรียน"
AREA20 = "003_500a49f8050b8f55.txt"

# the marks of every test that drives Chromium (the other browser modules take them from here)
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"),
]
pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve_app(tmp_path_factory.mktemp("app")) as srv:  # an empty index: the first start ingests
        yield srv


@contextmanager
def browser_tab(url: str, width: int = 1280) -> Iterator[Any]:
    """A headless Chromium tab on ``url`` (downloads accepted), closed on exit."""
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": width, "height": 1500}, accept_downloads=True)
        tab = context.new_page()
        tab.goto(url)
        yield tab
        browser.close()


@pytest.fixture(scope="module")
def page(server: AppServer) -> Iterator[Any]:
    with browser_tab(server.url) as tab:
        yield tab


def _ask(page: Any, question: str) -> Any:
    """Ask in the chat box; the new answer row, once its sources are in (or it is an abstention)."""
    before = page.locator("#chat .bot-row").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    row = page.locator("#chat .bot-row").nth(before)
    row.wait_for(timeout=180_000)
    page.wait_for_function(
        """([n]) => { const r = document.querySelectorAll('#chat .bot-row')[n];
                      return r && (r.innerText.includes('แหล่งอ้างอิง:') || r.innerText.includes('ขออภัย')); }""",
        arg=[before], timeout=180_000)
    page.wait_for_timeout(700)  # the page script turns [n] into chips
    return row


def _fold(text: str) -> str:
    return re.sub(r"[\s\u00a0]+", " ", text).strip()


def test_the_first_start_serves_at_once_shows_progress_and_then_answers(page: Any) -> None:
    status = page.locator("#status")
    status.wait_for(timeout=30_000)
    seen = status.inner_text()
    box = page.locator("#question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    progress = page.locator("#chat").get_by_text("กำลังนำเข้าเอกสาร")
    if "กำลังนำเข้าเอกสาร" not in seen:  # the question itself waits for the ingest, showing its progress
        progress.first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#chat .bot-row .planqa-chip').length > 0",
                           timeout=240_000)
    page.wait_for_timeout(700)
    answer = page.locator("#chat .bot-row").last
    assert "สพม.มุกดาหาร" in answer.inner_text()
    assert page.locator("#chat .planqa-chip").count() >= 2
    page.locator("#status").get_by_text("ดัชนีพร้อมใช้งาน").wait_for(timeout=30_000)


def test_a_citation_chip_opens_its_source_with_the_quote_highlighted(page: Any, server: AppServer) -> None:
    from gradio_client import Client

    expected = Client(server.url, verbose=False).predict(QUESTION, api_name="/ask")
    cited = next(c for c in expected["citations"] if c["source"] == MUKDAHAN)
    chip = page.locator(f"#chat .bot-row .planqa-chip[data-n='{cited['n']}']").first
    assert _fold(chip.get_attribute("title") or "")  # hovering previews the quote
    chip.click()
    panel = page.locator(f"#chat .planqa-source.cite-{cited['n']}").first
    panel.wait_for(state="visible", timeout=10_000)
    marked = " ".join(_fold(m) for m in panel.locator("mark").all_inner_texts())
    assert _fold(cited["text"]).split(" ")[0] in marked
    assert int(panel.locator("tr.hit td.ln").first.inner_text()) == cited["start_line"]
    assert panel.locator("tr.ctx").count() >= 2  # lines around the quote
    assert "ไฟล์" in panel.inner_text() and MUKDAHAN in panel.inner_text()  # the file name, in the detail only
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)


def test_a_follow_up_is_read_in_context_and_a_standalone_question_is_not(page: Any) -> None:
    _ask(page, "วิสัยทัศน์ของเขต 13 คืออะไร")
    follow = _ask(page, "แล้วเขต 20 ล่ะ").inner_text()
    assert "ตีความคำถามว่า: “วิสัยทัศน์ของเขต 20 คืออะไร”" in follow
    assert "เขต 20" in follow and "จัดการศึกษามัธยมศึกษาให้มีคุณภาพ" in follow
    alone = _ask(page, "งบประมาณปี 2568 ของ สพม. เขต 4 เท่าไร").inner_text()
    assert "ตีความคำถามว่า" not in alone  # a question of its own, answered as asked, in Thai
    assert "ขออภัย" in alone and "ตัวเลข" in alone


def test_labels_are_thai_and_messages_carry_no_markup(page: Any) -> None:
    labels = page.evaluate("() => Array.from(document.querySelectorAll('[aria-label]'))"
                           ".map(e => e.getAttribute('aria-label'))")
    assert "คัดลอกข้อความ" in labels and "บทสนทนา" in labels
    assert not [x for x in labels if x in ("Copy message", "chatbot conversation", "Clear", "Copy conversation")]
    messages = [x for x in labels if x.startswith(("คำถาม:", "คำตอบ:"))]
    assert messages and not [x for x in messages if "<" in x or "class=" in x]
    assert page.locator("button:has-text('Share')").count() == 0


def test_the_conversation_survives_a_reload_and_is_listed(page: Any) -> None:
    page.reload()
    page.locator("#chat .bot-row").first.wait_for(timeout=30_000)
    text = page.locator("#chat").inner_text()
    assert QUESTION in text and "แล้วเขต 20 ล่ะ" in text
    page.wait_for_timeout(700)
    assert page.locator("#chat .planqa-chip").count() >= 2  # chips again after the reload
    listed = page.locator("#past input")
    assert QUESTION[:20] in listed.input_value()  # the conversation, among the past ones, is the current one
    listed.click()
    options = page.locator("ul.option-list li")
    options.first.wait_for(timeout=10_000)
    assert options.filter(has_text=QUESTION[:20]).count() >= 1
    page.keyboard.press("Escape")


def test_export_gives_markdown_with_citations_as_footnotes(page: Any) -> None:
    page.locator("#export").click()
    link = page.locator("#exported a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"**ถาม:** {QUESTION}" in text
    assert re.search(r"\[\^1-1\]: .+ · ไฟล์ \S+\.txt บรรทัด \d+", text)
    assert "[^1-1]" in text.split("[^1-1]:")[0]  # the marker in the answer, the note below
    (ARTIFACTS / "conversation.md").write_text(text, encoding="utf-8")


def test_the_documents_tab_tells_the_truth_after_ingest_and_after_a_reload(page: Any) -> None:
    for attempt in range(2):
        if attempt:
            page.reload()
        page.get_by_role("tab", name="เอกสาร").click()
        table = page.locator("#documents")
        table.get_by_text(MUKDAHAN).wait_for(timeout=20_000)
        text = table.inner_text()
        assert text.count("อยู่ในดัชนี") == 5 and "ยังไม่นำเข้า" not in text
        assert "สพม.มุกดาหาร" in text and "แผนไม่ระบุสำนักงาน" in text
    page.locator("#chosen input").fill(AREA20)
    page.locator("#chosen input").press("Enter")
    page.locator("#preview").get_by_text("บรรทัด").first.wait_for(timeout=20_000)
    assert "วิสัยทัศน์" in page.locator("#preview").inner_text()
    page.screenshot(path=str(ARTIFACTS / "documents.png"), full_page=True)


def test_delete_asks_for_confirmation(page: Any) -> None:
    page.locator("#delete").click()
    page.locator("#confirm-delete").wait_for(state="visible", timeout=10_000)
    assert AREA20 in page.locator("#ingest-result").inner_text()
    page.locator("#cancel-delete").click()
    page.locator("#confirm-delete").wait_for(state="hidden", timeout=10_000)
    assert page.locator("#documents").inner_text().count("อยู่ในดัชนี") == 5


def test_a_bad_upload_shows_one_thai_message_by_the_upload_and_nothing_else(page: Any) -> None:
    page.locator("#upload input[type=file]").set_input_files(
        files=[{"name": "bad.txt", "mimeType": "text/plain", "buffer": b"MZ\x00\x01\x00\x00\xff\xfe\x00"}])
    page.wait_for_timeout(1000)
    page.locator("#upload-button").click()
    page.locator("#upload-result").get_by_text("ไม่รับไฟล์").wait_for(timeout=30_000)
    assert "bad.txt" in page.locator("#upload-result").inner_text()
    body = page.locator("body").inner_text()
    assert "ข้อผิดพลาด" not in body and "Error" not in body
    assert page.locator("#documents").inner_text().count("อยู่ในดัชนี") == 5
    assert page.locator("#upload input[type=file]").get_attribute("accept")  # the picker offers supported types only
