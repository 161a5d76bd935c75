"""Evidence, on its own: quotable units, the question's topical words, support and the kind of fact asked."""

from __future__ import annotations

import pytest

from evals.cases import SEED_PLANS
from ingest.loaders import load
from ingest.tokens import carries, spread
from ingest.units import quotable, units_of
from planqa.types import AbstainReason, Chunk, SectionKind
from retrieval.evidence import asks_for_fact, content_tokens, missing_answer_type, topic_text
from retrieval.support import Term, holds_word, strength, support, supported

MUK = "004_324aff1e68aa4ee5.txt"


def _chunk(text: str, start: int = 10, section: str = "พันธกิจ (Mission)") -> Chunk:
    return Chunk(id="c1", source=MUK, office="สพม.ทดสอบ", section=section, section_kind=SectionKind.MISSION,
                 items=(), start_line=start, end_line=start + text.count("\n"), text=text, content_hash="h")


def test_units_are_items_with_their_continuation_lines_and_exact_spans() -> None:
    text = "พันธกิจ (Mission)\n   1. พัฒนาสถานศึกษาให้มีความปลอดภัย\nแก่ผู้เรียน\n   2. ส่งเสริมครู"
    units = units_of(_chunk(text))
    assert [u.is_heading for u in units] == [True, False, False]
    first = quotable(_chunk(text))[0]
    assert (first.start_line, first.end_line, first.item) == (11, 12, "1")
    assert first.raw == "1. พัฒนาสถานศึกษาให้มีความปลอดภัย\nแก่ผู้เรียน"
    assert first.text == "1. พัฒนาสถานศึกษาให้มีความปลอดภัย แก่ผู้เรียน"


def test_every_quotable_unit_of_a_seed_plan_is_its_original_lines() -> None:
    from ingest.chunking import chunk_document
    from ingest.structure import parse

    doc = load(SEED_PLANS / MUK, MUK)
    for chunk in chunk_document(parse(doc)):
        for u in quotable(chunk):
            assert "\n".join(doc.lines[u.start_line - 1 : u.end_line]).strip() == u.raw


def test_content_tokens_leave_out_stopwords_question_words_offices_and_section_names() -> None:
    words = content_tokens("สพม.มุกดาหาร มีพันธกิจเรื่องความปลอดภัยของนักเรียนไหมคะ", exclude=["สพม.มุกดาหาร"])
    assert "ความปลอดภัย" in words and "นักเรียน" in words
    assert not {"พันธกิจ", "ไหม", "คะ", "มี", "ของ", "เรื่อง", "มุกดาหาร"} & set(words)


def test_english_words_also_bring_their_thai_terms() -> None:
    assert {"ความปลอดภัย", "นักเรียน"} <= set(content_tokens("student safety", english=True))


def test_english_function_words_are_frame_not_topic() -> None:
    words = content_tokens("Which offices take up environmental protection or green living?", english=True)
    assert words == ["environmental", "protection", "green", "living"]
    assert "among" not in content_tokens("Which offices address drug abuse among students?", english=True)


def test_the_english_name_of_the_offices_is_frame_and_a_compound_is_its_words() -> None:
    # "which service areas" asks which offices: "service" is no topic there, but is in "service mind"
    assert content_tokens("Which service areas apply good governance principles?", english=True) == [
        "apply", "good", "governance", "principles"]
    assert "บริการ" in content_tokens("Which offices emphasise good service or a service mind?", english=True)
    assert "areas" not in content_tokens("Which Secondary Educational Service Area Offices promote research?",
                                         english=True)
    assert topic_text("Which service areas strive for excellence?", english=True) == "strive excellence"
    # "learner-centred" is two words the glossary may know; "e-service" stays one
    words = content_tokens("Which offices emphasise learner-centred education?", english=True)
    assert "ผู้เรียน" in words and "learnercentred" not in words
    assert "eservice" in content_tokens("Which offices run an e-service?", english=True)


