"""One writer at a time per index, across processes: an advisory lock file in the index folder.

Every ingest run (``python -m ingest``, the web app's re-ingest, ``--full``)
takes it. It is an ``flock`` on ``<index>/ingest.lock``: the kernel releases
it when its holder dies, however it dies, so a stale lock from a killed
process is taken over at once. The file also records the holder's pid, host
and start time, so a second writer can say whom it waits for.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from planqa.errors import IndexBusy

log = logging.getLogger(__name__)
LOCK_NAME = "ingest.lock"
POLL_SECONDS = 0.2


def holder(path: Path) -> str:
    """Who holds (or last held) the lock, in words."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another ingest run"
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, since {info.get('started', '?')}"


@contextmanager
def index_write_lock(index_dir: Path, wait: bool = True, timeout: float | None = None,
                     on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the index's write lock for the block.

    Args:
        wait: wait for another writer to finish (False: raise IndexBusy at once).
        timeout: give up waiting after this many seconds (IndexBusy).
        on_wait: told once, in words, whom this run waits for.

    Raises:
        IndexBusy: another process is writing the index and ``wait`` is off or timed out.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                who = holder(path)
                if not wait:
                    raise IndexBusy(f"another ingest run is writing this index ({who}); "
                                    "wait for it to finish, or run again without --no-wait") from None
                if timeout is not None and time.monotonic() - started > timeout:
                    raise IndexBusy(f"gave up after {timeout:.0f} s waiting for another ingest run ({who})") from None
                if not told:
                    message = f"waiting for another ingest run to finish ({who})"
                    log.warning(message)
                    if on_wait:
                        on_wait(message)
                    told = True
                time.sleep(POLL_SECONDS)
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
