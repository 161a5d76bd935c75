"""Login attempts limited per client: a guessed password costs minutes, not milliseconds.

An ASGI middleware in front of Gradio's ``/login``: a client (by address)
that has failed ``attempts`` times within ``window`` seconds is answered 429
until the oldest of those failures is ``window`` seconds old.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
REFUSED = "พยายามเข้าสู่ระบบผิดหลายครั้งเกินไป กรุณารอ {seconds} วินาทีแล้วลองใหม่"


class LoginRateLimit:
    def __init__(self, app: ASGIApp, attempts: int = 5, window: float = 60.0) -> None:
        self.app = app
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, client: str, now: float) -> float:
        """How long ``client`` must wait before trying again (0: it may try now)."""
        with self._lock:
            failures = self._failures.get(client, deque())
            while failures and now - failures[0] > self.window:
                failures.popleft()
            if len(failures) < self.attempts:
                return 0.0
            return self.window - (now - failures[0])

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(client, deque()).append(now)
            if len(self._failures) > 10_000:  # a flood of addresses: forget the quietest
                for key in list(self._failures)[:5_000]:
                    del self._failures[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or \
                scope.get("path", "").rstrip("/").rsplit("/", 1)[-1] != "login":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        wait = self.wait_seconds(client, time.monotonic())
        if wait > 0:
            log.warning("login refused for %s: too many failed attempts", client)
            body = json.dumps({"detail": REFUSED.format(seconds=int(wait) + 1)}, ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                    (b"retry-after", str(int(wait) + 1).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") in (400, 401, 403):
                self.failed(client, time.monotonic())
            await send(message)

        await self.app(scope, receive, watch)
