"""The ภาพรวม tab in a real headless Chromium: matrix, click-through, sort, CSV and XLSX.

Gradio 6's Dataframe draws its body as a virtual table: rows are ``.virtual-row``
elements and cells ``[role=gridcell]`` (no ``tbody tr``/``td``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_app import AppServer, serve_app
from test_browser import ARTIFACTS, BROWSER_MARKS, browser_tab

THEME = "ภาษาอังกฤษ"
ROWS = "#ov-matrix .virtual-row"  # the body rows of Gradio 6's virtual table

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve_app(tmp_path_factory.mktemp("overview-app")) as srv:
        yield srv


@pytest.fixture(scope="module")
def page(server: AppServer) -> Iterator[Any]:
    with browser_tab(server.url, width=1400) as tab:
        yield tab


def _rows(page: Any) -> list[list[str]]:
    return page.eval_on_selector_all(
        ROWS, "rows => rows.map(r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()))")


def test_the_overview_tab_clicks_through_sorts_and_exports(page: Any, tmp_path: Path) -> None:
    page.locator("#status").get_by_text("ดัชนีพร้อมใช้งาน").wait_for(timeout=180_000)  # the first ingest is done
    page.get_by_role("tab", name="ภาพรวม").click()
    page.locator("#ov-themes textarea, #ov-themes input").first.fill(THEME)
    page.locator("#ov-show").click()
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length >= 5", timeout=180_000)
    header = page.eval_on_selector_all("#ov-matrix thead th", "hs => hs.map(h => h.innerText.trim())")
    assert any(THEME in h for h in header)
    rows = _rows(page)
    assert len(rows) == 5
    column = next(i for i, h in enumerate(header) if THEME in h)
    # click the first supported cell of the typed theme: its quotes show with their lines
    row = next((n for n, r in enumerate(rows) if not r[column].startswith("·")), None)
    assert row is not None, rows
    page.locator(ROWS).nth(row).locator("[role=gridcell]").nth(column).click()
    quotes = page.locator("#ov-quotes .planqa-source")
    quotes.first.wait_for(timeout=30_000)
    assert "บรรทัด" in quotes.first.inner_text()
    assert page.locator("#ov-quotes mark").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    # sort by the typed theme: supported offices first
    page.locator("#ov-sort input").first.click()
    page.get_by_role("option", name=THEME).click()
    page.wait_for_timeout(1500)
    marks = [r[column] for r in _rows(page)]
    order = ["●", "◐", "·"]
    ranks = [order.index(m[0]) for m in marks]
    assert ranks == sorted(ranks)
    # both exports come down and hold the matrix
    with page.expect_download() as got:
        page.locator("#ov-csv a").first.click()
    saved = tmp_path / "overview.csv"
    got.value.save_as(saved)
    table = list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))
    assert THEME in table[0] and len(table) == 6
    with page.expect_download() as got:
        page.locator("#ov-xlsx a").first.click()
    book_path = tmp_path / "overview.xlsx"
    got.value.save_as(book_path)
    from openpyxl import load_workbook

    assert load_workbook(book_path).sheetnames == ["ภาพรวม", "ข้อความอ้างอิง"]
