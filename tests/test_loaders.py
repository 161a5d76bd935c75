"""Loaders on real files: every text encoding, Markdown, HTML, DOCX and PDF,
and the files that must be refused with a reason instead of a crash.

The PDFs are written by matplotlib (a real PDF writer that is installed
anyway); the DOCX files by python-docx.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import random
import time
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.loaders import SUPPORTED_SUFFIXES, decode_text, load
from ingest.structure import parse
from planqa.errors import UnreadableDocument

ROOT = Path(__file__).resolve().parent.parent
SEED = SEED_PLANS / "004_324aff1e68aa4ee5.txt"  # Thai, NBSP, curly quotes
THAI_FONTS = sorted(Path("/usr/share/fonts").glob("**/tlwg/Garuda.*")) + sorted(
    Path("/usr/share/fonts").glob("**/tlwg/Loma.*")
)


def _seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def _write(tmp_path: Path, name: str, raw: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


# ---- plain text in every encoding -------------------------------------------------


@pytest.mark.parametrize(
    ("encode", "expected_encoding"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16"),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16"),
        (lambda t: t.encode("utf-16-be"), "utf-16-be"),  # no BOM: found by the NUL pattern
        (lambda t: t.encode("utf-16-le"), "utf-16-le"),
        (lambda t: t.encode("cp874"), "cp874"),  # Windows-874, the superset of TIS-620
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16be", "utf16le", "cp874"],
)
def test_every_text_encoding_gives_the_same_thai_lines(tmp_path: Path, encode, expected_encoding: str) -> None:  # type: ignore[no-untyped-def]
    text = SEED.read_text(encoding="utf-8")
    raw = encode(text)
    doc = load(_write(tmp_path, "plan.txt", raw), "plan.txt")
    assert doc.lines == tuple(_seed_lines())
    assert doc.encoding == expected_encoding
    assert doc.format == "txt" and doc.source == "plan.txt"
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()
    assert "\ufeff" not in doc.text and "\u00a0" in doc.text  # BOM gone, NBSP kept as written


@pytest.mark.parametrize("seed", sorted(p.name for p in (SEED_PLANS).glob("*.txt")))
def test_every_seed_round_trips_through_cp874_and_bomless_utf16(seed: str) -> None:
    text = (SEED_PLANS / seed).read_text(encoding="utf-8")
    assert decode_text(text.encode("cp874")) == (text, "cp874")
    assert decode_text(text.encode("utf-16-be")) == (text, "utf-16-be")


def test_short_cp874_and_tis620_lines_are_read_as_thai() -> None:
    # short inputs are where byte-frequency detectors guess Cyrillic or Latin-1
    for line in ("วิสัยทัศน์ของ สพม. เขต 4", "พันธกิจ", "เป้าประสงค์ข้อ ๒"):
        assert decode_text(line.encode("tis-620"))[0] == line
        assert decode_text(line.encode("cp874"))[0] == line


def test_line_endings_crlf_and_cr_keep_line_numbers(tmp_path: Path) -> None:
    lines = ["วิสัยทัศน์", "", "1. พัฒนาคุณภาพผู้เรียน", "2. ส่งเสริมครู"]
    for sep in ("\r\n", "\r", "\n"):
        doc = load(_write(tmp_path, "plan.txt", sep.join(lines).encode("utf-8")), "plan.txt")
        assert doc.lines == tuple(lines), repr(sep)


def test_markdown_keeps_its_own_lines_and_headings_are_found(tmp_path: Path) -> None:
    md = "# แผนกลยุทธ์ สพม. เขต 4\n\n## วิสัยทัศน์\n\nองค์กรคุณภาพ\n\n## **พันธกิจ**\n\n1. พัฒนาหลักสูตร\n2. พัฒนาครู\n"
    doc = load(_write(tmp_path, "plan.md", md.encode("utf-8")), "plan.md")
    assert doc.format == "md" and doc.lines == tuple(md.split("\n"))
    sections = {s.kind: s for s in parse(doc).sections}
    assert sections["vision"].title == "วิสัยทัศน์"
    assert [n for n, _ in sections["mission"].items] == ["1", "2"]


# ---- HTML ---------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>แผนกลยุทธ์</title>
<style>p { color: red; } .x::before { content: "สไตล์ห้ามติด"; }</style>
<script>var secret = "สคริปต์ห้ามติด";</script></head>
<body>
<!-- ความเห็นห้ามติด -->
<h2>พันธกิจ</h2>
<ol>
  <li><b>1.</b> พัฒนา<i>คุณภาพ</i>ผู้เรียน</li>
  <li>2. ส่งเสริม
      ครู&nbsp;และบุคลากร &amp; ชุมชน</li>
</ol>
<p>บรรทัดแรก<br>บรรทัดสอง<br/>บรรทัดสาม</p>
<div><div><section><span>ซ้อน <em>หลาย<strong>ชั้น</strong></em></span></section></div></div>
<table><tr><th>ตัวชี้วัด</th><td>ร้อยละ 95</td></tr></table>
<noscript>โนสคริปต์ห้ามติด</noscript>
</body></html>
"""


