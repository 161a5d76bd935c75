"""Retrieval and answering over the plan index.

``search(question)`` returns ranked Hits; ``answer(question)`` an Answer with
citations. Both go through the Service of their Settings (``retrieval.service``),
which holds the one set of defaults; heavy objects are built once per Settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planqa.settings import Settings
    from planqa.types import Answer, Hit


def search(
    question: str,
    k: int | None = None,
    offices: Sequence[str] | None = None,
    sections: Sequence[str] | None = None,
    settings: Settings | None = None,
    retriever: str = "hybrid",
) -> list[Hit]:
    """Ranked hits for ``question`` from the index named by ``settings`` (k: PLANQA_TOP_K)."""
    from retrieval.service import get_service

    return get_service(settings).search(question, k=k, offices=offices, sections=sections, retriever=retriever)


def answer(
    question: str,
    history: Sequence[Any] | None = None,
    offices: Sequence[str] | None = None,
    settings: Settings | None = None,
    k: int | None = None,
) -> Answer:
    """A cited answer to ``question`` (``history``: earlier user questions; k: PLANQA_TOP_K)."""
    from retrieval.service import get_service

    return get_service(settings).answer(question, history=history, offices=offices, k=k)
