"""Query understanding: office mentions, section intent, item numbers, kind.

Offices are resolved against the offices present in the index (with their
catalogue aliases), never against a fixed list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ingest.normalize import normalize_query
from ingest.offices import OfficeKey, find_office_spans, parse_office_name
from ingest.sections import ENGLISH_KEYWORDS, HEADING_KEYWORDS, SYNONYMS
from planqa.types import IndexedDocument, Query, SectionKind
from retrieval.framing import asks_which

_COMPARE = re.compile(r"เปรียบเทียบ|แตกต่าง|ต่างกัน|เหมือนกัน|ความเหมือน|compare|differ|similar|versus|\bvs\.?\b")
_ITEM_NO = re.compile(r"(?:ข้อ(?:ที่)?|item|no\.|number|#)\s*(\d{1,2})(?!\d)", re.IGNORECASE)
# "กลยุทธ์ที่ 2", "strategy 2": a numbered section, not an item
_SECTION_NO = re.compile(r"(?:กลยุทธ์|ยุทธศาสตร์|ประเด็นกลยุทธ์|strategy|strategic issue)\s*(?:ที่|no\.?)?\s*(\d{1,2})(?!\d)",
                         re.IGNORECASE)
_LATIN = re.compile(r"[A-Za-z]")
_THAI = re.compile("[\u0e01-\u0e4e]")


@dataclass(frozen=True, slots=True)
class KnownOffice:
    name: str  # as stored on chunks
    key: OfficeKey | None
    aliases: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # the documents of this office (more than one: they conflict)

    @property
    def short(self) -> str:
        return self.key.short_name() if self.key else self.name


def known_offices(documents: Sequence[IndexedDocument]) -> list[KnownOffice]:
    """The offices in the index, from the lexical store's document records."""
    seen: dict[str, KnownOffice] = {}
    for d in documents:
        name = d.office
        aliases = d.aliases
        sources: tuple[str, ...] = (d.source,)
        if name in seen:
            aliases = tuple(sorted(set(seen[name].aliases) | set(aliases)))
            sources = seen[name].sources + sources
        key = parse_office_name(name) if d.office_named else None
        seen[name] = KnownOffice(name, key, aliases, sources)
    return list(seen.values())


def _phrase_pattern() -> re.Pattern[str]:
    phrases = [re.escape(k) + r"(\s*\([^)]*\))?" for k, _ in HEADING_KEYWORDS + SYNONYMS]
    phrases += [rf"(?i:\b{w}\b)" for w in ENGLISH_KEYWORDS]
    return re.compile("|".join(sorted(phrases, key=len, reverse=True)))


SECTION_PHRASES = _phrase_pattern()


_MARKS = re.compile("[\u0e47-\u0e4e]")  # tone marks, thanthakhat, mai taikhu: the first to be typed wrong
_RESPELL_MIN = 5  # keywords shorter than this are left alone: a one-letter slip makes another word


def _skeleton(word: str) -> str:
    return _MARKS.sub("", word)


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of at most 1."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] if len(a) < len(b) else a[i + 1 :] == b[i + 1 :]


@lru_cache(maxsize=1)
def _respellable() -> dict[str, str]:
    """Skeleton -> keyword, for the section keywords long enough to respell safely."""
    out: dict[str, str] = {}
    for k, _ in sorted(HEADING_KEYWORDS, key=lambda kv: len(kv[0])):  # the fullest spelling wins
        if len(_skeleton(k)) >= _RESPELL_MIN:
            out[_skeleton(k)] = k
    return out


_KEYWORDS = frozenset(k for k, _ in HEADING_KEYWORDS)


def respell_sections(text: str) -> str:
    """Near-miss spellings of section keywords made right ("วิสัยทัศ", "พันธะกิจ", "กลยุธ"):
    one letter off once tone marks are set aside, over one to four adjacent words."""
    from ingest.tokens import word_tokenize
    from retrieval.spelling import replace_windows

    keys = _respellable()

    def keyword(window: list[str]) -> str | None:
        piece = "".join(window)
        if len(window) > 1 and any(w.isspace() for w in window):
            return None
        skel = _skeleton(piece)
        if len(skel) < _RESPELL_MIN - 1:
            return None
        return piece if piece in _KEYWORDS else next((k for sk, k in keys.items() if _within_one_edit(skel, sk)), None)

    return "".join(replace_windows(word_tokenize(text, keep_whitespace=True), keyword, 4))


def strip_section_phrases(text: str) -> str:
    """The question without the words that name a section."""
    return SECTION_PHRASES.sub(" ", text)


def section_intents(text: str, paraphrases: bool = True) -> tuple[SectionKind, ...]:
    """Canonical section kinds the question asks about, in order of mention (``paraphrases``: also
    those named by a paraphrase, "เน้นเรื่อง…" for the focus points, not by a heading word)."""
    low = normalize_query(text).lower()
    found: list[tuple[int, SectionKind]] = []
    for keyword, kind in HEADING_KEYWORDS + (SYNONYMS if paraphrases else ()):
        pos = low.find(keyword)
        if pos >= 0:
            found.append((pos, kind))
    for word, kind in ENGLISH_KEYWORDS.items():
        m = re.search(rf"\b{word}\b", low)
        if m:
            found.append((m.start(), kind))
    kinds: list[SectionKind] = []
    for _, kind in sorted(found):
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def parse_query(question: str, offices: Sequence[KnownOffice], respell: Callable[[str], str] | None = None) -> Query:
    """Parse a (possibly rewritten) question against the indexed offices; ``respell`` reads its
    misspelt words as the plans' words (``retrieval.spelling.Speller.respell``)."""
    norm = respell_sections(normalize_query(question))
    if respell is not None:
        norm = respell(norm)
    low = norm.lower()
    matched: list[str] = []
    unknown: list[str] = []
    spans = find_office_spans(norm)
    for mention, _ in spans:
        hits = [o.name for o in offices if o.key is not None and mention.matches(o.key)]
        if hits:
            matched.extend(h for h in hits if h not in matched)
        else:
            unknown.append(mention.short_name() if mention.level else (mention.province or f"เขต {mention.area}"))
    for office in offices:
        if any(alias and alias.lower() in low for alias in office.aliases) and office.name not in matched:
            matched.append(office.name)
    items = tuple(dict.fromkeys(_ITEM_NO.findall(norm)))
    section_numbers = tuple(dict.fromkeys(_SECTION_NO.findall(norm)))
    latin, thai = len(_LATIN.findall(norm)), len(_THAI.findall(norm))
    many = asks_which(norm) and len(matched) != 1
    return Query(
        text=question,
        normalized=norm,
        offices=tuple(matched),
        unknown_offices=tuple(dict.fromkeys(unknown)),
        office_mentions=tuple(text for _, text in spans),
        # a which-question names offices by what their plans say: a paraphrase of a section's name there
        # is how it says "emphasise" ("เขตไหนเน้นเรื่องเศรษฐกิจพอเพียง"), not which heading to read under;
        # a heading word ("จุดเน้น", "วิสัยทัศน์") still names the section
        section_kinds=section_intents(norm, paraphrases=not many),
        item_numbers=items,
        section_numbers=section_numbers,
        wants_many_offices=many,
        compare=bool(_COMPARE.search(low)) or len(matched) >= 2,
        english=latin > thai,
    )
