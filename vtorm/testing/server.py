"""The HTTP side of the emulator: ``/webservice.php`` read and answered as PHP would.

Parameters of a GET-type operation are read from the query string only, those
of a POST-type operation from the form body only; ``operation`` and
``sessionName`` from either (PHP's ``$_REQUEST``). Answers are the JSON
envelope (HTTP 200 even for errors), an empty HTTP 500 for what is a PHP fatal
error on the real server, or plain text.

:class:`Dispatcher` turns one request (method, target, headers, body bytes)
into its :class:`Answer`; :class:`WebServiceServer` reads requests off
sockets and hands them to it, and so does, without a socket,
:class:`vtorm.testing.InProcessTransport`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from vtorm.testing.faults import Fault, FaultPlan
from vtorm.testing.operations import load
from vtorm.testing.operations.base import (
    NO_RESULT,
    Context,
    Fatal,
    PlainText,
    RawJson,
    WsError,
    internal_error,
)
from vtorm.testing.paths import endpoint_status
from vtorm.testing.state import CrmState

__all__ = ["WRITE_OPERATIONS", "Answer", "Dispatcher", "WebServiceServer", "encode"]

log = logging.getLogger("vtorm.testing")

# Parameters never recorded in ``calls``: they are secrets.
_SECRET_PARAMS = frozenset({"sessionName", "accessKey", "operation"})
_SESSIONLESS_CHECKED = frozenset({"getchallenge", "login"})

#: Operations after whose answer a lingering worker stays busy (see ``WebServiceServer``).
WRITE_OPERATIONS = frozenset({"create", "update", "revise", "delete"})

_JSON = "application/json"
_HTML = "text/html; charset=UTF-8"
_NOTICE = (
    b"<br />\n<b>Notice</b>:  Undefined index: HTTP_REFERER in"
    b" <b>/var/www/html/include/Webservices/Utils.php</b> on line <b>1042</b><br />\n"
)
_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Vtiger CRM</title></head>\n<body>"
    b"<h1>Service Temporarily Unavailable</h1><p>The server is under maintenance."
    b" Please try again later.</p></body></html>\n"
)
_STATUS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    414: "Request-URI Too Long",
    500: "Internal Server Error",
    501: "Not Implemented",
}
# Apache's LimitRequestLine: a longer request line answers 414 with this page.
MAX_REQUEST_LINE = 8190
_APACHE_HTML = "text/html; charset=iso-8859-1"


def _apache_page(title: str, message: str) -> bytes:
    """An error page as Apache writes it."""
    return (
        b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">\n'
        b"<html><head>\n<title>" + title.encode() + b"</title>\n</head><body>\n"
        b"<h1>" + title.partition(" ")[2].encode() + b"</h1>\n" + message.encode() + b"\n<hr>\n"
        b"<address>Apache/2.4.71 (Debian) Server at 127.0.0.1 Port 80</address>\n</body></html>\n"
    )


_URI_TOO_LONG = _apache_page(
    "414 Request-URI Too Long",
    "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>",
)


# Built once; answers are trees of dicts and lists made per request, never
# circular, so the check for cycles (half the encoding time) is left out.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def encode(value: Any) -> str:
    """JSON text as the recorded server writes it: compact, UTF-8 kept, ``/`` unescaped."""
    return _ENCODER.encode(value)


_SUCCESS_ONLY = b'{"success":true}'


def _success(result: Any) -> bytes:
    if result is NO_RESULT:
        return _SUCCESS_ONLY
    text = result.text if isinstance(result, RawJson) else encode(result)
    return ('{"success":true,"result":' + text + "}").encode("utf-8")


# Envelopes kept per server: enough for the answers a test repeats, bounded in memory.
_MAX_ENVELOPES = 64


def _failure(error: WsError) -> bytes:
    # The recorded server puts the message before the code.
    body = {"success": False, "error": {"message": error.message, "code": error.code}}
    return encode(body).encode("utf-8")


class Answer:
    """One HTTP answer: status, content type and body bytes."""

    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body


_FATAL = Answer(500, _HTML, b"")
# A path that is not the endpoint, and a target Apache cannot map to a file.
_PATH_ANSWERS = {
    404: Answer(
        404,
        _APACHE_HTML,
        _apache_page("404 Not Found", "<p>The requested URL was not found on this server.</p>"),
    ),
    400: Answer(
        400,
        _APACHE_HTML,
        _apache_page(
            "400 Bad Request",
            "<p>Your browser sent a request that this server could not understand.<br />\n</p>",
        ),
    ),
}


class Dispatcher:
    """Answers ``/webservice.php`` requests for one emulated CRM, as the PHP server would.

    It records what it receives in ``calls`` and meets the faults of ``faults``;
    it is safe to use from many threads at once.
    """

    def __init__(
        self,
        crm: CrmState,
        *,
        faults: FaultPlan | None = None,
        calls: list[tuple[str, dict[str, str]]] | None = None,
    ) -> None:
        self.crm = crm
        self.faults = faults if faults is not None else FaultPlan()
        self.calls = calls if calls is not None else []
        self.operations = load()
        # id(text) -> (text, envelope bytes) of RawJson answers: the store hands out
        # the same text object while no record changes (and describe texts never
        # change), so a repeated answer skips building and UTF-8 encoding its
        # envelope. The text kept in the value pins its id while the entry lives.
        self.envelopes: dict[int, tuple[str, bytes]] = {}

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> Answer | None:
        """The answer to one GET or POST (None: the connection closes without one).

        ``target`` is the request line's path and query string, ``headers``
        have lower-case names.
        """
        return self.handle_operation(method, target, headers, body)[0]

    def handle_operation(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[Answer | None, str]:
        """:meth:`handle`, and the operation the request named (lower case, ``""`` if none)."""
        if len(f"{method} {target} HTTP/1.1\r\n") > MAX_REQUEST_LINE + 1:
            return Answer(414, _APACHE_HTML, _URI_TOO_LONG), ""
        path, _, query_text = target.partition("?")
        status = endpoint_status(path)
        if status != 200:
            return _PATH_ANSWERS[status], ""
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        form: dict[str, str] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        if method == "POST" and body:
            kind = headers.get("content-type") or ""
            if kind.startswith("application/x-www-form-urlencoded"):
                form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            elif kind.startswith("multipart/form-data"):
                form, files = _multipart(kind, body)
        answer, _ = self.answer(method, query, form, files)
        return answer, (form.get("operation") or query.get("operation") or "").lower()

    # -- one request --------------------------------------------------------

    def answer(
        self,
        method: str,
        query: dict[str, str],
        form: dict[str, str],
        files: Mapping[str, tuple[str, str, bytes]],
    ) -> tuple[Answer | None, Fault | None]:
        """The answer to one request (None: close without answering) and the fault it met."""
        request = {**query, **form}
        name = request.get("operation")
        self.calls.append(
            ((name or "").lower(), {k: v for k, v in request.items() if k not in _SECRET_PARAMS})
        )
        fault = self.faults.take(name)
        if fault is not None:
            if fault.kind == "drop":
                return None, fault
            if fault.kind == "http500":
                return _FATAL, fault
            if fault.kind == "html":
                return Answer(200, _HTML, _HTML_PAGE), fault
            if fault.kind == "delay":
                time.sleep(fault.delay)
        answer = self._dispatch(method, name, request, query, form, files)
        if fault is not None:
            if fault.kind == "drop_after":
                return None, fault
            if fault.kind == "notice" and answer.content_type == _JSON:
                answer = Answer(answer.status, answer.content_type, _NOTICE + answer.body)
        return answer, fault

    def _dispatch(
        self,
        method: str,
        name: str | None,
        request: dict[str, str],
        query: dict[str, str],
        form: dict[str, str],
        files: Mapping[str, tuple[str, str, bytes]],
    ) -> Answer:
        op = self.operations.get(name.lower()) if name else None
        if op is None or request.get("format", "json") != "json":
            return _FATAL
        crm = self.crm
        session_name = request.get("sessionName")
        given = session_name not in (None, "", "null")
        user = None
        try:
            if op.session:
                if not given:
                    raise WsError("AUTHENTICATION_REQUIRED", "Authencation required")
                session = crm.session(session_name or "")
                if session is None:
                    raise WsError("INVALID_SESSIONID", "Session Identifier provided is Invalid")
                user = crm.users.get(session.user_id)
            elif (
                given
                and op.name.lower() in _SESSIONLESS_CHECKED
                and crm.session(session_name or "") is None
            ):
                # A stale sessionName makes even getchallenge and login fail.
                raise WsError("INVALID_SESSIONID", "Session Identifier provided is Invalid")
            params = query if op.method == "GET" else form
            ctx = Context(crm, user, session_name if given else None, method, files)
            result = op.handler(ctx, params)
        except WsError as error:
            return Answer(200, _JSON, _failure(error))
        except Fatal:
            return _FATAL
        except PlainText as text:
            return Answer(200, _HTML, str(text).encode("utf-8"))
        except Exception:
            log.exception("operation %s failed", name)
            return Answer(200, _JSON, _failure(internal_error()))
        if isinstance(result, RawJson):
            return Answer(200, _JSON, self._envelope(result.text))
        return Answer(200, _JSON, _success(result))

    def _envelope(self, text: str) -> bytes:
        envelopes = self.envelopes
        found = envelopes.get(id(text))
        if found is not None and found[0] is text:
            return found[1]
        body = _success(RawJson(text))
        if len(envelopes) >= _MAX_ENVELOPES:
            envelopes.clear()
        envelopes[id(text)] = (text, body)
        return body


class WebServiceServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server handing each request to a :class:`Dispatcher`.

    Each connection has its own worker thread, as each kept-alive connection
    of an Apache prefork server has its own child process. With ``linger``
    (seconds), the worker stays busy that long after answering a write
    (:data:`WRITE_OPERATIONS`), as a Vtiger child does while PHP shuts the
    request down: the next request on that connection waits, other
    connections are served at once. ``served`` receives the
    ``(connection number, operation)`` of every request read, connections
    numbered from 1 in the order they were accepted.
    """

    daemon_threads = True
    allow_reuse_address = True
    # Apache's ListenBacklog. socketserver's 5 let a burst of new connections
    # (eight workers each opening one per call) overflow the accept queue: a
    # dropped SYN is sent again a second later.
    request_queue_size = 511

    def __init__(
        self,
        address: tuple[str, int],
        dispatcher: Dispatcher,
        *,
        linger: float = 0.0,
        served: list[tuple[int, str]] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.linger = linger
        self.served = served if served is not None else []
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self._accepted = 0
        # Set when the server stops: a lingering worker ends its wait at once.
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def next_connection_number(self) -> int:
        """Number a newly accepted connection (1, 2, ...)."""
        with self.connections_lock:
            self._accepted += 1
            return self._accepted

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is normal (timeouts, stopped tests): log quietly."""
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Shut every open keep-alive connection (the server is stopping)."""
        self.stopping.set()
        with self.connections_lock:
            sockets = list(self.connections)
            self.connections.clear()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    server: WebServiceServer
    number: int

    def setup(self) -> None:
        """Prepare the connection: no Nagle delay, tracked so that stop() can close it."""
        super().setup()
        # One write per answer and no Nagle delay: keep-alive round trips stay sub-millisecond.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
        self.number = self.server.next_connection_number()

    def finish(self) -> None:
        """Forget the connection; a client gone away is not an error."""
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Access lines go to the debug log, never to stderr."""
        log.debug("%s - %s", self.address_string(), format % args)

    def handle_one_request(self) -> None:
        """Read one request with a lean parser (the stdlib's e-mail header parser is slow)."""
        try:
            peek = getattr(self.rfile, "peek", None)
            if peek is not None and peek(1)[:1] == b"\x16":
                # A TLS handshake sent to this plain-HTTP port: refuse it at once
                # (its bytes need not hold the newline a request line waits for).
                self.close_connection = True
                self._send(Answer(400, _HTML, b"<h1>Bad Request</h1>"))
                return
            line = self.rfile.readline(MAX_REQUEST_LINE + 2)
            if not line:
                self.close_connection = True
                return
            if len(line) > MAX_REQUEST_LINE + 1 or not line.endswith(b"\n"):
                self._refuse_long_line()
                return
            parts = line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                # Not HTTP (a TLS handshake, garbage): answer at once, read no further.
                self.close_connection = True
                self._send(Answer(400, _HTML, b"<h1>Bad Request</h1>"))
                return
            headers: dict[str, str] = {}
            while True:
                raw = self.rfile.readline(65537)
                if raw in (b"\r\n", b"\n", b""):
                    break
                name, _, value = raw.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            method, self.path, version = parts
            self.command, self.request_version = method, version
            connection = headers.get("connection", "").lower()
            self.close_connection = connection == "close" or (
                version == "HTTP/1.0" and connection != "keep-alive"
            )
            if method in ("GET", "POST"):
                self._handle(method, headers)
            else:
                self._send(Answer(501, _HTML, b"<h1>Not Implemented</h1>"))
        except TimeoutError:
            self.close_connection = True

    def _refuse_long_line(self) -> None:
        # Drain the rest of the request line and headers, then answer as Apache does.
        self.close_connection = True
        while True:
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
        self._send(Answer(414, _APACHE_HTML, _URI_TOO_LONG))

    def _handle(self, method: str, headers: Mapping[str, str]) -> None:
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.server
        answer, operation = server.dispatcher.handle_operation(method, self.path, headers, body)
        server.served.append((self.number, operation))
        if answer is None:
            self.close_connection = True
            return
        self._send(answer)
        lingers = server.linger > 0 and operation in WRITE_OPERATIONS
        # The answer is out; this worker now stays busy, and a request the client
        # sends on this connection meanwhile waits in the socket. A server stopping
        # meanwhile ends the wait, and this worker reads nothing more.
        if lingers and not self.close_connection and server.stopping.wait(server.linger):
            self.close_connection = True

    def _send(self, answer: Answer) -> None:
        head = (
            f"HTTP/1.1 {answer.status} {_STATUS.get(answer.status, 'OK')}\r\n"
            f"Server: Apache\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n"
        )
        if self.close_connection:
            head += "Connection: close\r\n"
        self.wfile.write(head.encode("latin-1") + b"\r\n" + answer.body)


def _multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """Form fields and files of a multipart/form-data body (PHP's $_POST and $_FILES)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    form: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_content_type(), data)
        else:
            form[name] = data.decode("utf-8", "replace")
    return form, files
