"""Answer wording: Thai by default, English framing for English questions.

Quotes always stay in the plan's own Thai, one to a line, each with its
citation number; the wording never decides anything (``retrieval/decide.py``
does), it only says what was decided.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ingest.sections import SECTION_WORDS, label
from ingest.tokens import tokenize
from planqa.types import AbstainReason, Chunk, Citation, Hit
from retrieval.citations import CitationBook
from retrieval.decide import Decision, Named, Partly
from retrieval.evidence import Unit
from retrieval.gather import Evidence
from retrieval.modes import Mode

_ITEM_PREFIX = re.compile(r"^\s*(?:ข้อ\s*)?[0-9๐-๙]{1,3}\s*[.)]\s*")

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
    "partly": "แผนของ {office} กล่าวถึงเรื่อง {words} แต่ไม่ได้ระบุ{fact}: “{quote}” [{ref}]",
    "facts": {"number": "ตัวเลข", "person": "ชื่อบุคคล", "contact": "ข้อมูลติดต่อ", "date": "วันเวลา"},
    "which_intro": "สำนักงานที่แผนกล่าวถึงเรื่องนี้ ({n} แห่ง เรียงตามน้ำหนักของหลักฐาน):",
    "which_close": "กล่าวถึงในเรื่องที่ใกล้เคียง ({n} แห่ง):",
    "which_none_direct": "ไม่พบแผนที่กล่าวถึงเรื่องนี้โดยตรง",
    "which_searched": "ค้นในแผนของ {names} แล้ว ไม่พบเรื่องนี้",
    "which_have_intro": "สำนักงานที่แผนมี{section} ({n} แห่ง):",
    "offices_n": "{n} แห่ง",
    "compare_intro": "เปรียบเทียบ{section}:",
    "shared": "คำสำคัญที่ทุกแผนข้างต้นกล่าวถึงร่วมกัน: {words}",
    "differ": "ไม่พบถ้อยคำสำคัญที่ตรงกัน แต่ละแผนมีจุดเน้นต่างกันตามข้อความข้างต้น",
    "item": "ข้อ {n}",
    "more": "(และอีก {n} ข้อ ดูได้ใน [{ref}])",
    "lines": "บรรทัด",
    "page": "หน้า",
    "conflict": "หมายเหตุ: เอกสาร {n} ฉบับระบุว่าเป็นแผนของ {office} ({files}) โปรดตรวจสอบว่าฉบับใดถูกต้อง",
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
    "partly": "The plan of {office} addresses {words} but {fact}: “{quote}” [{ref}]",
    "facts": {"number": "states no figure", "person": "names no person", "contact": "gives no contact details",
              "date": "gives no date"},
    "which_intro": "Offices whose plans address this ({n}, strongest evidence first):",
    "which_close": "Close to the topic ({n}):",
    "which_none_direct": "No plan addresses this directly.",
    "which_searched": "Searched the plans of {names}: nothing on this.",
    "which_have_intro": "Offices whose plans state their {section} ({n}):",
    "offices_n": "{n} offices",
    "compare_intro": "Comparing the {section}:",
    "shared": "Key words all the plans above share: {words}",
    "differ": "The passages share no key words; each plan's emphasis is quoted above.",
    "item": "item {n}",
    "more": "(and {n} more items, see [{ref}])",
    "lines": "lines",
    "page": "page",
    "conflict": "Note: {n} documents say they are the plan of {office} ({files}); check which one is right.",
}


def phrases(english: bool) -> dict[str, Any]:
    return EN if english else TH


def section_label(kind: str, english: bool) -> str:
    return label(kind, english)


QUOTE_CHARS = 700  # a longer unit (a whole page pasted as one line) is shown cut; its citation has it all
SEARCHED_UP_TO = 10  # a which-answer names the offices searched that hold nothing when there are this few in all
COMPACT_AFTER = 5  # a which-answer naming more offices lists them one line each
SHORT_CHARS = 90  # a compact line's quote is cut here (its citation opens the whole passage)


def _same_text(text: str) -> str:
    """Quotes that differ only in spacing, numbering or digits' script are the same sentence."""
    return " ".join(_ITEM_PREFIX.sub("", text).split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _as_quoted(word: str, text: str) -> str:
    """A question word as the quote writes it: "onet" (the normalised question) is "O-NET" there."""
    if not word.isascii():
        return word
    found = re.search("[-\\s]?".join(map(re.escape, word)), text, re.IGNORECASE)
    return found.group(0) if found else word


def quote(unit: Unit) -> str:
    return _cut(unit.text, QUOTE_CHARS)


class Writer:
    """The lines of one answer, citing as it quotes."""

    def __init__(self, ev: Evidence, english: bool) -> None:
        self.ev = ev
        self.english = english
        self.p = phrases(english)
        self.book = CitationBook()

    def lines(self, d: Decision) -> list[str]:
        if d.abstain is not None:
            return self.abstention(d.abstain, d.absent, d.related, d.partly)
        return self._answer(d) + self._conflict_notes()

    def _conflict_notes(self) -> list[str]:
        """An answer drawing on an office that two documents claim says so."""
        cited = dict.fromkeys(c.office for c in self.book.citations)
        return [str(self.p["conflict"]).format(n=len(files), office=self.office(o), files=", ".join(files))
                for o in cited if (files := self.ev.conflicts.get(o))]

    def _answer(self, d: Decision) -> list[str]:
        if d.mode is Mode.WHICH:
            return self._which_tiers(d.offices, d.searched)
        if d.mode is Mode.WHICH_HAVE:
            return self._which_have(d.offices)
        if d.mode is Mode.COMPARE:
            return self._compare(d.offices)
        if d.mode is Mode.SECTION and self.ev.section_hit is not None:
            return self._section(self.ev.section_hit, d.quotes)
        return [f"{self.office(u.chunk.office)} — {self.where(u)}: “{quote(u)}” [{self.book.cite([u])}]" for u in d.quotes]

    # ---- modes -----------------------------------------------------------------------
    def _which_tiers(self, named: Sequence[Named], searched: Sequence[str]) -> list[str]:
        """The offices whose plans address the topic, then those that address something close to it,
        then (ten offices or fewer) the offices searched that hold nothing on it."""
        first = [n for n in named if not n.close]
        close = [n for n in named if n.close]
        out = self._which(first) if first else [str(self.p["which_none_direct"])]
        if close:
            out += [str(self.p["which_close"]).format(n=len(close)), *self._which(close, intro=False)]
        if searched and len(named) + len(searched) <= SEARCHED_UP_TO:
            out.append(str(self.p["which_searched"]).format(names=", ".join(self.office(o) for o in searched)))
        return out

    def _which(self, named: Sequence[Named], intro: bool = True) -> list[str]:
        """Each office with its quotes; a long list compactly (``_which_compact``)."""
        out = [str(self.p["which_intro"]).format(n=len(named))] if intro else []
        if len(named) > COMPACT_AFTER:
            return out + self._which_compact(named)
        for i, n in enumerate(named, 1):
            out.append(f"{i}. {self.office(n.office)}")
            out.extend(f"   • {self.where(u)}: “{quote(u)}” [{self.book.cite([u])}]" for u in n.quotes)
        return out

    def _which_compact(self, named: Sequence[Named]) -> list[str]:
        """Many offices, one line each, in order of evidence: the office, where its plan says
        it, the start of its best quote and its citation ([n] opens the whole passage). A
        sentence several plans share is quoted once, with every office that holds it."""
        by_text: dict[str, list[Named]] = {}
        for n in named:
            by_text.setdefault(_same_text(n.quotes[0].text), []).append(n)
        out: list[str] = []
        for group in by_text.values():  # in the order of each group's first office
            n = group[0]
            if len(group) > 1:
                members = ", ".join(f"{self.office(g.office)} [{self.book.cite(g.quotes[:1])}]" for g in group)
                out.append(f"• “{quote(n.quotes[0])}” — {str(self.p['offices_n']).format(n=len(group))}: {members}")
            else:
                u = n.quotes[0]
                out.append(f"• {self.office(n.office)} — {self.where(u)}: “{_cut(u.text, SHORT_CHARS)}” [{self.book.cite([u])}]")
        return out

    def _which_have(self, named: Sequence[Named]) -> list[str]:
        kinds = self.ev.query.section_kinds
        out = [str(self.p["which_have_intro"]).format(n=len(named), section=section_label(kinds[0], self.english))]
        for i, n in enumerate(named, 1):
            quotes = " ".join(f"“{quote(u)}”" for u in n.quotes)
            out.append(f"{i}. {self.office(n.office)} — {n.quotes[0].chunk.section}: {quotes} [{self.book.cite(n.quotes)}]")
        return out

    def _compare(self, named: Sequence[Named]) -> list[str]:
        kinds = self.ev.query.section_kinds
        out = [str(self.p["compare_intro"]).format(section=section_label(kinds[0], self.english) if kinds else "")]
        for n in named:
            out.append(f"• {self.office(n.office)} — {n.quotes[0].chunk.section}:")
            out.extend(f"   “{quote(u)}” [{self.book.cite([u])}]" for u in n.quotes)
        shared = self._shared(named)
        out.append(str(self.p["shared"]).format(words=", ".join(shared)) if shared else str(self.p["differ"]))
        return out

    def _shared(self, named: Sequence[Named]) -> list[str]:
        """Content words every compared passage holds: no stop-words, section or office words."""
        office_words = {w for n in named for w in tokenize(n.office)} | set(tokenize("สำนักงานเขตพื้นที่การศึกษา สพม"))
        sets = [{w for u in n.quotes for w in tokenize(u.text)} for n in named]
        common = set.intersection(*sets) - SECTION_WORDS - office_words if sets else set()
        return sorted((w for w in common if len(w) >= 3 and not w.isdigit()), key=lambda w: (-len(w), w))[:6]

    def _section(self, hit: Hit, units: Sequence[Unit]) -> list[str]:
        header = self.header(hit)
        if self.ev.query.item_numbers or (self.ev.terms and len(units) <= 3):
            return [header, *(f"• “{quote(u)}” [{self.book.cite([u])}]" for u in units)]
        return [header, *self._block(list(units))]

    def _block(self, units: list[Unit], limit: int = 8) -> list[str]:
        """A whole section: its items one to a line, one citation for the run."""
        shown = units[:limit]
        lines = [f"• “{quote(u)}”" for u in shown]
        lines[-1] += f" [{self.book.cite(shown)}]"
        if len(units) > len(shown):
            rest = units[len(shown):]
            lines.append(str(self.p["more"]).format(n=len(rest), ref=self.book.cite(rest)))
        return lines

    def abstention(self, why: AbstainReason, words: Sequence[str] = (), related: Sequence[Hit] = (),
                   partly: Sequence[Partly] = ()) -> list[str]:
        """Why it abstains; for a missing fact, each office whose plan holds the topic, quoted and
        cited; then the related sections (those not quoted already), by place only."""
        missing = self.p["missing"]
        reason = missing.get(why.value, missing["weak"]).format(words=", ".join(f"“{w}”" for w in words))
        lines = [f"{self.p['abstain']} ({reason})"]
        fact = self.p["facts"].get(why.value, "")
        for part in partly:
            lines.append(str(self.p["partly"]).format(
                office=self.office(part.office), words=", ".join(_as_quoted(w, part.quote.text) for w in part.words),
                fact=fact,
                quote=_cut(part.quote.text, SHORT_CHARS * 2), ref=self.book.cite([part.quote])))
        quoted = {part.quote.chunk.id for part in partly}
        related = [h for h in related if h.chunk.id not in quoted]
        if related:
            lines.append(str(self.p["related"]))
            for h in related:
                c = h.chunk
                lines.append(f"- {self.office(c.office)} — {c.section} ({self.place(c)})")
        return lines

    def place(self, chunk: Chunk) -> str:
        """Where a related chunk is: "บรรทัด 5–9", or by page for a paged source ("หน้า 4 บรรทัด 15–22",
        "หน้า 2 บรรทัด 24 – หน้า 3 บรรทัด 9")."""
        pages = self.ev.pages.get(chunk.source)
        if not pages:
            return f"{self.p['lines']} {chunk.start_line}–{chunk.end_line}"
        at = Citation(0, chunk.source, chunk.office, chunk.section, chunk.start_line, chunk.end_line, "").on_pages(pages)
        return at.where(str(self.p["lines"]), str(self.p["page"]))

    # ---- pieces ----------------------------------------------------------------------
    def header(self, hit: Hit) -> str:
        office = self.office(hit.chunk.office)
        if self.english:
            name = section_label(hit.chunk.section_kind, True) or hit.chunk.section
            return f"The {name} of {office} ({hit.chunk.section}):"
        return f"{office} — {hit.chunk.section}:"

    def where(self, unit: Unit) -> str:
        item = f" {str(self.p['item']).format(n=unit.item)}" if unit.item else ""
        return f"{unit.chunk.section}{item}"

    def office(self, name: str) -> str:
        return self.ev.short.get(name, name)
