"""The OCR tone repair, code point by code point: dropped stacked tone marks come back, clean text
never changes (the five seed plans byte-identical), and the CER the bars are measured with."""

from __future__ import annotations

from conftest import CORPUS

from evals.cer import cer
from ingest.ocr_repair import repair_ocr_line, restore_tones, toneless


def test_a_dropped_stacked_tone_mark_is_restored() -> None:
    # "พื้นที่": mai tho (U+0E49) over sara uee, mai ek (U+0E48) over sara ii, both dropped by Tesseract
    assert restore_tones("\u0e1e\u0e37\u0e19\u0e17\u0e35") == "\u0e1e\u0e37\u0e49\u0e19\u0e17\u0e35\u0e48"
    assert restore_tones("สู่สังคมทียังยืน") == "สู่สังคมที่ยั่งยืน"
    assert restore_tones("สำนักงานเขตพืนที่การศึกษา") == "สำนักงานเขตพื้นที่การศึกษา"
    assert toneless("ยั่งยืน") == "ยังยืน" and toneless("ผู้เรียน") == "ผู้เรียน"  # ้ over ู stacks on no vowel


def test_words_that_are_right_without_a_tone_keep_it_off_and_other_text_is_untouched() -> None:
    for line in ("ทีมงานมีความสามัคคี", "การศึกษามีคุณภาพ", "Vision 2570 (ปี 2566-2570)", "", "   "):
        assert restore_tones(line) == line
    # only the toneless word changes; spaces, digits and Latin around it stay as they were
    assert restore_tones("1. พัฒนาพืนที (Area) ๒๕๖๖") == "1. พัฒนาพื้นที่ (Area) ๒๕๖๖"


def test_the_seed_plans_come_out_of_the_ocr_repair_byte_identical() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert repair_ocr_line(line) == line, (path.name, line)


def test_ocr_sara_am_is_folded_before_the_tones_are_restored() -> None:
    assert repair_ocr_line("ส\u0e4d\u0e32นักงานเขตพืนที") == "สำนักงานเขตพื้นที่"


def test_cer_counts_edits_per_character_of_the_truth_ignoring_spaces_and_line_breaks() -> None:
    truth = "วิสัยทัศน์\nองค์กรนวัตกรรม สร้างคุณภาพผู้เรียน"
    assert cer("วิสัยทัศน์ องค์กรนวัตกรรม\nสร้างคุณภาพผู้เรียน", truth) == 0.0
    squashed_len = len("วิสัยทัศน์องค์กรนวัตกรรมสร้างคุณภาพผู้เรียน")
    assert cer("วิสัยทัศน์\nองค์กรนวัตกรรม สร้างคุณภาพผู้เรียน"[:-1], truth) == 1 / squashed_len
    assert cer("", truth) == 1.0
