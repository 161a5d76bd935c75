"""The answer policy as an object: its logistic models, its JSON, and the policy that ships."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planqa.errors import ConfigError
from retrieval.features import OFFICE_FEATURES, QUESTION_FEATURES, UNIT_FEATURES, row
from retrieval.policy import DEFAULT_POLICY, AnswerPolicy, LogisticModel, Thresholds, load_policy


def _model(features: tuple[str, ...], weight: float = 1.0) -> LogisticModel:
    n = len(features)
    return LogisticModel(features, (0.0,) * n, (1.0,) * n, (weight,) + (0.0,) * (n - 1), 0.0)


def test_a_logistic_model_is_a_sigmoid_of_standardised_features() -> None:
    m = LogisticModel(("a", "b"), (1.0, 0.0), (2.0, 1.0), (2.0, -1.0), 0.5)
    x = np.array([[3.0, 1.0], [1.0, 0.0]])
    expected = 1 / (1 + np.exp(-(((x - [1.0, 0.0]) / [2.0, 1.0]) @ [2.0, -1.0] + 0.5)))
    assert np.allclose(m.probability(x), expected)
    assert m.probability([[1e6, 0.0]])[0] == pytest.approx(1.0)  # clipped, no overflow


def test_a_policy_survives_its_json(tmp_path: Path) -> None:
    policy = AnswerPolicy(_model(UNIT_FEATURES), _model(OFFICE_FEATURES, -2.0), _model(QUESTION_FEATURES),
                          Thresholds(0.6, 0.4, 0.55), meta={"folds": 5})
    path = tmp_path / "p.json"
    policy.save(path)
    again = load_policy(path)
    assert again == policy


def test_a_policy_fitted_on_other_features_is_refused(tmp_path: Path) -> None:
    data = AnswerPolicy(_model(UNIT_FEATURES), _model(OFFICE_FEATURES), _model(QUESTION_FEATURES)).to_dict()
    data["models"]["unit"]["features"] = ["exact", "old_feature"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="unit model was fitted on other features.*python -m evals calibrate"):
        load_policy(path)


@pytest.mark.parametrize("family", ["unit", "office", "answer"])
def test_a_policy_with_the_same_features_in_another_order_is_refused(tmp_path: Path, family: str) -> None:
    data = AnswerPolicy(_model(UNIT_FEATURES), _model(OFFICE_FEATURES), _model(QUESTION_FEATURES)).to_dict()
    names = data["models"][family]["features"]
    data["models"][family]["features"] = [names[1], names[0], *names[2:]]  # same names, weights now misread
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{family} model was fitted on other features"):
        load_policy(path)


def test_a_feature_row_is_built_by_name_and_refuses_a_missing_or_unknown_name() -> None:
    values = {name: float(i) for i, name in enumerate(reversed(UNIT_FEATURES))}
    assert row(values, UNIT_FEATURES) == [values[n] for n in UNIT_FEATURES]
    with pytest.raises(ValueError, match="missing \\['exact'\\]"):
        row({n: 0.0 for n in UNIT_FEATURES if n != "exact"}, UNIT_FEATURES)
    with pytest.raises(ValueError, match="unexpected \\['bogus'\\]"):
        row({**values, "bogus": 1.0}, UNIT_FEATURES)


@pytest.mark.parametrize("content", ["", "{", '{"version": 99}', '{"version": 1}'])
def test_an_unreadable_or_malformed_policy_says_how_to_refit(tmp_path: Path, content: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="python -m evals calibrate"):
        load_policy(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_policy(tmp_path / "missing.json")


def test_the_shipped_policy_loads_and_records_its_out_of_fold_figures() -> None:
    policy = load_policy(DEFAULT_POLICY)
    meta = policy.meta
    assert "independent" not in meta["question_sets"]  # the independent set never trains it
    assert meta["questions"] >= 500 and meta["folds"] >= 5
    oof = meta["out_of_fold"]["all"]
    assert 0 <= oof["answerable_abstained"] <= 1 and oof["citations_valid"] == 1.0
    assert all(0.0 < getattr(policy.thresholds, t) < 1.0 for t in ("answer", "office", "unit"))
