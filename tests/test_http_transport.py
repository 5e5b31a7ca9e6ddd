"""HTTPTransport: requests over real sockets, and the one map from requests' exceptions to vtorm's.

Each failure a network can produce is made for real where a local socket can
make it (refused, silent, hung up, cut short, not TLS); the rest are raised
in the shapes requests gives them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

import vtorm
from vtorm.http_transport import HTTPTransport, map_requests_exceptions
from vtorm.testing import Emulator
from vtorm.transport import Request, build_request

SESSION = "0123456789abcdef0123"


class RawServer:
    """A TCP listener whose every connection is handed to ``serve(connection)``."""

    def __init__(self, serve: Callable[[socket.socket], object]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.serve = serve
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webservice.php"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    self.serve(conn)

    def close(self) -> None:
        self.listener.close()


@contextlib.contextmanager
def raw_server(serve: Callable[[socket.socket], object]) -> Iterator[RawServer]:
    server = RawServer(serve)
    try:
        yield server
    finally:
        server.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def get(url: str, timeout: float = 5.0) -> Request:
    fields = {"operation": "listtypes", "sessionName": SESSION}
    return build_request("GET", url, fields, timeout=timeout, operation="listtypes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- answers -------------------------------------------------------------------


def test_an_answer_comes_back_as_it_was_sent(crm: Emulator) -> None:
    transport = HTTPTransport(crm.url)
    request = build_request(
        "GET",
        crm.url,
        {"operation": "getchallenge", "username": "admin"},
        timeout=5,
        operation="getchallenge",
    )
    response = transport.handle_request(request)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content.startswith(b'{"success":true,"result":{"token":')
    assert response.request is request
    transport.close()
    # A closed transport opens new connections for the next request.
    assert transport.handle_request(request).status == 200


def test_a_redirect_is_an_answer_not_followed() -> None:
    def moved(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(
            b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/webservice.php"
            b"\r\nContent-Length: 0\r\n\r\n"
        )

    with raw_server(moved) as server:
        response = HTTPTransport(server.url).handle_request(get(server.url))
    assert response.status == 301
    assert response.headers["location"] == "https://elsewhere.example/webservice.php"
    assert server.connections == 1


def test_own_session_sends_the_user_agent_and_no_environment_lookups() -> None:
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        seen.append(read_request(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    with raw_server(answer) as server:
        transport = HTTPTransport(server.url)
        transport.handle_request(get(server.url))
    assert transport.session.trust_env is False
    assert b"\r\nUser-Agent: vtorm" in seen[0]


def test_own_session_headers_and_cookies_apply_as_through_session_request() -> None:
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        seen.append(read_request(conn))
        cookie = b"Set-Cookie: PHPSESSID=abc123; Path=/\r\n" if len(seen) == 1 else b""
        conn.sendall(
            b"HTTP/1.1 200 OK\r\n" + cookie + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        )

    with raw_server(answer) as server:
        transport = HTTPTransport(server.url)
        transport.session.headers["X-Tenant"] = "north"
        assert (
            transport.handle_request(get(server.url))
            .headers["set-cookie"]
            .startswith("PHPSESSID=abc123")
        )
        transport.handle_request(get(server.url))
    assert b"\r\nX-Tenant: north\r\n" in seen[0]
    assert b"Cookie" not in seen[0]
    # The server's cookie is kept by the session and sent back, as requests does.
    assert b"\r\nCookie: PHPSESSID=abc123\r\n" in seen[1]
    assert transport.session.cookies["PHPSESSID"] == "abc123"


def test_an_adapter_mounted_on_the_own_session_sends(crm: Emulator) -> None:
    sent: list[str] = []

    class Counting(requests.adapters.HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
            sent.append(str(request.url))
            return super().send(request, **kwargs)  # type: ignore[arg-type]

    transport = HTTPTransport(crm.url)
    transport.session.mount("http://", Counting())
    assert transport.handle_request(get(crm.url)).status == 200
    assert len(sent) == 1 and sent[0].startswith(crm.url)


def test_a_post_sends_its_length_and_body(crm: Emulator) -> None:
    transport = HTTPTransport(crm.url)
    fields = {"operation": "login", "username": "admin", "padding": "x" * 5000}
    request = build_request("POST", crm.url, fields, timeout=5, operation="login")
    assert request.headers == {"Content-Type": "application/x-www-form-urlencoded"}
    response = transport.handle_request(request)
    assert response.status == 200
    # The server read the form from the body: it arrived whole.
    assert crm.calls[-1] == ("login", {"username": "admin", "padding": "x" * 5000})


def test_a_given_session_is_used_and_left_open(crm: Emulator) -> None:
    session = requests.Session()
    answered: list[int] = []
    session.hooks["response"].append(lambda r, *a, **k: answered.append(r.status_code))
    transport = HTTPTransport(crm.url, session=session)
    assert transport.session is session
    transport.handle_request(get(crm.url))
    transport.close()
    assert answered == [200]
    # Not closed: its pooled connection is still there (a session's close() empties the pool).
    assert len(session.get_adapter(crm.url).poolmanager.pools) == 1  # type: ignore[attr-defined]


# -- failures, made for real -------------------------------------------------------


def test_refused_connection_is_a_connect_error_not_sent() -> None:
    url = f"http://127.0.0.1:{free_port()}/webservice.php"
    with pytest.raises(vtorm.ConnectError) as caught:
        HTTPTransport(url).handle_request(get(url))
    assert caught.value.sent is False
    assert caught.value.operation == "listtypes"
    # The lowest layer's reason, without urllib3's wrapping, and what to check.
    port = url.split(":")[2].split("/")[0]
    assert str(caught.value) == (
        "listtypes: connection failed (ConnectionError: [Errno 111] Connection refused): "
        f"nothing answers at 127.0.0.1:{port}: check that the CRM runs there and that "
        "the URL (VTIGER_URL) is right"
    )


def test_silence_is_a_read_timeout_sent() -> None:
    release = threading.Event()

    def silent(conn: socket.socket) -> None:
        read_request(conn)
        release.wait(5)

    with raw_server(silent) as server:
        try:
            with pytest.raises(vtorm.ReadTimeout) as caught:
                HTTPTransport(server.url).handle_request(get(server.url, timeout=0.2))
        finally:
            release.set()
    assert caught.value.sent is True
    assert "listtypes: no answer within 0.2 s" in str(caught.value)


def test_hanging_up_without_an_answer_is_connection_lost_sent() -> None:
    with raw_server(read_request) as server, pytest.raises(vtorm.ConnectionLost) as caught:
        HTTPTransport(server.url).handle_request(get(server.url))
    assert caught.value.sent is True
    assert "listtypes: connection lost" in str(caught.value)


def test_an_answer_cut_short_is_connection_lost() -> None:
    def cut(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"success":')

    with raw_server(cut) as server, pytest.raises(vtorm.ConnectionLost) as caught:
        HTTPTransport(server.url).handle_request(get(server.url))
    assert caught.value.sent is True


def test_plain_http_on_an_https_url_is_a_tls_error_not_sent() -> None:
    def plain(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with raw_server(plain) as server:
        url = f"https://127.0.0.1:{server.port}/webservice.php"
        with pytest.raises(vtorm.TLSError) as caught:
            HTTPTransport(url).handle_request(get(url))
    assert caught.value.sent is False
    assert "TLS handshake failed" in str(caught.value)
    assert str(caught.value).endswith(
        f"127.0.0.1:{server.port} may not speak TLS: for a CRM served without it, the URL "
        "starts with http://"
    )


def test_session_ids_in_messages_are_shortened() -> None:
    url = f"http://127.0.0.1:{free_port()}/webservice.php"
    with pytest.raises(vtorm.ConnectError) as caught:
        HTTPTransport(url).handle_request(get(url))
    # urllib3 quotes the URL, which holds the session id: the message keeps its reason only.
    assert SESSION not in str(caught.value) and "0123" not in str(caught.value)
    assert "Connection refused" in str(caught.value)


# -- failures in the shapes requests gives them ----------------------------------------

URL = "http://crm.example/webservice.php"


def _pool_error(reason: Exception) -> MaxRetryError:
    return MaxRetryError(None, URL, reason)  # type: ignore[arg-type]


SHAPES: list[tuple[str, Callable[[], Exception], type[vtorm.TransportError], bool]] = [
    (
        "refused",
        lambda: requests.ConnectionError(_pool_error(NewConnectionError(None, "refused"))),  # type: ignore[arg-type]
        vtorm.ConnectError,
        False,
    ),
    (
        "unresolvable",
        lambda: requests.ConnectionError(
            _pool_error(NameResolutionError("crm.example", None, OSError("no such name")))  # type: ignore[arg-type]
        ),
        vtorm.ConnectError,
        False,
    ),
    ("connect timeout", lambda: requests.ConnectTimeout("slow"), vtorm.ConnectTimeout, False),
    (
        "connect timeout inside",
        lambda: requests.ConnectionError(_pool_error(ConnectTimeoutError("slow"))),
        vtorm.ConnectTimeout,
        False,
    ),
    ("read timeout", lambda: requests.ReadTimeout("slow"), vtorm.ReadTimeout, True),
    (
        "read timeout while reading the body",
        lambda: requests.ConnectionError(ReadTimeoutError(None, URL, "slow")),  # type: ignore[arg-type]
        vtorm.ReadTimeout,
        True,
    ),
    ("proxy refused", lambda: requests.exceptions.ProxyError("proxy"), vtorm.ConnectError, False),
    ("certificate", lambda: requests.exceptions.SSLError("bad cert"), vtorm.TLSError, False),
    (
        "reset",
        lambda: requests.ConnectionError(ProtocolError("aborted", ConnectionResetError())),
        vtorm.ConnectionLost,
        True,
    ),
    (
        "cut short",
        lambda: requests.exceptions.ChunkedEncodingError("incomplete"),
        vtorm.ConnectionLost,
        True,
    ),
    ("bad url", lambda: requests.exceptions.InvalidURL("bad"), vtorm.ConnectError, False),
    ("anything else", lambda: requests.RequestException("odd"), vtorm.TransportError, True),
]


@pytest.mark.parametrize(
    ("raised", "kind", "sent"),
    [shape[1:] for shape in SHAPES],
    ids=[shape[0] for shape in SHAPES],
)
def test_every_requests_failure_maps_to_one_typed_error(
    raised: Callable[[], Exception], kind: type[vtorm.TransportError], sent: bool
) -> None:
    with pytest.raises(vtorm.TransportError) as caught, map_requests_exceptions(get(URL)):
        raise raised()
    assert type(caught.value) is kind
    assert caught.value.sent is sent
    assert caught.value.operation == "listtypes"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unknown_host_is_named_with_what_to_check() -> None:
    connection = HTTPConnection("crm.example", 80)  # urllib3 starts its message with it
    raised = requests.ConnectionError(
        _pool_error(NameResolutionError("crm.example", connection, OSError("no such name")))
    )
    with pytest.raises(vtorm.ConnectError) as caught, map_requests_exceptions(get(URL)):
        raise raised
    assert str(caught.value) == (
        "listtypes: connection failed (ConnectionError: Failed to resolve 'crm.example' "
        "(no such name)): the host name 'crm.example' is not known: check the URL (VTIGER_URL)"
    )


def test_an_untrusted_certificate_says_how_to_trust_it() -> None:
    secure = get(URL.replace("http://", "https://"))
    reason = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    raised = requests.exceptions.SSLError(_pool_error(SSLError(reason)))
    with pytest.raises(vtorm.TLSError) as caught, map_requests_exceptions(secure):
        raise raised
    assert str(caught.value) == (
        f"listtypes: TLS handshake failed (SSLError: {reason}): the server's certificate is "
        "not trusted: for a private certificate authority give "
        "Client(..., verify='/path/to/ca-bundle.pem')"
    )


def test_other_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), map_requests_exceptions(get(URL)):
        raise KeyError("not a network failure")
