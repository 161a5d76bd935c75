"""The evaluation runner end to end, the question-set format, and the quality gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evals.questions import DEFAULT_SET, load_cases
from evals.runner import gold_text_problems, run_cases
from planqa.errors import PlanQAError

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    {"id": "t1", "question": "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร", "kind": "lookup",
     "gold": [{"doc": "004_324aff1e68aa4ee5.txt", "text": "องค์กรนวัตกรรม สร้างคุณภาพผู้เรียน"}]},
    {"id": "t2", "question": "สำนักงานใดเน้นความปลอดภัยของนักเรียน", "kind": "which",
     "gold": [{"doc": "004_324aff1e68aa4ee5.txt", "text": "พัฒนาสถานศึกษาให้มีความปลอดภัยแก่ผู้เรียน"},
              {"doc": "002_1f30bfc08ba12608.txt", "text": "นักเรียนมีความปลอดภัย"}]},
    {"id": "t3", "question": "ข้อ 1 คืออะไร", "kind": "followup", "history": ["พันธกิจของ สพม.มุกดาหาร มีอะไรบ้าง"],
     "gold": [{"doc": "004_324aff1e68aa4ee5.txt", "text": "พัฒนาสถานศึกษาให้มีความปลอดภัยแก่ผู้เรียน"}]},
    {"id": "t4", "question": "งบประมาณของ สพม. เขต 4 เท่าไร", "kind": "abstain", "gold": []},
]


@pytest.fixture
def tiny_set(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in TINY) + "\n", encoding="utf-8")
    return path


def test_run_writes_the_three_files_with_documented_keys(seed_settings, tiny_set: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PLANQA_INDEX_DIR": str(seed_settings.index_dir), "PLANQA_CORPUS_DIR": str(seed_settings.corpus_dir)}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "evals", "run", "--questions", str(tiny_set), "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "hit@5" in proc.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Evaluation report")
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    overall = report["summary"]["overall"]
    for key in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@10", "citation_precision",
                "citation_recall", "office_exact", "abstention_precision", "abstention_recall", "latency_p50_ms",
                "latency_p95_ms", "citations_valid"):
        assert key in overall
    assert set(report["summary"]["by_kind"]) == {"lookup", "which", "followup", "abstain"}
    q = {row["id"]: row for row in report["questions"]}
    assert set(q["t1"]) >= {"id", "question", "kind", "gold", "hits", "answer", "latency_ms"}
    assert set(q["t1"]["hits"][0]) == {"source", "office", "section", "start_line", "end_line", "text", "score"}
    assert set(q["t1"]["answer"]) >= {"text", "abstained", "citations"}
    assert q["t1"]["scores"]["hit@1"] == 1.0
    assert q["t4"]["answer"]["abstained"] is True
    assert overall["abstention_recall"] == 1.0 and overall["citations_valid"] == 1.0

    # --compare prints question-by-question changes
    again = subprocess.run([sys.executable, "-m", "evals", "run", "--questions", str(tiny_set), "--out",
                            str(tmp_path / "out2"), "--compare", str(out / "report.json")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "overall mrr@10" in again.stdout


def test_bad_question_files_get_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q", "kind": "lookup", "gold": []}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(PlanQAError, match=r"bad.jsonl:2"):
        load_cases(bad)
    bad.write_text('{"id": "x", "question": "q", "kind": "guess", "gold": []}\n', encoding="utf-8")
    with pytest.raises(PlanQAError, match="kind 'guess'"):
        load_cases(bad)


def test_seed_set_is_well_formed() -> None:
    cases = load_cases(DEFAULT_SET)
    kinds = {c.kind for c in cases}
    assert len(cases) >= 80 and kinds == {"lookup", "which", "compare", "crosslingual", "followup", "abstain"}
    assert sum(1 for c in cases if c.should_abstain) >= 10
    assert all(c.history for c in cases if c.kind == "followup")
    rows = [json.loads(x) for x in DEFAULT_SET.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert sum(1 for r in rows if r.get("paraphrase")) >= len(rows) / 2
    assert gold_text_problems(cases, ROOT / "corpus") == []
    docs = {g.doc for c in cases for g in c.gold}
    assert docs == {p.name for p in (ROOT / "corpus").glob("*.txt")}


@pytest.mark.eval
def test_quality_gate_on_the_seed_set(seed_settings) -> None:  # type: ignore[no-untyped-def]
    """Floors only go up: raise them as the retriever improves."""
    report = run_cases(seed_settings, load_cases(DEFAULT_SET))
    overall = report["summary"]["overall"]
    print(json.dumps({k: overall[k] for k in ("hit@1", "hit@5", "mrr@10", "citation_precision", "office_exact",
                                                "abstention_precision", "abstention_recall")}))
    assert overall["hit@5"] >= 0.95
    assert overall["hit@1"] >= 0.85
    assert overall["mrr@10"] >= 0.90
    assert overall["abstention_recall"] >= 0.9
    assert overall["abstention_precision"] >= 0.9
    assert overall["citation_precision"] >= 0.9
    assert overall["office_exact"] >= 0.9
    assert overall["citations_valid"] == 1.0


def test_reingest_scenario_answer_follows_the_edit(seed_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from evals.scenario import NEW, OLD, run_scenario

    result = run_scenario(seed_settings, tmp_path)
    assert OLD in result["before"]
    assert NEW in result["after"] and OLD not in result["after"]
    assert result["reingest"]["updated"] == 1 and result["reingest"]["added"] == 0


def test_external_benchmark_runs_through_our_ingest(tmp_path: Path, seed_settings) -> None:  # type: ignore[no-untyped-def]
    """A tiny slice of XQuAD-th: the plumbing, not the figures (see README for those)."""
    from evals.external import data_dir, run_external

    src = data_dir()
    if not (src / "xquad-th.passages.jsonl").exists():
        pytest.skip(f"external sets not found at {src}")
    small = tmp_path / "sets"
    small.mkdir()
    passages = (src / "xquad-th.passages.jsonl").read_text(encoding="utf-8").splitlines()[:6]
    ids = {json.loads(p)["id"] for p in passages}
    questions = [q for q in (src / "xquad-th.questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if set(json.loads(q)["gold_passage_ids"]) <= ids][:10]
    (small / "xquad-th.passages.jsonl").write_text("\n".join(passages), encoding="utf-8")
    (small / "xquad-th.questions.jsonl").write_text("\n".join(questions), encoding="utf-8")
    result = run_external("xquad-th", seed_settings, directory=small, index_dir=tmp_path / "work")
    assert result["n"] == len(questions) and set(result) >= {"recall@1", "recall@5", "recall@10", "mrr@10"}
    assert result["recall@5"] >= 0.8
