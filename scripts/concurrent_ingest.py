"""Concurrent writers against one index: pairs of `python -m ingest` started at the same moment.

    python scripts/concurrent_ingest.py --pairs 10 [--json]

Each pair works on a fresh copy of the seed plans: one plan is edited, then two
plain runs start together; then two `--full` runs start together. After every
pair, `python -m ingest --check` must be clean and the index must hold every
plan. Prints one line per pair and a summary (the README's Reliability figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "seeds"


def _together(args: list[str], env: dict[str, str]) -> tuple[list[int], float]:
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "ingest", *args], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    codes = [p.wait(timeout=900) for p in procs]
    return codes, time.monotonic() - started


def one_pair(work: Path, n: int) -> dict[str, object]:
    corpus, index = work / f"corpus{n}", work / f"index{n}"
    shutil.copytree(SEEDS, corpus)
    env = {**os.environ, "PLANQA_CORPUS_DIR": str(corpus), "PLANQA_INDEX_DIR": str(index),
           "ANONYMIZED_TELEMETRY": "False"}
    subprocess.run([sys.executable, "-m", "ingest"], cwd=ROOT, env=env, check=True, capture_output=True)
    plan = corpus / "003_500a49f8050b8f55.txt"
    plan.write_text(plan.read_text(encoding="utf-8") + f"\nจุดเน้น\n1. ส่งเสริมการอ่าน รอบที่ {n}\n", encoding="utf-8")
    plain, plain_s = _together([], env)
    full, full_s = _together(["--full"], env)
    check = subprocess.run([sys.executable, "-m", "ingest", "--check", "--json"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    result = json.loads(check.stdout) if check.stdout.strip() else {"ok": False, "problems": [check.stderr]}
    docs = subprocess.run([sys.executable, "-c", "import sys; from planqa.settings import Settings; "
                           "from ingest.lexical import LexicalIndex; s = Settings(); "
                           "print(len(LexicalIndex(s.lexical_path).documents()))"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    return {"pair": n, "plain_exit": plain, "full_exit": full, "plain_s": round(plain_s, 1),
            "full_s": round(full_s, 1), "check_ok": bool(result.get("ok")), "problems": result.get("problems", []),
            "documents": int(docs.stdout.strip() or 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="planqa-concurrent-"))
    try:
        rows = []
        for n in range(args.pairs):
            row = one_pair(work, n)
            rows.append(row)
            if not args.json:
                print(f"pair {n}: plain exits {row['plain_exit']} ({row['plain_s']} s), --full exits "
                      f"{row['full_exit']} ({row['full_s']} s), check {'clean' if row['check_ok'] else row['problems']}, "
                      f"{row['documents']} plans indexed", flush=True)
        clean = sum(1 for r in rows if r["check_ok"] and r["documents"] == 5
                    and r["plain_exit"] == r["full_exit"] == [0, 0])
        if args.json:
            print(json.dumps({"pairs": rows, "clean": clean}, ensure_ascii=False))
        else:
            print(f"{clean} of {len(rows)} pairs left a clean, complete index")
        return 0 if clean == len(rows) else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
