"""The evidence decision: answer or abstain, which units to quote, which offices to name.

Every choice here is the learned policy's (``retrieval/policy.py``) applied to
the gathered evidence; the only fixed rules are the ones that follow from
what an extractive answer can honestly say (a figure asked for must be in
the quote; a topic no plan mentions is said to be in no plan).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from planqa.types import AbstainReason, Hit
from retrieval.evidence import Unit, counted_word, missing_answer_type
from retrieval.features import STRONG, Candidate
from retrieval.gather import Evidence, OfficePool, OwnEvidence, whole
from retrieval.holds import HoldsModel, load_holds
from retrieval.modes import Mode
from retrieval.policy import AnswerPolicy
from retrieval.stance_features import TopicWeights, in_asked_section, shows_topic, topic_quotes
from retrieval.stance_model import StanceModel, load_stance
from retrieval.support import Term, supported


@dataclass(slots=True)
class Named:
    """An office named in the answer, with its quotes."""

    office: str
    probability: float
    quotes: list[Unit]
    close: bool = False  # WHICH: the second tier, a topic close to the asked one ("กล่าวถึงในเรื่องที่ใกล้เคียง")


@dataclass(frozen=True, slots=True)
class Partly:
    """An office whose plan holds the question's topic but not the fact asked, with its best quote."""

    office: str
    quote: Unit
    words: tuple[str, ...]  # the question's topic words the quote supports


@dataclass(slots=True)
class Decision:
    mode: Mode
    p_answer: float
    abstain: AbstainReason | None = None
    absent: tuple[str, ...] = ()  # topic words in no plan (for AbstainReason.TOPIC)
    quotes: list[Unit] = field(default_factory=list)  # LOOKUP and SECTION
    offices: list[Named] = field(default_factory=list)  # WHICH, WHICH_HAVE, COMPARE
    related: list[Hit] = field(default_factory=list)  # an abstention: the sections shown as close to the question
    searched: list[str] = field(default_factory=list)  # WHICH: offices judged on their own plan that hold nothing
    partly: list[Partly] = field(default_factory=list)  # a fact abstention: offices whose plans hold the topic


RELATED_DENSE = 0.8  # an abstention names a top section as related when its chunk cosine reaches this
PARTLY_OFFICES = 3  # a fact abstention quotes the topic from at most this many offices
_THAI = re.compile("[\u0e01-\u0e2e]")
_FACT_KINDS = frozenset({AbstainReason.NUMBER, AbstainReason.PERSON, AbstainReason.CONTACT, AbstainReason.DATE})


def decide(ev: Evidence, policy: AnswerPolicy, stance: StanceModel | None = None,
           holds: HoldsModel | None = None) -> Decision:
    """The answer ``policy`` gives on ``ev``; a which-question's offices are also judged one by one on
    their own plan by ``stance``, and named only when ``holds`` finds that some plan holds the topic
    (defaults: the shipped models)."""
    t = policy.thresholds
    p_answer = float(policy.answer.probability([ev.question_vector])[0])
    d = Decision(ev.mode, p_answer)
    if ev.mode is Mode.WHICH and ev.own:
        stance = stance or load_stance()
        p_stance = stances(ev, stance)
        if not some_plan_holds(ev, p_stance, p_answer, stance, holds or load_holds()):
            return _abstain(d, ev)
        d.offices, d.searched = which_offices(ev, policy, p_answer, stance, p_stance)
        return d if d.offices else _abstain(d, ev)
    if p_answer < t.answer:
        return _abstain(d, ev)
    if ev.mode is Mode.WHICH:
        d.offices = _which(ev, policy)
    elif ev.mode is Mode.WHICH_HAVE:
        d.offices = [Named(o.office, 1.0, [c.unit for c in o.candidates[:3]]) for o in ev.offices if o.candidates]
    elif ev.mode is Mode.COMPARE:
        d.offices = _compare(ev, policy)
    elif ev.mode is Mode.SECTION and ev.section:
        d.quotes = _section_quotes(ev, policy)
    else:
        d.quotes = _best_units(ev.candidates, _unit_p(ev, policy), policy.thresholds.unit, policy.max_units)
    if not (d.quotes or d.offices):
        return _abstain(d, ev)
    return d


