"""Education vocabulary: English -> Thai terms, and Thai near-synonyms.

English questions over Thai plans get their key terms in Thai for BM25 and
for judging which quoted line supports the answer (the dense model is
multilingual; the lexical side is not). Thai near-synonyms let "นักเรียน"
support a line that says "ผู้เรียน".
"""

from __future__ import annotations

import re
from functools import lru_cache

EN_TH: dict[str, str] = {
    "student": "นักเรียน ผู้เรียน", "students": "นักเรียน ผู้เรียน", "learner": "ผู้เรียน", "learners": "ผู้เรียน",
    "child": "เด็ก", "children": "เด็ก", "teacher": "ครู", "teachers": "ครู", "staff": "บุคลากร",
    "personnel": "บุคลากร", "school": "โรงเรียน สถานศึกษา", "schools": "โรงเรียน สถานศึกษา",
    "safety": "ความปลอดภัย", "safe": "ปลอดภัย", "security": "ความมั่นคง", "quality": "คุณภาพ",
    "standard": "มาตรฐาน", "standards": "มาตรฐาน", "international": "สากล", "excellence": "ความเป็นเลิศ",
    "innovation": "นวัตกรรม", "innovative": "นวัตกรรม", "digital": "ดิจิทัล", "technology": "เทคโนโลยี",
    "opportunity": "โอกาส", "opportunities": "โอกาส", "equality": "ความเสมอภาค", "equity": "ความเสมอภาค",
    "inequality": "ความเหลื่อมล้ำ", "disabled": "พิการ", "disability": "พิการ", "disadvantaged": "ด้อยโอกาส",
    "dropout": "ออกกลางคัน", "dropouts": "ออกกลางคัน", "management": "บริหารจัดการ", "administration": "การบริหาร",
    "network": "เครือข่าย", "networks": "เครือข่าย", "participation": "การมีส่วนร่วม", "sufficiency": "พอเพียง",
    "economy": "เศรษฐกิจ", "thai": "ไทย", "thainess": "ความเป็นไทย", "curriculum": "หลักสูตร",
    "learning": "การเรียนรู้", "competency": "สมรรถนะ", "competencies": "สมรรถนะ", "skills": "ทักษะ",
    "skill": "ทักษะ", "career": "อาชีพ", "morality": "คุณธรรม", "ethics": "จริยธรรม", "environment": "สิ่งแวดล้อม",
    "drugs": "ยาเสพติด", "transparency": "โปร่งใส", "transparent": "โปร่งใส", "service": "บริการ",
    "covid": "โควิด โคโรนา", "covid-19": "โควิด โคโรนา", "coronavirus": "โคโรนา", "disease": "โรค",
    "budget": "งบประมาณ", "english": "ภาษาอังกฤษ", "evaluation": "การประเมิน", "assessment": "การประเมิน",
    "research": "วิจัย", "teamwork": "ทีม", "team": "ทีม", "punctual": "ตรงต่อเวลา", "responsibility": "รับผิดชอบ",
    "lifelong": "ตลอดชีวิต", "sustainable": "ยั่งยืน", "disaster": "ภัยพิบัติ", "threats": "ภัยคุกคาม",
    "measure": "ร้อยละ ตัวชี้วัด", "measures": "มาตรการ",
}
# near-synonyms that count as the same evidence word
TH_EQUIVALENT: tuple[frozenset[str], ...] = (
    frozenset({"นักเรียน", "ผู้เรียน"}),
    frozenset({"โรงเรียน", "สถานศึกษา"}),
    frozenset({"ครู", "ผู้สอน"}),
    frozenset({"โควิด", "โคโรนา"}),
    frozenset({"พึงพอใจ", "พึงใจ", "ความพึงพอใจ"}),
    frozenset({"ออกกลางคัน", "นอกระบบ", "หลุด"}),
)
_WORD = re.compile(r"[a-z][a-z0-9-]*")


def english_to_thai(text: str) -> str:
    """Thai terms for the English words of ``text`` ("" when none are known)."""
    words = _WORD.findall(text.lower())
    return " ".join(dict.fromkeys(EN_TH[w] for w in words if w in EN_TH))


@lru_cache(maxsize=50_000)
def equivalents(token: str) -> frozenset[str]:
    """The group of words that spell the same thing as ``token`` (itself alone if none)."""
    for group in TH_EQUIVALENT:
        if token in group:
            return group
    return frozenset({token})
