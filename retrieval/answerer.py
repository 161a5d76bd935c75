"""The extractive answerer: cited Thai answers composed from plan lines.

It needs no LLM. Every quote is an exact span of the original file and is
cited with [n]; when the evidence does not support an answer it abstains.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ingest.sections import SECTION_WORDS, WHOLE_KINDS
from planqa.types import Answer, Chunk, Citation, Hit, Query, SectionKind
from retrieval.evidence import (
    Unit,
    Weigher,
    content_tokens,
    missing_answer_type,
    nouns,
    rank_units,
    units_of,
    unsupported_topic,
)
from retrieval.followup import rewrite
from retrieval.hybrid import Retriever
from retrieval.llm import NOT_STATED, build_messages, check_citations, stream_answer
from retrieval.phrases import phrases, section_label
from retrieval.query import KnownOffice, parse_query

# (query, k, retriever, offices) -> hits best first: HybridSearcher.search
SearchFn = Callable[[Query, int, str, Sequence[str]], list[Hit]]

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
# calibrated on evals/questions/seeds.jsonl (README: Answers)
SUPPORT_MIN = 0.34  # share of the question's weighted content a quote must hold
NEAR_BEST = 0.1  # other quotes must come this close to the best one
SUPPORT_STRONG = 0.6  # a quote this well supported counts even from a lower-ranked hit
SUPPORT_TOP = 0.15  # enough for the top hit of a question about one named office
WHICH_MIN = 0.4  # an office is named when its best quote holds this much of the question
MAX_WHICH_UNITS = 3  # items quoted per office when the question asks who has a section
WHICH_RELATIVE = 0.9  # offices named must be nearly as well supported as the best one
SECTION_BONUS = 0.1  # a which-question's asked section counts a little
MAX_LIST_UNITS = 8


@dataclass(frozen=True, slots=True)
class Ask:
    """One question to answer, with every default already applied (by the Service)."""

    question: str
    history: tuple[str, ...]  # earlier user questions, oldest first
    offices: tuple[str, ...]  # restrict to these offices ("" = all)
    retriever: Retriever
    k: int


class Answerer:
    """Extractive answers (and optionally an LLM's wording over the same evidence).

    Its dependencies are narrow callables, so it needs no Service: the Service
    builds it (``retrieval.service``) and holds the index's read lock around
    ``extractive``.
    """

    def __init__(
        self,
        search: SearchFn,
        chunks_of: Callable[[str], list[Chunk]],
        offices: Callable[[], list[KnownOffice]],
        weigher: Weigher,
        chat_model: Any = None,
    ) -> None:
        self.search = search
        self.chunks_of = chunks_of
        self.offices = offices
        self.weigher = weigher
        self.chat_model = chat_model

    def finish(self, base: Answer, ask: Ask) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final Answer: the extractive one,
        or the LLM's over the same evidence."""
        if self.chat_model is None or base.abstained and not base.hits or base.notes[:1] in (
            ("abstain:number",), ("abstain:person",), ("abstain:contact",), ("abstain:date",)
        ):
            for line in base.text.split("\n"):
                yield line + "\n"
            yield base
            return
        yield from self._with_llm(base, ask.history)

    def _with_llm(self, base: Answer, history: Sequence[str]) -> Iterator[str | Answer]:
        evidence = evidence_for_llm(base)
        messages = build_messages(base.rewritten_question or base.question, evidence, list(history))
        pieces: list[str] = []
        try:
            for piece in stream_answer(self.chat_model, messages):
                pieces.append(piece)
                yield piece
        except Exception as exc:  # network or provider errors: keep the extractive answer
            log.warning("LLM failed (%s); using the extractive answer", type(exc).__name__)
            yield "\n"
            yield base
            return
        checked = check_citations("".join(pieces), [c.n for c in evidence])
        by_n = {c.n: c for c in evidence}
        renumber = {old: new for new, old in enumerate(checked.used, 1)}
        text = re.sub(r"\[(\d{1,3})\]", lambda m: f"[{renumber[int(m.group(1))]}]", checked.text)
        citations = tuple(replace(by_n[old], n=new) for old, new in renumber.items())
        notes: tuple[str, ...] = ("llm",)
        if checked.removed:
            removed = ", ".join(str(n) for n in checked.removed)
            text += f"\n(หมายเหตุ: ตัดการอ้างอิงหมายเลข {removed} ที่ไม่มีในหลักฐานออกแล้ว)"
            notes += (f"removed-citations:{removed}",)
        abstained = not citations and NOT_STATED in text
        yield Answer(base.question, text, citations, base.hits, abstained, base.rewritten_question, notes)

    def extractive(self, ask: Ask) -> Answer:
        question = (ask.question or "")[:MAX_QUESTION_CHARS]
        q = re.sub(r"[\x00-\x1f\x7f]", " ", question).strip()
        if not re.search(r"[0-9A-Za-z\u0e01-\u0e5b]", q):
            return Answer(question, str(phrases(False)["empty"]), (), (), True)
        rewritten = rewrite(q, ask.history)
        known = self.offices()
        query = parse_query(rewritten, known)
        p = phrases(query.english)
        if query.unknown_offices and not query.offices and not ask.offices:
            names = ", ".join(o.short for o in known) or "-"
            text = str(p["unknown_office"]).format(names=", ".join(query.unknown_offices), known=names)
            return Answer(question, text, (), (), True, rewritten)
        hits = self.search(query, ask.k, ask.retriever, ask.offices)
        if not hits:
            return Answer(question, str(p["no_index"]), (), (), True, rewritten)
        composer = _Composer(self, query, hits, known)
        return composer.compose(question, rewritten)


class _Composer:
    def __init__(self, answerer: Answerer, query: Query, hits: list[Hit], known: list[KnownOffice]) -> None:
        self.a = answerer
        self.query = query
        self.hits = hits
        self.p = phrases(query.english)
        self.short = {o.name: o.short for o in known}
        names = [n for o in known for n in (o.name, o.short, *o.aliases)] + list(query.unknown_offices)
        answerer.weigher.refresh()
        self.q_tokens = content_tokens(query.normalized, exclude=names, english=query.english)
        self.ranked = rank_units(hits, self.q_tokens, answerer.weigher)
        self.citations: list[Citation] = []
        # set when the answer rests on partial word support (which-offices, a named office's
        # best passage): then a topic word no plan holds means the plans do not cover it
        self.lenient = False

    # ---- entry ---------------------------------------------------------------
    def compose(self, question: str, rewritten: str) -> Answer:
        q = self.query
        if q.compare and len(q.offices) >= 2:
            lines = self._compare()
        elif q.wants_many_offices and not q.offices:
            lines = self._which()
        else:
            lines = self._lookup()
        quoted = [u for u in self._quoted_units]
        why = missing_answer_type(q.normalized, quoted) if lines else "weak"
        if why is None and not lines:
            why = "weak"
        if why is None and self.lenient and (absent := unsupported_topic(self.q_tokens, self.a.weigher, quoted, nouns(q.normalized))):
            return self._abstain(question, rewritten, "topic", words=absent)
        if why is not None:
            return self._abstain(question, rewritten, why)
        return Answer(question, "\n".join(lines), tuple(self.citations), tuple(self.hits), False, rewritten)

    # ---- modes -------------------------------------------------------------------
    def _lookup(self) -> list[str]:
        q = self.query
        target = self._target_hit(self.hits)
        if target is None:
            return []
        asked_section = bool(q.section_kinds) and target.chunk.section_kind in q.section_kinds
        if q.item_numbers and (asked_section or not q.section_kinds):
            chosen = [u for u in self._section_units(target) if u.item in q.item_numbers]
            if chosen:
                return [self._header(target), *self._quote_each(chosen)]
        if asked_section:
            units = self._section_units(target)
            if self.q_tokens:
                scored = [(self.a.weigher.coverage(self.q_tokens, u), u) for u in units]
                best = max((sc for sc, _ in scored), default=0.0)
                near = [u for sc, u in scored if sc >= SUPPORT_MIN and sc >= best - NEAR_BEST]
                if near:
                    return [self._header(target), *self._quote_each(near[:3])]
            return [self._header(target), *self._quote_block(units)] if units else []
        top = self.ranked[0][0] if self.ranked else 0.0
        good = [u for sc, u, r in self.ranked
                if sc >= top - NEAR_BEST and ((sc >= SUPPORT_MIN and r <= 5) or sc >= SUPPORT_STRONG)][:2]
        self.lenient = top < SUPPORT_STRONG
        if not good and q.offices and self.ranked:
            # one office's plan, its best-ranked passage, some words in common: quote it
            sc, unit, r = max(self.ranked, key=lambda x: (x[2] == 1, x[0]))
            if r == 1 and sc >= SUPPORT_TOP:
                good = [unit]
                self.lenient = True
        return [f"{self._office(u)} — {self._where(u)}: “{u.text}” [{self._cite(u)}]" for u in good]

    def _which(self) -> list[str]:
        """Offices ranked by their best supporting unit; the asked section counts a little."""
        kinds = set(self.query.section_kinds)
        if kinds and not self.q_tokens:  # "which offices state their values?"
            return self._which_have(kinds)
        best: dict[str, list[tuple[float, Unit, int]]] = {}
        for score, unit, rank in self.ranked:
            if kinds and unit.chunk.section_kind in kinds:
                score = min(1.0, score + SECTION_BONUS)
            best.setdefault(unit.chunk.office, []).append((score, unit, rank))
        for rows in best.values():
            rows.sort(key=lambda r: (-r[0], r[2]))
        chosen = []
        top = max((rows[0][0] for rows in best.values()), default=0.0)
        for office, rows in best.items():
            score, unit, rank = rows[0]
            if score >= WHICH_MIN and score >= WHICH_RELATIVE * top:
                near = [r[1] for r in rows[:2] if r[0] >= max(SUPPORT_MIN, score - NEAR_BEST)]
                chosen.append((score, -rank, office, near))
        if not chosen:
            return []
        self.lenient = True
        chosen.sort(reverse=True)
        out = [str(self.p["which_intro"])]
        for i, (_, _, office, units) in enumerate(chosen[:5], 1):
            quotes = "; ".join(f"{self._where(u)} “{u.text}” [{self._cite(u)}]" for u in units)
            out.append(f"{i}. {self.short.get(office, office)} — {quotes}")
        return out

    def _which_have(self, kinds: set[SectionKind]) -> list[str]:
        """Every office whose plan has the asked section, with its first items."""
        first: dict[str, Hit] = {}
        for h in self.hits:
            if h.chunk.section_kind in kinds:
                first.setdefault(h.chunk.office, h)
        out = [str(self.p["which_intro"])]
        for hit in first.values():
            units = [u for u in self._section_units(hit) if u.chunk.id == hit.chunk.id][:MAX_WHICH_UNITS]
            if units:
                quotes = " ".join(f"“{u.text}”" for u in units)
                office = self.short.get(hit.chunk.office, hit.chunk.office)
                out.append(f"{len(out)}. {office} — {hit.chunk.section}: {quotes} [{self._cite_span(units)}]")
        return out if len(out) > 1 else []

    def _compare(self) -> list[str]:
        kinds = self.query.section_kinds
        label = section_label(kinds[0], self.query.english) if kinds else ""
        out = [str(self.p["compare_intro"]).format(section=label)]
        texts: list[frozenset[str]] = []
        for office in self.query.offices[:4]:
            hits = [h for h in self.hits if h.chunk.office == office]
            if not hits:
                hits = self.a.search(self.query, 5, Retriever.HYBRID, (office,))
            target = self._target_hit(hits)
            if target is None:
                continue
            units = self._section_units(target)
            if target.chunk.section_kind not in WHOLE_KINDS:
                scored = sorted(units, key=lambda u: -self.a.weigher.coverage(self.q_tokens, u))
                units = sorted(scored[:2], key=lambda u: u.start_line)
            if not units:
                continue
            quote = " ".join(f"“{u.text}”" for u in units)
            out.append(f"• {self.short.get(office, office)} — {target.chunk.section}: {quote} [{self._cite_span(units)}]")
            texts.append(frozenset(t for u in units for t in u.tokens))
        if len(texts) < 2:
            return []
        shared = sorted(frozenset.intersection(*texts) - _SECTIONISH - _NOT_SHARED, key=lambda t: -self.a.weigher.idf(t))
        shared = [t for t in shared if len(t) >= 3 and not t.isdigit()][:6]
        out.append(str(self.p["shared"]).format(words=", ".join(shared)) if shared else str(self.p["differ"]))
        return out

    # ---- pieces ----------------------------------------------------------------
    @property
    def _quoted_units(self) -> list[Unit]:
        return [u for c in self.citations for u in self._units_by_citation.get(c.n, [])]

    _units_by_citation: dict[int, list[Unit]]

    def _target_hit(self, hits: Sequence[Hit]) -> Hit | None:
        kinds = self.query.section_kinds
        if kinds:
            for kind in kinds:
                for h in hits:
                    if h.chunk.section_kind == kind:
                        return h
        return hits[0] if hits else None

    def _section_units(self, hit: Hit) -> list[Unit]:
        """Every unit of the hit's section (all its chunks), heading excluded."""
        chunks = [
            c for c in self.a.chunks_of(hit.chunk.source)
            if c.section == hit.chunk.section and c.section_kind == hit.chunk.section_kind
        ] or [hit.chunk]
        return [u for c in chunks for u in units_of(c) if not u.is_heading]

    def _header(self, hit: Hit) -> str:
        office = self.short.get(hit.chunk.office, hit.chunk.office)
        if self.query.english:
            label = section_label(hit.chunk.section_kind, True) or hit.chunk.section
            return f"The {label} of {office} ({hit.chunk.section}):"
        return f"{office} — {hit.chunk.section}:"

    def _where(self, unit: Unit) -> str:
        item = f" {str(self.p['item']).format(n=unit.item)}" if unit.item else ""
        return f"{unit.chunk.section}{item}"

    def _office(self, unit: Unit) -> str:
        return self.short.get(unit.chunk.office, unit.chunk.office)

    def _quote_each(self, units: list[Unit]) -> list[str]:
        return [f"• “{u.text}” [{self._cite(u)}]" for u in units]

    def _quote_block(self, units: list[Unit]) -> list[str]:
        shown = units[:MAX_LIST_UNITS]
        ref = self._cite_span(shown)
        lines = [f"• “{u.text}”" for u in shown]
        lines[-1] += f" [{ref}]"
        if len(units) > len(shown):
            rest = units[len(shown):]
            lines.append(str(self.p["more"]).format(n=len(rest), ref=self._cite_span(rest)))
        return lines

    def _cite(self, unit: Unit) -> int:
        return self._cite_span([unit])

    def _cite_span(self, units: list[Unit]) -> int:
        """One citation for units of one chunk run; returns its number."""
        first, last = units[0], units[-1]
        chunk = first.chunk
        same_chunk = all(u.chunk.id == chunk.id for u in units)
        if not same_chunk:  # spans several chunks: cite the first chunk's part
            units = [u for u in units if u.chunk.id == chunk.id]
            last = units[-1]
        lines = chunk.text.split("\n")
        raw = "\n".join(lines[first.start_line - chunk.start_line : last.end_line - chunk.start_line + 1]).strip()
        for c in self.citations:
            if (c.source, c.start_line, c.end_line) == (chunk.source, first.start_line, last.end_line):
                return c.n
        n = len(self.citations) + 1
        self.citations.append(
            Citation(n, chunk.source, chunk.office, chunk.section, first.start_line, last.end_line, raw, chunk.id)
        )
        if not hasattr(self, "_units_by_citation"):
            self._units_by_citation = {}
        self._units_by_citation[n] = list(units)
        return n

    def _abstain(self, question: str, rewritten: str, why: str, words: Sequence[str] = ()) -> Answer:
        missing = self.p["missing"]
        assert isinstance(missing, dict)
        reason = missing[why].format(words=", ".join(f"“{w}”" for w in words))
        lines = [f"{self.p['abstain']} ({reason})"]
        related = [h for h in self.hits[:2] if h.dense_score is None or h.dense_score >= 0.8]
        if related:
            lines.append(str(self.p["related"]))
            for h in related:
                c = h.chunk
                lines.append(f"- {self.short.get(c.office, c.office)} — {c.section} ({c.source} {self.p['lines']} "
                             f"{c.start_line}–{c.end_line})")
        return Answer(question, "\n".join(lines), (), tuple(self.hits), True, rewritten, (f"abstain:{why}",))


def evidence_for_llm(base: Answer, limit: int = 8) -> list[Citation]:
    """The extractive answer's citations, then the best units of the top hits."""
    evidence = list(base.citations)
    seen = {(c.source, c.start_line) for c in evidence}
    for hit in base.hits[:5]:
        for unit in units_of(hit.chunk):
            if unit.is_heading or (unit.chunk.source, unit.start_line) in seen or len(evidence) >= limit:
                continue
            seen.add((unit.chunk.source, unit.start_line))
            c = unit.chunk
            evidence.append(Citation(len(evidence) + 1, c.source, c.office, c.section, unit.start_line,
                                     unit.end_line, unit.raw, c.id))
    return evidence


_NOT_SHARED = frozenset(["สำนักงาน", "เขต", "พื้นที่", "การศึกษา", "มัธยมศึกษา", "สพม"])
_SECTIONISH = SECTION_WORDS | frozenset(["มีอะไรบ้าง", "ทั้งหมด", "list", "all"])
