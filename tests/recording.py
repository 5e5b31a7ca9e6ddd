"""Seeing what a client sends: a response hook that records each request."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

import vtorm
from vtorm.testing import Emulator


class Sent:
    """The requests a client sends, as ``(operation, params)``, read from a response hook.

    A dropped request has no response and is not seen here; ``Emulator.calls``
    lists what reached the server.
    """

    def __init__(self, client: vtorm.Client) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()  # bulk writes answer on several threads
        client.session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method == "GET":
            params = dict(parse_qsl(urlsplit(request.url or "").query))
        else:
            body = request.body or ""
            params = dict(parse_qsl(body.decode() if isinstance(body, bytes) else str(body)))
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


def make_client(crm: Emulator, **options: Any) -> vtorm.Client:
    """A logged-in client of ``crm`` that backs off for milliseconds, not seconds."""
    options.setdefault("backoff", 0.001)
    options.setdefault("backoff_cap", 0.01)
    client = vtorm.Client(crm.url, crm.username, crm.access_key, **options)
    client.login()
    return client
