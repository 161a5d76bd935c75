"""Retrieval and answer metrics, as pure functions over small records.

Relevance is binary: a hit (or a citation) is relevant when it matches a
gold entry (``evals.cases.matches``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def first_relevant_rank(relevant: Sequence[bool], k: int = 10) -> int | None:
    """1-based rank of the first relevant hit within the top ``k``."""
    for i, rel in enumerate(relevant[:k], 1):
        if rel:
            return i
    return None


def hit_at(relevant: Sequence[bool], k: int) -> float:
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool], k: int = 10) -> float:
    rank = first_relevant_rank(relevant, k)
    return 1.0 / rank if rank else 0.0


def ndcg(relevant: Sequence[bool], n_gold: int, k: int = 10) -> float:
    """Binary nDCG@k; the ideal ranking puts min(n_gold, k) relevant hits first.

    When more hits are relevant than there are gold entries (a gold entry
    without text makes every chunk of its file relevant), the ideal counts
    those hits instead, so the score never exceeds 1.
    """
    top = relevant[:k]
    dcg = sum(1.0 / math.log2(i + 1) for i, rel in enumerate(top, 1) if rel)
    ideal_n = min(max(n_gold, sum(top)), k) if n_gold else 0
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, ideal_n + 1))
    return dcg / ideal if ideal else 0.0


def recall(gold_found: Sequence[bool]) -> float:
    """Share of gold entries matched by something (1.0 when there is no gold)."""
    return sum(gold_found) / len(gold_found) if gold_found else 1.0


def precision(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def abstention(should: Sequence[bool], did: Sequence[bool]) -> tuple[float | None, float | None]:
    """(precision, recall) with 'should abstain' as the positive class."""
    tp = sum(1 for s, d in zip(should, did) if s and d)
    predicted = sum(did)
    actual = sum(should)
    return (tp / predicted if predicted else None, tp / actual if actual else None)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def frame_invariance(groups: dict[str, list[frozenset[str] | None]]) -> float | None:
    """Share of questions whose outcome agrees with their topic's most common outcome.

    ``groups``: topic -> one outcome per question asked about it in some frame: the set of
    offices named, or None for an abstention. The same topic asked in other words should name
    the same offices; 1.0 when every frame agrees, None when no question has a topic.
    """
    from collections import Counter

    total = sum(len(g) for g in groups.values())
    if not total:
        return None
    agree = sum(Counter(g).most_common(1)[0][1] for g in groups.values() if g)
    return agree / total
