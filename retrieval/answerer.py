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

from planqa.types import AbstainReason, Answer, Citation
from retrieval.decide import decide
from retrieval.evidence import units_of
from retrieval.followup import rewrite
from retrieval.gather import Evidence, Gatherer
from retrieval.hybrid import Retriever
from retrieval.llm import NOT_STATED, build_messages, check_citations, stream_answer
from retrieval.policy import AnswerPolicy
from retrieval.query import KnownOffice, parse_query
from retrieval.wording import Writer, phrases

log = logging.getLogger(__name__)
# the extractive answer's refusal stands: an LLM must not invent a figure, a name, a contact or a date
_FACT_REASONS = frozenset({AbstainReason.NUMBER, AbstainReason.PERSON, AbstainReason.CONTACT, AbstainReason.DATE})


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
        gatherer: Gatherer,
        offices: Callable[[], list[KnownOffice]],
        policy: Callable[[], AnswerPolicy],
        chat_model: Any = None,
    ) -> None:
        self.gatherer = gatherer
        self.offices = offices
        self.policy = policy  # loaded on first use: gathering evidence (calibration) needs none
        self.chat_model = chat_model

    def finish(self, base: Answer, ask: Ask) -> Iterator[str | Answer]:
        """Text pieces as they are ready, then the final Answer: the extractive one,
        or the LLM's over the same evidence."""
        if self.chat_model is None or base.abstained and not base.hits or base.abstain_reason in _FACT_REASONS:
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
        yield Answer(base.question, text, citations, base.hits, abstained, base.rewritten_question, notes,
                     AbstainReason.WEAK if abstained else None)

    def extractive(self, ask: Ask) -> Answer:
        """The extractive answer: gather the evidence, let the policy decide, word it."""
        early = self.gather(ask)
        return early if isinstance(early, Answer) else self.compose(early, self.policy())

    def gather(self, ask: Ask) -> Evidence | Answer:
        """The evidence for ``ask`` (policy-free), or the final Answer when there is nothing to weigh."""
        question = ask.question
        q = re.sub(r"[\x00-\x1f\x7f]", " ", question).strip()
        if not re.search(r"[0-9A-Za-z\u0e01-\u0e5b]", q):
            return _fixed(question, "", AbstainReason.EMPTY, str(phrases(False)["empty"]))
        rewritten = rewrite(q, ask.history)
        known = self.offices()
        query = parse_query(rewritten, known, self.gatherer.respell)
        p = phrases(query.english)
        if query.unknown_offices and not query.offices and not ask.offices:
            names = ", ".join(o.short for o in known) or "-"
            text = str(p["unknown_office"]).format(names=", ".join(query.unknown_offices), known=names)
            return _fixed(question, rewritten, AbstainReason.UNKNOWN_OFFICE, text)
        ev = self.gatherer.gather(question, rewritten, query, known, ask.k, ask.retriever, ask.offices)
        if not ev.hits:
            return _fixed(question, rewritten, AbstainReason.NO_INDEX, str(p["no_index"]))
        return ev

    @staticmethod
    def compose(ev: Evidence, policy: AnswerPolicy) -> Answer:
        """The answer ``policy`` gives on the gathered evidence."""
        decision = decide(ev, policy)
        writer = Writer(ev, ev.query.english)
        lines = writer.lines(decision)
        notes = (f"abstain:{decision.abstain.value}",) if decision.abstain else ()
        return Answer(ev.question, "\n".join(lines), tuple(writer.book.citations), tuple(ev.hits),
                      decision.abstain is not None, ev.rewritten, notes, decision.abstain)


def _fixed(question: str, rewritten: str, why: AbstainReason, text: str) -> Answer:
    return Answer(question, text, (), (), True, rewritten, (f"abstain:{why.value}",), why)


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
