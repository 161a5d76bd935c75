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
