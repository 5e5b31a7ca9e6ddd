"""``Emulator(linger=...)``: after a write, the worker of that connection stays busy.

The figures of a real server are in the docs; these tests check the order of
events, never durations: a long linger that only ``stop()`` ends shows that a
request on the same connection waits while another connection is served.
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from emulator_wire import CONTACT_ELEMENT, Wire

from vtorm.testing import Emulator, serve

# Longer than any test: only stop() ends such a linger.
FOREVER = 60.0
# A connection that waits longer than this for an answer fails the test.
SOCKET_TIMEOUT = 10.0


class Connection:
    """One kept-alive HTTP connection to the emulator, requests sent as a client would."""

    def __init__(self, url: str, session_name: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path
        self.session_name = session_name
        self.http = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=SOCKET_TIMEOUT
        )

    def send(self, operation: str, **params: str) -> None:
        """Send one request without waiting for its answer."""
        fields = {"operation": operation, "sessionName": self.session_name, **params}
        body = urllib.parse.urlencode(fields)
        if operation in ("create", "update", "revise", "delete"):
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            self.http.request("POST", self.path, body, headers)
        else:
            self.http.request("GET", f"{self.path}?{body}")

    def answer(self) -> Any:
        """The answer to the request sent last."""
        return json.loads(self.http.getresponse().read())

    def call(self, operation: str, **params: str) -> Any:
        self.send(operation, **params)
        return self.answer()

    def close(self) -> None:
        self.http.close()


def _connect(crm: Emulator) -> tuple[Wire, str]:
    wire = Wire(crm)
    assert wire.login()["success"]
    return wire, wire.session_name


@pytest.fixture
def lingering() -> Iterator[Emulator]:
    with Emulator(linger=FOREVER) as crm:
        yield crm


def test_default_is_no_linger() -> None:
    with Emulator() as crm:
        assert crm.linger == 0.0
        wire, session = _connect(crm)
        a = Connection(crm.url, session)
        created = a.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))
        assert a.call("retrieve", id=created["result"]["id"])["success"] is True
        a.close()
        wire.http.close()


def test_served_numbers_each_connection_and_lists_its_operations() -> None:
    with Emulator() as crm:
        wire, session = _connect(crm)  # connection 1: getchallenge, login
        a, b = Connection(crm.url, session), Connection(crm.url, session)
        a.call("listtypes")
        b.call("listtypes")
        a.call("retrieve", id="19x1")
        assert crm.served == [
            (1, "getchallenge"),
            (1, "login"),
            (2, "listtypes"),
            (3, "listtypes"),
            (2, "retrieve"),
        ]
        a.close()
        b.close()
        wire.http.close()


def test_a_request_on_the_lingering_connection_waits_another_connection_does_not(
    lingering: Emulator,
) -> None:
    wire, session = _connect(lingering)
    a, b = Connection(lingering.url, session), Connection(lingering.url, session)
    created = a.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))
    record = created["result"]["id"]
    (a_number, _) = lingering.served[-1]

    a.send("retrieve", id=record)  # sent first, on the connection whose worker is busy
    answered = b.call("retrieve", id=record)  # sent later, on another connection

    assert answered["result"]["id"] == record
    (b_number, _) = lingering.served[-1]
    assert b_number != a_number
    assert lingering.served[-2:] == [(a_number, "create"), (b_number, "retrieve")]
    assert (a_number, "retrieve") not in lingering.served

    # Stopping ends the linger and closes the connection; the request never got an answer.
    lingering.stop()
    with pytest.raises((http.client.HTTPException, OSError)):
        a.answer()
    assert (a_number, "retrieve") not in lingering.served
    a.close()
    b.close()
    wire.http.close()


@pytest.mark.parametrize("operation", ["update", "revise", "delete"])
def test_every_write_lingers(lingering: Emulator, operation: str) -> None:
    wire, session = _connect(lingering)
    a, b = Connection(lingering.url, session), Connection(lingering.url, session)
    record = b.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))
    record_id = record["result"]["id"]
    c = Connection(lingering.url, session)
    element = {**CONTACT_ELEMENT, "id": record_id, "title": "CTO"}
    params = {"id": record_id} if operation == "delete" else {"element": json.dumps(element)}
    assert c.call(operation, **params)["success"] is True
    (c_number, _) = lingering.served[-1]

    c.send("listtypes")
    assert a.call("listtypes")["success"] is True

    assert (c_number, "listtypes") not in lingering.served
    lingering.stop()
    for connection in (a, b, c):
        connection.close()
    wire.http.close()


def test_reads_do_not_linger(lingering: Emulator) -> None:
    wire, session = _connect(lingering)
    a = Connection(lingering.url, session)
    # A read leaves the worker free: the next request on the connection is answered
    # (were it lingering, the socket timeout would fail the test).
    assert a.call("retrieve", id="19x1")["success"] is True
    assert a.call("query", query="SELECT lastname FROM Contacts;")["success"] is True
    assert a.call("listtypes")["success"] is True
    a.close()
    wire.http.close()


def test_linger_may_be_changed_while_running() -> None:
    with Emulator() as crm:
        crm.linger = FOREVER
        assert crm.linger == FOREVER
        wire, session = _connect(crm)
        a, b = Connection(crm.url, session), Connection(crm.url, session)
        assert a.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))[
            "success"
        ]
        (a_number, _) = crm.served[-1]
        a.send("listtypes")
        assert b.call("listtypes")["success"] is True
        assert (a_number, "listtypes") not in crm.served
        with pytest.raises(ValueError, match="linger"):
            crm.linger = -1
        crm.stop()
        a.close()
        b.close()
        wire.http.close()


def test_the_waiting_request_is_answered_when_the_worker_is_free() -> None:
    with Emulator(linger=0.05) as crm:
        wire, session = _connect(crm)
        a = Connection(crm.url, session)
        created = a.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))
        record = created["result"]["id"]
        assert a.call("retrieve", id=record)["result"]["id"] == record
        (a_number, _) = crm.served[-1]
        assert crm.served[-2:] == [(a_number, "create"), (a_number, "retrieve")]
        a.close()
        wire.http.close()


@pytest.mark.parametrize("value", [-0.5, float("nan"), float("inf"), "0.03", True])
def test_a_bad_linger_is_refused_naming_the_value(value: Any) -> None:
    with pytest.raises(ValueError, match="linger") as caught:
        Emulator(linger=value)
    assert repr(value) in str(caught.value)


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vtorm.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_vtorm_serve_linger_keeps_the_connection_busy_after_a_write() -> None:
    process = _serve("--linger", str(FOREVER))
    try:
        assert process.stdout is not None
        printed = dict(line.split(":", 1) for line in (process.stdout.readline() for _ in range(3)))

        class Running:
            url = printed["URL"].strip()
            username = printed["User name"].strip()
            access_key = printed["Access key"].strip()

        wire = Wire(Running())  # type: ignore[arg-type]
        assert wire.login()["success"] is True
        a = Connection(Running.url, wire.session_name)
        b = Connection(Running.url, wire.session_name)
        created = a.call("create", elementType="Contacts", element=json.dumps(CONTACT_ELEMENT))
        a.send("retrieve", id=created["result"]["id"])
        # Another connection is served while the first one's worker lingers...
        assert b.call("retrieve", id=created["result"]["id"])["success"] is True
        # ...and the first one's request is still waiting: nothing has arrived on it.
        a.http.sock.setblocking(False)  # type: ignore[union-attr]
        with pytest.raises(BlockingIOError):
            a.http.sock.recv(1)  # type: ignore[union-attr]
        a.close()
        b.close()
        wire.http.close()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_vtorm_serve_refuses_a_bad_linger(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        serve.main(["--port", "0", "--linger", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--linger" in err
    assert repr(value) in err
