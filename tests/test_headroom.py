"""``python -m evals headroom``: a missed gold office, found and misjudged or never found."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evals.headroom import GoldOffice, headroom, judge, shows


def test_a_unit_shows_the_gold_line_whatever_its_spacing() -> None:
    gold = "ส่งเสริมให้นักเรียนมีวินัยในการออม"
    assert shows(gold, "๓. ส่งเสริมให้นักเรียน\u00a0มีวินัยในการออม และใช้จ่ายอย่างพอเพียง")
    assert shows(gold, "ส่งเสริมให้นักเรียนมีวินัยในการออม")


def test_most_of_a_line_cut_across_two_units_shows_it_a_few_shared_words_do_not() -> None:
    gold = "พัฒนาประสิทธิภาพของระบบการบริหารและการจัดการศึกษา"
    assert shows(gold, "พัฒนาประสิทธิภาพของระบบการบริหาร")  # 32 of 49 characters, one run
    assert not shows(gold, "พัฒนาประสิทธิภาพ")  # 16 of 49
    assert not shows(gold, "การจัดการศึกษาขั้นพื้นฐานให้มีคุณภาพ")  # shares "การจัดการศึกษา" only
    assert not shows("", "พัฒนาประสิทธิภาพ") and not shows(gold, " ")


def test_figures_count_each_gold_office_and_each_question_once() -> None:
    rows = [
        GoldOffice("q1", "train", "A", 0, True),
        GoldOffice("q1", "train", "B", 4, False),  # found, misjudged
        GoldOffice("q2", "train", "A", None, False),  # never found
        GoldOffice("q2", "train", "C", None, True),  # named on other evidence
        GoldOffice("q3", "train", "B", 2, True),
    ]
    h = headroom(rows)
    assert (h.questions, h.gold_offices) == (3, 5)
    assert h.found == pytest.approx(3 / 5) and h.named == pytest.approx(3 / 5)
    assert (h.found_not_named, h.named_not_found) == (1, 1)
    assert h.every_found == pytest.approx(2 / 3)  # q1, q3
    assert h.every_named == pytest.approx(1 / 3)  # q3
    assert h.median_position == 2.0


def test_no_rows_give_no_figures_rather_than_a_crash() -> None:
    h = headroom([])
    assert h.questions == 0 and h.median_position is None


def test_an_unknown_set_is_refused_with_its_path() -> None:
    from evals.__main__ import main

    assert main(["headroom", "--questions", "no-such-set"]) == 2


@pytest.mark.slow
def test_every_seed_gold_office_is_found_and_the_stance_given_is_the_one_that_names(seed_settings) -> None:  # type: ignore[no-untyped-def]
    from evals.stance import gather
    from retrieval.service import Service
    from retrieval.stance_model import load_stance

    items, _ = gather(seed_settings, ["seeds"], 2, 13)
    office_of = Service(seed_settings).index.office_of()
    shipped = load_stance()
    rows = judge(items, office_of, shipped)
    assert rows and all(r.set_name == "seeds" for r in rows)
    h = headroom(rows)
    assert h.found == 1.0  # the seeds' own wordings: every marked line is among its office's units
    assert h.every_found >= h.every_named and h.named > 0.5
    everyone = judge(items, office_of, replace(shipped, low=0.0))
    nobody = judge(items, office_of, replace(shipped, low=1.01))
    assert all(r.named for r in everyone) and not any(r.named for r in nobody)
    assert [r.position for r in everyone] == [r.position for r in rows]
