"""Questions to a running app while CLI ingests rewrite its index (issue #22, item 1).

    python scripts/ingest_during_questions.py [--code DIR] [--rounds 1] [--json]

Builds a temp index of the seed plans with the CLI, starts a real ``python app.py`` on it, and asks
"วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร" through ``/ask`` every 0.3 s while, in turn:

- ``full``: one CLI ``python -m ingest --full``;
- ``sync``: a CLI ``python -m ingest`` after editing the Mukdahan plan;
- ``two_full``: two CLI ``--full`` started together.

Questions go on for a few seconds after each CLI run ends (an app that breaks after a rebuild
shows there). Per scenario it counts the questions, the errors (a failed request) and the false
answers (one that does not quote and cite Mukdahan's vision), and runs ``--check`` after it.
``--code DIR`` runs the app and the CLI from another checkout (main's code, for the "before").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from planqa.procs import stop

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "seeds"
QUESTION = "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร"
MUKDAHAN = "004_324aff1e68aa4ee5.txt"
VISION = "องค์กรนวัตกรรม"
AFTER_S = 4.0  # questions go on this long after a CLI run ends
EVERY_S = 0.3


def _env(code: Path, corpus: Path, index: Path, tmp: Path, embedding: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANQA_")}
    if embedding:
        env["PLANQA_EMBEDDING"] = embedding
    env.update(PLANQA_CORPUS_DIR=str(corpus), PLANQA_INDEX_DIR=str(index), PYTHONPATH=str(code),
               GRADIO_TEMP_DIR=str(tmp / "gradio"), GRADIO_ANALYTICS_ENABLED="False",
               ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def false_answer(answer: dict[str, Any]) -> bool:
    """An answer that does not quote Mukdahan's vision and cite its plan."""
    sources = {c.get("source") for c in answer.get("citations") or []}
    return MUKDAHAN not in sources or VISION not in str(answer.get("text", ""))


class Asker:
    """Asks QUESTION every EVERY_S seconds on its own thread; counts per scenario."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False)
        self.stop = threading.Event()
        self.asked = self.errors = self.false = 0
        self.examples: list[str] = []

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                answer = self.client.predict(QUESTION, api_name="/ask")
                bad = false_answer(answer)
                self.false += bad
                if bad and len(self.examples) < 3:
                    self.examples.append("false: " + str(answer.get("text", ""))[:120])
            except Exception as exc:  # every failure is counted and shown
                self.errors += 1
                if len(self.examples) < 3:
                    self.examples.append(f"error: {type(exc).__name__}: {str(exc)[:160]}")
            self.asked += 1
            self.stop.wait(EVERY_S)


def _cli(code: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ingest", *args], cwd=code, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _check(code: Path, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "ingest", "--check"], cwd=code, env=env,
                          capture_output=True, text=True, timeout=300)
    return "clean" if done.returncode == 0 else (done.stdout + done.stderr).strip().splitlines()[-1][:160]


def scenario(name: str, url: str, code: Path, env: dict[str, str], corpus: Path) -> dict[str, Any]:
    if name == "sync":  # edit Mukdahan's plan: its chunks change, its vision stays
        plan = corpus / MUKDAHAN
        plan.write_text(plan.read_text(encoding="utf-8") + f"\nหมายเหตุ แก้ไขเมื่อ {time.time():.0f}\n",
                        encoding="utf-8")
    runs = {"full": [("--full",)], "sync": [()], "two_full": [("--full",), ("--full",)]}[name]
    asker = Asker(url)
    thread = threading.Thread(target=asker.loop, daemon=True)
    thread.start()
    time.sleep(1.0)  # a few questions before the run starts
    started = time.monotonic()
    procs = [_cli(code, env, *args) for args in runs]
    codes = [p.wait(timeout=900) for p in procs]
    cli_s = time.monotonic() - started
    time.sleep(AFTER_S)
    asker.stop.set()
    thread.join(timeout=120)
    failed = [p.stderr.read().strip().splitlines()[-1:] for p, c in zip(procs, codes) if c and p.stderr]
    return {"scenario": name, "questions": asker.asked, "errors": asker.errors, "false_answers": asker.false,
            "cli_exit": codes, "cli_s": round(cli_s, 1), "check": _check(code, env), "examples": asker.examples,
            "cli_failed": failed}


def _wait_serving(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("app.py did not serve within 300 s")


def one_round(code: Path, work: Path, scenarios: list[str], embedding: str | None = None) -> list[dict[str, Any]]:
    """A fresh corpus, index and app under ``work``; one result row per scenario."""
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(SEEDS, corpus)
    env = _env(code, corpus, index, work, embedding)
    subprocess.run([sys.executable, "-m", "ingest"], cwd=code, env=env, check=True, capture_output=True)
    port, log = _free_port(), work / "app.log"
    with log.open("wb") as out:
        app = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=code, env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_serving(url, app, log)
        from gradio_client import Client

        warm = Client(url, verbose=False).predict(QUESTION, api_name="/ask")
        if false_answer(warm):
            raise SystemExit(f"the app answers falsely before any CLI run: {warm.get('text')!r}")
        return [scenario(name, url, code, env, corpus) for name in scenarios]
    finally:
        stop(app)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose app and CLI run")
    parser.add_argument("--rounds", type=int, default=1, help="fresh app and index per round")
    parser.add_argument("--scenarios", default="full,sync,two_full")
    parser.add_argument("--embedding", help="PLANQA_EMBEDDING for the app and the CLI (default: the default model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = [s for s in args.scenarios.split(",") if s]
    rows: list[dict[str, Any]] = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="planqa-during-") as tmp:
            for row in one_round(args.code.resolve(), Path(tmp), names, args.embedding):
                row["round"] = n
                rows.append(row)
                print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    print(f"code: {args.code.resolve()}  rounds: {args.rounds}")
    print("| scenario | questions | errors | false answers | --check clean | CLI s (median) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        mine = [r for r in rows if r["scenario"] == name]
        print(f"| {name} | {sum(r['questions'] for r in mine)} | {sum(r['errors'] for r in mine)} | "
              f"{sum(r['false_answers'] for r in mine)} | {sum(r['check'] == 'clean' for r in mine)}/{len(mine)} | "
              f"{statistics.median(r['cli_s'] for r in mine):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
