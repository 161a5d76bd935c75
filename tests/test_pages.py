"""Citations by page: a PDF's chunks know their page, citations read "หน้า N บรรทัด a–b", the source
viewer shows the cited page, and passages are served from the index's own lines (not the file)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from evals.pdf_cer import manifest
from planqa.types import Citation, PageInfo

PDFS = Path(__file__).parent / "fixtures" / "thai_pdf"
# the text PDFs (every producer, plan and font); the scans, images and bad files are tested elsewhere
TEXT_PDFS = [PDFS / f.file for f in manifest() if f.kind == "text"]
VISION = "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน สู่สังคมที่ยั่งยืน"
_GAPS = re.compile(r"[\s\u00a0]+")


def _squash(text: str) -> str:
    from ingest.thai_repair import repair_text

    return _GAPS.sub("", repair_text(text))


def _on_page(quote: str, path: Path, number: int) -> bool:
    """``quote`` is on page ``number`` of the file, as pdfium, pypdf or poppler reads that page
    (repaired, spaces removed): the three extractors the reader chooses between, run here on their own."""
    import subprocess

    import pypdfium2 as pdfium
    from pypdf import PdfReader

    document = pdfium.PdfDocument(path)
    try:
        by_pdfium = str(document[number - 1].get_textpage().get_text_bounded())
    finally:
        document.close()
    by_pypdf = PdfReader(path).pages[number - 1].extract_text() or ""
    by_poppler = ""
    if shutil.which("pdftotext"):
        by_poppler = subprocess.run(["pdftotext", "-raw", "-f", str(number), "-l", str(number), str(path), "-"],
                                    capture_output=True, text=True, check=True).stdout
    return any(_squash(quote) in _squash(text) for text in (by_pdfium, by_pypdf, by_poppler))


def test_a_citation_reads_its_page_and_the_lines_on_that_page() -> None:
    pages = (PageInfo(1, 1, 40), PageInfo(2, 41, 90), PageInfo(3, 91, 120))
    c = Citation(1, "plan.pdf", "สพม.ทดสอบ", "วิสัยทัศน์", 52, 54, "ข้อความ").on_pages(pages)
    assert (c.page, c.page_start_line, c.page_end_line) == (2, 12, 14)
    assert c.where() == "หน้า 2 บรรทัด 12–14"
    assert c.to_dict()["start_line"] == 52 and c.to_dict()["page"] == 2  # document lines kept, page added
    across = Citation(1, "plan.pdf", "สพม.ทดสอบ", "วิสัยทัศน์", 39, 42, "ข้อความ").on_pages(pages)
    assert across.where() == "หน้า 1 บรรทัด 39 – หน้า 2 บรรทัด 2" and across.end_page == 2
    plain = Citation(1, "plan.txt", "สพม.ทดสอบ", "วิสัยทัศน์", 5, 5, "ข้อความ")
    assert plain.on_pages(()) == plain and plain.where() == "บรรทัด 5"


def test_a_pdf_is_read_into_pages_that_cover_its_lines_in_order() -> None:
    from ingest.loaders import load

    for path in TEXT_PDFS:
        doc = load(path, path.name)
        assert doc.pages and doc.pages[0].start_line == 1 and doc.pages[-1].end_line == len(doc.lines)
        assert all(a.end_line + 1 == b.start_line for a, b in zip(doc.pages, doc.pages[1:]))
        for page in doc.pages:  # each page's lines are on that page of the file
            own = _squash("".join(doc.lines[page.start_line - 1 : page.end_line]))
            assert _on_page(own[:30], path, page.number), (path.name, page.number)


@pytest.mark.slow  # one real ingest of the text-PDF fixtures (bundled model), shared by the session
@pytest.mark.timeout(1500)  # may build the session PDF index: minutes on 2 busy cores
def test_every_pdf_citation_quotes_its_own_page(pdf_index) -> None:  # type: ignore[no-untyped-def]
    from retrieval.service import Service

    svc = Service(pdf_index)
    answer = svc.answer("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร")
    assert VISION in answer.text
    for path in TEXT_PDFS:
        pages = svc.index.lexical.pages_of(path.name)
        assert pages, path.name
        for chunk in svc.index.lexical.chunks_of(path.name):  # every chunk, cited as the answerer would
            c = Citation(1, chunk.source, chunk.office, chunk.section, chunk.start_line, chunk.start_line,
                         chunk.text.split("\n")[0]).on_pages(pages)
            assert c.page is not None and c.page_start_line is not None and c.page_start_line >= 1
            assert _on_page(c.text, path, c.page), (path.name, c.where())
    for c in answer.citations:  # and the answer's own: the vision on its page
        assert c.page is not None and c.where().startswith(f"หน้า {c.page} บรรทัด")
        assert _on_page(c.text, PDFS / c.source, c.page)
        assert answer.to_dict()["citations"][c.n - 1]["page"] == c.page


@pytest.mark.slow
@pytest.mark.timeout(1500)  # may build the session PDF index: minutes on 2 busy cores
def test_a_pdf_passage_is_served_from_the_index_after_its_file_is_gone(pdf_index, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from retrieval.service import Service
    from webui.render import NO_PAGE_IMAGE, citation_html, passage

    svc = Service(pdf_index)
    answer = svc.answer("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร")
    c = answer.citations[0]
    assert c.page is not None
    empty = tmp_path / "no-files-here"  # the file is not where the viewer could read it
    empty.mkdir()
    p = passage(c, empty, index=svc.index.lexical)
    assert not p.note and p.page == c.page
    quoted = [(n, line) for n, line, hit in p.rows if hit]
    assert [n for n, _ in quoted] == list(range(c.page_start_line or 0, (c.page_end_line or 0) + 1))
    assert _squash("".join(line for _, line in quoted)) == _squash(c.text)
    page = next(pg for pg in svc.index.lexical.pages_of(c.source) if pg.number == c.page)
    assert len(p.rows) == page.end_line - page.start_line + 1  # the whole page, numbered on the page
    html = citation_html(c, empty, index=svc.index.lexical)
    assert f"หน้า {c.page} บรรทัด" in html and "<mark>" in html
    assert NO_PAGE_IMAGE in html and "<img" not in html  # no file to render: the page's text alone, said so
    shown = citation_html(c, pdf_index.corpus_dir, index=svc.index.lexical)
    assert NO_PAGE_IMAGE not in shown and 'src="data:image/png;base64,' in shown and "<mark>" in shown
    # without the index, the same viewer would have to read the file, and finds none
    assert passage(c, empty).note


@pytest.mark.slow
@pytest.mark.timeout(1500)  # may build the session PDF index: minutes on 2 busy cores
def test_an_index_from_before_lines_were_kept_gets_them_at_the_next_ingest(pdf_index) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from ingest.lexical import LexicalIndex
    from ingest.pipeline import run

    source = "plan004_libreoffice_txt.pdf"
    lexical = LexicalIndex(pdf_index.index_dir / "lexical.sqlite3")
    with sqlite3.connect(lexical.path) as conn:  # as an older version left it
        conn.execute("DELETE FROM document_lines WHERE source = ?", (source,))
        conn.execute("DELETE FROM document_pages WHERE source = ?", (source,))
    assert lexical.line_count(source) == 0 and lexical.pages_of(source) == ()
    report = run(pdf_index)
    assert report.unchanged == len(TEXT_PDFS) and report.chunks == 0  # nothing re-embedded
    assert lexical.line_count(source) > 0 and lexical.pages_of(source)[0].number == 1


def _pixels(png: bytes):  # type: ignore[no-untyped-def]
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("name", ["plan004_libreoffice_txt.pdf", "plan004_libreoffice_docx_laksaman.pdf",
                                  "plan004_reportlab_harfbuzz.pdf", "plan004_chromium_print.pdf"])
def test_the_highlight_covers_the_quoted_line_on_the_rendered_page(name: str) -> None:
    import pypdfium2 as pdfium

    from ingest.loaders import load
    from webui.pageimage import page_png

    path = PDFS / name
    doc = load(path, name)
    page = doc.pages[0]
    quoted = next(line for line in doc.lines[page.start_line - 1 : page.end_line] if VISION[:12] in line)
    other = next(line for line in doc.lines[page.start_line - 1 : page.end_line] if "(Mission)" in line)
    lit, plain = page_png(path, 1, [quoted], [None]), page_png(path, 1, [], [])
    assert lit is not None and plain is not None
    lit_px, plain_px = _pixels(lit), _pixels(plain)
    # yellow: red well above blue (a grey page never is; palette noise between renderings is grey)
    changed = (lit_px[..., 0] - lit_px[..., 2] > 50) & ~(plain_px[..., 0] - plain_px[..., 2] > 50)
    h, w = changed.shape
    document = pdfium.PdfDocument(path)
    textpage = document[0].get_textpage()
    width, height = document[0].get_size()

    def region(word: str):  # type: ignore[no-untyped-def]
        """pdfium's own boxes of ``word``'s characters, in the rendering's pixels (its search, not ours)."""
        found = textpage.search(word).get_next()
        assert found is not None, word
        boxes = [textpage.get_charbox(i) for i in range(found[0], found[0] + found[1])]
        left, right = min(b[0] for b in boxes) / width * w, max(b[2] for b in boxes) / width * w
        top, bottom = (1 - max(b[3] for b in boxes) / height) * h, (1 - min(b[1] for b in boxes) / height) * h
        return changed[int(top) : int(bottom) + 1, int(left) : int(right) + 1]

    assert region("นวัตกรรม").mean() > 0.6  # the quote's characters lie under the highlight
    assert region("Mission").mean() < 0.05 and other not in quoted  # a line not quoted stays as it was
    document.close()


