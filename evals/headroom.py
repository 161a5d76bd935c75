"""``python -m evals headroom``: is a missed office's evidence found and misjudged, or never found?

A which-answer names an office when the stance model (``retrieval/stance_model.py``) judges the
office's own search for the topic to support it. An office the writer of a question marked (its gold
text, a line of that office's plan) can be missed in two ways: its own search never returns the line,
or it returns it and the judgement of it falls short. Only the second can be won by a better judge of
the same units (a reranker, an NLI model, an LLM); only the first by better search.

For each which-question of the sets and each of its gold offices, this reads whether a unit of the
office's own search shows the gold text, where in the search it stands, and whether the stance model
names the office (its probability at or above its *low*, the second tier's threshold). It fits nothing,
so it may be run on the sets no tuning touches.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from evals.stance import StanceCase
from evals.stance import gather as gather_stance
from ingest.normalize import fold_spaces
from planqa.settings import Settings
from retrieval.stance_model import StanceModel, load_stance

MATCH = 0.6  # a unit shows a gold text when they share one run of at least this share of the gold text
Progress = Callable[[int, int, str], None]


def _squeeze(text: str) -> str:
    """The gold matching's own normalisation (``fold_spaces``: NFC, invisible characters out), spaces
    dropped too: a plan's line breaks and NBSPs fall anywhere in a Thai line."""
    return fold_spaces(text).replace(" ", "").lower()


def shows(gold: str, unit: str) -> bool:
    """Whether ``unit`` shows the gold text: one run of characters (spaces aside) the two share covers
    at least ``MATCH`` of the gold text, so a unit that holds the line, or most of a line cut across two
    units, shows it; a unit that shares a few words with it does not."""
    g, u = _squeeze(gold), _squeeze(unit)
    if not g or not u:
        return False
    run = SequenceMatcher(None, g, u, autojunk=False).find_longest_match(0, len(g), 0, len(u)).size
    return run >= MATCH * len(g)


@dataclass(frozen=True, slots=True)
class GoldOffice:
    """One gold office of one which-question, as its own search and the stance model saw it."""

    case_id: str
    set_name: str
    office: str
    position: int | None  # the first unit of its own search that shows a gold text (0 = the first); None: none
    named: bool  # the stance model's probability is at or above its low

    @property
    def found(self) -> bool:
        return self.position is not None


def judge(items: Sequence[StanceCase], office_of: dict[str, str], stance: StanceModel) -> list[GoldOffice]:
    """Each gold office of each which-question in ``items`` (``evals.stance.gather``'s cases)."""
    out = []
    for sc in items:
        texts: dict[str, list[str]] = {}
        for g in sc.case.gold:
            if g.text:
                texts.setdefault(office_of.get(g.doc, g.doc), []).append(g.text)
        for office, units, gold in sc.rows:
            if not gold or office not in texts:
                continue
            position = next((i for i, u in enumerate(units) if any(shows(t, u.unit.text) for t in texts[office])), None)
            p = stance.probability(units, sc.terms, sc.asks_fact, sc.english, sc.sections)
            out.append(GoldOffice(sc.case.id, sc.set_name, office, position, p >= stance.low))
    return out


@dataclass(frozen=True, slots=True)
class Headroom:
    questions: int
    gold_offices: int
    found: float  # gold offices whose gold text is among their own search's units
    named: float  # gold offices the stance model names
    found_not_named: int  # what a better judge of the same units could win
    named_not_found: int  # named on other evidence than the marked line
    every_found: float  # questions whose every gold office is found: the most a judge of these units names
    every_named: float  # questions whose every gold office is named
    median_position: float | None  # of the unit that shows the gold text, among those found


def headroom(rows: Sequence[GoldOffice]) -> Headroom:
    by_case: dict[str, list[GoldOffice]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, []).append(r)
    n = len(rows)
    positions = [r.position for r in rows if r.position is not None]
    return Headroom(
        questions=len(by_case),
        gold_offices=n,
        found=sum(r.found for r in rows) / n if n else float("nan"),
        named=sum(r.named for r in rows) / n if n else float("nan"),
        found_not_named=sum(r.found and not r.named for r in rows),
        named_not_found=sum(r.named and not r.found for r in rows),
        every_found=sum(all(r.found for r in g) for g in by_case.values()) / len(by_case) if by_case else float("nan"),
        every_named=sum(all(r.named for r in g) for g in by_case.values()) / len(by_case) if by_case else float("nan"),
        median_position=float(statistics.median(positions)) if positions else None,
    )


def run(settings: Settings, sets: Sequence[str], stance: StanceModel | None = None,
        progress: Progress | None = None) -> dict[str, Headroom]:
    """Per set, and over all of them ("all")."""
    from retrieval.service import Service

    items, _ = gather_stance(settings, sets, folds=2, seed=13, progress=progress)  # folds unused: nothing is fitted
    rows = judge(items, Service(settings).index.office_of(), stance or load_stance())
    out = {name: headroom([r for r in rows if r.set_name == name]) for name in sets}
    out["all"] = headroom(rows)
    return out


def table(result: dict[str, Headroom]) -> str:
    lines = ["| set | which-questions | gold offices | gold text found | named by the stance | found, not named | "
             "named, not found | every gold office found | every gold office named | position found (median) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, h in result.items():
        pos = "–" if h.median_position is None else f"{h.median_position:g}"
        lines.append(f"| {name} | {h.questions} | {h.gold_offices} | {h.found:.3f} | {h.named:.3f} | {h.found_not_named} | "
                     f"{h.named_not_found} | {h.every_found:.3f} | {h.every_named:.3f} | {pos} |")
    return "\n".join(lines)
