"""What the bench's measurements share: their settings and their percentiles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals import metrics


def percentile(values: Sequence[float], q: float) -> float:
    """``evals.metrics.percentile``, NaN for no values (a figure the table prints as such)."""
    p = metrics.percentile(values, q)
    return float("nan") if p is None else p


def bench_settings(corpus: Path, index: Path, embedding: str) -> Any:
    from planqa.settings import Settings

    return Settings(corpus_dir=corpus, index_dir=index, embedding=embedding)