@pytest.mark.parametrize(
    ("question", "topic"),
    [("ใครมีแผนแก้ปัญหาเด็กออกกลางคันบ้าง", "แก้ปัญหาเด็กออกกลางคัน"),
     ("สำนักงานเขตพื้นที่การศึกษาใดบ้างที่มีแนวทางป้องกันนักเรียนออกกลางคัน", "แนวทางป้องกันนักเรียนออกกลางคัน"),
     ("เขตไหนบ้างที่เน้นเรื่องเศรษฐกิจพอเพียง", "เศรษฐกิจพอเพียง"),
     ("Which offices address drug abuse among students?", "address drug abuse students")],
)
def test_topic_text_is_the_question_less_its_frame_as_written(question: str, topic: str) -> None:
    assert topic_text(question, english=not any("\u0e01" <= c <= "\u0e4e" for c in question)) == topic


def test_topic_text_leaves_out_the_office_named_and_keeps_a_question_that_is_all_frame() -> None:
    assert topic_text("สพม.มุกดาหาร เน้นความปลอดภัยไหม", mentions=["สพม.มุกดาหาร"]) == "ความปลอดภัย"
    assert topic_text("เขตไหนบ้าง") == "เขตไหนบ้าง"


@pytest.mark.parametrize(
    ("question", "asks"),
    [("งบประมาณของเขต 4 เท่าไร", True), ("ใครเป็นผู้อำนวยการ", True), ("เบอร์โทรศัพท์ของเขต 13", True),
     ("ใคร่ขอทราบยุทธศาสตร์ทั้งหมดของ สพม.4", False), ("วิสัยทัศน์ของเขต 20 คืออะไร", False),
     ("What is the address of the SESAO 13 office?", True), ("Which offices address drug abuse?", False)],
)
def test_which_questions_ask_for_a_fact(question: str, asks: bool) -> None:
    assert asks_for_fact(question) is asks


def test_a_figure_asked_for_must_be_in_the_evidence() -> None:
    with_figure = quotable(_chunk("ตัวชี้วัด\n1. ความพึงใจของผู้รับบริการร้อยละ 95"))
    without = quotable(_chunk("พันธกิจ\n1. พัฒนาครู"))
    assert missing_answer_type("ความพึงพอใจตั้งเป้าไว้เท่าไร", with_figure) is None
    assert missing_answer_type("ความพึงพอใจตั้งเป้าไว้เท่าไร", without) is AbstainReason.NUMBER
    assert missing_answer_type("เบอร์โทรของเขต 4", without) is AbstainReason.CONTACT
    assert missing_answer_type("พันธกิจมีอะไรบ้าง", without) is None


def _term(word: str, weight: float = 1.0, neighbours: tuple[tuple[str, float], ...] = (), noun: bool = True,
          in_corpus: bool = True) -> Term:
    return Term(word, weight, in_corpus, noun, neighbours)


def test_support_counts_exact_words_fully_title_words_half_and_near_words_by_strength() -> None:
    unit = quotable(_chunk("พันธกิจ\n1. พัฒนาสถานศึกษาให้มีความปลอดภัยแก่ผู้เรียน", section="กลยุทธ์ที่ 4 ครูมืออาชีพ"))[0]
    exact = support([_term("ความปลอดภัย")], unit)
    assert (exact.exact, exact.soft) == (1.0, 1.0)
    title = support([_term("ครู")], unit)
    assert title.exact == 0.5 and title.title == 1.0
    near = support([_term("เด็ก", neighbours=(("ผู้เรียน", 0.6),))], unit)
    assert near.exact == 0.0 and near.soft == pytest.approx(0.6)
    mixed = support([_term("ความปลอดภัย", 3.0), _term("ว่ายน้ำ", 1.0, in_corpus=False)], unit)
    assert mixed.exact == pytest.approx(0.75) and mixed.words == (1.0, 0.0)


def test_thai_compounds_split_differently_still_support() -> None:
    assert supported("ปลอดภัย", frozenset({"ความปลอดภัย"}))
    assert supported("โรคติดเชื้อ", frozenset({"โรค", "ติดเชื้อ"}), "มาตรการป้องกันโรคติดเชื้อไวรัส")
    assert not supported("ห้องสมุด", frozenset({"สมุด"}), "สมุดบันทึก")  # a short word inside is not the topic


