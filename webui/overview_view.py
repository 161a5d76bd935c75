"""The "ภาพรวม" tab's view of an overview: table rows, sort, filter, a cell's quotes.

Gradio-free: it takes the overview's JSON contract and returns plain rows and
HTML, so the tab in ``webui.ui`` only wires events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from planqa.types import Citation
from webui.render import citation_html, text

MARK = {"strong": "● ชัดเจน", "some": "◐ บางส่วน", "none": "· ไม่พบ"}
COLOUR = {"strong": "#1b7f3b", "some": "#e0a800", "none": "#d9d9d9"}
RANK = {"strong": 2, "some": 1, "none": 0}
OFFICE_HEADER = "หน่วยงาน"


def typed_themes(typed: str) -> list[str]:
    """Themes typed by the user: one per line or separated by commas."""
    return [t.strip() for line in typed.splitlines() for t in line.split(",") if t.strip()]


def rows(data: Mapping[str, Any], sort_by: str = "", keep: str = "") -> list[list[str]]:
    """One row per office (its name, then a mark per theme); filtered by ``keep`` (a substring of
    the office name), sorted strongest first by theme ``sort_by`` when given."""
    themes = list(data["themes"])
    cells = {(c["office"], c["theme"]): c for c in data["cells"]}
    offices = [o["office"] for o in data["offices"] if keep.strip() in o["office"]]
    if sort_by in themes:
        offices.sort(key=lambda o: (-RANK[cells[(o, sort_by)]["strength"]], -cells[(o, sort_by)]["probability"]))
    return [[o, *(MARK[cells[(o, t)]["strength"]] for t in themes)] for o in offices]


def colours(data: Mapping[str, Any], shown: Sequence[Sequence[str]]) -> list[list[str]]:
    """The background colour of each shown cell (the office column stays plain)."""
    cells = {(c["office"], c["theme"]): c["strength"] for c in data["cells"]}
    return [["", *(f"background-color: {COLOUR[cells[(r[0], t)]]}" for t in data["themes"])] for r in shown]


def legend() -> str:
    return " ".join(f'<span class="ov-legend" style="background:{COLOUR[s]}">&nbsp;&nbsp;&nbsp;</span> {MARK[s]}'
                    for s in ("strong", "some", "none"))


def cell_html(data: Mapping[str, Any], office: str, theme: str, corpus_dir: Path) -> str:
    """The quotes of one cell, each with its citation and the source at its lines."""
    cell = next((c for c in data["cells"] if c["office"] == office and c["theme"] == theme), None)
    if cell is None:
        return ""
    head = (f'<div class="ov-cell"><b>{text(office)}</b> · <b>{text(theme)}</b> · {MARK[cell["strength"]]} '
            f'(ความน่าจะเป็น {cell["probability"]:.2f})</div>')
    if not cell["quotes"]:
        return head + "<p>ไม่พบข้อความในแผนที่กล่าวถึงประเด็นนี้</p>"
    parts = [citation_html(Citation(n=n, source=q["source"], office=office, section="", start_line=q["start_line"],
                                    end_line=q["end_line"], text=q["text"]), corpus_dir)
             for n, q in enumerate(cell["quotes"], 1)]
    return head + "".join(parts)