def test_html_drops_scripts_styles_and_comments(tmp_path: Path) -> None:
    doc = load(_write(tmp_path, "plan.html", HTML.encode("utf-8")), "plan.html")
    assert doc.format == "html" and doc.encoding == "utf-8"
    assert "ห้ามติด" not in doc.text and "secret" not in doc.text and "color" not in doc.text


def test_html_lines_follow_blocks_and_br_not_inline_tags(tmp_path: Path) -> None:
    doc = load(_write(tmp_path, "plan.htm", HTML.encode("utf-8")), "plan.htm")
    nonblank = [line for line in doc.lines if line.strip()]
    assert nonblank == [
        "แผนกลยุทธ์",
        "พันธกิจ",
        "1. พัฒนาคุณภาพผู้เรียน",  # <b>/<i> inside an item do not cut it
        "2. ส่งเสริม ครู\u00a0และบุคลากร & ชุมชน",  # source line break is a space
        "บรรทัดแรก",
        "บรรทัดสอง",
        "บรรทัดสาม",
        "ซ้อน หลายชั้น",
        "ตัวชี้วัด\tร้อยละ 95",
    ]
    mission = next(s for s in parse(doc).sections if s.kind == "mission")
    assert [n for n, _ in mission.items] == ["1", "2"]


def test_html_in_cp874_is_decoded_before_parsing(tmp_path: Path) -> None:
    html = "<html><body><h1>วิสัยทัศน์</h1><p>องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน</p></body></html>"
    doc = load(_write(tmp_path, "old.html", html.encode("cp874")), "old.html")
    assert doc.encoding == "cp874"
    assert [line for line in doc.lines if line] == ["วิสัยทัศน์", "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน"]


def test_deeply_nested_html_loads_in_linear_time(tmp_path: Path) -> None:
    depth = 30000
    html = "<div>" * depth + "ลึก <b>มาก</b>" + "</div>" * depth
    started = time.perf_counter()
    doc = load(_write(tmp_path, "deep.html", html.encode("utf-8")), "deep.html")
    assert time.perf_counter() - started < 60  # a ceiling: quadratic walking takes many minutes here
    assert [line for line in doc.lines if line] == ["ลึก มาก"]


def test_html_with_only_markup_has_no_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.html", b"<html><head><script>x()</script></head><body><div></div></body></html>")
    with pytest.raises(UnreadableDocument, match="no text"):
        load(path, "empty.html")


# ---- DOCX ---------------------------------------------------------------------------


def _docx(path: Path) -> Path:
    from docx import Document

    document = Document()
    document.add_heading("แผนกลยุทธ์ สพม. เขต 13", level=1)
    document.add_paragraph("พันธกิจ")
    document.add_paragraph("1. พัฒนาคุณภาพผู้เรียน")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("ตัวชี้วัด", "ค่าเป้าหมาย"), ("ผู้เรียนอ่านออก", "ร้อยละ 95")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("เป้าประสงค์")
    document.add_paragraph("1. ครูมีสมรรถนะตามมาตรฐาน")
    document.save(str(path))
    return path