def test_a_word_inside_a_longer_plan_word_counts_only_where_that_word_holds_it() -> None:
    # the head of a compound, or the word with only grammar around it, is said by the plan word
    assert holds_word("โรคติดเชื้อ", "โรค") and holds_word("ความปลอดภัย", "ปลอดภัย") and holds_word("มีวินัย", "วินัย")
    assert supported("ออม", frozenset({"มีวินัย", "การออม"}), "มีวินัยในการออม")
    # a piece another content word wraps is a different word: "professional" is no career skill
    assert not holds_word("มืออาชีพ", "อาชีพ") and not holds_word("เครือข่าย", "ข่าย")
    assert not supported("อาชีพ", frozenset({"ปฏิบัติงาน", "อย่าง", "มืออาชีพ"}), "ปฏิบัติงานอย่างมืออาชีพ")
    assert not supported("ชอบ", frozenset({"มี", "ความรับผิดชอบ"}), "มีความรับผิดชอบ")
    # the unit's segmentation split what the question keeps whole: its words still spell it
    assert supported("ออกกลางคัน", frozenset({"ป้องกัน", "ออก", "กลางคัน"}), "ป้องกันออกกลางคัน")
    # letters inside a plan word that the plan's words do not spell are no word ("รอง" of "ปรองดอง")
    assert not supported("รอง", frozenset({"ปรองดอง", "สมานฉันท์"}), "ปรองดอง สมานฉันท์")


def test_a_plan_word_inside_the_question_word_counts_where_it_carries_its_meaning() -> None:
    # the part fewer dictionary words are built with says which word it is: discipline, leadership
    assert carries("ระเบียบวินัย", "วินัย") and carries("ภาวะผู้นำ", "ผู้นำ") and carries("ภาษาอังกฤษ", "อังกฤษ")
    assert supported("ระเบียบวินัย", frozenset({"ปลูกฝัง", "วินัย"}), "ปลูกฝังวินัย")
    assert supported("ความปลอดภัย", frozenset({"ปลอดภัย"}), "ปลอดภัย")  # only grammar around it
    # "ศาสตร์" (172 dictionary words hold it) says nothing of history; "ท้องถิ่น" is not local wisdom
    assert spread("ศาสตร์") > spread("ประวัติ") and not carries("ประวัติศาสตร์", "ศาสตร์")
    assert not supported("ประวัติศาสตร์", frozenset({"ศาสตร์", "พระราชา"}), "ศาสตร์พระราชา")
    assert not supported("ภูมิปัญญาท้องถิ่น", frozenset({"ท้องถิ่น", "ชุมชน"}), "ท้องถิ่นและชุมชน")


def test_a_long_word_a_plan_misspells_by_a_tone_mark_still_counts() -> None:
    from ingest.tokens import tokenize

    # a seed plan (002) writes "กระจ่ายอำนาจ"; newmm cuts it "กระ จ่าย อำนาจ"
    text = "ส่งเสริมการกระจ่ายอำนาจทางการศึกษา"
    words = frozenset(tokenize(text))
    assert "กระจายอำนาจ" not in words
    assert supported("กระจายอำนาจ", words, text) and supported("การกระจายอำนาจ", words, text)
    # a short word is left alone: its tone mark may be all that tells it from another word
    assert not supported("ไก่ชน", frozenset({"ไก", "ชน"}), "ไกชน")
    # letters that differ are no slip of a tone mark
    assert not supported("กระจายสินค้า", words, text)


def test_soft_strength_grows_with_distance_above_the_background() -> None:
    assert strength(2.0) == 0.0 and strength(3.5) == pytest.approx(0.5) and strength(6.0) == 1.0


def test_an_absent_topic_is_a_thai_noun_in_no_plan_with_no_close_neighbour() -> None:
    assert _term("สระว่ายน้ำ", in_corpus=False, neighbours=(("บทบาท", 0.27),)).absent
    assert not _term("ลูกหลาน", in_corpus=False, neighbours=(("เด็ก", 0.7),)).absent
    assert not _term("swimming", in_corpus=False).absent  # an English word is in no Thai plan anyway
    assert not _term("ห้องสมุด", in_corpus=True).absent
