"""Every metric on small hand-computed cases."""

from __future__ import annotations

import math

import pytest

from evals import metrics as m
from evals.cases import Gold, matches


def test_first_rank_hit_and_mrr() -> None:
    rel = [False, False, True, False, True]
    assert m.first_relevant_rank(rel) == 3
    assert m.hit_at(rel, 1) == 0.0 and m.hit_at(rel, 3) == 1.0
    assert m.reciprocal_rank(rel) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(rel, k=2) == 0.0
    assert m.first_relevant_rank([False] * 12 + [True]) is None


def test_ndcg_binary() -> None:
    # relevant at ranks 1 and 3, two gold entries: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    assert m.ndcg([True, False, True], n_gold=2) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert m.ndcg([True], n_gold=1) == 1.0
    assert m.ndcg([False, False], n_gold=1) == 0.0


def test_recall_precision_jaccard() -> None:
    assert m.recall([True, False, False, True]) == 0.5
    assert m.precision([True, True, False]) == pytest.approx(2 / 3)
    assert m.precision([]) is None
    assert m.jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)


def test_abstention_precision_recall() -> None:
    should = [True, True, False, False]
    did = [True, False, True, False]
    assert m.abstention(should, did) == (0.5, 0.5)
    assert m.abstention([False], [False]) == (None, None)


def test_percentile_nearest_rank() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert m.percentile(values, 0.5) == 50.0
    assert m.percentile(values, 0.95) == 100.0
    assert m.percentile([], 0.5) is None


def test_matching_rule_folds_nbsp_and_space_runs() -> None:
    gold = Gold("004_324aff1e68aa4ee5.txt", "พัฒนาสถานศึกษา  ให้มีความปลอดภัย")
    assert matches("004_324aff1e68aa4ee5.txt", "1.\u00a0พัฒนาสถานศึกษา\u00a0ให้มีความปลอดภัย\nแก่ผู้เรียน", gold)
    assert not matches("003_500a49f8050b8f55.txt", "พัฒนาสถานศึกษา ให้มีความปลอดภัย", gold)
    assert matches("sub/004_324aff1e68aa4ee5.txt", "anything", Gold("004_324aff1e68aa4ee5.txt"))


def test_ndcg_ideal_is_capped_at_k_and_at_the_gold_count() -> None:
    # 3 gold entries but k=2: the ideal is two relevant hits in ranks 1-2
    assert m.ndcg([True, True, False], n_gold=3, k=2) == 1.0
    # one gold entry found at rank 2: DCG = 1/log2(3), IDCG = 1
    assert m.ndcg([False, True], n_gold=1) == pytest.approx(1 / math.log2(3))
    # two relevant hits for one gold entry (a doc-only gold entry): the ideal counts both, so never above 1
    assert m.ndcg([True, True], n_gold=1) == 1.0
    assert m.ndcg([False, True, True], n_gold=1) == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert m.ndcg([True], n_gold=0) == 0.0


def test_short_rankings_and_means() -> None:
    assert m.hit_at([False, True], 10) == 1.0 and m.hit_at([], 1) == 0.0
    assert m.reciprocal_rank([]) == 0.0
    assert m.recall([]) == 1.0  # nothing to find
    assert m.mean([1.0, None, 0.0]) == 0.5 and m.mean([None]) is None
    assert m.jaccard(set(), set()) == 1.0 and m.jaccard({"a"}, set()) == 0.0
    assert m.percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_frame_invariance_counts_agreement_with_each_topics_majority() -> None:
    a, b = frozenset({"เขต 4"}), frozenset({"เขต 4", "มุกดาหาร"})
    groups = {"safety": [b, b, a, None], "english": [a, a]}
    assert m.frame_invariance(groups) == pytest.approx(4 / 6)
    assert m.frame_invariance({"x": [None, None]}) == 1.0
    assert m.frame_invariance({}) is None
