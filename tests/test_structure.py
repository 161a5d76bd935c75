"""The structure parser on the five seed plans, checked against the files as
written, and office names in every form a plan or a question uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from ingest.loaders import load
from ingest.normalize import normalize_line
from ingest.offices import OfficeKey, find_office_in_document, find_office_mentions, parse_office_name
from ingest.structure import item_number, parse, section_kind_of_heading
from planqa.types import ParsedDoc, Section, SectionKind

ROOT = Path(__file__).resolve().parent.parent
CORPUS = SEED_PLANS
AREA = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต "

# (kind, number of numbered items) per section, in file order, read off the seeds
EXPECTED: dict[str, tuple[str, bool, list[tuple[str, int]]]] = {
    "000_85eb215d03d6bd52.txt": (
        AREA + "4",
        True,
        [("vision", 0), ("identity", 0), ("uniqueness", 0), ("mission", 4), ("goal", 13), ("strategy", 7),
         ("focus", 6)],
    ),
    "001_6c7f6f6f50bc0cc0.txt": (
        AREA + "13",
        True,
        [("vision", 0), ("mission", 3), ("identity", 0), ("goal", 8), ("strategy", 4), ("focus", 3)],
    ),
    "002_1f30bfc08ba12608.txt": (
        "แผนไม่ระบุสำนักงาน “วิสัยทัศน์ ค่านิยมหลักองค์กร พันธกิจ…”",
        False,
        [("vision", 0), ("values", 0), ("mission", 5), ("goal", 6), ("strategy", 4), ("strategy", 4),
         ("strategy", 4), ("strategy", 3), ("strategy", 4), ("strategy", 3)],
    ),
    # goal 1 of 003 is written ". ประชากร..." (its digit is missing in the file): 5 numbered goals
    "003_500a49f8050b8f55.txt": (
        AREA + "20",
        True,
        [("vision", 0), ("mission", 4), ("goal", 5), ("strategy", 5), ("culture", 0), ("values", 0)],
    ),
    "004_324aff1e68aa4ee5.txt": (
        "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร",
        True,
        [("vision", 0), ("mission", 8), ("culture", 0), ("focus", 4), ("goal", 20), ("indicator", 21)],
    ),
}


def _parsed(name: str, catalogue: dict[str, dict[str, object]] | None = None) -> ParsedDoc:
    return parse(load(CORPUS / name, name), catalogue)


def _section(parsed: ParsedDoc, kind: str) -> Section:
    return next(s for s in parsed.sections if s.kind == kind)


def test_every_seed_is_expected() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.glob("*.txt"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_office_sections_and_item_counts(name: str) -> None:
    office, named, sections = EXPECTED[name]
    parsed = _parsed(name)
    assert (parsed.office, parsed.office_named) == (office, named)
    assert [(s.kind, len(s.items)) for s in parsed.sections] == sections


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sections_tile_the_file_and_headings_are_real_lines(name: str) -> None:
    parsed = _parsed(name)
    lines = parsed.doc.lines
    spans = [(s.start_line, s.end_line) for s in parsed.sections]
    assert spans[0][0] == 1 and spans[-1][1] == len(lines)
    assert all(b + 1 == c for (_, b), (c, _) in zip(spans, spans[1:]))  # no gap, no overlap
    norm = [normalize_line(line) for line in lines]
    for s in parsed.sections:
        assert s.title in norm[s.start_line - 1 : s.end_line]  # the heading as written (normalised)
        for number, line in s.items:
            assert s.start_line < line <= s.end_line
            assert item_number(lines[line - 1]) == number


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_items_are_numbered_in_order(name: str) -> None:
    for s in _parsed(name).sections:
        numbers = [int(n) for n, _ in s.items]
        if numbers:
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), s.title


def test_000_headings_and_items_as_written() -> None:
    parsed = _parsed("000_85eb215d03d6bd52.txt")
    assert parsed.title == AREA + "4"
    strategy = _section(parsed, "strategy")
    assert strategy.title == "กลยุทธ์" and strategy.items[3] == ("4", 51)  # " 4. 4. การขยายโอกาส..."
    focus = _section(parsed, "focus")
    assert focus.title == "จุดเน้น"  # written after nine NBSPs
    assert focus.items[-1] == ("6", 64)  # the NBSP-indented last line


def test_typo_heading_is_a_goal_section() -> None:
    parsed = _parsed("001_6c7f6f6f50bc0cc0.txt")
    goal = _section(parsed, "goal")
    assert goal.title == "ป้าประสงค์ (GOALS)" and goal.start_line == 17
    assert [line for _, line in goal.items] == list(range(18, 26))
    assert section_kind_of_heading("ป้าประสงค์ (GOALS)") == ("goal", "ป้าประสงค์ (GOALS)")


def test_002_has_six_numbered_strategies() -> None:
    parsed = _parsed("002_1f30bfc08ba12608.txt")
    strategies = [s for s in parsed.sections if s.kind == "strategy"]
    assert [s.title.split()[:2] for s in strategies] == [["กลยุทธ์ที่", str(n)] for n in range(1, 7)]
    assert [s.start_line for s in strategies] == [31, 38, 44, 52, 57, 64]
    # strategy 3's heading wraps onto line 45 ("มีคุณภาพ"): the line stays in its section
    third = strategies[2]
    assert third.title.startswith("กลยุทธ์ที่ 3 การสร้างโอกาสทางการศึกษา") and third.end_line == 51
    assert [line for _, line in third.items] == [46, 48, 49, 50]  # line 47 continues item 1


def test_indicator_heading_inside_a_strategy_stays_there_and_numbers_no_items() -> None:
    first = _section(_parsed("002_1f30bfc08ba12608.txt"), "strategy")
    assert (first.start_line, first.end_line) == (31, 37)  # "ตัวชี้วัด" (36) and its line (37) included
    # "1) ผลการประเมิน PMOA ... 2) ..." numbers indicators, not a fifth strategy item
    assert first.items == (("1", 32), ("2", 33), ("3", 34), ("4", 35))


def test_thai_digit_items_are_numbered_in_arabic() -> None:
    parsed = _parsed("003_500a49f8050b8f55.txt")
    assert _section(parsed, "mission").items == (("1", 10), ("2", 12), ("3", 14), ("4", 16))
    assert _section(parsed, "strategy").items == (("1", 34), ("2", 36), ("3", 38), ("4", 40), ("5", 42))
    goal = _section(parsed, "goal")
    assert goal.start_line < 20 < goal.end_line and goal.items[0] == ("2", 22)


def test_bare_headings_and_short_preambles_join_the_next_section() -> None:
    p003 = _parsed("003_500a49f8050b8f55.txt")
    assert p003.title == "ภารกิจ" and p003.sections[0].start_line == 1 and p003.sections[0].kind == "vision"
    p004 = _parsed("004_324aff1e68aa4ee5.txt")
    vision, focus = _section(p004, "vision"), _section(p004, "focus")
    assert vision.start_line == 1  # the office-name line (3) is not a section of its own
    assert (focus.start_line, focus.title) == (26, "จุดเน้น")  # "กรอบแนวคิด... (MODEL)" has no body


def test_heading_recognition() -> None:
    assert section_kind_of_heading("วิสัยทัศน์ (Vision)") == ("vision", "วิสัยทัศน์ (Vision)")
    assert section_kind_of_heading("## **พันธกิจ**") == ("mission", "พันธกิจ")
    assert section_kind_of_heading("เป้าหมาย (Goals)") == ("goal", "เป้าหมาย (Goals)")
    assert section_kind_of_heading("กลยุทธ์ที่ ๒ การพัฒนาการบริหาร") == ("strategy", "กลยุทธ์ที่ 2 การพัฒนาการบริหาร")
    assert section_kind_of_heading("ประเด็นกลยุทธ์") == ("strategy", "ประเด็นกลยุทธ์")
    for not_heading in (
        "วิสัยทัศน์ ค่านิยมหลักองค์กร พันธกิจ เป้าประสงค์ กลยุทธ์",  # a title listing sections
        "ตัวชี้วัด โรงเรียนผ่านการประเมินคุณภาพภายนอกระดับดีขึ้นไปร้อยละ 95",  # a labelled line
        "1. พัฒนาคุณภาพผู้เรียน",
        "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาได้กำหนดยุทธศาสตร์ เพื่อความเป็นเลิศตามวิสัยทัศน์ ดังนี้",
        "พันธกิจ" + " ยาว" * 40,
        "",
    ):
        assert section_kind_of_heading(not_heading) is None, not_heading


def test_item_numbers() -> None:
    assert item_number("๑จัดและส่งเสริม") == "1"
    assert item_number("\u00a0\u00a0 ๓ส่งเสริม") == "3"
    assert item_number(" 10. ครูและบุคลากร") == "10"
    assert item_number("2.จุดเน้นด้านครู") == "2"
    assert item_number("1) ผลการประเมิน") == "1"
    assert item_number("ข้อ 4 สถานศึกษา") == "4"
    for no_item in ("- นักเรียนมีสมรรถนะ", "พ.ศ. 2568", "2568 ภายในปี", "ตัวชี้วัด 1)โรงเรียน", ". ประชากร", ""):
        assert item_number(no_item) is None, no_item


def test_catalogue_override_names_the_office_after_ingest(tmp_path: Path) -> None:
    from ingest.index import PlanIndex
    from ingest.pipeline import run
    from planqa.settings import Settings

    name = "002_1f30bfc08ba12608.txt"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = (CORPUS / name).read_text(encoding="utf-8").split("\n")
    (corpus / name).write_text("\n".join(lines[:22]), encoding="utf-8")  # vision, values, mission: few chunks
    office = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาทดสอบ"
    (corpus / "offices.toml").write_text(f'["{name}"]\noffice = "{office}"\naliases = ["สพม.ทดสอบ"]\n', encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    report = run(settings)
    assert (report.added, report.skipped) == (1, [])  # offices.toml itself is not a document
    ix = PlanIndex(settings)
    (doc,) = ix.lexical.documents()
    assert (doc.office, doc.office_named, doc.aliases) == (office, True, ("สพม.ทดสอบ",))
    chunks = ix.lexical.chunks_of(name)
    assert chunks and {c.office for c in chunks} == {office}
    assert all(c.embed_text.startswith(office + " | ") for c in chunks)
    stored = ix.collection.get(where={"source": name}, include=["metadatas"])["metadatas"]
    assert {m["office"] for m in stored} == {office}


def test_catalogue_matches_by_file_name_and_without_it_the_fallback_stays() -> None:
    name = "002_1f30bfc08ba12608.txt"
    assert _parsed(name, {name: {"office": "สพม.ทดสอบ"}}).office == "สพม.ทดสอบ"
    assert _parsed(name, {"other.txt": {"office": "สพม.อื่น"}}).office_named is False
    assert _parsed(name, {name: {"aliases": ["x"]}}).office.startswith("แผนไม่ระบุสำนักงาน")


# ---- offices --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mention", "key"),
    [
        ("สพม.4", OfficeKey("secondary", "", "4")),
        ("สพม. เขต 13", OfficeKey("secondary", "", "13")),
        ("สพม.๔", OfficeKey("secondary", "", "4")),
        ("เขต ๒๐", OfficeKey(None, "", "20")),
        ("เขตพื้นที่ 20", OfficeKey(None, "", "20")),
        ("มุกดาหาร", OfficeKey(None, "มุกดาหาร", "")),
        ("แผนของมุกดาหารเน้นอะไร", OfficeKey(None, "มุกดาหาร", "")),
        ("Mukdahan", OfficeKey(None, "มุกดาหาร", "")),
        ("สพม.เชียงใหม่", OfficeKey("secondary", "เชียงใหม่", "")),
        ("สพป.เชียงใหม่ เขต 1", OfficeKey("primary", "เชียงใหม่", "1")),
        ("area 4", OfficeKey(None, "", "4")),
        ("District 13", OfficeKey(None, "", "13")),
        ("สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต ๒๐", OfficeKey("secondary", "", "20")),
        ("กทม.", OfficeKey(None, "กรุงเทพมหานคร", "")),
        ("จังหวัดเลย", OfficeKey(None, "เลย", "")),
    ],
)
def test_office_mentions_in_every_form(mention: str, key: OfficeKey) -> None:
    assert find_office_mentions(mention) == [key]


def test_two_offices_in_one_question_keep_their_order() -> None:
    assert find_office_mentions("สพม.4 กับ สพม.13 ต่างกันอย่างไร") == [
        OfficeKey("secondary", "", "4"),
        OfficeKey("secondary", "", "13"),
    ]
    assert find_office_mentions("Mukdahan vs area 20") == [OfficeKey(None, "มุกดาหาร", ""), OfficeKey(None, "", "20")]


@pytest.mark.parametrize(
    "question",
    [
        "สำนักงานใดเน้นความปลอดภัยของนักเรียน",
        "ผลการประเมินรอบที่ 4 ร้อยละ 95",
        "ครูมีงานวิจัยที่เผยแพร่ต่อสาธารณชนหรือไม่",  # แพร่ inside เผยแพร่
        "แผนนี้ไม่มีเรื่องนี้เลย",  # the particle เลย
        "โรคติดต่อแพร่ระบาด",
        "นักเรียนตากแดด",
    ],
)
def test_questions_without_an_office(question: str) -> None:
    assert find_office_mentions(question) == []


def test_office_key_matches_partial_mentions() -> None:
    area4 = OfficeKey("secondary", "", "4")
    mukdahan = OfficeKey("secondary", "มุกดาหาร", "")
    assert OfficeKey(None, "", "4").matches(area4)
    assert OfficeKey("secondary", "", "4").matches(area4)
    assert not OfficeKey(None, "", "14").matches(area4)
    assert not OfficeKey("primary", "", "4").matches(area4)  # สพป.4 is another office
    assert OfficeKey(None, "มุกดาหาร", "").matches(mukdahan)
    assert not OfficeKey(None, "มุกดาหาร", "").matches(area4)
    assert not OfficeKey(None, "", "4").matches(mukdahan)
    assert not OfficeKey(None, "", "").matches(area4)  # naming nothing matches nothing
    assert not OfficeKey("secondary", "", "").matches(area4)


def test_office_names_round_trip() -> None:
    for key in (OfficeKey("secondary", "", "20"), OfficeKey("secondary", "มุกดาหาร", ""),
                OfficeKey("primary", "เชียงใหม่", "1")):
        assert parse_office_name(key.full_name()) == key
        assert find_office_mentions(key.short_name()) == [key]
    assert OfficeKey("secondary", "", "4").short_name() == "สพม. เขต 4"
    assert parse_office_name("แผนไม่ระบุสำนักงาน “วิสัยทัศน์ ค่านิยมหลักองค์กร พันธกิจ…”") is None


def test_document_office_is_the_most_named_specific_office() -> None:
    lines = ["แผนของ สพม.4", "อ้างถึง สพม. เขต 13 หนึ่งครั้ง", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 4", "เขต 13"]
    assert find_office_in_document(lines) == OfficeKey("secondary", "", "4")
    # a bare "เขต 13" or a province alone is no evidence of the plan's own office
    assert find_office_in_document(["เขต 13 และ มุกดาหาร", "สำนักงานเขตพื้นที่การศึกษา"]) is None


def test_an_office_line_misread_by_ocr_still_names_the_office() -> None:
    mukdahan = OfficeKey("secondary", "มุกดาหาร", "")
    for noisy in ("สำนักงานเขตพันทิการศึกษามัธยมศึกษามุกดาหาร",  # Tesseract on plan004_scan.pdf: 4 edits
                  "สํานักงานเขตพื้นทีการศึกษามัธยมศึกษามุกดาหร",  # a mark and a letter lost in the province
                  "ส่านักงานเขตพื้นที่การศึกษามัธยมสึกษา จังหวัดมุกคาหาร"):
        assert find_office_in_document(["ทิศทางองค์กรและเครื่องมือนำแผนสู่การปฏิบัติ", noisy]) == mukdahan, noisy
    assert find_office_in_document(["สำนักงานเขตพันทิการศึกษาประถมศึกษาเชียงใหม เขต 1"]) == OfficeKey(
        "primary", "เชียงใหม่", "1")


def test_ocr_tolerance_never_guesses_past_its_bounds_or_inside_a_line() -> None:
    # too far from the name (พื้นที่ lost: 8 edits), a level word as near to ประถม as to มัธยม, no office named
    assert find_office_in_document(["สำนักงานเขตการศึกษามัธยมศึกษามุกดาหาร"]) is None
    assert find_office_in_document(["สำนักงานเขตพื้นที่การศึกษาศึกษามุกดาหาร"]) is None
    assert find_office_in_document(["สำนักงานเขตพันทิการศึกษามัธยมศึกษา"]) is None
    # the partner guard holds: a misread partner office inside a line, or after "ร่วมมือกับ", is not the plan's
    partner = ["แผนปฏิบัติการ ร่วมมือกับ สำนักงานเขตพันทิการศึกษามัธยมศึกษามุกดาหาร",
               "ร่วมมือกับ สำนักงานเขตพันทิการศึกษามัธยมศึกษามุกดาหาร ในการพัฒนาครู"]
    assert find_office_in_document(partner) is None
    assert find_office_in_document(["ร่วมมือกับ สพม.มุกดาหาร", "สำนักงานเขตพันทิการศึกษามัธยมศึกษา เขต 20"]) == OfficeKey(
        "secondary", "", "20")


def test_a_heading_ocr_misread_is_known_by_its_english_gloss() -> None:
    assert section_kind_of_heading("Jaana (Vision)") == (SectionKind.VISION, "Jaana (Vision)")
    assert section_kind_of_heading("kav (Goals)") == (SectionKind.GOAL, "kav (Goals)")
    # a sentence with a gloss, an unknown gloss, or several words before it is no heading
    for line in ("องค์กรแห่งการเรียนรู้ที่มีคุณภาพ (Vision)", "Jaana (Learning)", "ส่งเสริม การเรียนรู้ (Vision)"):
        assert section_kind_of_heading(line) is None, line
