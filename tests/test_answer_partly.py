""""Partly" answers: the topic is in a plan, the fact asked is not. The answer stays an
abstention, says so per office with the plan's own quote cited, and the evals count it as one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.cases import load_cases
from evals.runner import evaluate
from planqa.types import AbstainReason, Answer, Chunk, Citation, Hit, SectionKind
from tests.test_answer import MUK_FILE, assert_citations_valid


@pytest.fixture(scope="module")
def svc(seed_settings):  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    service = get_service(seed_settings)
    service.warm_up()
    return service


def _cited_lines(answer: Answer) -> list[str]:
    return [line for line in answer.text.split("\n") if re.search(r"\[\d+\]", line)]


def test_a_fact_question_whose_topic_is_in_a_plan_says_so_with_the_quote(svc, seed_settings) -> None:  # type: ignore[no-untyped-def]
    # Mukdahan's indicators name the ITA assessment ("ผ่านเกณฑ์การประเมิน ITA online"), with no date
    answer = svc.answer("สพม.มุกดาหาร จะประเมิน ITA เมื่อไร")
    assert answer.abstained and answer.abstain_reason is AbstainReason.DATE
    assert answer.text.startswith("ขออภัย แผนที่มีอยู่ไม่ได้ระบุเรื่องนี้")
    (line,) = _cited_lines(answer)
    assert line.startswith("แผนของ สพม.มุกดาหาร กล่าวถึงเรื่อง ") and "ITA" in line.split(":")[0]
    assert "แต่ไม่ได้ระบุวันเวลา: “" in line and "ITA online" in line
    assert {c.source for c in answer.citations} == {MUK_FILE}
    assert_citations_valid(answer, seed_settings.corpus_dir)


def test_an_english_fact_question_gets_the_partly_answer_in_english(svc, seed_settings) -> None:  # type: ignore[no-untyped-def]
    answer = svc.answer("When will Mukdahan evaluate the safety of students?")
    assert answer.abstained and answer.abstain_reason is AbstainReason.DATE
    (line,) = _cited_lines(answer)
    assert line.startswith("The plan of สพม.มุกดาหาร addresses ") and "ความปลอดภัย" in line.split(":")[0]
    assert "but gives no date: “" in line
    # "when", "will", "evaluate" are in no Thai plan: they are the question's frame, never named as its topic
    assert not re.search(r"\b(when|will|evaluate)\b", line.split(" but ")[0])
    assert {c.source for c in answer.citations} == {MUK_FILE}
    assert_citations_valid(answer, seed_settings.corpus_dir)


def test_a_fact_question_on_a_topic_in_no_plan_quotes_nothing(svc) -> None:  # type: ignore[no-untyped-def]
    answer = svc.answer("เบอร์โทรศัพท์ของ สพม.มุกดาหาร")
    assert answer.abstained and answer.abstain_reason is AbstainReason.CONTACT
    assert answer.citations == () and "กล่าวถึงเรื่อง" not in answer.text


def _chunk(source: str, text: str, office: str) -> Chunk:
    return Chunk(f"{source}#1", source, office, "ตัวชี้วัด", SectionKind.INDICATOR, (), 1, text.count("\n") + 1, text, "h")


def test_an_abstention_with_citations_counts_as_an_abstention(tmp_path: Path) -> None:
    """A partly answer cites the plan and is still an abstention: right on a must-abstain
    question, wrong (answerable abstained, no office named) on an answerable one, and its
    citations are checked like any other."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "ตัวชี้วัด\nร้อยละของสถานศึกษาที่ผ่านเกณฑ์การประเมิน ITA online"
    (corpus / "m.txt").write_text(text, encoding="utf-8")
    hit = Hit(_chunk("m.txt", text, "สพม.ม"), 0.9)
    cited = Citation(1, "m.txt", "สพม.ม", "ตัวชี้วัด", 2, 2, "ร้อยละของสถานศึกษาที่ผ่านเกณฑ์การประเมิน ITA online")
    partly = Answer("", "ขออภัย … แผนของ สพม.ม กล่าวถึงเรื่อง ITA แต่ไม่ได้ระบุวันเวลา: “…” [1]", (cited,), (hit,),
                    abstained=True, abstain_reason=AbstainReason.DATE)
    rows = [
        {"id": "a", "question": "สพม.ม จะประเมิน ITA เมื่อไร", "kind": "abstain", "gold": []},
        {"id": "w", "question": "เขตไหนประเมิน ITA", "kind": "which", "gold": [{"doc": "m.txt", "text": "ITA"}]},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = evaluate(load_cases(path), lambda q, k: [hit], lambda q, history: partly, corpus, k=5)
    s = {q["id"]: q["scores"] for q in report["questions"]}
    assert s["a"]["abstain_correct"] == 1.0 and s["w"]["abstain_correct"] == 0.0
    assert s["w"]["answerable_abstained"] == 1.0
    assert s["w"]["office_all"] == 0.0 and s["w"]["office_precision"] is None  # an abstention names no office
    assert "citation_precision" not in s["w"]  # its quotes are no answer's quotes
    overall = report["summary"]["overall"]
    assert overall["abstention_precision"] == 0.5 and overall["abstention_recall"] == 1.0
    assert overall["citations_valid"] == 1.0  # ... but they must be real lines of the plan
