"""Seeing what a client sends, and clients that need no socket."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import vtorm
from vtorm.testing import Emulator, InProcessTransport
from vtorm.transport import Response


class Sent:
    """The requests a client sends, as ``(operation, params)``, read from its response hooks.

    A dropped request has no response and is not seen here; ``Emulator.calls``
    lists what reached the server. Works on any transport.
    """

    def __init__(self, client: vtorm.Client) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()  # bulk writes answer on several threads
        client.event_hooks["response"].append(self._hook)

    def _hook(self, response: Response) -> None:
        request = response.request
        if request.method == "GET":
            params = dict(parse_qsl(urlsplit(request.url).query))
        elif request.headers.get("Content-Type", "").startswith("multipart/"):
            params = {"operation": request.operation}
        else:
            params = dict(parse_qsl(request.content.decode()))
        with self._lock:
            self.requests.append((params.get("operation", "?"), params))

    def clear(self) -> None:
        """Forget what was recorded so far."""
        with self._lock:
            self.requests.clear()

    @property
    def ops(self) -> list[str]:
        """The operations sent, in order."""
        return [op for op, _ in self.requests]

    def elements(self, operation: str) -> list[dict[str, Any]]:
        """The decoded ``element`` of every request of ``operation``."""
        return [json.loads(p["element"]) for op, p in self.requests if op == operation]


class InFlight:
    """The most requests the client had in flight at once (from its event hooks)."""

    def __init__(self, client: vtorm.Client) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()
        client.event_hooks["request"].append(self._sent)
        client.event_hooks["response"].append(self._answered)

    def _sent(self, request: Any) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def _answered(self, response: Any) -> None:
        with self._lock:
            self.now -= 1


def make_client(crm: Emulator, **options: Any) -> vtorm.Client:
    """A logged-in client of ``crm`` that backs off for milliseconds, not seconds.

    It reaches the emulator in-process, through the same dispatcher its HTTP
    server uses: the layers above the wire are tested without sockets.
    """
    options.setdefault("backoff", 0.001)
    options.setdefault("backoff_cap", 0.01)
    options.setdefault("transport", InProcessTransport(crm))
    client = vtorm.Client("http://embedded.invalid", crm.username, crm.access_key, **options)
    client.login()
    return client
