"""The learned answer policy: three small logistic models and their decision thresholds.

* ``unit``: is this quotable unit relevant to the question (is it what a reader
  would cite)? It picks the quotes.
* ``office``: does this office's plan support the topic of a "which office"
  question, judged on its own best evidence? It picks the offices named.
* ``answer``: do the plans answer this question at all? Below its threshold
  the answer abstains.

Weights and thresholds are fitted by ``python -m evals calibrate`` with
cross-validation grouped by question, and shipped as ``retrieval/policy.json``
(versioned, with the feature names it was fitted on). At run time this is
numpy only: no scikit-learn import on the answer path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planqa.errors import ConfigError, check_model_version
from retrieval.features import OFFICE_FEATURES, QUESTION_FEATURES, UNIT_FEATURES

POLICY_VERSION = 1
DEFAULT_POLICY = Path(__file__).resolve().parent / "policy.json"
FAMILIES = {"unit": UNIT_FEATURES, "office": OFFICE_FEATURES, "answer": QUESTION_FEATURES}


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """p = sigmoid(w . (x - mean) / scale + b), over named features."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float

    def probability(self, rows: np.ndarray | list[list[float]]) -> np.ndarray:
        x = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.features))
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.weights) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40, 40))))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any], expected: tuple[str, ...], name: str) -> LogisticModel:
        features = tuple(data["features"])
        if features != expected:
            raise ConfigError(
                f"the answer policy's {name} model was fitted on other features ({', '.join(features)}); "
                "refit it with `python -m evals calibrate`"
            )
        model = cls(features, tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                    float(data["intercept"]))
        if not (len(model.mean) == len(model.scale) == len(model.weights) == len(features)):
            raise ConfigError(f"the answer policy's {name} model is malformed; refit it with `python -m evals calibrate`")
        return model


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.5  # answer when P(answerable) is at least this
    office: float = 0.5  # name an office when P(supported) is at least this
    unit: float = 0.5  # quote a further unit when P(relevant) is at least this (the best is always quoted)


@dataclass(frozen=True, slots=True)
class AnswerPolicy:
    unit: LogisticModel
    office: LogisticModel
    answer: LogisticModel
    thresholds: Thresholds = Thresholds()
    max_units: int = 3  # quotes for one lookup
    max_units_per_office: int = 2
    meta: dict[str, Any] = field(default_factory=dict)  # what it was fitted on, and its out-of-fold figures

    def to_dict(self) -> dict[str, Any]:
        t = self.thresholds
        return {
            "version": POLICY_VERSION,
            "models": {"unit": self.unit.to_dict(), "office": self.office.to_dict(), "answer": self.answer.to_dict()},
            "thresholds": {"answer": t.answer, "office": t.office, "unit": t.unit},
            "max_units": self.max_units,
            "max_units_per_office": self.max_units_per_office,
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerPolicy:
        check_model_version(data, POLICY_VERSION, "answer policy", "python -m evals calibrate")
        models = data["models"]
        t = data.get("thresholds", {})
        return cls(
            unit=LogisticModel.from_dict(models["unit"], UNIT_FEATURES, "unit"),
            office=LogisticModel.from_dict(models["office"], OFFICE_FEATURES, "office"),
            answer=LogisticModel.from_dict(models["answer"], QUESTION_FEATURES, "answer"),
            thresholds=Thresholds(float(t.get("answer", 0.5)), float(t.get("office", 0.5)), float(t.get("unit", 0.5))),
            max_units=int(data.get("max_units", 3)),
            max_units_per_office=int(data.get("max_units_per_office", 2)),
            meta=dict(data.get("meta", {})),
        )


def load_policy(path: Path | None = None) -> AnswerPolicy:
    """The answer policy at ``path`` (default: the one shipped beside this module).

    Raises:
        ConfigError: a missing, unreadable or mismatched policy file, with what to do.
    """
    path = path or DEFAULT_POLICY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the answer policy {path} ({exc}); refit it with `python -m evals calibrate`"
                          ) from exc
    try:
        return AnswerPolicy.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the answer policy {path} is malformed ({exc}); refit it with `python -m evals calibrate`"
                          ) from exc
