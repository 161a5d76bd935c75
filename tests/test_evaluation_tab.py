"""The Evaluation tab's logic (webui.evaluate) on the real seed index."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from ingest.pipeline import run as ingest_run
from planqa.errors import PlanQAError
from webui.evaluate import HEADERS, EvaluationRefused, Evaluator, summary_rows

TINY = "\n".join([
    '{"id": "t1", "question": "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", "kind": "lookup", '
    '"gold": [{"doc": "004_324aff1e68aa4ee5.txt", "text": "องค์กรนวัตกรรม"}]}',
    '{"id": "t2", "question": "เปรียบเทียบวิสัยทัศน์ของเขต 13 กับเขต 20", "kind": "compare", '
    '"gold": [{"doc": "001_6c7f6f6f50bc0cc0.txt"}, {"doc": "003_500a49f8050b8f55.txt"}]}',
    '{"id": "t3", "question": "สพม.เชียงใหม่ มีวิสัยทัศน์อย่างไร", "kind": "abstain", "gold": []}',
    '{"id": "t4", "question": "งบประมาณประจำปีของ สพม.มุกดาหาร เท่าไร", "kind": "abstain", "gold": []}',
]) + "\n"


@pytest.fixture()
def evaluator(seed_settings) -> Evaluator:  # type: ignore[no-untyped-def]
    return Evaluator(seed_settings, sync=lambda: ingest_run(seed_settings))


def test_a_question_set_gives_a_table_per_kind_a_chart_and_the_worst_questions(evaluator: Evaluator, tmp_path: Path) -> None:
    questions = tmp_path / "tiny.jsonl"
    questions.write_text(TINY, encoding="utf-8")
    view = evaluator.run(questions)
    assert view.questions == 4
    assert [row[0] for row in view.rows] == ["ทั้งหมด", "ควรงดตอบ (abstain)", "เปรียบเทียบ (compare)", "ค้นข้อมูล (lookup)"]
    assert all(len(row) == len(HEADERS) for row in view.rows)
    overall = dict(zip(HEADERS, view.rows[0]))
    assert overall["จำนวนคำถาม"] == 4 and overall["hit@1"] == 1.0 and overall["อ้างอิงตรงบรรทัด"] == 1.0
    assert overall["งดตอบ: recall"] == 1.0
    lookup = dict(zip(HEADERS, view.rows[3]))
    assert lookup["ระบุสำนักงานถูก"] == "—"  # office accuracy is for which/compare only
    assert view.chart.exists() and view.report_md.exists() and view.report_json.exists()
    assert view.report_json.is_relative_to(evaluator.settings.index_dir / "evals")
    assert all(re.match(r"- t\d: \S", line) for line in view.worst.splitlines())  # "- <id>: <question> — <what>"


def test_rows_round_and_mark_what_does_not_apply() -> None:
    summary = {"overall": {"n": 2, "hit@1": 0.66666, "office_exact": None, "latency_p95_ms": 41.7},
               "by_kind": {"which": {"n": 1, "hit@1": 1.0}}}
    rows = summary_rows(summary)
    first = dict(zip(HEADERS, rows[0]))
    assert first["hit@1"] == 0.667 and first["ระบุสำนักงานถูก"] == "—" and first["เวลา p95 (ms)"] == 42
    assert rows[1][0] == "สำนักงานใด (which)" and dict(zip(HEADERS, rows[1]))["MRR@10"] == "—"


def test_a_malformed_question_file_names_its_line(evaluator: Evaluator, tmp_path: Path) -> None:
    runs = evaluator.settings.index_dir / "evals"
    before = sorted(runs.iterdir()) if runs.exists() else []
    bad = tmp_path / "bad.jsonl"
    bad.write_text(TINY.splitlines()[0] + '\n{"id": "x", "question": "q", "kind": "nonsense", "gold": []}\n',
                   encoding="utf-8")
    with pytest.raises(EvaluationRefused, match=r"บรรทัด 2 \(bad\.jsonl:2\): not a valid case") as refused:
        evaluator.run(bad)
    assert str(tmp_path) not in str(refused.value)  # the server's temporary path is not shown
    bad.write_text(TINY.splitlines()[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(PlanQAError, match=r"\(bad\.jsonl:2\): not a valid case \(not JSON"):
        evaluator.run(bad)
    bad.write_bytes("วิสัยทัศน์".encode("cp874"))
    with pytest.raises(EvaluationRefused, match="UTF-8"):
        evaluator.run(bad)
    bad.write_text("\n\n", encoding="utf-8")
    with pytest.raises(EvaluationRefused, match="ไม่มีคำถาม"):
        evaluator.run(bad)
    assert (sorted(runs.iterdir()) if runs.exists() else []) == before  # refused before anything ran
    with pytest.raises(EvaluationRefused, match=r"\.jsonl"):
        evaluator.run(tmp_path / "questions.csv")
    with pytest.raises(EvaluationRefused, match="วิธีค้น"):
        evaluator.run(None, retriever="grep")


def test_one_evaluation_at_a_time(evaluator: Evaluator) -> None:
    hold = threading.Event()
    started = threading.Event()

    def slow_sync():  # type: ignore[no-untyped-def]
        started.set()
        hold.wait(30)
        return ingest_run(evaluator.settings)

    busy = Evaluator(evaluator.settings, sync=slow_sync)
    worker = threading.Thread(target=lambda: busy.run(None, retriever="bm25"))
    worker.start()
    try:
        assert started.wait(30)
        assert busy.running
        with pytest.raises(EvaluationRefused, match="กำลังประเมินผล"):
            busy.run(None)
    finally:
        hold.set()
        worker.join(120)
    assert not busy.running


def test_a_question_set_over_the_cap_is_refused_in_thai_before_anything_runs(seed_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import evals

    capped = seed_settings.model_copy(update={"eval_max_questions": 3})
    synced: list[int] = []
    evaluator = Evaluator(capped, sync=lambda: synced.append(1))
    questions = tmp_path / "big.jsonl"
    questions.write_text(TINY, encoding="utf-8")  # 4 questions
    with pytest.raises(EvaluationRefused, match="ชุดคำถาม big.jsonl มี 4 คำถาม เกินที่ประเมินได้ครั้งละ 3 คำถาม"):
        evaluator.run(questions)
    assert synced == [] and not evaluator.running  # nothing ran, and the next evaluation may start
    with pytest.raises(PlanQAError, match="hold 4 questions; one run asks at most 3 \\(PLANQA_EVAL_MAX_QUESTIONS\\)"):
        evals.run(capped, [questions], tmp_path / "out", sync=lambda: synced.append(1))  # the CLI's path too
    assert synced == [] and not (tmp_path / "out").exists()


def test_a_running_evaluation_stops_when_cancelled_and_frees_the_next(evaluator: Evaluator, tmp_path: Path) -> None:
    from webui.evaluate import EvaluationCancelled

    questions = tmp_path / "tiny.jsonl"
    questions.write_text(TINY, encoding="utf-8")
    assert evaluator.cancel() is False  # nothing to stop
    runs = evaluator.settings.index_dir / "evals"
    before = sorted(runs.iterdir()) if runs.exists() else []
    asked: list[int] = []

    def step(done: int, total: int, what: str) -> None:
        asked.append(done)
        if done == 1:
            assert evaluator.cancel() is True  # the stop button, pressed while the first answer came back

    with pytest.raises(EvaluationCancelled, match="หยุดการประเมินผลแล้ว \\(ถามไป 1 จาก 4 คำถาม"):
        evaluator.run(questions, progress=step)
    assert asked == [1] and not evaluator.running
    assert (sorted(runs.iterdir()) if runs.exists() else []) == before  # no report of a stopped run
    assert evaluator.run(questions).questions == 4  # the next one runs whole
