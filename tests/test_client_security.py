"""Secrets stay secret: no access key, login key or full session id in reprs, errors or logs."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import vtorm
from vtorm.testing import Emulator


class Secrets:
    """Collects every secret the client handles while a test runs."""

    def __init__(self, crm: Emulator, client: vtorm.Client) -> None:
        self.values: set[str] = {crm.access_key}
        client.session.hooks["response"].append(self.hook)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        body = response.request.body
        if isinstance(body, bytes):
            body = body.decode()
        if isinstance(body, str) and "operation=login" in body:
            self.values.update(urllib.parse.parse_qs(body).get("accessKey", []))
        try:
            result = response.json().get("result")
        except ValueError:
            return
        if isinstance(result, dict) and "sessionName" in result:
            self.values.add(result["sessionName"])

    def assert_absent(self, text: str) -> None:
        for secret in self.values:
            assert secret not in text, f"secret {secret[:4]}... leaked"


@pytest.fixture
def client(crm: Emulator) -> Iterator[vtorm.Client]:
    with vtorm.Client(crm.url, crm.username, crm.access_key, backoff=0.001) as c:
        yield c


@pytest.fixture
def secrets(crm: Emulator, client: vtorm.Client) -> Secrets:
    return Secrets(crm, client)


def test_repr_hides_access_key_and_session(
    client: vtorm.Client, crm: Emulator, secrets: Secrets
) -> None:
    result = client.login()
    assert len(secrets.values) == 3  # access key, md5 login key, session id
    for text in (repr(client), str(client), repr(result), str(result), repr(vars(client))):
        secrets.assert_absent(text)
    assert result.session_name[:4] + "..." in repr(result)
    assert crm.username in repr(client)


def test_every_error_message_is_clean(
    client: vtorm.Client, crm: Emulator, secrets: Secrets
) -> None:
    raised: list[BaseException] = []

    def expect(kind: type[BaseException], call: Any) -> None:
        with pytest.raises(kind) as caught:
            call()
        raised.append(caught.value)

    client.login()
    expect(vtorm.AccessDeniedError, lambda: client.retrieve("12x999999"))
    expect(vtorm.MandatoryFieldError, lambda: client.create("Contacts", {"firstname": "x"}))
    crm.inject("html", times=None)
    expect(vtorm.ProtocolError, lambda: client.list_types())
    crm.clear_faults()
    crm.inject("drop", times=None)
    expect(vtorm.TransportError, lambda: client.list_types())
    crm.clear_faults()
    expect(vtorm.ProtocolError, lambda: client.call("nosuchop"))
    expect(vtorm.ValidationError, lambda: client.sync("Contacts", -1))
    # The session id travels in GET URLs; a refused connection quotes the URL.
    crm.stop()
    expect(vtorm.TransportError, lambda: client.retrieve("12x1"))
    wrong = vtorm.Client(client.url, crm.username, "wrong-key-123456", max_retries=0)
    expect(vtorm.TransportError, lambda: wrong.login())
    secrets.values.add("wrong-key-123456")
    for exc in raised:
        secrets.assert_absent(str(exc))
        secrets.assert_absent(repr(exc))
        secrets.assert_absent(repr(vars(exc)))


def test_wrong_key_error_is_clean(crm: Emulator) -> None:
    client = vtorm.Client(crm.url, crm.username, "wrong-key-abcdef")
    with pytest.raises(vtorm.AuthenticationError) as caught:
        client.login()
    assert "wrong-key-abcdef" not in str(caught.value)
    assert "wrong-key-abcdef" not in repr(caught.value)


def test_debug_log_shows_operations_without_secrets(
    client: vtorm.Client,
    crm: Emulator,
    secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    record = client.create("Contacts", {"lastname": "Logged", "assigned_user_id": "19x1"})
    client.retrieve(record["id"])
    client.query("SELECT lastname FROM Contacts;")
    crm.expire_sessions()
    client.revise({"id": record["id"], "title": "x"})
    crm.inject("drop", operation="retrieve")
    client.retrieve(record["id"])
    with pytest.raises(vtorm.AccessDeniedError):
        client.retrieve("12x999999")
    client.logout()

    assert len(secrets.values) == 5  # key, two md5 keys, two session ids
    for entry in caplog.records:
        secrets.assert_absent(entry.getMessage())
        secrets.assert_absent(str(entry.args))
        secrets.assert_absent(entry.exc_text or "")
    ours = [r.getMessage() for r in caplog.records if r.name == "vtorm.client"]
    assert any(
        m.startswith("POST create module=Contacts") and "HTTP 200 ok" in m and " ms" in m
        for m in ours
    )
    assert any(m.startswith(f"GET retrieve id={record['id']}") for m in ours)
    assert any("statement=SELECT lastname FROM Contacts;" in m for m in ours)
    assert any(f"POST revise id={record['id']}" in m for m in ours)
    assert any("error ACCESS_DENIED" in m for m in ours)
    assert any("retry 1 of 3" in m for m in ours)
    assert any("logging in again" in m for m in ours)


def test_urllib3_request_lines_show_a_session_prefix_only(
    client: vtorm.Client, secrets: Secrets, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    session = client.login().session_name
    client.list_types()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any(f"sessionName={session[:4]}..." in line for line in lines)
    for line in lines:
        secrets.assert_absent(line)


class PlainTextPort:
    """A TCP server answering every connection with plain HTTP bytes, never TLS."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    while conn.recv(4096):
                        pass

    def close(self) -> None:
        self.listener.close()


def test_tls_is_verified_by_default(crm: Emulator) -> None:
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    assert client.verify is True
    # A failed TLS handshake does not heal by retrying: one attempt, nothing sent.
    plain = PlainTextPort()
    try:
        https = vtorm.Client(f"https://127.0.0.1:{plain.port}", "admin", "key", backoff=0.001)
        with pytest.raises(vtorm.TLSError, match="TLS handshake failed") as caught:
            https.list_types()
        assert caught.value.sent is False
        assert plain.connections == 1
    finally:
        plain.close()
