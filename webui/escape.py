"""Untrusted text (file names, questions, plan text) made safe for Gradio's Markdown."""

from __future__ import annotations

import html
import re

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#!|~])")


def markdown_text(value: object) -> str:
    """Untrusted text made safe for Markdown (which also passes HTML through)."""
    one_line = " ".join(str(value).splitlines())
    return _MD_SPECIALS.sub(r"\\\1", html.escape(one_line, quote=False))
