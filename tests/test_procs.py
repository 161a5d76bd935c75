"""planqa.procs: stopping a child, and finding what a process left running."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from planqa.procs import descendants, stop


def test_descendants_finds_grandchildren_and_stop_ends_them() -> None:
    # a child that starts its own child: both must be found below this process
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        # wait for the grandchild itself: other processes below pytest (a session's servers, a
        # multiprocessing resource tracker) must not stand in for it
        deadline = time.monotonic() + 20
        while not (below_child := descendants(child.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(below_child) == 1 and below_child[0] != child.pid
        found = descendants(os.getpid())
        assert child.pid in found and below_child[0] in found
    finally:
        below = descendants(child.pid)  # only this test's processes: session fixtures run servers too
        stop(child, timeout=5)
        for pid in below:
            os.kill(pid, 9)
    assert child.pid not in descendants(os.getpid())
    assert descendants(2**22 + 7) == []  # no such process: nothing below it