def _abstain(d: Decision, ev: Evidence) -> Decision:
    """Abstain, saying why: the kind of fact asked is in no quote, a topic is in no plan, or weak support."""
    absent = tuple(t.word for t in ev.terms if t.absent)
    d.abstain = ev.missing_fact or (AbstainReason.TOPIC if absent else AbstainReason.WEAK)
    d.related = [h for h in ev.hits[:2] if h.dense_score is None or h.dense_score >= RELATED_DENSE]
    d.absent = absent if d.abstain is AbstainReason.TOPIC else ()
    d.partly = _partly(ev) if d.abstain in _FACT_KINDS else []
    d.quotes, d.offices = [], []
    return d


def _partly(ev: Evidence) -> list[Partly]:
    """Per office (of the offices asked, if any), the unit that supports the question's topic
    best, when that support is strong (``STRONG`` of the topic's weight, and some word at least
    ``STRONG``) and the unit holds no fact of the kind asked: "the plan addresses X but states
    no figure". The topic is the question's words a Thai plan could hold: an English word in
    no plan ("when", "much") is frame, its Thai term (from the glossary) is a word of its own."""
    frame = counted_word(ev.query.normalized)
    topic = [i for i, t in enumerate(ev.terms) if (t.in_corpus or _THAI.search(t.word)) and t.word != frame]
    total = sum(ev.terms[i].weight for i in topic)
    asked = set(ev.query.offices)
    which = ev.mode in (Mode.WHICH, Mode.WHICH_HAVE)
    scored = []
    for c in ev.candidates + [c for o in ev.offices for c in o.candidates]:
        got = [c.support.words[i] if i < len(c.support.words) else 0.0 for i in topic]
        share = sum(ev.terms[i].weight * g for i, g in zip(topic, got)) / total if total else 0.0
        words = tuple(dict.fromkeys(_as_written(ev.terms[i], c.unit) for i, g in zip(topic, got) if g >= STRONG))
        if share >= STRONG and words and not c.unit.is_heading and (not asked or c.unit.chunk.office in asked):
            scored.append((share, c, words))
    best: dict[str, Partly] = {}
    for _, c, words in sorted(scored, key=lambda x: (-x[0], x[1].rank)):
        office = c.unit.chunk.office
        if office not in best and missing_answer_type(ev.query.normalized, [c.unit], which) is not None:
            best[office] = Partly(office, c.unit, words)
    return list(best.values())[:PARTLY_OFFICES]


def _as_written(term: Term, unit: Unit) -> str:
    """The question's word if the unit holds it, else the plan word near it in meaning that the
    unit holds ("ผู้อำนวยการ" asked, "ผู้บริหาร" written): the answer names what the plan says."""
    if supported(term.word, unit.tokens, unit.text.lower()) or supported(term.word, unit.title_tokens):
        return term.word
    near = [(s, w) for w, s in term.neighbours if w in unit.tokens or w in unit.title_tokens]
    return max(near)[1] if near else term.word


def _unit_p(ev: Evidence, policy: AnswerPolicy) -> np.ndarray:
    return policy.unit.probability(ev.unit_vectors) if len(ev.candidates) else np.zeros(0)


def _best_units(candidates: list[Candidate], p: np.ndarray, threshold: float, limit: int) -> list[Unit]:
    """The most probable unit, and the next ones while they pass the threshold (in reading order)."""
    order = sorted(range(len(candidates)), key=lambda i: (-p[i], candidates[i].rank))
    chosen: list[Candidate] = []
    for i in order:
        if chosen and (p[i] < threshold or len(chosen) >= limit):
            break
        if all(c.unit.start_line != candidates[i].unit.start_line or c.unit.chunk.source != candidates[i].unit.chunk.source
               for c in chosen):
            chosen.append(candidates[i])
    return [c.unit for c in chosen]


def _which(ev: Evidence, policy: AnswerPolicy) -> list[Named]:
    """Every office whose own best evidence passes, strongest first."""
    if not ev.offices:
        return []
    p_office = policy.office.probability(ev.office_vectors)
    named = []
    for pool, p in sorted(zip(ev.offices, p_office), key=lambda x: -x[1]):
        if p < policy.thresholds.office:
            break
        named.append(Named(pool.office, float(p), _office_quotes(pool, policy)))
    return named


def stances(ev: Evidence, stance: StanceModel) -> dict[str, float]:
    """Each office's stance on the question's topic, judged on its own plan's units."""
    return {o.office: stance.probability(o.units, ev.terms, ev.asks_fact, ev.query.english, ev.query.section_kinds)
            for o in ev.own if o.units}


