"""Does any plan hold a which-question's topic? One office's own evidence and the question's, joined.

A which-question names offices in two tiers (``retrieval/decide.py``); before that, the answer asks
whether any plan holds the topic at all, so that a topic no plan holds ("เขตไหนมีโครงการอาหาร
กลางวัน…") is answered "the plans don't say" instead of naming the offices whose plans come nearest.
Two fitted models speak to it, per office:

* the stance model (``retrieval/stance.json``): the office's own plan, searched alone for the topic;
* the answer model (``retrieval/policy.json``): the question as a whole (does any plan answer it?).

Both were fitted on the training question sets, where their probabilities are in-sample and surer
than on new wordings. This model joins their log-odds by a logistic regression fitted on a set
neither saw (``trainframes``: topics asked in six frames each), grouped by topic, into P(this office's
plan holds the topic). Some plan holds it when one office with a quote that holds a topic word
reaches ``threshold``, chosen out of fold (``python -m evals holds``). No feature compares an office
with another one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from planqa.errors import check_model_version, load_fitted, save_fitted
from retrieval.policy import LogisticModel

HOLDS_VERSION = 1
DEFAULT_HOLDS = Path(__file__).resolve().parent / "holds.json"
REFIT = "python -m evals holds"
HOLDS_FEATURES = ("stance", "answer")  # each model's log-odds
_CLIP = 1e-3


def log_odds(p: float) -> float:
    p = min(max(float(p), _CLIP), 1.0 - _CLIP)
    return math.log(p / (1.0 - p))


def holds_row(stance: float, answer: float) -> list[float]:
    """The features of one office for one question, in ``HOLDS_FEATURES`` order."""
    return [log_odds(stance), log_odds(answer)]


@dataclass(frozen=True, slots=True)
class HoldsModel:
    model: LogisticModel
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, and its out-of-fold figures

    def probability(self, stance: float, answer: float) -> float:
        """P(the office's plan holds the question's topic), from its stance and the question's answer figure."""
        return float(self.model.probability([holds_row(stance, answer)])[0])

    def to_dict(self) -> dict[str, Any]:
        return {"version": HOLDS_VERSION, "model": self.model.to_dict(), "threshold": self.threshold,
                "meta": self.meta}

    def save(self, path: Path = DEFAULT_HOLDS) -> None:
        save_fitted(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HoldsModel:
        check_model_version(data, HOLDS_VERSION, "holds model", REFIT)
        model = LogisticModel.from_dict(data["model"], HOLDS_FEATURES, "holds")
        return cls(model, float(data["threshold"]), dict(data.get("meta", {})))


@lru_cache(maxsize=4)
def load_holds(path: Path = DEFAULT_HOLDS) -> HoldsModel:
    """The holds model at ``path`` (default: the one shipped beside this module).

    Raises:
        ConfigError: a missing or malformed file, with what to do.
    """
    return load_fitted(path, HoldsModel.from_dict, "holds model", REFIT)
