"""The gold-matrix scorer of the overview, on the real gold file."""

from __future__ import annotations

import pytest

from evals.overview import GoldCell, load_gold, score


def _cell(g: GoldCell, strength: str, quotes: bool = True) -> dict[str, object]:
    return {"source": g.source, "theme": g.theme, "strength": strength,
            "supported": strength in ("strong", "some"), "quotes": [{"text": "x"}] if quotes else []}


def test_the_gold_covers_the_five_seed_plans_for_every_theme() -> None:
    offices, cells = load_gold()
    assert len(offices) == 5
    themes = {c.theme for c in cells}
    assert len(cells) == 5 * len(themes)
    assert {c.stance for c in cells} <= {"strong", "some", "none"}


def test_the_gold_itself_scores_one_and_its_negation_zero() -> None:
    _, gold = load_gold()
    perfect = score([_cell(g, g.stance) for g in gold], gold)
    assert (perfect.accuracy, perfect.recall, perfect.precision, perfect.exact) == (1.0, 1.0, 1.0, 1.0)
    flipped = score([_cell(g, "none" if g.stance != "none" else "strong") for g in gold], gold)
    assert flipped.accuracy == 0.0 and flipped.recall == 0.0 and flipped.precision == 0.0


def test_all_supported_has_full_recall_and_precision_at_the_base_rate() -> None:
    _, gold = load_gold()
    s = score([_cell(g, "some", quotes=False) for g in gold], gold)
    positives = sum(g.stance != "none" for g in gold) / len(gold)
    assert s.recall == 1.0
    assert s.precision == pytest.approx(positives)
    assert s.quoted == 0.0


def test_a_missing_cell_is_named() -> None:
    _, gold = load_gold()
    with pytest.raises(ValueError, match=gold[-1].theme):
        score([_cell(g, g.stance) for g in gold[:-1]], gold)
