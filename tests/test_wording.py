"""Answer wording of long which-office lists: one line an office, a shared sentence quoted once."""

from __future__ import annotations

import numpy as np

from ingest.units import quotable
from planqa.types import AbstainReason, Chunk, Hit, Query, SectionKind
from retrieval.decide import Decision, Named
from retrieval.gather import Evidence
from retrieval.modes import Mode
from retrieval.wording import COMPACT_AFTER, Writer

SHARED = "ส่งเสริมทักษะการว่ายน้ำเพื่อป้องกันการจมน้ำของนักเรียนทุกระดับชั้น"


def _named(n: int, sentence: str, number: str = "3") -> Named:
    text = f"จุดเน้น\n   {number}. {sentence}"
    chunk = Chunk(f"c{n}", f"plan_{n}.txt", f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษาเลย เขต {n}", "จุดเน้น",
                  SectionKind.FOCUS, (number,), 10, 11, text, f"h{n}")
    return Named(chunk.office, 0.9, [quotable(chunk)[-1]])


def _write(named: list[Named]) -> tuple[list[str], Writer]:
    question = "สำนักงานใดเน้นการป้องกันการจมน้ำ"
    ev = Evidence(question=question, rewritten="", query=Query(question, question), mode=Mode.WHICH, terms=[],
                  hits=[], candidates=[], unit_vectors=np.zeros((0, 0)), offices=[], office_vectors=np.zeros((0, 0)),
                  question_vector=[], section=[], section_hit=None,
                  short={n.office: f"สพป.เลย เขต {i}" for i, n in enumerate(named, 1)})
    writer = Writer(ev, english=False)
    d = Decision(Mode.WHICH, 0.9)
    d.offices = named
    return writer.lines(d), writer


def test_a_short_list_quotes_every_office() -> None:
    lines, writer = _write([_named(i, SHARED) for i in range(1, COMPACT_AFTER + 1)])
    assert lines[0].startswith(f"สำนักงานที่แผนกล่าวถึงเรื่องนี้ ({COMPACT_AFTER} แห่ง")
    assert sum(SHARED in line for line in lines) == COMPACT_AFTER
    assert len(writer.book.citations) == COMPACT_AFTER


def test_a_long_list_is_one_line_an_office_with_a_shared_sentence_quoted_once() -> None:
    shared = [_named(i, SHARED, number=str(i % 4 + 1)) for i in range(1, 31)]  # numbered differently
    own = [_named(31, "จัดระบบแนะแนวอาชีพและการศึกษาต่อร่วมกับสถานประกอบการในจังหวัดเพื่อให้นักเรียนมีงานทำหลังสำเร็จการศึกษาทุกคน")]
    lines, writer = _write([*shared[:3], *own, *shared[3:]])
    assert lines[0] == "สำนักงานที่แผนกล่าวถึงเรื่องนี้ (31 แห่ง เรียงตามน้ำหนักของหลักฐาน):"
    assert len(lines) == 3  # the intro, the shared sentence with its 30 offices, the one of its own
    assert SHARED in lines[1] and "30 แห่ง" in lines[1]
    assert all(f"สพป.เลย เขต {i}" in lines[1] for i in (1, 2, 3, 5, 31 - 1))
    assert lines[2].startswith("• สพป.เลย เขต 4 — จุดเน้น ข้อ 3:") and lines[2].endswith("…” [31]")
    assert len(writer.book.citations) == 31  # every office keeps a citation of its own
    assert {c.office for c in writer.book.citations} == {n.office for n in [*shared, *own]}


def test_an_abstention_shows_the_related_sections_the_decision_chose_and_chooses_none_itself() -> None:
    _, writer = _write([_named(1, SHARED)])
    chunk = _named(1, SHARED).quotes[0].chunk
    writer.ev.hits = [Hit(chunk, 1.0, dense_score=0.5)]  # far below any "related" cosine: the writer must not judge
    shown = writer.lines(Decision(Mode.WHICH, 0.1, abstain=AbstainReason.WEAK, related=[writer.ev.hits[0]]))
    assert any("สพป.เลย เขต 1 — จุดเน้น" in line for line in shown)
    assert not any("จุดเน้น" in line for line in writer.lines(Decision(Mode.WHICH, 0.1, abstain=AbstainReason.WEAK)))
