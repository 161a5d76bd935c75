"""The corpus background a unit's cosine with the question is read against (``retrieval.background``)."""

from __future__ import annotations

import numpy as np

from ingest.index import PlanIndex
from retrieval.background import UnitBackground
from retrieval.evidence import topic_text


def test_the_background_is_a_sample_of_the_corpus_units_and_reads_each_question_against_it(seed_settings) -> None:  # type: ignore[no-untyped-def]
    index = PlanIndex(seed_settings)
    units = np.vstack([v for v in index.lexical.unit_vectors(sorted(index.lexical.all_ids())).values() if v.size])
    whole = UnitBackground(index.lexical)
    question = index.query_vector(topic_text("สำนักงานใดเน้นความปลอดภัยของนักเรียน", (), False))
    mean, spread = whole.stats(question)
    cos = units @ np.asarray(question, dtype=np.float32)
    assert (mean, spread) == (float(cos.mean()), float(cos.std()))  # five plans: every unit is in the sample
    # the best unit on student safety stands well above the question's background; a typical unit does not
    assert (cos.max() - mean) / spread > 2.0 and abs(float(np.median(cos)) - mean) / spread < 1.0
    # a smaller sample takes every k-th chunk and at most that many units
    small = UnitBackground(index.lexical, sample=30)
    small.refresh()
    assert 3 <= small.size <= 30
    m2, s2 = small.stats(question)
    assert abs(m2 - mean) < 2 * spread and s2 > 0
    # a vector of another size (an index built with another model) says nothing
    assert whole.stats([1.0, 0.0, 0.0]) == (0.0, 1.0)
