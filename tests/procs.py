"""Helpers for tests that start servers as child processes (one ``stop`` for tests, benches and scripts)."""

from __future__ import annotations

from planqa.procs import stop

__all__ = ["stop"]
