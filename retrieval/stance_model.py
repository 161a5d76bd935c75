"""The stance model: how likely one office's own evidence supports one topic, and the two thresholds.

Fitted by ``python -m evals stance`` on the training question sets (grouped cross-validation by
question, and leave-one-plan-out), shipped as ``retrieval/stance.json``: the topic weights of the
question words, a logistic model over ``STANCE_FEATURES``, and two thresholds:

* at or above ``high`` an office's plan addresses the topic (listed first);
* from ``low`` to ``high`` it addresses something close to it ("กล่าวถึงในเรื่องที่ใกล้เคียง").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from planqa.errors import check_model_version, load_fitted, save_fitted
from retrieval.policy import LogisticModel
from retrieval.stance_features import STANCE_FEATURES, TopicWeights, UnitEvidence, stance_vector
from retrieval.support import Term

STANCE_VERSION = 1
DEFAULT_STANCE = Path(__file__).resolve().parent / "stance.json"
REFIT = "python -m evals stance"


@dataclass(frozen=True, slots=True)
class StanceModel:
    topical: TopicWeights
    model: LogisticModel
    high: float
    low: float
    meta: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, and its held-out figures

    def probability(self, units: Sequence[UnitEvidence], terms: Sequence[Term], asks_fact: bool, english: bool,
                    sections: Collection[str] = ()) -> float:
        """P(the office whose own evidence is ``units`` supports the topic of ``terms``)."""
        if not units:
            return 0.0
        row = stance_vector(units, terms, self.topical, asks_fact, english, sections)
        return float(self.model.probability([row])[0])

    def to_dict(self) -> dict[str, Any]:
        return {"version": STANCE_VERSION, "model": self.model.to_dict(), "high": self.high, "low": self.low,
                "topical": self.topical.to_dict(), "meta": self.meta}

    def save(self, path: Path = DEFAULT_STANCE) -> None:
        save_fitted(path, self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StanceModel:
        check_model_version(data, STANCE_VERSION, "stance model", REFIT)
        model = LogisticModel.from_dict(data["model"], STANCE_FEATURES, "stance")
        return cls(TopicWeights.from_dict(data["topical"]), model, float(data["high"]), float(data["low"]),
                   dict(data.get("meta", {})))


@lru_cache(maxsize=4)
def load_stance(path: Path = DEFAULT_STANCE) -> StanceModel:
    """The stance model at ``path`` (default: the one shipped beside this module).

    Raises:
        ConfigError: a missing or malformed file, with what to do.
    """
    return load_fitted(path, StanceModel.from_dict, "stance model", REFIT)
