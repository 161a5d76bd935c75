"""The one table of section kinds: how plans head them, how users name them, how answers label them.

Adding a heading keyword, a typo found in a real plan, an English gloss or a
user's paraphrase is one edit to ``SECTIONS``; the structure parser, query
parsing, the answerer's evidence words and the answer labels all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from planqa.types import SectionKind

__all__ = ["SectionKind", "SectionSpec", "SECTIONS", "HEADING_KEYWORDS", "ENGLISH_KEYWORDS", "SYNONYMS",
           "WHOLE_KINDS", "SECTION_WORDS", "label"]


@dataclass(frozen=True, slots=True)
class SectionSpec:
    kind: SectionKind
    label_th: str  # how an answer names the section in Thai
    label_en: str  # ... and in English
    headings: tuple[str, ...]  # Thai keywords a heading line starts with, typos of real plans included
    english: tuple[str, ...] = ()  # English words in headings ("วิสัยทัศน์ (VISION)") and in questions
    synonyms: tuple[str, ...] = ()  # what users write for the section beyond its headings
    whole: bool = False  # a short statement, quoted whole rather than item by item


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(SectionKind.VISION, "วิสัยทัศน์", "vision", ("วิสัยทัศน์",), ("vision",),
                ("ภาพอนาคต", "ภาพฝัน", "อยากเป็นองค์กร"), whole=True),
    SectionSpec(SectionKind.MISSION, "พันธกิจ", "mission", ("พันธกิจ", "ภารกิจ"), ("mission",),
                ("ภาระหน้าที่", "หน้าที่หลัก", "งานหลัก")),
    SectionSpec(SectionKind.GOAL, "เป้าประสงค์", "goals", ("เป้าประสงค์", "ป้าประสงค์", "เป้าประสงค", "เป้าหมาย"),
                ("goal", "goals"), ("จุดมุ่งหมาย", "ผลลัพธ์ที่คาดหวัง", "objective")),
    SectionSpec(SectionKind.STRATEGY, "กลยุทธ์", "strategies", ("ประเด็นกลยุทธ์", "กลยุทธ์", "กลยุทธ", "ยุทธศาสตร์"),
                ("strategy", "strategies"), ("แนวทางการพัฒนา", "ยุทธศาสตร์", "strategic issue")),
    SectionSpec(SectionKind.FOCUS, "จุดเน้น", "focus points", ("จุดเน้น",), ("focus",),
                ("เน้นเรื่อง", "ประเด็นเน้น", "ให้ความสำคัญเป็นพิเศษ", "เน้นเป็นพิเศษ", "priorit")),
    SectionSpec(SectionKind.INDICATOR, "ตัวชี้วัด", "indicators", ("ตัวชี้วัด",), ("indicator", "indicators", "kpi"),
                ("วัดผล", "ตัววัด", "เกณฑ์วัด", "measure", "kpi")),
    SectionSpec(SectionKind.VALUES, "ค่านิยม", "core values", ("ค่านิยม",), ("values", "value"),
                ("คุณค่าร่วม", "core value"), whole=True),
    SectionSpec(SectionKind.CULTURE, "วัฒนธรรมองค์กร", "organisational culture", ("วัฒนธรรมองค์กร",), ("culture",),
                whole=True),
    SectionSpec(SectionKind.IDENTITY, "อัตลักษณ์", "identity", ("อัตลักษณ์",), ("identity",), ("ภาพลักษณ์",),
                whole=True),
    SectionSpec(SectionKind.UNIQUENESS, "เอกลักษณ์", "distinctive character", ("เอกลักษณ์",), ("uniqueness",),
                ("จุดเด่นเฉพาะ", "ความโดดเด่นเฉพาะ"), whole=True),
    SectionSpec(SectionKind.MODEL, "กรอบแนวคิด", "working model", ("กรอบแนวคิด",), whole=True),
)
BY_KIND: dict[SectionKind, SectionSpec] = {s.kind: s for s in SECTIONS}

# (Thai heading keyword, kind), longest first so that "ประเด็นกลยุทธ์" wins over "กลยุทธ์"
HEADING_KEYWORDS: tuple[tuple[str, SectionKind], ...] = tuple(
    sorted(((kw, s.kind) for s in SECTIONS for kw in s.headings), key=lambda kv: -len(kv[0]))
)
# English word -> kind (headings' glosses and English questions)
ENGLISH_KEYWORDS: dict[str, SectionKind] = {w: s.kind for s in SECTIONS for w in s.english}
# (user phrase, kind): paraphrases beyond the headings, Thai or English
SYNONYMS: tuple[tuple[str, SectionKind], ...] = tuple((w, s.kind) for s in SECTIONS for w in s.synonyms)
WHOLE_KINDS: frozenset[SectionKind] = frozenset(s.kind for s in SECTIONS if s.whole)
# words that name a section rather than say something about a topic: what a heading or a
# label is made of; they are no evidence that a passage answers a question
SECTION_WORDS: frozenset[str] = frozenset(
    {w for s in SECTIONS for w in (*s.headings, *s.english, s.label_th)}
    | {"วัฒนธรรม", "องค์กร", "กรอบแนวคิด", "ค่านิยมหลัก"}
)


def label(kind: str, english: bool) -> str:
    """How an answer names the section of ``kind`` ("" for none or unknown)."""
    spec = BY_KIND.get(SectionKind.parse(kind))
    if spec is None:
        return ""
    return spec.label_en if english else spec.label_th
