"""Office names: find them in plans and in questions, in all their forms.

An office is identified by an ``OfficeKey`` (level, province, area number):
"สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 4" and "สพม.4" share the key
(secondary, "", "4"); "สพม.มุกดาหาร" and "Mukdahan" share
(secondary, "มุกดาหาร", ""). Questions are matched against the offices
present in the index, never against a fixed list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize import normalize_query

SECONDARY, PRIMARY = "secondary", "primary"
_LEVEL_WORD = {SECONDARY: "มัธยมศึกษา", PRIMARY: "ประถมศึกษา"}
_LEVEL_ABBR = {SECONDARY: "สพม.", PRIMARY: "สพป."}
_FULL_PREFIX = "สำนักงานเขตพื้นที่การศึกษา"


@dataclass(frozen=True, slots=True)
class OfficeKey:
    level: str | None  # secondary / primary / None when not said
    province: str  # Thai province name, "" when none
    area: str  # area number in Arabic digits, "" when none

    def full_name(self) -> str:
        level = _LEVEL_WORD.get(self.level or SECONDARY, "มัธยมศึกษา")
        name = _FULL_PREFIX + level
        if self.province:
            name += self.province
        if self.area:
            name += f" เขต {self.area}"
        return name

    def short_name(self) -> str:
        abbr = _LEVEL_ABBR.get(self.level or SECONDARY, "สพม.")
        if self.province:
            return abbr + self.province + (f" เขต {self.area}" if self.area else "")
        return f"{abbr} เขต {self.area}" if self.area else abbr

    @property
    def specific(self) -> bool:
        """Names one office (a province or an area number), not just a level."""
        return bool(self.province or self.area)

    def matches(self, other: OfficeKey) -> bool:
        """True when every part this (partial) mention names agrees with ``other``."""
        if self.level and other.level and self.level != other.level:
            return False
        if self.province and self.province != other.province:
            return False
        if self.area and self.area != other.area:
            return False
        return self.specific


@lru_cache(maxsize=1)
def _provinces() -> tuple[tuple[str, str], ...]:
    """(Thai name, English name) of every province, longest Thai name first."""
    from pythainlp.corpus import provinces

    rows = {(str(p["name_th"]), str(p["name_en"])) for p in provinces(details=True)}  # type: ignore[index]
    rows.add(("กรุงเทพมหานคร", "Bangkok"))
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    th = "|".join(re.escape(t) for t, _ in _provinces() if t != "กรุงเทพมหานคร")
    th = f"กรุงเทพมหานคร|กรุงเทพฯ?|กทม\\.?|{th}"
    en = "|".join(re.escape(e) for _, e in _provinces())
    area = r"(?:\s*เขต\s*(?P<area>\d{1,3})(?!\d))?"
    full = re.compile(
        rf"สำนักงานเขตพื้นที่การศึกษา\s*(?P<level>มัธยมศึกษา|ประถมศึกษา)\s*(?:จังหวัด\s*)?(?P<prov>{th})?{area}"
    )
    abbr = re.compile(rf"สพ\s*(?P<level>[มป])\s*\.?\s*(?:จังหวัด\s*)?(?P<prov>{th})?\s*(?:เขต\s*)?(?P<area>\d{{1,3}})?(?!\d)")
    bare = re.compile(rf"(?:เขต\s*(?:พื้นที่\s*)?(?P<area>\d{{1,3}})(?!\d))|(?:จังหวัด\s*)?(?P<prov>{th})")
    english = re.compile(
        rf"(?i)\b(?:(?P<prov>{en})\b|(?:area|district|region|zone)\s*(?:no\.?\s*)?(?P<area>\d{{1,3}})\b)"
    )
    return full, abbr, bare, english


def _province_th(name: str) -> str:
    if name.startswith("กรุงเทพ") or name.startswith("กทม"):
        return "กรุงเทพมหานคร"
    for th, en in _provinces():
        if name.lower() == en.lower() or name == th:
            return th
    return name


def _key(level: str | None, prov: str | None, area: str | None) -> OfficeKey:
    lvl = {"มัธยมศึกษา": SECONDARY, "ม": SECONDARY, "ประถมศึกษา": PRIMARY, "ป": PRIMARY}.get(level or "")
    return OfficeKey(lvl, _province_th(prov) if prov else "", area or "")


HEAD_LINES = 15  # a plan names its own office in its first lines: title, heading, or its vision's subject
_LEAD = re.compile(r"^[\s#*>\-•–“\"'(]*")
_PARTNER = re.compile(r"(กับ|และ|ร่วมกับ|ประสาน\S*|\bwith|\band)\s*$", re.IGNORECASE)


def find_office_in_document(lines: list[str]) -> OfficeKey | None:
    """The office a plan belongs to, by where it is named, never by how often.

    In order: an office that begins one of the first ``HEAD_LINES`` non-empty
    lines (a title or heading, or the subject of the vision statement:
    "สำนักงานเขตพื้นที่การศึกษา... เขต 13 เป็นผู้นำ..."); else an office named in the
    title (the first non-empty line: "แผนยุทธศาสตร์ของ สพม. เขต 4 ปี 2568"), unless
    it follows a word that makes it a partner ("ร่วมมือกับ สพม.มุกดาหาร"). An office
    mentioned inside the text is never taken, however often; a plan that names no
    office of its own stays unattributed (None).
    """
    full, abbr, _, _ = _patterns()
    head = [normalize_query(line) for line in lines if line.strip()][:HEAD_LINES]
    for text in head:
        start = _LEAD.match(text)
        body = text[start.end() if start else 0 :]
        for pat, line in ((full, body), (abbr, body), (full, ocr_tolerant_head(body))):
            m = pat.match(line)
            if m and (key := _key(m.group("level"), m.group("prov"), m.group("area"))).specific:
                return key
    for pat in (full, abbr):
        for m in pat.finditer(head[0] if head else ""):
            key = _key(m.group("level"), m.group("prov"), m.group("area"))
            if key.specific and not _PARTNER.search(head[0][: m.start()]):
                return key
    return None


# OCR noise an office line may carry and still name the office: edits (Levenshtein) within the
# prefix "สำนักงานเขตพื้นที่การศึกษา" (26 characters; "สำนักงานเขตพันทิการศึกษา" is 4 away), the level
# word, and a province name of 5 or more letters
PREFIX_EDITS, LEVEL_EDITS, PROVINCE_EDITS = 4, 2, 1


def ocr_tolerant_head(body: str) -> str:
    """``body`` with the full office name it starts with spelled right, when OCR misread it within
    a few edits ("สำนักงานเขตพันทิการศึกษามัธยมศึกษามุกดาหร" -> "สำนักงานเขตพื้นที่การศึกษามัธยม
    ศึกษามุกดาหาร"); ``body`` unchanged when it starts with no such name. Only the start of a line
    is read this way: a name inside a line, a partner's included, is never guessed at."""
    head = _fuzzy_prefix(body, (_FULL_PREFIX,), PREFIX_EDITS)
    if head is None:
        return body
    rest = head[1].lstrip()
    level = _fuzzy_prefix(rest, tuple(_LEVEL_WORD.values()), LEVEL_EDITS)
    if level is None:
        return body
    word, rest = level
    tail = rest.lstrip()
    if tail.startswith("จังหวัด"):
        tail = tail[len("จังหวัด") :].lstrip()
    exact = _patterns()[0].match(_FULL_PREFIX + word + tail)
    if exact is None or not (exact.group("prov") or exact.group("area")):
        province = _fuzzy_prefix(tail, tuple(t for t, _ in _provinces() if len(t) >= 5), PROVINCE_EDITS)
        if province is not None:
            tail = province[0] + province[1]
    return _FULL_PREFIX + word + tail


def _fuzzy_prefix(text: str, names: tuple[str, ...], edits: int) -> tuple[str, str] | None:
    """(the name ``text`` starts with, the rest of ``text``) for the one name within ``edits``
    edits of a prefix of ``text``; None when none is, or two names are equally near."""
    from rapidfuzz.distance import Levenshtein

    best: list[tuple[int, str, int]] = []  # (distance, name, length of text it took)
    for name in names:
        for end in range(max(1, len(name) - edits), min(len(text), len(name) + edits) + 1):
            d = Levenshtein.distance(text[:end], name, score_cutoff=edits)
            if d <= edits:
                best.append((d, name, end))
    if not best:
        return None
    best.sort(key=lambda b: (b[0], abs(b[2] - len(b[1]))))
    d, name, end = best[0]
    if any(other != name and od == d for od, other, _ in best):
        return None  # as near to two names: no guess
    return name, text[end:]


def find_office_mentions(question: str) -> list[OfficeKey]:
    """Every office mention in a question, full, abbreviated, bare or English."""
    return [key for key, _ in find_office_spans(question)]


def find_office_spans(question: str) -> list[tuple[OfficeKey, str]]:
    """Office mentions with the text that names them (normalised question)."""
    text = normalize_query(question)
    full, abbr, bare, english = _patterns()
    found: list[tuple[OfficeKey, str]] = []
    taken: list[tuple[int, int]] = []
    bounds: set[int] | None = None
    for pat in (full, abbr, english, bare):
        for m in pat.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            groups = m.groupdict()
            if pat is bare and groups.get("prov") and not m.group(0).startswith("จังหวัด"):
                bounds = _word_bounds(text) if bounds is None else bounds
                if not _standalone_province(m, bounds):
                    continue
            key = _key(groups.get("level"), groups.get("prov"), groups.get("area"))
            if key.specific:
                found.append((key, m.group(0)))
                taken.append(m.span())
    return found


# provinces that are also everyday words ("ไม่มีเลย", "ตากแดด", "แพร่ระบาด"):
# alone they name an office only after "จังหวัด" or an abbreviation
_EVERYDAY_WORD_PROVINCES = frozenset({"เลย", "ตาก", "แพร่"})


def _standalone_province(m: re.Match[str], bounds: set[int]) -> bool:
    """A bare province name counts only as a whole word ("เผยแพร่" is no แพร่)."""
    if m.group("prov") in _EVERYDAY_WORD_PROVINCES:
        return False
    return m.start("prov") in bounds and m.end("prov") in bounds


def _word_bounds(text: str) -> set[int]:
    from ingest.tokens import word_tokenize

    bounds, pos = {0}, 0
    for token in word_tokenize(text, keep_whitespace=True):
        pos += len(token)
        bounds.add(pos)
    return bounds


def parse_office_name(name: str) -> OfficeKey | None:
    """The key of an office name as stored in the index (None for fallbacks)."""
    mentions = find_office_mentions(name)
    return mentions[0] if mentions else None
