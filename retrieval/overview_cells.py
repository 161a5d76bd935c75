"""The overview's cells for the default themes, computed once and kept in the index.

A cell (office, theme) is computed by the stance primitive
(``retrieval.stance.supports``) and stored with a stamp of what it was
computed from: the office's plans (their sources and content hashes) and the
stance model's version (the answer policy, the embedding model, the code of
the modules that decide a stance, the search settings). A cell whose stamp
is not its office's current stamp is stale. So after an ingest run only the
offices whose plans were added, changed or removed get their cells
recomputed; a removed office's cells are dropped; a refit stance model, a new
embedder or new code makes every stamp new and every cell is recomputed; a
theme that joins the default list is computed for every office, one that
leaves it is dropped.

A cell also depends, weakly, on the whole corpus (word weights over all
chunks, the plan vocabulary): those drifts are not tracked; a full rebuild
(``python -m ingest --full``) with new code recomputes everything.

The overview (tab, API, CLI) reads the stored cells and computes only the
themes a user types (``stored_supports``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ingest import tokens
from ingest.cells import CellStore, StoredCell
from ingest.themes import THEMES_KEY
from planqa.types import PageInfo
from retrieval import background, decide, evidence, features, gather, stance, stance_features, support, terms
from retrieval.overview import Overview, PlainStance, StanceLike, build
from retrieval.stance_model import DEFAULT_STANCE

if TYPE_CHECKING:
    from retrieval.service import Service

log = logging.getLogger(__name__)
# the modules whose code decides a stance: an edit to any of them makes every stored cell stale
# (terms: near-meaning matches; evidence: the topic words; background: what a cosine is read against;
# tokens: the words, and which a longer word holds)
_DECIDING = (stance, stance_features, support, features, decide, gather, terms, evidence, background, tokens)
_REFRESHING = threading.Lock()  # one refresh at a time in a process (a second one finds nothing left to do)


@dataclass(frozen=True, slots=True)
class Refresh:
    """What one refresh did."""

    computed: int  # cells computed and stored
    dropped: int  # cells of offices or themes no longer there
    kept: int  # cells still current


def stance_version(service: Service) -> str:
    """A digest of everything a stance is computed with, but the plans."""
    h = hashlib.sha256()
    h.update(json.dumps(service.policy().to_dict(), sort_keys=True, ensure_ascii=False).encode())
    h.update(DEFAULT_STANCE.read_bytes())  # the fitted stance model
    h.update(service.index.model_id.encode())
    s = service.settings
    h.update(f"{s.fusion}|{s.candidate_k}|{s.soft_match}|{s.expansion}".encode())
    for module in _DECIDING:
        h.update(Path(str(module.__file__)).read_bytes())
    return h.hexdigest()[:16]


def office_stamps(service: Service, version: str) -> dict[str, str]:
    """Office -> the stamp its cells must carry now: its plans' sources and hashes, and ``version``."""
    plans: dict[str, list[str]] = {}
    for d in service.index.lexical.documents():
        plans.setdefault(d.office, []).append(f"{d.source}\x00{d.sha256}")
    return {office: hashlib.sha256("\x01".join([version, *sorted(ps)]).encode()).hexdigest()[:16]
            for office, ps in plans.items()}


def default_themes(service: Service) -> list[str]:
    """The themes mined at ingest (``ingest.themes``), none before the first ingest."""
    meta = service.index.lexical.get_meta(THEMES_KEY)
    return list(json.loads(meta)["themes"]) if meta else []


def refresh(service: Service, themes: Sequence[str] | None = None, wait: bool = True) -> Refresh:
    """Bring the stored cells of ``themes`` (default: the default themes) in step with the index:
    compute the stale and missing cells, drop those of offices or themes no longer there.

    On a read-only index nothing is stored: the overview computes what it lacks. With
    ``wait=False`` a refresh already under way (an ingest run's) is not waited for.
    """
    store = CellStore(service.index.lexical)
    if not store.writable or not _REFRESHING.acquire(blocking=wait):
        return Refresh(0, 0, 0)
    try:
        return _refresh(service, store, themes)
    finally:
        _REFRESHING.release()


