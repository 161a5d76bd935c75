"""A PDF citation in the real web chat: its chip opens the cited page, its text with the quote
marked and its image with the quoted lines highlighted (Debian's Chromium, a real app.py)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app import AppServer, serve_app
from test_browser import ARGS, ARTIFACTS, BROWSER_MARKS, CHROMIUM, _ask

PDF = Path(__file__).parent / "fixtures" / "thai_pdf" / "plan004_libreoffice_docx_laksaman.pdf"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    plans = tmp_path_factory.mktemp("plans")
    shutil.copy(PDF, plans / PDF.name)
    with serve_app(tmp_path_factory.mktemp("app"), plans) as srv:
        yield srv


def test_a_pdf_citation_opens_its_page_with_the_quote_marked_and_highlighted(server: AppServer) -> None:
    from gradio_client import Client

    sync_api = pytest.importorskip("playwright.sync_api")
    client = Client(server.url, verbose=False)
    client.predict(api_name="/ingest")  # waits for the first-start ingest
    question = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
    expected = client.predict(question, api_name="/ask")
    cited = expected["citations"][0]
    assert cited["page"] and cited["source"] == PDF.name
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page: Any = browser.new_context(viewport={"width": 1280, "height": 1500}).new_page()
        page.goto(server.url)
        row = _ask(page, question)
        where = f"หน้า {cited['page']} บรรทัด"
        assert where in row.inner_text()  # the sources list under the answer
        page.locator(f"#chat .bot-row .planqa-chip[data-n='{cited['n']}']").first.click()
        panel = page.locator(f"#chat .planqa-source.cite-{cited['n']}").first
        panel.wait_for(state="visible", timeout=10_000)
        assert where in panel.inner_text()
        assert int(panel.locator("tr.hit td.ln").first.inner_text()) == cited["page_start_line"]
        marked = re.sub(r"\s+", "", "".join(panel.locator("mark").all_inner_texts()))
        assert re.sub(r"\s+", "", cited["text"]) in marked
        image = panel.locator(".page-image img")
        image.scroll_into_view_if_needed()
        image.wait_for(state="visible", timeout=10_000)
        size = image.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]")
        assert size[0] and 300 < size[1] <= 900 and 300 < size[2] <= 900 and size[3] > 200
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "pdf_source.png"), full_page=True)
        browser.close()
