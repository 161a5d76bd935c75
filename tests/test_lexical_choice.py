"""evals/lexical_choice.py on a tiny slice: FTS5 (what ships) and bm25s give sane figures."""

from __future__ import annotations

import pytest

from evals import external
from evals.bench import lexical_choice as lc

pytestmark = pytest.mark.skipif(
    not (external.DEFAULT_DIR / "xquad-th.passages.jsonl").exists(), reason="shared/external-evals not present"
)


@pytest.fixture(scope="module")
def xquad() -> lc.Corpus:
    return lc.external_corpus("xquad-th", passages=30)


@pytest.fixture(scope="module")
def synthetic() -> lc.Corpus:
    return lc.synthetic_corpus(500, n_queries=20, workers=1)


def test_slice_keeps_only_answerable_questions(xquad: lc.Corpus) -> None:
    ids = {c.id for c in xquad.chunks}
    assert len(ids) == 30 and len(xquad.queries) >= 100
    assert all(g <= ids for g in xquad.gold or [])
    assert all(xquad.tokens) and xquad.docs == [[i] for i in range(30)]


def test_quality_scoring_matches_external_harness() -> None:
    gold = [{"a"}, {"b"}, {"c"}, {"x", "d"}]
    hits = [["a", "b"], ["a", "b"], ["q"] * 3 + [f"p{i}" for i in range(20)] + ["c"], ["d"]]
    q = lc.quality(hits, gold)
    assert q == {"recall@1": 0.5, "recall@5": 0.75, "recall@10": 0.75, "mrr@10": pytest.approx((1 + 0.5 + 0 + 1) / 4)}


def _check_speed(row: dict, corpus: lc.Corpus) -> None:
    assert row["build_s"] > 0 and row["update_s"] > 0
    assert 0 < row["search_p50_ms"] <= row["search_p95_ms"]
    assert 0 < row["query_p50_ms"] <= row["query_p95_ms"]
    assert row["query_p50_ms"] >= row["search_p50_ms"]  # tokenising the question is included
    assert row["index_mb"] > 0 and row["update_visible"]
    assert row["update_chunks"] == len(corpus.docs[0])


@pytest.mark.parametrize("engine", lc.ENGINES)
def test_engine_on_slices(engine: str, xquad: lc.Corpus, synthetic: lc.Corpus) -> None:
    if engine == "bm25s":
        pytest.importorskip("bm25s")
    res = lc.compare(xquad, [engine], runs=1)
    row = res["engines"][engine]
    for key in lc.QUALITY:
        assert 0.0 <= row[key] <= 1.0
    assert row["recall@1"] <= row["recall@5"] <= row["recall@10"]
    assert row["recall@1"] >= 0.8, "the gold passage should come first for most questions"
    assert row["mrr@10"] >= 0.85
    _check_speed(row, xquad)
    syn = lc.compare(synthetic, [engine], runs=1)
    assert syn["documents"] == len(synthetic.chunks) >= 400 and syn["queries"] == 20
    _check_speed(syn["engines"][engine], synthetic)
    text = lc.table([res, syn])
    assert lc.ENGINE_LABELS[engine] in text and lc.ENGINE_LABELS["ref"] in text
    assert text.count("\n") == 1 + 3  # header, rule, xquad engine + reference, synthetic engine


def test_both_engines_agree_on_the_same_tokens(xquad: lc.Corpus) -> None:
    pytest.importorskip("bm25s")
    res = lc.compare(xquad, lc.ENGINES, runs=1, isolate=False)
    assert res["agreement_with"] == "fts5" and res["agreement"]["bm25s"]["top1_same"] >= 0.9
    fts, bm = res["engines"]["fts5"], res["engines"]["bm25s"]
    assert abs(fts["recall@1"] - bm["recall@1"]) <= 0.1
    assert bm["reindex_s"] > 0 and bm["update_s"] >= bm["reindex_s"]
