"""The overview's cells for the default themes: computed at ingest, kept in the index, and
recomputed only for the offices whose plans changed (or all of them after a model refit)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ingest.cells import CellStore
from ingest.pipeline import run
from planqa.settings import Settings
from retrieval import overview_cells, stance
from retrieval.policy import DEFAULT_POLICY
from retrieval.service import Service


@pytest.fixture
def own_index(seed_settings: Settings, tmp_path: Path) -> Settings:
    """A private copy of the seed corpus and its index (this test writes both)."""
    shutil.copytree(seed_settings.corpus_dir, tmp_path / "corpus")
    shutil.copytree(seed_settings.index_dir, tmp_path / "index")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


class _Spy:
    """Records which (offices, topics) the real stance primitive is asked for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        real = stance.supports

        def spied(service: Service, offices: Sequence[str], topics: Sequence[str]) -> list[stance.Stance]:
            self.calls.append((tuple(offices), tuple(topics)))
            return real(service, offices, topics)

        monkeypatch.setattr(stance, "supports", spied)

    def pairs(self) -> set[tuple[str, str]]:
        return {(o, t) for offices, topics in self.calls for o in offices for t in topics}

    def reset(self) -> None:
        self.calls.clear()


def _office_of(service: Service, source: str) -> str:
    return service.index.office_of()[source]


@pytest.mark.slow
def test_cells_are_stored_and_only_a_changed_plans_office_is_computed_again(
        own_index: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    service = Service(own_index)
    themes = overview_cells.default_themes(service)
    offices = sorted(o.name for o in service.offices())
    assert themes and len(offices) == 5

    first = overview_cells.refresh(service)
    assert first.computed + first.kept == len(offices) * len(themes)
    spy.reset()
    assert overview_cells.refresh(service).computed == 0 and spy.calls == []

    # the overview reads the stored cells: the default themes cost no stance at all
    matrix = overview_cells.overview(service).to_dict()
    assert spy.calls == []
    assert len(matrix["cells"]) == len(offices) * len(themes)
    direct = {(s.office, s.topic): s for s in stance.supports(service, offices, themes[:3])}
    for cell in matrix["cells"]:
        if cell["theme"] in themes[:3]:
            s = direct[(cell["office"], cell["theme"])]
            assert (cell["strength"], cell["probability"], cell["source"]) == (
                str(s.strength), round(s.probability, 4), s.source)
            assert [(q["text"], q["start_line"], q["end_line"]) for q in cell["quotes"]] == [
                (c.text, c.start_line, c.end_line) for c in s.quotes]
    spy.reset()

    # a typed theme is computed, for every office, and nothing else is
    typed = overview_cells.overview(service, ["การออม"]).to_dict()
    assert spy.pairs() == {(o, "การออม") for o in offices}
    assert len(typed["cells"]) == len(offices) * (len(themes) + 1)
    spy.reset()

    # one plan changes: the ingest hook computes that office's cells (and a theme new to the list)
    plan = sorted(own_index.corpus_dir.glob("*.txt"))[1]
    changed_office = _office_of(service, plan.name)
    plan.write_text(plan.read_text(encoding="utf-8") + "\nส่งเสริมการออมของนักเรียนทุกคน\n", encoding="utf-8")
    written: list[tuple[frozenset[str], frozenset[str]]] = []

    def hook(changed: frozenset[str], removed: frozenset[str]) -> None:
        written.append((changed, removed))
        overview_cells.after_ingest(service, changed, removed)

    report = run(own_index, plan_index=service.index, on_written=hook)
    assert report.updated == 1
    assert written == [(frozenset({plan.name}), frozenset())]
    now = overview_cells.default_themes(service)
    new = set(now) - set(themes)
    assert {(changed_office, t) for t in now} <= spy.pairs()
    assert {p for p in spy.pairs() if p[0] != changed_office} == {(o, t) for o in offices if o != changed_office
                                                                  for t in new}
    stored = CellStore(service.index.lexical).stamps()
    assert {t for _, t in stored} == set(now)
    spy.reset()

    # one plan goes: its office's cells go with it, no other office is computed again
    gone = sorted(own_index.corpus_dir.glob("*.txt"))[3]
    gone_office = _office_of(service, gone.name)
    gone.unlink()
    before = overview_cells.default_themes(service)
    run(own_index, plan_index=service.index, on_written=hook)
    assert written[-1] == (frozenset(), frozenset({gone.name}))
    new = set(overview_cells.default_themes(service)) - set(before)
    assert all(set(topics) <= new for _, topics in spy.calls), spy.calls
    assert gone_office not in {o for o, _ in CellStore(service.index.lexical).stamps()}


@pytest.mark.slow
def test_a_refit_stance_model_makes_every_stored_cell_stale(own_index: Settings, tmp_path: Path) -> None:
    service = Service(own_index)
    overview_cells.refresh(service)
    policy: dict[str, Any] = json.loads(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["thresholds"]["office"] = min(0.99, float(policy["thresholds"]["office"]) + 0.1)
    refit = tmp_path / "policy.json"
    refit.write_text(json.dumps(policy), encoding="utf-8")
    other = Service(own_index.model_copy(update={"answer_policy": refit}))
    assert overview_cells.stance_version(other) != overview_cells.stance_version(service)
    n = len(other.offices()) * len(overview_cells.default_themes(other))
    assert overview_cells.refresh(other).computed == n
    assert overview_cells.refresh(other).computed == 0


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["การออม", "เศรษฐกิจพอเพียง", "ความปลอดภัยของนักเรียน", "digital technology"])
def test_one_search_of_every_office_finds_what_each_office_search_finds(seed_settings: Settings, theme: str) -> None:
    from retrieval.query import parse_query

    service = Service(seed_settings)
    known = service.offices()
    offices = [o.name for o in known]
    query = parse_query(theme, known)
    expansion = service.gatherer.expansion(service.gatherer.terms(query, known))
    each = service.searcher.search_each(query, 10, offices, expansion=expansion)
    assert set(each) == set(offices)
    for office in offices:
        alone = service.searcher.search(query, 10, "hybrid", offices=(office,), expansion=expansion)
        assert alone, office
        assert [h.chunk.id for h in each[office]] == [h.chunk.id for h in alone], office
        for a, b in zip(each[office], alone, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-4)  # min-max over a few chunks magnifies float32 noise
            assert (a.lexical_score, a.lexical_rank, a.dense_rank) == (b.lexical_score, b.lexical_rank, b.dense_rank)
            assert a.dense_score == pytest.approx(b.dense_score, abs=1e-5)


def test_an_overview_does_not_wait_for_a_refresh_under_way(seed_settings: Settings) -> None:
    service = Service(seed_settings)
    with overview_cells._REFRESHING:  # an ingest run's hook is computing cells
        assert overview_cells.refresh(service, wait=False) == overview_cells.Refresh(0, 0, 0)
