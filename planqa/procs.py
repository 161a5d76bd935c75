"""Child processes: the app and CLI runs that benchmarks, scripts and tests start."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 20) -> None:
    """Terminate ``proc``, and kill it if it has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren ...), read from /proc; [] elsewhere."""
    from pathlib import Path

    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
        if fields[0] != "Z":  # a zombie holds nothing open
            parents[int(stat.parent.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        here = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == here]
        found.extend(kids)
        frontier.extend(kids)
    return found