def test_docx_paragraphs_and_tables_in_body_order(tmp_path: Path) -> None:
    doc = load(_docx(tmp_path / "plan.docx"), "plan.docx")
    assert doc.format == "docx" and doc.encoding == "binary"
    assert doc.lines == (
        "แผนกลยุทธ์ สพม. เขต 13",
        "พันธกิจ",
        "1. พัฒนาคุณภาพผู้เรียน",
        "ตัวชี้วัด\tค่าเป้าหมาย",
        "ผู้เรียนอ่านออก\tร้อยละ 95",
        "เป้าประสงค์",
        "1. ครูมีสมรรถนะตามมาตรฐาน",
    )
    parsed = parse(doc)
    assert parsed.office == "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 13"
    mission, goal = (next(s for s in parsed.sections if s.kind == k) for k in ("mission", "goal"))
    assert (mission.end_line, goal.start_line) == (5, 6)  # the table stays under its heading


def test_corrupt_docx_is_refused(tmp_path: Path) -> None:
    good = _docx(tmp_path / "good.docx").read_bytes()
    for name, raw in [
        ("notzip.docx", b"PK\x03\x04 not really a zip archive at all"),
        ("truncated.docx", good[: len(good) // 2]),
        ("text.docx", "พันธกิจ 1. พัฒนาครู".encode()),
    ]:
        with pytest.raises(UnreadableDocument, match="corrupt or unreadable DOCX"):
            load(_write(tmp_path, name, raw), name)


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "ไม่ใช่เอกสาร Word")
    with pytest.raises(UnreadableDocument, match="DOCX"):
        load(path, "archive.docx")


# ---- PDF ----------------------------------------------------------------------------


def _pdf(lines: list[str], font: Path | None = None) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(8.27, 11.69))
    props = FontProperties(fname=str(font)) if font else FontProperties(family="DejaVu Sans")
    for n, line in enumerate(lines):
        fig.text(0.08, 0.92 - n * 0.05, line, fontproperties=props, fontsize=12)
    if not lines:  # a "scan": drawing only, no text operators at all
        fig.add_artist(Rectangle((0.2, 0.2), 0.5, 0.3))
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    return buf.getvalue()


LATIN = ["Strategic plan of Secondary Education Area 4", "Vision", "1. Develop every learner", "2. Support teachers"]


def test_pdf_text_layer_is_read_line_by_line(tmp_path: Path) -> None:
    raw = _pdf(LATIN)
    doc = load(_write(tmp_path, "plan.pdf", raw), "plan.pdf")
    assert doc.format == "pdf" and doc.encoding == "binary"
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()
    assert [line.strip() for line in doc.lines if line.strip()] == LATIN


@pytest.mark.skipif(not THAI_FONTS, reason="no TLWG Thai font (apt-get install fonts-thai-tlwg); Latin PDF covers it")
def test_pdf_with_thai_text_layer(tmp_path: Path) -> None:
    # matplotlib maps every glyph of a shaped cluster (consonant + vowel mark) to
    # the whole cluster in its ToUnicode table, so any extractor doubles such
    # clusters; these Thai words have no marks and extract exactly.
    thai = ["แผนงาน ของ สพม. เขต 4", "1. การวางแผน", "2. งบประมาณ และ ผลงาน"]
    doc = load(_write(tmp_path, "plan.pdf", _pdf(thai, THAI_FONTS[0])), "plan.pdf")
    assert [line.strip() for line in doc.lines if line.strip()] == thai


def test_pdf_without_text_layer_asks_for_ocr(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="OCR"):
        load(_write(tmp_path, "scan.pdf", _pdf([])), "scan.pdf")


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    for name, raw in [
        ("garbage.pdf", b"%PDF-1.4\n1 0 obj<<>>\ntrailer<<>>\n%%EOF garbage"),
        ("notpdf.pdf", "วิสัยทัศน์ ไม่ใช่ PDF".encode()),
        ("random.pdf", random.Random(4).randbytes(4096)),
    ]:
        with pytest.raises(UnreadableDocument, match="corrupt or unreadable PDF"):
            load(_write(tmp_path, name, raw), name)