def test_an_image_source_is_shown_with_its_stored_ocr_boxes_highlighted(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    from webui.pageimage import page_png

    document = pdfium.PdfDocument(PDFS / "plan004_libreoffice_txt.pdf")
    scan = tmp_path / "scan.png"
    document[0].render(scale=1.5).to_pil().save(scan)
    document.close()
    box = (0.1, 0.3, 0.6, 0.35)  # as Tesseract's line box would be stored: fractions of the page
    lit = page_png(scan, 1, ["ข้อความ"], [box])
    assert lit is not None and page_png(scan, 2, ["ข้อความ"], [box]) is None  # an image has one page
    px = _pixels(lit)
    h, w = px.shape[:2]
    yellow = px[..., 0] - px[..., 2] > 50
    assert yellow[int(0.31 * h) : int(0.34 * h), int(0.11 * w) : int(0.59 * w)].mean() > 0.9
    assert yellow[int(0.5 * h) :, :].mean() < 0.01 and max(h, w) <= 900


@pytest.mark.slow
@pytest.mark.timeout(1500)  # may build the session PDF index: minutes on 2 busy cores
def test_the_cli_cites_a_pdf_by_page(pdf_index) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "PLANQA_CORPUS_DIR": str(pdf_index.corpus_dir), "PLANQA_INDEX_DIR": str(pdf_index.index_dir)}
    root = Path(__file__).resolve().parent.parent
    ask = [sys.executable, "-m", "retrieval", "ask", "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"]
    text = subprocess.run(ask, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    data = json.loads(subprocess.run([*ask[:4], "--json", ask[4]], cwd=root, env=env, capture_output=True, text=True,
                                     timeout=300, check=True).stdout)
    c = data["citations"][0]
    assert c["page"] >= 1 and c["start_line"] >= c["page_start_line"] >= 1
    assert f"[1] {c['source']}, {c['section']}, page {c['page']}, lines {c['page_start_line']}-{c['page_end_line']}" in text


def test_a_text_passage_comes_from_the_index_with_its_context_and_a_stale_quote_is_said(tmp_path: Path) -> None:
    from ingest.lexical import LexicalIndex
    from planqa.types import SourceDoc
    from webui.render import passage

    lines = tuple(f"บรรทัดที่ {n}" for n in range(1, 11))
    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    lexical.put_lines(SourceDoc("plan.txt", lines, "txt", "utf-8", "0" * 64))
    c = Citation(1, "plan.txt", "สพม.ทดสอบ", "วิสัยทัศน์", 5, 6, "บรรทัดที่ 5\nบรรทัดที่ 6")
    p = passage(c, tmp_path / "no-corpus", index=lexical)  # no file anywhere: the index's lines
    assert [n for n, _, _ in p.rows] == [2, 3, 4, 5, 6, 7, 8, 9] and not p.note and p.page is None
    assert [line for _, line, quoted in p.rows if quoted] == ["บรรทัดที่ 5", "บรรทัดที่ 6"]
    stale = passage(Citation(1, "plan.txt", "สพม.ทดสอบ", "", 5, 5, "ข้อความเดิม"), tmp_path, index=lexical)
    assert stale.rows == ((5, "ข้อความเดิม", True),) and "เปลี่ยนไป" in stale.note
    lexical.delete_document("plan.txt")
    assert lexical.line_count("plan.txt") == 0 and passage(c, tmp_path / "no-corpus", index=lexical).note


def test_a_quote_across_a_page_break_is_numbered_on_each_page(tmp_path: Path) -> None:
    from ingest.lexical import LexicalIndex
    from planqa.types import SourceDoc
    from webui.render import citation_html, passage

    lines = tuple(f"บรรทัดที่ {n}" for n in range(1, 11))
    pages = (PageInfo(1, 1, 5), PageInfo(2, 6, 10))
    lexical = LexicalIndex(tmp_path / "lexical.sqlite3")
    lexical.put_lines(SourceDoc("plan.pdf", lines, "pdf", "binary", "0" * 64, pages))
    c = Citation(1, "plan.pdf", "สพม.ทดสอบ", "", 5, 6, "บรรทัดที่ 5\nบรรทัดที่ 6").on_pages(lexical.pages_of("plan.pdf"))
    p = passage(c, tmp_path, index=lexical)
    assert p.page == 1 and [(n, quoted) for n, _, quoted in p.rows] == [(1, False), (2, False), (3, False), (4, False),
                                                                          (5, True), (1, True)]
    assert "หน้า 1 บรรทัด 5 – หน้า 2 บรรทัด 1" in citation_html(c, tmp_path, index=lexical)


# one fixture per producer: the same plan (004) made four ways
PRODUCER_PDFS = ["plan004_libreoffice_docx_laksaman.pdf", "plan004_libreoffice_txt.pdf", "plan004_chromium_print.pdf",
                 "plan004_reportlab_harfbuzz.pdf"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="the truth is poppler's layout (poppler-utils)")
@pytest.mark.parametrize("name", PRODUCER_PDFS)
def test_every_stored_line_is_boxed_on_its_printed_line(name: str) -> None:
    """Each stored line's rectangles hold that line as poppler lays the page out (its own line
    boxes and text, not pdfium's): the check of ``python -m evals.page_boxes``."""
    import pypdfium2 as pdfium

    from evals.page_boxes import on_its_line, poppler_lines
    from ingest.loaders import load
    from ingest.pageboxes import PageText

    path = PDFS / name
    doc = load(path, name)
    document = pdfium.PdfDocument(path)
    try:
        off = []
        for page in doc.pages:
            lines = doc.lines[page.start_line - 1 : page.end_line]
            printed = poppler_lines(path, page.number)
            for line, rects in zip(lines, PageText(document[page.number - 1]).locate(lines), strict=True):
                if line.strip() and not on_its_line(line, rects, printed):
                    off.append((page.number, line))
    finally:
        document.close()
    assert not off, off


def test_a_quote_wrapped_over_printed_lines_gets_a_rectangle_on_each() -> None:
    import pypdfium2 as pdfium

    from evals.page_boxes import on_its_line, poppler_lines
    from ingest.loaders import load
    from ingest.pageboxes import PageText

    path = PDFS / "plan004_chromium_print.pdf"  # item 2 of the mission wraps onto a second printed line
    doc = load(path, path.name)
    lines = doc.lines[doc.pages[0].start_line - 1 : doc.pages[0].end_line]
    first = next(i for i, line in enumerate(lines) if line.startswith("2. พัฒนาระบบบริหาร"))
    document = pdfium.PdfDocument(path)
    try:
        (rects,) = PageText(document[0]).locate([lines[first] + lines[first + 1]])  # one paragraph, as one line
    finally:
        document.close()
    printed = poppler_lines(path, 1)
    assert len(rects) == 2 and rects[0][3] <= rects[1][1]  # two rectangles, the second below the first
    assert on_its_line(lines[first], rects[:1], printed) and on_its_line(lines[first + 1], rects[1:], printed)


def test_a_line_printed_twice_on_its_page_is_highlighted_where_it_is() -> None:
    """Page 3 of the HarfBuzz PDF prints "มีประสิทธิภาพ เหมาะสมกับบริบท" twice: a quote of the second
    is lit on the second (the viewer passes the page's lines above the quote), not on the first."""
    from ingest.loaders import load
    from webui.pageimage import page_png

    path = PDFS / "plan004_reportlab_harfbuzz.pdf"
    doc = load(path, path.name)
    page = doc.pages[2]
    lines = doc.lines[page.start_line - 1 : page.end_line]
    twice = [i for i, line in enumerate(lines) if line == "มีประสิทธิภาพ เหมาะสมกับบริบท"]
    assert len(twice) == 2
    rows = []
    for at in twice:
        png = page_png(path, 3, [lines[at]], [None], before=lines[:at])
        assert png is not None
        px = _pixels(png)
        lit = np.nonzero(((px[..., 0] - px[..., 2]) > 50).any(axis=1))[0]
        rows.append((lit.min(), lit.max()))
    assert rows[0][1] < rows[1][0]  # the second quote is lit below the first one's highlight
