"""The Thai repair step, code point by code point, and its no-op on clean text."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.pdf_cer import manifest
from ingest.thai_repair import PUA_MAP, repair_line, repair_text

SEEDS = Path(__file__).resolve().parents[1] / "evals" / "seeds"


@pytest.mark.parametrize(
    ("pua", "standard"),
    [("\uf70a", "\u0e48"), ("\uf70b", "\u0e49"), ("\uf70e", "\u0e4c"), ("\uf710", "\u0e31"),
     ("\uf711", "\u0e4d"), ("\uf712", "\u0e47"), ("\uf700", "\u0e10"), ("\uf70f", "\u0e0d"),
     ("\uf701", "\u0e34"), ("\uf718", "\u0e38")],
)
def test_pua_marks_map_to_standard_characters(pua: str, standard: str) -> None:
    assert repair_line("ก" + pua) == "ก" + standard


def test_pua_map_covers_the_whole_block() -> None:
    assert set(PUA_MAP) == set(range(0xF700, 0xF71B))
    assert all(0x0E00 <= ord(c) <= 0x0E7F for c in PUA_MAP.values())


def test_pua_heading_becomes_a_heading() -> None:
    assert repair_line("วิส\uf710ยท\uf710ศน\uf70e") == "วิสัยทัศน์"


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [("ส\u0e33\u0e32น\u0e31กงาน", "สำนักงาน"),  # sara am + stray sara aa (lossy ToUnicode)
     ("ส\u0e4d\u0e32น\u0e31กงาน", "สำนักงาน"),  # nikhahit + sara aa (Tesseract)
     ("น\u0e4d\u0e49\u0e32", "น\u0e49\u0e33"),  # nikhahit, tone, sara aa -> tone, sara am
     ("น\u0e4d\u0e32\u0e49", "น\u0e49\u0e33"),  # nikhahit, sara aa, tone
     ("น\u0e49\u0e33\u0e32", "น\u0e49\u0e33")],
)
def test_sara_am_folded(broken: str, fixed: str) -> None:
    assert repair_line(broken) == fixed


@pytest.mark.parametrize(
    ("spaced", "joined"),
    [("ที \u0e48", "ที\u0e48"),
     ("เป \u0e47 น", "เป\u0e47 น"),  # the mark rejoins its base; the word gap stays (no spelled run)
     ("พื  \u0e49นที \u0e48", "พื\u0e49นที\u0e48"),
     ("ส \u0e33คัญ", "สำคัญ")],
)
def test_a_spaced_mark_is_rejoined_never_dropped(spaced: str, joined: str) -> None:
    out = repair_line(spaced)
    assert out == joined
    assert sorted(c for c in spaced if c != " ") == sorted(c for c in out if c != " ")


def test_a_line_spelled_letter_by_letter_is_rejoined() -> None:
    assert repair_line("ส ำ นั ก ง า น เขต") == "สำนักงาน เขต"
    assert repair_line("ท ิ ศ ท า ง") == "ทิศทาง"


def test_short_words_between_spaces_are_not_a_spelled_run() -> None:
    for line in ("ก ข ค", "ข้อ 1 ก. ข. ค.", "เขต 4 และ เขต 13", "(Vision) วิสัยทัศน์"):
        assert repair_line(line) == line


def test_line_count_is_kept() -> None:
    text = "ส ำ นั ก ง า น\n\nที \u0e48ตั้ง\n"
    assert repair_text(text).count("\n") == text.count("\n")


def test_seed_plans_come_out_byte_identical() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5
    for path in seeds:
        text = path.read_text(encoding="utf-8")
        assert repair_text(text) == text, path.name


# PDFs of the seed plans made by real producers (scripts/make_thai_pdf_fixtures.py, listed with their
# ground truth in manifest.json): LibreOffice from a DOCX, Chromium's print-to-pdf, reportlab with
# HarfBuzz shaping, in Laksaman, Garuda and Norasi
PDFS = Path(__file__).resolve().parent / "fixtures" / "thai_pdf"
TEXT_PDFS = {f.file: f for f in manifest() if f.kind == "text"}


@pytest.mark.slow  # each PDF read by the loader (three extractors, a dictionary check per page)
@pytest.mark.parametrize("name", sorted(TEXT_PDFS))
def test_text_pdfs_read_within_one_percent_cer(name: str) -> None:
    from evals.pdf_cer import cer
    from ingest.loaders import load

    text = load(PDFS / name, name).text
    assert cer(text, TEXT_PDFS[name].truth(SEEDS)) <= 0.01
    assert not any(0xF700 <= ord(c) <= 0xF71A for c in text)


def test_cer_counts_each_wrong_character_once() -> None:
    from evals.pdf_cer import cer

    truth = "วิสัยทัศน์ องค์กรนวัตกรรม"
    assert cer(truth.replace(" ", "\n"), truth) == 0.0  # line breaks and spaces are not errors
    assert len(truth.replace(" ", "")) == 24
    assert cer("วิสยทัศน์ องค์กรนวัตกรรม", truth) == pytest.approx(1 / 24)  # one mark lost
    assert cer("วิสัยทัศน\uf70e องค์กรนวัตกรรม", truth) == pytest.approx(1 / 24)  # a PUA mark is an error


@pytest.mark.parametrize("name", sorted(TEXT_PDFS))
def test_text_pdfs_keep_their_office_and_headings(name: str) -> None:
    from ingest.loaders import load
    from ingest.offices import find_office_in_document

    truth = TEXT_PDFS[name].truth(SEEDS).split("\n")
    lines = load(PDFS / name, name).text.split("\n")
    office = find_office_in_document(lines)
    assert office is not None and office.specific and office == find_office_in_document(truth)
    assert any("วิสัยทัศน์" in line for line in lines)
    assert not any("\u0e33\u0e32" in line for line in lines)


@pytest.mark.slow  # one real ingest (bundled model) per producer
@pytest.mark.parametrize("name", ["plan004_chromium_print.pdf", "plan004_libreoffice_docx_laksaman.pdf",
                                  "plan004_reportlab_harfbuzz.pdf"])
def test_a_producer_pdf_alone_answers_its_vision_question(tmp_path: Path, name: str) -> None:
    import shutil

    from ingest.pipeline import run
    from planqa.settings import Settings
    from retrieval.service import Service

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PDFS / name, corpus / name)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert run(settings).added == 1
    answer = Service(settings).answer("วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร")
    assert not answer.abstained, answer.abstain_reason
    assert "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน สู่สังคมที่ยั่งยืน" in answer.text
    assert answer.citations and all(c.source == name for c in answer.citations)
