"""Small domain exceptions; entry points turn them into one readable line."""

from __future__ import annotations

import errno
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from planqa.types import SkipReason

T = TypeVar("T")


class PlanQAError(Exception):
    """Base class: the message says what went wrong and what to do next."""


class UnreadableDocument(PlanQAError):
    """A file could not be turned into text (the message is the reason, ``kind`` its code)."""

    def __init__(self, message: str, kind: SkipReason) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[type[UnreadableDocument], tuple[str, SkipReason]]:  # picklable with its kind
        return type(self), (str(self), self.kind)


class IndexMismatch(PlanQAError):
    """The index was built with another embedding model or schema."""


class IndexNotReady(PlanQAError):
    """No index exists yet, or it is being rebuilt."""


class ConfigError(PlanQAError):
    """A setting has a value we cannot use."""


def check_model_version(data: Mapping[str, Any], expected: int, what: str, refit: str) -> None:
    """Refuse a fitted model file written for another version, naming the command that refits it."""
    if data.get("version") != expected:
        raise ConfigError(f"{what} version {data.get('version')!r} is not {expected}; refit it with `{refit}`")


def save_fitted(path: Path, data: Mapping[str, Any]) -> None:
    """Write a fitted model file: JSON, keys sorted and one per line, so that a refit diffs readably."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def load_fitted(path: Path, parse: Callable[[dict[str, Any]], T], what: str, refit: str) -> T:
    """A fitted model file (JSON) read by ``parse``; a missing or malformed one is a ConfigError that
    names the command that refits it."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the {what} {path} ({exc}); refit it with `{refit}`") from exc


class IndexBusy(PlanQAError):
    """Another process is writing the index."""


class InvalidInput(PlanQAError, ValueError):
    """A question or a parameter that cannot be used: the message says which and why,
    in English (logs, CLI) and in Thai (``thai``, for the web app). A ValueError too, as callers
    through LangChain expect."""

    def __init__(self, message: str, thai: str) -> None:
        super().__init__(message)
        self.thai = thai


class DiskFull(PlanQAError):
    """The disk holding the index is full."""


class ReadOnlyIndex(PlanQAError):
    """The index folder cannot be written: it can be served, not ingested into."""


def is_disk_full(exc: BaseException) -> bool:
    """An error (SQLite's, Chroma's, the OS's) that says the disk is full, anywhere in its chain."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text or "disk full" in text:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False