def _refresh(service: Service, store: CellStore, themes: Sequence[str] | None) -> Refresh:
    """``refresh`` under its lock."""
    themes = default_themes(service) if themes is None else list(themes)
    stamps = office_stamps(service, stance_version(service))
    stored = store.stamps()
    wanted = set(themes)
    dropped = store.drop(k for k, stamp in stored.items()
                         if k[1] not in wanted or stamps.get(k[0]) != stamp)
    # offices grouped by the themes they lack: after a one-plan change one group of one office
    lacking: dict[tuple[str, ...], list[str]] = {}
    for office, stamp in stamps.items():
        missing = tuple(t for t in themes if stored.get((office, t)) != stamp)
        if missing:
            lacking.setdefault(missing, []).append(office)
    computed = 0
    for missing, offices in lacking.items():
        computed += store.put(StoredCell(s.office, s.topic, stamps[s.office], s.source, str(s.strength),
                                         s.probability, s.quotes)
                              for s in stance.supports(service, offices, missing))
    kept = len(stamps) * len(themes) - computed
    if computed or dropped:
        log.info("overview cells: %d computed, %d dropped, %d kept", computed, dropped, kept)
    return Refresh(computed, dropped, kept)


def after_ingest(service: Service, changed: Collection[str], removed: Collection[str]) -> None:
    """The ingest run's hook: the cells of the offices whose plans changed, recomputed.

    ``changed`` and ``removed`` (the plans the run wrote and deleted) are logged; the stamps,
    not these sets, say which cells are stale, so a run that died before this call is caught
    up by the next."""
    result = refresh(service)
    log.info("ingest changed %d plans and removed %d: %d overview cells computed, %d dropped",
             len(changed), len(removed), result.computed, result.dropped)


def stored_supports(service: Service, offices: Sequence[str], topics: Sequence[str]) -> list[StanceLike]:
    """``stance.supports`` that serves a current stored cell where there is one and computes the rest
    (typed themes; every cell on a read-only index without stored cells)."""
    stamps = office_stamps(service, stance_version(service))
    got: dict[tuple[str, str], StanceLike] = {
        (c.office, c.theme): PlainStance(c.office, c.source, c.theme, c.probability, c.strength, c.quotes)
        for c in CellStore(service.index.lexical).get(topics) if stamps.get(c.office) == c.stamp}
    lacking: dict[tuple[str, ...], list[str]] = {}
    for office in offices:
        missing = tuple(t for t in topics if (office, t) not in got)
        if missing:
            lacking.setdefault(missing, []).append(office)
    for missing, names in lacking.items():
        got.update(((s.office, s.topic), s) for s in stance.supports(service, names, missing))
    return [got[(o, t)] for t in topics for o in offices if (o, t) in got]


def overview(service: Service, themes: Sequence[str] = (), offices: Sequence[str] = (),
             defaults: bool = True) -> Overview:
    """The matrix of ``offices`` (default: all) x the default themes (when ``defaults``) and
    ``themes``: stored cells brought up to date first (unless an ingest run is doing it: then
    the cells it has not reached yet are computed here), typed themes computed."""
    refresh(service, wait=False)
    names = list(offices) or [o.name for o in service.offices()]
    wanted = [*(default_themes(service) if defaults else []), *themes]
    return build(partial(stored_supports, service), names, wanted, page_of=page_finder(service))


def page_finder(service: Service) -> Callable[[str, int], int | None]:
    """``(source, line) -> page`` for paged sources (PDF), None for the rest; each source's pages read once."""
    cache: dict[str, tuple[PageInfo, ...]] = {}

    def page_of(source: str, line: int) -> int | None:
        if source not in cache:
            cache[source] = service.index.lexical.pages_of(source)
        return next((p.number for p in cache[source] if p.start_line <= line <= p.end_line), None)

    return page_of
