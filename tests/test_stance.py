"""support(office, topic): one office's own plan, searched alone, for one topic."""

from __future__ import annotations

import pytest

from retrieval.service import Service
from retrieval.stance import Strength, support, supports


@pytest.mark.slow
def test_support_quotes_the_office_own_plan_and_sees_no_other_office(seed_settings) -> None:  # type: ignore[no-untyped-def]
    service = Service(seed_settings)
    offices = sorted({o.name for o in service.offices()})
    stances = supports(service, offices, ["การออม", "การสำรวจดาวอังคาร"])
    assert [s.topic for s in stances] == ["การออม"] * len(offices) + ["การสำรวจดาวอังคาร"] * len(offices)
    for s in stances:
        assert 0.0 <= s.probability <= 1.0
        assert all(c.office == s.office for c in s.quotes)  # judged and quoted on its own plan only
        for c in s.quotes:
            lines = (seed_settings.corpus_dir / c.source).read_text(encoding="utf-8").split("\n")
            assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line]).strip()
    mars = [s for s in stances if s.topic == "การสำรวจดาวอังคาร"]
    assert all(s.strength is not Strength.STRONG for s in mars)
    one = support(service, offices[0], "การออม")
    assert one == next(s for s in stances if s.office == offices[0] and s.topic == "การออม")


SAVING = "002_1f30bfc08ba12608.txt"  # "มีวินัยในการออม": the seed plan that speaks of saving


@pytest.fixture(scope="module")
def svc(seed_settings):  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    return get_service(seed_settings)


def test_an_office_is_judged_on_its_own_plan_whatever_else_is_asked(svc) -> None:  # type: ignore[no-untyped-def]
    offices = sorted({o.name for o in svc.offices()})
    together = {s.office: s for s in supports(svc, offices, ["การออม"])}
    for office in offices:
        alone = support(svc, office, "การออม")
        assert alone.probability == pytest.approx(together[office].probability, abs=1e-6)
        assert alone.strength is together[office].strength


def test_a_sub_word_supports_its_compound_and_every_quote_holds_a_topic_word(svc) -> None:  # type: ignore[no-untyped-def]
    saving = next(o.name for o in svc.offices() if SAVING in o.sources)
    s = support(svc, saving, "ออม")  # the plan says "การออม"
    assert s.strength is not Strength.NONE and s.source == SAVING
    assert any("ออม" in c.text for c in s.quotes)
    for other in supports(svc, sorted({o.name for o in svc.offices()}), ["การสำรวจดาวอังคาร"]):
        assert not other.quotes and other.strength is Strength.NONE  # no quote without a topic word


def test_which_answer_names_offices_in_tiers_and_the_offices_searched_in_vain(svc) -> None:  # type: ignore[no-untyped-def]
    answer = svc.answer("เขตไหนบ้างที่ส่งเสริมให้นักเรียนรู้จักออมเงิน")
    assert not answer.abstained
    assert SAVING in {c.source for c in answer.citations}
    assert any("ออม" in c.text for c in answer.citations if c.source == SAVING)
    named = {c.office for c in answer.citations}
    if len(named) < len(svc.offices()):  # five plans: the rest are said to hold nothing on it
        assert "แล้ว ไม่พบเรื่องนี้" in answer.text
    tiers = svc.answerer.gather(svc.ask("เขตไหนบ้างที่ส่งเสริมให้นักเรียนรู้จักออมเงิน"))
    assert len(tiers.own) == len(svc.offices())  # five plans: each one searched on its own


ENGLISH = {"002_1f30bfc08ba12608.txt", "004_324aff1e68aa4ee5.txt"}  # the plans that speak of English teaching


def test_a_which_question_the_answer_model_stops_is_still_judged_office_by_office(svc) -> None:  # type: ignore[no-untyped-def]
    from retrieval.decide import decide

    question = "Which offices care about English?"
    ev = svc.answerer.gather(svc.ask(question))
    policy = svc.policy()
    # the question-level answer model alone would abstain here: this is the case the rule is for
    assert float(policy.answer.probability([ev.question_vector])[0]) < policy.thresholds.answer
    decision = decide(ev, policy)
    assert decision.abstain is None and decision.offices
    answer = svc.answer(question)
    assert not answer.abstained
    sources = {c.source for c in answer.citations}
    assert sources and sources <= ENGLISH
    assert all(n.office not in decision.searched for n in decision.offices)
    # a topic no plan holds is still abstained: the stance model names no office for it
    assert svc.answer("Which offices run a space exploration programme for students?").abstained


CULTURE = {"003_500a49f8050b8f55.txt", "004_324aff1e68aa4ee5.txt"}  # the seed plans with an organisational culture


def test_a_which_question_whose_topic_is_a_section_quotes_that_section(svc) -> None:  # type: ignore[no-untyped-def]
    # the words left besides the section ("ชัดเจน") are frame: the section's own items show the topic
    answer = svc.answer("เขตไหนบ้างที่เขียนวัฒนธรรมองค์กรไว้ชัดเจน")
    assert not answer.abstained
    assert {c.source for c in answer.citations} == CULTURE
    assert all(c.section.startswith("วัฒนธรรมองค์กร") for c in answer.citations)


def test_an_item_of_an_asked_section_shows_the_topic_whatever_its_words() -> None:
    from retrieval.stance_features import TopicWeights, UnitEvidence, shows_topic
    from retrieval.support import Term

    unit = type("U", (), {"chunk": type("C", (), {"section_kind": "culture", "id": "c", "source": "a.txt"})(),
                          "start_line": 1})()
    ue = UnitEvidence(unit, (0.0,), (0.0,), 0.8, 0.8)  # type: ignore[arg-type]
    terms = [Term("ชัดเจน", 1.0, True, False, ())]
    assert not shows_topic(ue, terms, TopicWeights())
    assert shows_topic(ue, terms, TopicWeights(), sections=("culture",))
    assert not shows_topic(ue, terms, TopicWeights(), sections=("vision",))
