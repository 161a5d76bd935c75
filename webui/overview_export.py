"""The overview matrix as CSV and as XLSX (one sheet for the matrix, one for the quotes).

Both take the overview's JSON contract (``retrieval.overview.Overview.to_dict``),
so what is exported is exactly what the command prints and the API returns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# the strength's Thai label in the exported matrix (the JSON keeps the English value)
STRENGTH_TH = {"strong": "ชัดเจน", "some": "บางส่วน", "none": "ไม่พบ"}
QUOTE_HEADER = ("หน่วยงาน", "ประเด็น", "ระดับ", "ความน่าจะเป็น", "ข้อความ", "แหล่งที่มา", "บรรทัดเริ่ม", "บรรทัดสิ้นสุด", "หน้า")


def _rows(data: Mapping[str, Any]) -> list[list[str]]:
    themes = list(data["themes"])
    strength = {(c["office"], c["theme"]): c["strength"] for c in data["cells"]}
    rows = [["หน่วยงาน", "แหล่งที่มา", *themes]]
    for o in data["offices"]:
        rows.append([o["office"], o["source"], *(STRENGTH_TH[strength[(o["office"], t)]] for t in themes)])
    return rows


def _quote_rows(data: Mapping[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for c in data["cells"]:
        for q in c["quotes"]:
            rows.append([c["office"], c["theme"], STRENGTH_TH[c["strength"]], c["probability"], q["text"],
                         q["source"], q["start_line"], q["end_line"], q.get("page", "")])
    return rows


def to_csv(data: Mapping[str, Any]) -> str:
    """The matrix (offices x themes, Thai strength labels) as CSV text."""
    out = io.StringIO()
    csv.writer(out).writerows(_rows(data))
    return out.getvalue()


def write_csv(data: Mapping[str, Any], path: Path) -> Path:
    path.write_text("\ufeff" + to_csv(data), encoding="utf-8")  # the BOM makes Excel read Thai as UTF-8
    return path


def write_xlsx(data: Mapping[str, Any], path: Path) -> Path:
    """An XLSX workbook: sheet "ภาพรวม" (the matrix) and sheet "ข้อความอ้างอิง" (quotes and citations)."""
    from openpyxl import Workbook

    book = Workbook()
    matrix = book.active
    assert matrix is not None  # a new workbook always has its first sheet
    matrix.title = "ภาพรวม"
    for row in _rows(data):
        matrix.append(row)
    quotes = book.create_sheet("ข้อความอ้างอิง")
    quotes.append(list(QUOTE_HEADER))
    for qrow in _quote_rows(data):
        quotes.append(qrow)
    book.save(path)
    return path
