"""Answer wording: Thai by default, English framing for English questions.

Quotes always stay in the plan's own Thai.
"""

from __future__ import annotations

from typing import Any

from ingest.sections import label

TH = {
    "empty": "กรุณาพิมพ์คำถามเกี่ยวกับแผนของสำนักงานเขตพื้นที่การศึกษา",
    "no_index": "ยังไม่มีเอกสารในดัชนี กรุณานำเข้าเอกสารก่อน (python -m ingest)",
    "abstain": "ขออภัย แผนที่มีอยู่ไม่ได้ระบุเรื่องนี้",
    "unknown_office": "ไม่พบแผนของ {names} ในเอกสารที่มีอยู่ (มีแผนของ: {known})",
    "missing": {
        "number": "แผนไม่ได้ระบุตัวเลขหรือจำนวนดังกล่าว",
        "person": "แผนไม่ได้ระบุชื่อบุคคลดังกล่าว",
        "contact": "แผนไม่ได้ระบุข้อมูลติดต่อ",
        "date": "แผนไม่ได้ระบุวันเวลาดังกล่าว",
        "weak": "ไม่พบข้อความในแผนที่ตอบคำถามนี้ได้โดยตรง",
        "topic": "ไม่มีแผนใดกล่าวถึง {words}",
    },
    "related": "ที่เกี่ยวข้อง:",
    "which_intro": "สำนักงานที่แผนกล่าวถึงเรื่องนี้:",
    "compare_intro": "เปรียบเทียบ{section}:",
    "shared": "ทั้งสองแผนกล่าวถึงร่วมกัน: {words}",
    "differ": "ไม่พบถ้อยคำสำคัญที่ตรงกัน แต่ละแผนมีจุดเน้นต่างกันตามข้อความข้างต้น",
    "item": "ข้อ {n}",
    "more": "(และอีก {n} ข้อ ดูได้ใน [{ref}])",
    "lines": "บรรทัด",
}
EN = {
    "empty": "Please type a question about the service-area offices' plans.",
    "no_index": "The index is empty: ingest documents first (python -m ingest).",
    "abstain": "Sorry, the plans available do not say this.",
    "unknown_office": "No plan of {names} is in the documents (plans available: {known}).",
    "missing": {
        "number": "The plans state no such figure or count.",
        "person": "The plans name no such person.",
        "contact": "The plans give no contact details.",
        "date": "The plans give no such date.",
        "weak": "No passage in the plans answers this directly.",
        "topic": "No plan mentions {words}.",
    },
    "related": "Related passages:",
    "which_intro": "Offices whose plans address this:",
    "compare_intro": "Comparing the {section}:",
    "shared": "Both plans mention: {words}",
    "differ": "The passages share no key words; each plan's emphasis is quoted above.",
    "item": "item {n}",
    "more": "(and {n} more items, see [{ref}])",
    "lines": "lines",
}
def phrases(english: bool) -> dict[str, Any]:
    return EN if english else TH


def section_label(kind: str, english: bool) -> str:
    return label(kind, english)
