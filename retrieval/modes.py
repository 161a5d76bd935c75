"""What kind of answer a question asks for, from its parsed form alone."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from planqa.types import Query


class Mode(StrEnum):
    LOOKUP = "lookup"  # passages that answer it (one office's, when it names one)
    SECTION = "section"  # an office's section, or items of it ("พันธกิจของเขต 20", "ข้อ 2")
    WHICH = "which"  # which offices' plans say something about a topic
    WHICH_HAVE = "which_have"  # which offices' plans have a section ("ค่านิยม")
    COMPARE = "compare"  # two or more named offices side by side


def choose_mode(query: Query, topical_words: Sequence[str]) -> Mode:
    """The answer mode; ``topical_words``: the question's words beyond office and section names."""
    if query.compare and len(query.offices) >= 2:
        return Mode.COMPARE
    if query.wants_many_offices and not query.offices:
        return Mode.WHICH_HAVE if query.section_kinds and not topical_words else Mode.WHICH
    if query.section_kinds and (not topical_words or query.item_numbers):
        return Mode.SECTION
    return Mode.LOOKUP
