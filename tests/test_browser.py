"""The chat in a real headless Chromium: ask in Thai, open a source, see the quote marked.

Uses the Debian Chromium at /usr/bin/chromium (never `playwright install`)
and a real `python app.py` server started as in test_app.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app import MUKDAHAN, AppServer, ready_client, serve_app

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
QUESTION = "สำนักงานใดเน้นความปลอดภัยของนักเรียน"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve_app(tmp_path_factory.mktemp("app")) as srv:
        ready_client(srv)
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _fold(text: str) -> str:
    return re.sub(r"[\s\u00a0]+", " ", text).strip()


def test_ask_in_thai_and_open_a_highlighted_source(server: AppServer, browser: Any, tmp_path: Path) -> None:
    from gradio_client import Client

    expected = Client(server.url, verbose=False).predict(QUESTION, api_name="/ask")
    cited = next(c for c in expected["citations"] if c["source"] == MUKDAHAN)

    page = browser.new_page(viewport={"width": 1280, "height": 1500})
    page.goto(server.url)
    page.locator("#status").get_by_text("ดัชนีพร้อมใช้งาน").wait_for(timeout=30_000)
    box = page.locator("#question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    answer = page.locator("#chat .planqa-answer").last
    answer.wait_for(timeout=60_000)
    page.locator("#chat .planqa-question", has_text=QUESTION).wait_for()
    assert "สพม.มุกดาหาร" in answer.inner_text()

    source = page.locator("#chat").get_by_role("button", name=re.compile(re.escape(MUKDAHAN))).first
    source.wait_for(timeout=30_000)
    assert f"[{cited['n']}]" in source.inner_text() or MUKDAHAN in source.inner_text()
    source.click()
    mark = page.locator("#chat .planqa-source mark").first
    mark.wait_for(state="visible", timeout=10_000)
    marked = " ".join(_fold(m) for m in page.locator("#chat .planqa-source mark").all_inner_texts())
    assert _fold(cited["text"]).split(" ")[0] in marked
    panel = page.locator("#chat .planqa-source").first
    assert MUKDAHAN in panel.inner_text() and "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร" in panel.inner_text()
    hit_line = panel.locator("tr.hit td.ln").first.inner_text()
    assert int(hit_line) == cited["start_line"]
    assert panel.locator("tr.ctx").count() >= 2  # lines around the quote

    page.wait_for_timeout(600)  # let the source's opening animation finish
    mark.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)
    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    kept = Path(tempfile.gettempdir()) / "planqa-chat.png"
    shutil.copyfile(shot, kept)
    print(f"screenshot: {shot} (copy: {kept})")

    page.get_by_role("tab", name="เอกสาร").click()
    table = page.locator("#documents")
    table.get_by_text(MUKDAHAN).wait_for(timeout=10_000)
    page.close()