def some_plan_holds(ev: Evidence, p_stance: dict[str, float], p_answer: float, stance: StanceModel,
                    holds: HoldsModel) -> bool:
    """Does some office's plan hold the topic: its stance and the question's answer figure, joined by
    ``holds``, reach its threshold, and one of its own units holds a topic word to quote?"""
    limit = 1
    own = {o.office: o for o in ev.own}
    for office, s in sorted(p_stance.items(), key=lambda x: -x[1]):
        if holds.probability(s, p_answer) < holds.threshold:
            return False  # the joined figure grows with the stance: no office further down reaches it
        if topic_quotes(own[office].units, ev.terms, stance.topical, limit, ev.query.section_kinds):
            return True
    return False


def which_offices(ev: Evidence, policy: AnswerPolicy, p_answer: float, stance: StanceModel,
                  p_stance: dict[str, float]) -> tuple[list[Named], list[str]]:
    """A which-question's offices in two tiers, and the offices searched that hold nothing.

    Tier one: the offices the office model names (against the pool), each keeping only quotes that hold
    a topic word; when the answer model doubts the question as a whole (a question in other words than
    the plans', English or a colloquial frame, falls below its threshold although offices' own plans
    hold the topic), those the stance model judges at least ``high``. Tier two: every other office
    whose own plan the stance model judges at least ``low`` ("กล่าวถึงในเรื่องที่ใกล้เคียง"), quoted by
    its own units that hold a topic word. An office with no such quote is not named: a quote without a
    topic word is never shown as support."""
    answerable = p_answer >= policy.thresholds.answer
    named = _which(ev, policy) if answerable else []
    topical, terms, sections = stance.topical, ev.terms, ev.query.section_kinds
    limit = policy.max_units_per_office
    own = {o.office: o for o in ev.own}
    first: list[Named] = []
    for n in named:
        quotes = [u for u in n.quotes if _shows(u, own.get(n.office), terms, topical, sections)]
        if not quotes and n.office in own:
            quotes = topic_quotes(own[n.office].units, terms, topical, limit, sections)
        if quotes:
            first.append(Named(n.office, n.probability, quotes))
    done = {n.office for n in first}
    second: list[Named] = []
    for o in ev.own:
        p = p_stance.get(o.office, 0.0)
        if o.office in done or p < stance.low:
            continue
        if quotes := topic_quotes(o.units, terms, topical, limit, sections):
            second.append(Named(o.office, p, quotes, close=answerable or p < stance.high))
    second.sort(key=lambda n: (n.close, -n.probability))
    named_now = done | {n.office for n in second}
    searched = [o.office for o in ev.own if o.office not in named_now]
    return first + second, searched


def _shows(unit: Unit, own: OwnEvidence | None, terms: list[Term], topical: TopicWeights,
           sections: Collection[str] = ()) -> bool:
    """The unit holds a topic word, or is an item of an asked section (measured as the stance measures it)."""
    if in_asked_section(unit, sections):
        return True
    if own is not None:
        for ue in own.units:
            if ue.unit.chunk.id == unit.chunk.id and ue.unit.start_line == unit.start_line:
                return shows_topic(ue, terms, topical)
    words = topical.topic_words(terms)
    return any(supported(w, unit.tokens, unit.text.lower()) for w in words)


def _office_quotes(pool: OfficePool, policy: AnswerPolicy) -> list[Unit]:
    p = policy.unit.probability(pool.unit_vectors) if pool.candidates else np.zeros(0)
    return _best_units(pool.candidates, p, policy.thresholds.unit, policy.max_units_per_office)


def _compare(ev: Evidence, policy: AnswerPolicy) -> list[Named]:
    out = []
    for pool in ev.offices:
        if not pool.candidates or pool.target is None:
            continue
        if whole(pool.target.chunk.section_kind) or not ev.terms:
            units = [c.unit for c in pool.candidates]
        else:
            units = sorted(_office_quotes(pool, policy), key=lambda u: u.start_line)
        out.append(Named(pool.office, 1.0, units))
    return out if len(out) >= 2 else []


def _section_quotes(ev: Evidence, policy: AnswerPolicy) -> list[Unit]:
    """An asked section: its items that answer the question's topic, or all of it."""
    section = ev.section
    if not ev.terms or ev.query.item_numbers:
        return section
    own = [i for i, c in enumerate(ev.candidates) if c.unit in section]
    p = _unit_p(ev, policy)
    picked = _best_units([ev.candidates[i] for i in own], p[own], policy.thresholds.unit, policy.max_units)
    return sorted(picked, key=lambda u: u.start_line) or section
