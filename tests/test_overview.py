"""The overview's matrix and its JSON contract, over the real seed plans.

The stance primitive is passed in as a callable; here it is a plain reader of
the seed files (a theme word on a line is a strong stance quoted at that
line), enough to hold the contract: one cell per pair, ``supported`` from the
strength, quotes that are the original text at their cited lines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.cases import SEED_PLANS
from planqa.types import Citation
from retrieval import overview
from retrieval.__main__ import main
from retrieval.overview import PlainStance

CORPUS = SEED_PLANS
SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))[:3]


def _lines(source: str) -> list[str]:
    return (CORPUS / source).read_text(encoding="utf-8").splitlines()


def _reader(offices: Sequence[str], topics: Sequence[str]) -> list[PlainStance]:
    out = []
    for source in offices:  # the office is named by its plan in this reader
        lines = _lines(source)
        for topic in topics:
            at = [n for n, line in enumerate(lines, 1) if topic in line][:2]
            quotes = tuple(Citation(n=i + 1, source=source, office=source, section="", start_line=n,
                                    end_line=n, text=lines[n - 1].strip()) for i, n in enumerate(at))
            out.append(PlainStance(source, source, topic, 0.9 if at else 0.1, "strong" if at else "none", quotes))
    return out


THEMES = ["ความปลอดภัย", "ภาษาอังกฤษ", "คำที่ไม่มีในแผนใดเลย"]


def test_one_cell_per_pair_and_the_json_contract() -> None:
    matrix = overview.build(_reader, SEEDS, THEMES)
    data = json.loads(json.dumps(matrix.to_dict(), ensure_ascii=False))
    assert data["themes"] == THEMES
    assert [o["office"] for o in data["offices"]] == SEEDS
    assert {(c["office"], c["theme"]) for c in data["cells"]} == {(o, t) for o in SEEDS for t in THEMES}
    assert len(data["cells"]) == len(SEEDS) * len(THEMES)
    for cell in data["cells"]:
        assert set(cell) == {"theme", "office", "source", "supported", "strength", "probability", "quotes"}
        assert cell["supported"] == (cell["strength"] in ("strong", "some"))
        if cell["supported"]:
            assert cell["quotes"], cell
        for q in cell["quotes"]:
            lines = _lines(q["source"])[q["start_line"] - 1:q["end_line"]]
            assert q["text"] == "\n".join(lines).strip()
    absent = [c for c in data["cells"] if c["theme"] == THEMES[-1]]
    assert absent and not any(c["supported"] for c in absent)


def test_blank_and_duplicate_themes_are_dropped_and_none_left_is_an_error() -> None:
    matrix = overview.build(_reader, SEEDS[:1], [" ภาษาอังกฤษ ", "ภาษาอังกฤษ", ""])
    assert matrix.themes == ("ภาษาอังกฤษ",)
    with pytest.raises(ValueError, match="no theme"):
        overview.build(_reader, SEEDS[:1], ["  "])


def test_a_missing_cell_or_unknown_strength_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="ภาษาจีน"):
        overview.build(lambda offices, topics: [], SEEDS[:1], ["ภาษาจีน"])

    def odd(offices: Sequence[str], topics: Sequence[str]) -> list[PlainStance]:
        return [PlainStance(o, o, t, 0.5, "maybe", ()) for o in offices for t in topics]

    with pytest.raises(ValueError, match="'maybe'.*strong"):
        overview.build(odd, SEEDS[:1], ["ภาษาจีน"])


def test_table_has_a_row_per_office_and_a_legend() -> None:
    matrix = overview.build(_reader, SEEDS, THEMES)
    text = overview.table(matrix)
    rows = text.splitlines()
    assert len(rows) == 1 + len(SEEDS) + 1
    assert rows[-1].startswith("legend:")
    for office in SEEDS:
        row = next(r for r in rows if r.startswith(office))
        marks = row[len(office):].split()
        assert len(marks) == len(THEMES)
        assert marks[-1] == "·"  # the absent theme


def test_cli_overview_without_a_theme_reads_the_default_themes_and_needs_an_index(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["overview", "--index-dir", str(tmp_path / "index"), "--corpus-dir", str(tmp_path)])
    assert code == 2
    assert "python -m ingest" in capsys.readouterr().err


def test_csv_and_xlsx_exports_hold_the_matrix_and_every_quote(tmp_path: Path) -> None:
    import csv

    from openpyxl import load_workbook

    from webui.overview_export import STRENGTH_TH, write_csv, write_xlsx

    data = overview.build(_reader, SEEDS, THEMES).to_dict()
    rows = list(csv.reader(write_csv(data, tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][2:] == THEMES
    assert [r[0] for r in rows[1:]] == SEEDS
    by_pair = {(c["office"], c["theme"]): c["strength"] for c in data["cells"]}
    for r in rows[1:]:
        assert r[2:] == [STRENGTH_TH[by_pair[(r[0], t)]] for t in THEMES]
    book = load_workbook(write_xlsx(data, tmp_path / "m.xlsx"))
    assert book.sheetnames == ["ภาพรวม", "ข้อความอ้างอิง"]
    assert [[str(v) for v in row] for row in book["ภาพรวม"].iter_rows(values_only=True)] == rows
    quotes = list(book["ข้อความอ้างอิง"].iter_rows(values_only=True))[1:]
    assert len(quotes) == sum(len(c["quotes"]) for c in data["cells"]) > 0
    for q in quotes:
        assert q[4] == "\n".join(_lines(str(q[5]))[int(q[6]) - 1:int(q[7])]).strip()  # type: ignore[arg-type]


def test_the_tab_view_sorts_filters_and_shows_a_cells_quotes_at_their_lines() -> None:
    from webui import overview_view as view

    data = overview.build(_reader, SEEDS, THEMES).to_dict()
    shown = view.rows(data)
    assert [r[0] for r in shown] == SEEDS
    by_pair = {(c["office"], c["theme"]): c for c in data["cells"]}
    ranked = [r[0] for r in view.rows(data, sort_by=THEMES[0])]
    strengths = [view.RANK[by_pair[(o, THEMES[0])]["strength"]] for o in ranked]
    assert strengths == sorted(strengths, reverse=True)
    assert [r[0] for r in view.rows(data, keep=SEEDS[1][:6])] == [SEEDS[1]]
    assert view.rows(data, keep="ไม่มีสำนักงานนี้") == []
    colours = view.colours(data, shown)
    assert all(len(c) == len(THEMES) + 1 for c in colours)
    cell = next(c for c in data["cells"] if c["supported"])
    html = view.cell_html(data, cell["office"], cell["theme"], CORPUS)
    for q in cell["quotes"]:
        assert f'<td class="ln">{q["start_line"]}</td>' in html
        assert "<mark>" in html
    assert "ไม่พบข้อความ" in view.cell_html(data, SEEDS[0], THEMES[-1], CORPUS)
    assert view.typed_themes("ภาษาจีน, การออม\nลูกเสือ\n ") == ["ภาษาจีน", "การออม", "ลูกเสือ"]
