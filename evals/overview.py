"""The overview against the gold theme x office matrix (``evals/gold/themes.json``).

The gold was written by someone who saw only the plans; it is measurement
only, never tuning. A cell agrees when both say "supported" (strong or some)
or both say "none"; recall and precision are over supported cells.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

GOLD = Path(__file__).resolve().parent / "gold" / "themes.json"
SUPPORTED = ("strong", "some")


@dataclass(frozen=True, slots=True)
class GoldCell:
    source: str
    theme: str  # the theme's Thai name, as the overview is asked
    stance: str  # strong / some / none


@dataclass(frozen=True, slots=True)
class Score:
    cells: int
    accuracy: float
    recall: float
    precision: float
    exact: float  # share of cells whose strength matches exactly (strong / some / none)
    quoted: float  # share of predicted supported cells that carry a quote

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_gold(path: Path = GOLD) -> tuple[dict[str, str], list[GoldCell]]:
    """(source -> gold office name, the gold cells)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    offices = {o["doc"]: o["office"] for o in data["offices"]}
    cells = [GoldCell(source, t["name_th"], c["stance"])
             for t in data["themes"] for source, c in t["cells"].items()]
    return offices, cells


def score(predicted: Sequence[Mapping[str, Any]], gold: Sequence[GoldCell]) -> Score:
    """How the overview's cells (its JSON contract) agree with ``gold``, matched by (source, theme).

    Raises:
        ValueError: naming a gold cell the overview has no cell for.
    """
    by_key = {(c["source"], c["theme"]): c for c in predicted}
    tp = fp = fn = agree = exact = quoted = said = 0
    for g in gold:
        cell = by_key.get((g.source, g.theme))
        if cell is None:
            raise ValueError(f"the overview has no cell for {g.source!r} and theme {g.theme!r}")
        truth, guess = g.stance in SUPPORTED, bool(cell["supported"])
        agree += truth == guess
        exact += g.stance == cell["strength"]
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
        said += guess
        quoted += guess and bool(cell["quotes"])
    n = len(gold)
    return Score(cells=n, accuracy=agree / n if n else 0.0, recall=tp / (tp + fn) if tp + fn else 0.0,
                 precision=tp / (tp + fp) if tp + fp else 0.0, exact=exact / n if n else 0.0,
                 quoted=quoted / said if said else 1.0)


def run(build: Callable[[Sequence[str], Sequence[str]], Mapping[str, Any]], offices: Sequence[str],
        path: Path = GOLD) -> Score:
    """Score the overview that ``build(offices, themes)`` returns (as its JSON) on the gold matrix.

    ``offices`` are named as the index names them (the gold names some differently, or
    not at all); the cells are matched to the gold by source.
    """
    _, cells = load_gold(path)
    themes = list(dict.fromkeys(c.theme for c in cells))
    return score(build(offices, themes)["cells"], cells)
