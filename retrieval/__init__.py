"""Retrieval and answering over the plan index.

``search(question)`` returns ranked Hits; ``answer(question)`` an Answer with
citations. Heavy objects (model, index handles) are built once per Settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planqa.settings import Settings
    from planqa.types import Answer, Hit


def search(
    question: str,
    k: int = 10,
    offices: list[str] | None = None,
    sections: list[str] | None = None,
    settings: Settings | None = None,
    retriever: str = "hybrid",
) -> list[Hit]:
    """Ranked hits for ``question`` from the index named by ``settings``."""
    from retrieval.service import get_service

    return get_service(settings).search(question, k=k, offices=offices, sections=sections, retriever=retriever)


def answer(
    question: str,
    history: list[Any] | None = None,
    offices: list[str] | None = None,
    settings: Settings | None = None,
) -> Answer:
    """A cited answer to ``question`` (``history``: earlier user questions)."""
    from retrieval.service import get_service

    return get_service(settings).answer(question, history=history, offices=offices)
