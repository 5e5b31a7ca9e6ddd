"""``InProcessTransport``: a client talks to an emulator without a socket.

The request is the one the client would send over HTTP — the same method,
URL with its query string, headers and body bytes — and the emulator's
dispatcher reads it exactly as its HTTP server does, so what differs is only
that no socket carries the bytes. Injected faults behave as over HTTP: a
``drop`` is a :class:`~vtorm.errors.ConnectionLost`, a ``delay`` longer than
the client's timeout a :class:`~vtorm.errors.ReadTimeout` while the
operation still runs.
"""

from __future__ import annotations

import concurrent.futures
import threading
import urllib.parse
from typing import TYPE_CHECKING

from vtorm.errors import ConnectionLost, ReadTimeout
from vtorm.transport import BaseTransport, Request, Response, transport_error

if TYPE_CHECKING:
    from vtorm.testing.emulator import Emulator

__all__ = ["InProcessTransport"]

# Requests answered at once; more wait for a free worker, as for a busy server.
_WORKERS = 64


class InProcessTransport(BaseTransport):
    """Hands each request to ``emulator``'s dispatcher, in this process.

    The emulator need not be started; the client's URL may be any
    ``http://`` URL (only its path is read: it must be the emulator's
    ``/webservice.php``, as over HTTP, see :mod:`vtorm.testing.paths`)::

        crm = Emulator()
        client = vtorm.Client("http://crm.invalid", crm.username, crm.access_key,
                              transport=InProcessTransport(crm))

    Each request runs on a worker thread so that the client's timeout holds;
    :meth:`close` stops the workers (the next request starts them again).
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._workers: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<InProcessTransport to {self.emulator!r}>"

    def handle_request(self, request: Request) -> Response:
        """The emulator's answer to ``request``, as its HTTP server would give it."""
        parts = urllib.parse.urlsplit(request.url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        headers = {name.lower(): value for name, value in request.headers.items()}
        headers["content-length"] = str(len(request.content))
        dispatcher = self.emulator.dispatcher
        args = (request.method, target, headers, request.content)
        try:
            future = self._pool().submit(dispatcher.handle, *args)
        except RuntimeError:  # closed by another thread meanwhile: start anew
            future = self._pool().submit(dispatcher.handle, *args)
        try:
            answer = future.result(timeout=request.timeout)
        except concurrent.futures.TimeoutError:
            raise transport_error(
                ReadTimeout, request, "the emulator is still working on it"
            ) from None
        if answer is None:
            raise transport_error(
                ConnectionLost, request, "the emulator closed the connection without answering"
            )
        answer_headers = {
            "server": "Apache",
            "content-type": answer.content_type,
            "content-length": str(len(answer.body)),
        }
        return Response(answer.status, answer_headers, answer.body, request)

    def close(self) -> None:
        """Stop the worker threads once they are idle; a later request starts new ones."""
        with self._lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=False)

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        workers = self._workers
        if workers is None:
            with self._lock:
                if self._workers is None:
                    self._workers = concurrent.futures.ThreadPoolExecutor(
                        _WORKERS, thread_name_prefix="vtorm-inprocess"
                    )
                workers = self._workers
        return workers
