"""Default overview themes mined from the real seed plans."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from evals.cases import SEED_PLANS
from ingest.normalize import normalize_line
from ingest.sections import SECTION_WORDS
from ingest.themes import fingerprint, mine, stored, to_meta

CORPUS = SEED_PLANS
OFFICE_WORDS = ["สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา"]


@pytest.fixture(scope="module")
def plans() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="module")
def themes(plans: dict[str, str]) -> list[str]:
    return mine(plans, exclude=OFFICE_WORDS)


def _flat(text: str) -> str:
    return "".join(normalize_line(line).replace(" ", "") for line in text.split("\n"))


def test_about_twenty_to_forty_thai_themes_for_the_seed_plans(themes: list[str]) -> None:
    assert 20 <= len(themes) <= 40
    assert len(set(themes)) == len(themes)
    assert all(re.fullmatch("[\u0e01-\u0e4e]+", t) for t in themes), themes


def test_each_theme_recurs_in_two_plans_or_more(plans: dict[str, str], themes: list[str]) -> None:
    flat = [_flat(t) for t in plans.values()]
    for theme in themes:
        holding = sum(theme in f for f in flat)
        assert holding >= 2, (theme, holding)
        assert theme not in SECTION_WORDS
        assert not any(theme in w for w in OFFICE_WORDS)


def test_themes_are_refreshed_only_when_a_plan_changes(plans: dict[str, str], themes: list[str]) -> None:
    stamp = fingerprint(plans)
    meta = to_meta(themes, stamp)
    assert stored(meta, fingerprint(dict(plans))) == themes
    changed = dict(plans)
    first = sorted(changed)[0]
    changed[first] += "\nแผนนี้เพิ่มบรรทัดใหม่"
    assert fingerprint(changed) != stamp
    assert stored(meta, fingerprint(changed)) is None
    assert stored(None, stamp) is None


@pytest.mark.slow
def test_ingest_keeps_the_themes_with_the_index_and_mines_again_when_a_plan_changes(fresh_settings: Any) -> None:
    from ingest.index import PlanIndex
    from ingest.pipeline import run
    from ingest.themes import THEMES_KEY, refresh

    run(fresh_settings)
    ix = PlanIndex(fresh_settings)
    first = ix.lexical.get_meta(THEMES_KEY)
    assert first is not None
    kept = json.loads(first)["themes"]
    assert 20 <= len(kept) <= fresh_settings.overview_themes
    run(fresh_settings)  # nothing changed: the themes are not mined again
    assert ix.lexical.get_meta(THEMES_KEY) == first
    assert refresh(ix.lexical) == kept
    plan = sorted(fresh_settings.corpus_dir.glob("*.txt"))[0]
    plan.write_text(plan.read_text(encoding="utf-8") + "\nแผนนี้เพิ่มบรรทัดใหม่\n", encoding="utf-8")
    run(fresh_settings)
    assert json.loads(ix.lexical.get_meta(THEMES_KEY) or "{}")["fingerprint"] != json.loads(first)["fingerprint"]


def test_generic_words_are_those_all_of_whose_words_are_core_thai() -> None:
    from ingest.themes import generic

    assert generic(["การพัฒนา"]) and generic(["ความสามารถ"]) and generic(["บุคคล"])
    assert not generic(["เศรษฐกิจพอเพียง"]) and not generic(["ภาคี", "เครือข่าย"]) and not generic(["นวัตกรรม"])


def test_a_dictionary_compound_headed_by_a_verb_is_no_noun() -> None:
    from ingest.themes import _nouns
    from ingest.tokens import tokenize

    words = [w for w in tokenize("ชุมชนมีส่วนร่วมในการพัฒนาภาษาอังกฤษ", drop_stopwords=False) if w.strip()]
    tagged = dict(zip(words, _nouns(words), strict=True))
    assert tagged["ชุมชน"] and tagged["ภาษาอังกฤษ"]
    assert not any(tagged[w] for w in words if w.startswith(("มี", "ร่วม"))), tagged


def test_a_phrase_nearly_always_followed_by_one_word_is_incomplete() -> None:
    from collections import Counter

    from ingest.themes import incomplete

    assert incomplete(Counter({"ที่": 5}))
    assert incomplete(Counter({"ของ": 9, "มา": 1}))
    assert not incomplete(Counter({"มา": 2, "ใน": 2, "": 2}))
    assert not incomplete(Counter({"ที่": 2}))  # too few to tell


def test_no_mined_theme_is_generic_incomplete_or_part_of_an_office_name(plans: dict[str, str]) -> None:
    from collections import Counter

    from ingest.themes import _phrases, generic, incomplete

    names = ["สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา เขต 4", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษามุกดาหาร"]
    themes = mine(plans, exclude=names)
    assert 20 <= len(themes) <= 40
    after: dict[str, Counter[str]] = {}
    words: dict[str, tuple[str, ...]] = {}
    for text in plans.values():
        words.update(_phrases(text, after))
    for theme in themes:
        assert not generic(words[theme]), theme
        assert not incomplete(after[theme]), (theme, after[theme])
        assert not any(theme in "".join(n.split()) for n in names), theme  # across the space of "... เขต 4"
