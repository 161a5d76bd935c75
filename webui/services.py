"""What the web app needs, opened once per process: answering and documents."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from planqa.errors import ConfigError
from planqa.settings import Settings
from retrieval import overview_cells
from retrieval.service import Service, get_service
from webui.documents import DocumentManager
from webui.evaluate import Evaluator
from webui.render import progress_words, status_markdown


@dataclass(slots=True)
class Services:
    settings: Settings
    qa: Service
    docs: DocumentManager
    evaluator: Evaluator

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """The warm retrieval service and a document manager over the same index."""
        qa = get_service(settings)
        docs = DocumentManager(settings, qa.index, on_written=partial(overview_cells.after_ingest, qa))
        return cls(settings, qa, docs, Evaluator(settings, sync=docs.reingest))

    def status_line(self) -> str:
        """The index status shown above the tabs (ingest progress while one runs)."""
        docs = self.qa.index.lexical.documents()
        return status_markdown(self.docs.state, len(docs), sum(len(d.chunk_ids) for d in docs))

    def first_ingest_pending(self) -> bool:
        """The index is still empty and an ingest run is filling it (questions should wait)."""
        return self.docs.state.running and self.docs.is_empty()

    def progress_text(self) -> str:
        """"กำลังนำเข้าเอกสาร N/M (อีกประมาณ X วินาที)", for the chat and the API."""
        return progress_words(self.docs.state)

    def wait_for_first_ingest(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) for the first ingest; True when the index can answer."""
        deadline = time.monotonic() + timeout
        while self.first_ingest_pending() and time.monotonic() < deadline:
            time.sleep(0.25)
        return not self.first_ingest_pending()

    def plan_titles(self) -> dict[str, str]:
        """Document -> the plan's own title (its first line), for the source viewer."""
        return self.qa.offices.titles()

    def overview(self, themes: Sequence[str] = (), offices: Sequence[str] = ()) -> dict[str, Any]:
        """The theme x office overview as its JSON contract: the mined default themes (their cells
        stored at ingest) plus ``themes`` (computed now), over ``offices`` (default: every office)."""
        return overview_cells.overview(self.qa, themes, offices).to_dict()

    def office_choices(self) -> list[tuple[str, str]]:
        """(label, office name) pairs for the office filter."""
        return [(o.short if o.short == o.name else f"{o.short} — {o.name}", o.name) for o in self.qa.offices()]


def is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def login(settings: Settings, host: str, share: bool) -> tuple[str, str] | None:
    """The (user, password) the app requires; none needed on a loopback address.

    Raises:
        ConfigError: a public address or share link without a login configured, or an IPv6 literal
            (Gradio writes its own URLs without the brackets such an address needs).
    """
    if ":" in host:
        raise ConfigError(
            f"cannot serve on the IPv6 address {host}: the web server builds its URLs without brackets; "
            "use 127.0.0.1, localhost, or a host name that resolves to that address"
        )
    if settings.auth_user and settings.auth_password:
        return settings.auth_user, settings.auth_password
    if share or not is_local(host):
        where = "a public share link" if share else host
        raise ConfigError(
            f"refusing to serve on {where} without a login: set PLANQA_AUTH_USER and PLANQA_AUTH_PASSWORD "
            "(or bind to 127.0.0.1)"
        )
    return None
