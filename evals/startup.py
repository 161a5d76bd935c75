"""Start-up times users wait for: ``python -m evals startup [--runs 3] [--json]``.

Three figures, each the median of ``--runs`` fresh processes on a copy of the
seed plans:

* ``app_ready_s``: ``python app.py`` on an existing index, from the spawn to the
  first answer of its ``/ask`` API (the page is served before that; its time is
  ``page_up_s``);
* ``cli_ask_s``: ``python -m retrieval ask "<question>"`` on the same index, the
  whole command;
* ``first_answer_s``: ``python app.py`` on an empty index, from the spawn to the
  first real answer (the app ingests the plans in the background; the API
  question waits for that).

The measuring process sleeps while it polls, so the measured one has the
machine's cores to itself. Targets (issue 14): app ready <= 3 s, CLI <= 2 s,
first answer <= 10 s, on a quiet 2-core machine.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals.cases import SEED_PLANS
from evals.workdir import work_dir
from planqa.errors import PlanQAError
from planqa.procs import stop

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "สำนักงานใดเน้นความปลอดภัยของนักเรียน"
TARGETS = {"app_ready_s": 3.0, "cli_ask_s": 2.0, "first_answer_s": 10.0}
POLL_S = 0.05
TIMEOUT_S = 180.0


@dataclass
class StartupTimes:
    runs: int
    app_ready_s: float
    page_up_s: float
    cli_ask_s: float
    first_answer_s: float
    samples: dict[str, list[float]] = field(default_factory=dict)
    cpus: int = field(default_factory=lambda: os.cpu_count() or 0)

    def targets(self) -> dict[str, bool]:
        return {name: getattr(self, name) <= limit for name, limit in TARGETS.items()}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "targets": self.targets()}

    def table(self) -> str:
        rows = [
            ("python app.py: first answer, existing index", self.app_ready_s, TARGETS["app_ready_s"]),
            ("python app.py: page served, existing index", self.page_up_s, None),
            ("python -m retrieval ask", self.cli_ask_s, TARGETS["cli_ask_s"]),
            ("python app.py: first answer, empty index", self.first_answer_s, TARGETS["first_answer_s"]),
        ]
        out = [f"start-up, median of {self.runs} fresh processes ({self.cpus} CPUs)", "",
               "| measure | seconds | target |", "|---|---|---|"]
        for label, value, target in rows:
            mark = "" if target is None else f"<= {target:g} s " + ("met" if value <= target else "missed")
            out.append(f"| {label} | {value:.2f} | {mark} |")
        return "\n".join(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(corpus: Path, index: Path) -> dict[str, str]:
    return {**os.environ, "PLANQA_CORPUS_DIR": str(corpus), "PLANQA_INDEX_DIR": str(index),
            "ANONYMIZED_TELEMETRY": "False", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}


def _post(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def ask_api(base: str, question: str) -> dict[str, Any]:
    """One question through the app's ``/ask`` API (Gradio's HTTP protocol: a POST that
    queues the call, then its server-sent events until ``complete``)."""
    event = _post(f"{base}/gradio_api/call/ask", {"data": [question, [], []]})["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event}", timeout=TIMEOUT_S) as resp:
        kind = ""
        for raw in resp:
            line = raw.decode("utf-8").strip()
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind == "complete":
                return json.loads(line[5:])[0]  # type: ignore[no-any-return]
            elif line.startswith("data:") and kind == "error":
                raise PlanQAError(f"the app's /ask failed: {line[5:].strip()}")
    raise PlanQAError("the app's /ask stream ended without an answer")


def _until(check: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PlanQAError(f"python app.py exited (code {proc.returncode}) before {what}")
        if check():
            return
        time.sleep(POLL_S)
    raise PlanQAError(f"python app.py did not reach '{what}' within {TIMEOUT_S:.0f} s")


def time_app(corpus: Path, index: Path) -> tuple[float, float]:
    """Spawn the app; seconds to the page being served and to the first real answer."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = index.parent / f"app-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT,
                                env=_env(corpus, index), stdout=out, stderr=subprocess.STDOUT)
    try:
        def page() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/", timeout=5) as resp:
                    return bool(resp.status == 200)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        _until(page, proc, "serving its page")
        page_up = time.perf_counter() - started
        answer: dict[str, Any] = {}

        def answered() -> bool:
            answer.update(ask_api(base, QUESTION))
            return answer.get("abstain_reason") != "indexing"

        _until(answered, proc, "answering")
        ready = time.perf_counter() - started
        if not answer.get("citations"):
            raise PlanQAError(f"the app's first answer cites nothing: {answer.get('text', '')[:200]}")
        return page_up, ready
    finally:
        stop(proc)


def time_cli(corpus: Path, index: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "retrieval", "ask", QUESTION], cwd=ROOT, env=_env(corpus, index),
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0 or "[1]" not in proc.stdout:
        raise PlanQAError(f"python -m retrieval ask failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return wall


def measure(runs: int, work: Path, say: Callable[[str], None]) -> StartupTimes:
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(SEED_PLANS, corpus)
    index = work / "index"
    shutil.rmtree(index, ignore_errors=True)
    say("startup: building the seed index once (not timed)")
    built = subprocess.run([sys.executable, "-m", "ingest"], cwd=ROOT, env=_env(corpus, index),
                           capture_output=True, text=True)
    if built.returncode != 0:
        raise PlanQAError(f"python -m ingest failed: {built.stderr.strip()[-300:]}")
    samples: dict[str, list[float]] = {"app_ready_s": [], "page_up_s": [], "cli_ask_s": [], "first_answer_s": []}
    for r in range(runs):
        page_up, ready = time_app(corpus, index)
        samples["page_up_s"].append(page_up)
        samples["app_ready_s"].append(ready)
        samples["cli_ask_s"].append(time_cli(corpus, index))
        empty = work / f"empty-{r}"
        shutil.rmtree(empty, ignore_errors=True)
        samples["first_answer_s"].append(time_app(corpus, empty)[1])
        say(f"startup run {r + 1}/{runs}: app page {page_up:.2f} s, first answer {ready:.2f} s; "
            f"cli {samples['cli_ask_s'][-1]:.2f} s; empty index first answer {samples['first_answer_s'][-1]:.2f} s")
    med = {k: statistics.median(v) for k, v in samples.items()}
    return StartupTimes(runs, med["app_ready_s"], med["page_up_s"], med["cli_ask_s"], med["first_answer_s"], samples)


def run(runs: int, as_json: bool, given: Path | None) -> int:
    if runs < 1:
        raise PlanQAError("--runs must be at least 1")
    with work_dir(given, "planqa-startup-") as work:
        times = measure(runs, work, lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(times.to_dict(), indent=1) if as_json else times.table())
    return 0