# ---- files refused with a reason --------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.pdf", "empty.docx"])
def test_empty_files_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnreadableDocument, match="^empty file$"):
        load(_write(tmp_path, name, b""), name)


def test_whitespace_only_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match="empty file"):
        load(_write(tmp_path, "blank.txt", b"  \n\n\t \r\n"), "blank.txt")
    with pytest.raises(UnreadableDocument, match="no text"):
        load(_write(tmp_path, "nbsp.txt", "\u00a0\n\u00a0 \n".encode()), "nbsp.txt")


@pytest.mark.parametrize(
    "raw",
    [
        bytes(range(256)) * 16,  # every byte, NULs included
        random.Random(1).randbytes(8192),
        b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(2048),
    ],
    ids=["all-bytes", "random", "png"],
)
def test_binary_named_txt_is_refused(tmp_path: Path, raw: bytes) -> None:
    with pytest.raises(UnreadableDocument, match="binary"):
        load(_write(tmp_path, "image.txt", raw), "image.txt")


def test_control_codes_and_invisible_characters_are_no_text(tmp_path: Path) -> None:
    # valid UTF-8, so no decoder complains; but normalisation leaves nothing
    rng = random.Random(3)
    raw = bytes(rng.choice([*range(1, 9), 11, 12, *range(14, 32)]) for _ in range(4000))
    with pytest.raises(UnreadableDocument, match="no text"):
        load(_write(tmp_path, "controls.txt", raw), "controls.txt")
    with pytest.raises(UnreadableDocument, match="no text"):
        load(_write(tmp_path, "zw.txt", "\u200b\ufeff\u200b\n\u2060".encode()), "zw.txt")


def test_unsupported_and_oversized_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument, match=r"unsupported file type \.xlsx; supported: .txt"):
        load(_write(tmp_path, "plan.xlsx", b"x"), "plan.xlsx")
    assert ".pdf" in SUPPORTED_SUFFIXES and ".docx" in SUPPORTED_SUFFIXES
    big = _write(tmp_path, "big.txt", "ก".encode() * 400_000)
    with pytest.raises(UnreadableDocument, match="too large .*PLANQA_MAX_FILE_MB"):
        load(big, "big.txt", max_bytes=1_000_000)
    assert load(big, "big.txt", max_bytes=2_000_000).lines[0].startswith("กกก")


def test_unreadable_path_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(UnreadableDocument, match="not a regular file"):
        load(folder, "folder.txt")
    with pytest.raises(UnreadableDocument, match="cannot read file"):
        load(tmp_path / "missing.txt", "missing.txt")


def test_a_file_pasted_from_utf8_and_cp874_reads_line_by_line(tmp_path: Path) -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    raw = "\n".join(lines[:10]).encode("utf-8") + b"\n" + "\n".join(lines[10:20]).encode("cp874")
    doc = load(_write(tmp_path, "mixed.txt", raw), "mixed.txt")
    assert doc.encoding == "utf-8+cp874"
    assert list(doc.lines[:20]) == lines[:20]


def test_a_pure_cp874_file_is_not_called_mixed(tmp_path: Path) -> None:
    raw = "plan 2567\nวิสัยทัศน์ สพม.ทดสอบ\nmission\n".encode("cp874")
    assert load(_write(tmp_path, "tis.txt", raw), "tis.txt").encoding == "cp874"


def test_a_50_mb_text_file_is_refused_at_the_default_limit_without_reading_it(tmp_path: Path) -> None:
    from planqa.settings import Settings

    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(UnreadableDocument, match="too large .*PLANQA_MAX_FILE_MB"):
        load(big, "big.txt", max_bytes=int(Settings().max_file_mb * 1e6))
    assert time.perf_counter() - started < 10  # a ceiling: reading 50 MB of Thai would take far longer
