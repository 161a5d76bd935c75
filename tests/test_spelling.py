"""retrieval.spelling: a misspelt topic word read as the plan word one edit away."""

from __future__ import annotations

import pytest

from retrieval.spelling import Speller

PLAN = ("ส่งเสริมนวัตกรรมและการอนุรักษ์สิ่งแวดล้อม การกระจายอำนาจ หลักปรัชญาของเศรษฐกิจพอเพียง ทีส่งเสริม เรียน"
        " บริหารงบประมาณอย่างมีประสิทธิภาพ ให้บริการ")
VOCABULARY = ["นวัตกรรม", "สิ่งแวดล้อม", "อำนาจ", "กระจาย", "พอเพียง", "เศรษฐกิจ", "ส่งเสริม", "ทีส่งเสริม", "เรียน",
              "มุกดาหาร", "งบประมาณ", "ประสิทธิภาพ", "ให้บริการ"]


def _speller(vocabulary: list[str] = VOCABULARY, version: str = "v1") -> Speller:
    return Speller(lambda: (version, vocabulary), lambda text: text in PLAN, lambda word: PLAN.count(word))


@pytest.mark.parametrize(("typed", "meant"), [
    ("เขตไหนบ้างที่พูดถึงสิ่งแวดล้อน", "เขตไหนบ้างที่พูดถึงสิ่งแวดล้อม"),  # a letter replaced, cut into four pieces
    ("เขตไหนบ้างที่เน้นนวัฒกรรม", "เขตไหนบ้างที่เน้นนวัตกรรม"),
    ("ใครมีแผนเรื่องเศรษฐกิจพอเพืยงบ้าง", "ใครมีแผนเรื่องเศรษฐกิจพอเพียงบ้าง"),  # a vowel replaced
    ("สพม.มุกดาหร มีวิสัยทัศน์อะไร", "สพม.มุกดาหาร มีวิสัยทัศน์อะไร"),  # a letter missing
    # a slip newmm cuts into three words of its dictionary: ประ|สิทธ|ภาพ, งบ|ประ|มาน
    ("ใครมีแผนบริหารงานให้ประสิทธภาพมากขึ้น", "ใครมีแผนบริหารงานให้ประสิทธิภาพมากขึ้น"),
    ("สพม. ใดเน้นการบริหารงบประมานอย่างคุ้มค่า", "สพม. ใดเน้นการบริหารงบประมาณอย่างคุ้มค่า"),
])
def test_a_slip_is_read_as_the_plan_word(typed: str, meant: str) -> None:
    assert _speller().respell(typed) == meant


@pytest.mark.parametrize("question", [
    "เขตไหนเขียนเรื่องนี้ไว้บ้าง",  # เขียน is a word, one letter from the plan's เรียน: what was meant
    "เขตไหนสำรวจความพอใจของคนที่มาใช้บริการ",  # ใช้|บริการ, two words, one letter from the plan's ให้บริการ
    "หน่วยงานใดบ้างที่ส่งเสริมให้มีงานวิจัย",  # ที่|ส่งเสริม are words; the plan's slip ทีส่งเสริม is no target
    "เขตไหนบ้างที่สอนภาษาจีน",  # a topic in no plan, and near no plan word
    "พื้นที่ฯ มัธยม เขต 13",  # ฯ is no slip
    "สิ่งแวดล้อม",  # the plan's own word
    "Which offices promote innovation?",
])
def test_real_words_and_other_scripts_are_left_as_written(question: str) -> None:
    assert _speller().respell(question) == question


def test_the_most_used_plan_word_wins_and_a_new_vocabulary_is_read() -> None:
    used = {"เรียนรู้": 9, "เรียงรู้": 1}
    speller = Speller(lambda: ("v1", list(used)), lambda text: False, lambda word: used.get(word, 0))
    assert speller.near("เรียรรู้") == ["เรียนรู้", "เรียงรู้"]  # in more chunks first
    used = {"เรียนรู้": 1, "เรียงรู้": 9}
    assert Speller(lambda: ("v1", list(used)), lambda text: False, lambda word: used.get(word, 0)).near("เรียรรู้")[0] == "เรียงรู้"
    assert _speller(["นวัตกรรม"], "v1").respell("นวัฒกรรม") == "นวัตกรรม"
    assert _speller([], "v2").respell("นวัฒกรรม") == "นวัฒกรรม"  # an empty index respells nothing


@pytest.mark.slow
def test_a_misspelt_which_question_names_the_offices_of_the_right_one(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from retrieval.service import Service

    service = Service(seed_settings)
    for typed, meant in [("เขตไหนบ้างที่พูดถึงสิ่งแวดล้อน", "เขตไหนบ้างที่พูดถึงสิ่งแวดล้อม"),
                         ("เขตไหนบ้างที่เน้นนวัฒกรรม", "เขตไหนบ้างที่เน้นนวัตกรรม")]:
        wrong, right = service.answer(typed), service.answer(meant)
        assert not right.abstained and not wrong.abstained
        assert {c.office for c in wrong.citations} == {c.office for c in right.citations}
        assert service.parse(typed).normalized == service.parse(meant).normalized
