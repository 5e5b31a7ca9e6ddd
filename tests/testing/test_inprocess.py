"""InProcessTransport: the same requests, the same dispatcher, the same bytes, no socket."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import vtorm
from vtorm.http_transport import HTTPTransport
from vtorm.testing import Emulator, InProcessTransport
from vtorm.transport import Request, build_request

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
URL = "http://crm.invalid/webservice.php"


@pytest.fixture
def quiet_crm() -> Emulator:
    """An emulator that is never started: no socket at all."""
    return Emulator()


def in_process(crm: Emulator, **options: object) -> vtorm.Client:
    return vtorm.Client(
        URL, crm.username, crm.access_key, transport=InProcessTransport(crm), **options
    )


@pytest.fixture
def client(quiet_crm: Emulator) -> Iterator[vtorm.Client]:
    with in_process(quiet_crm, backoff=0.001) as c:
        yield c


def ops(crm: Emulator) -> list[str]:
    return [name for name, _ in crm.calls]


def contact(client: vtorm.Client, lastname: str) -> dict[str, object]:
    return client.create("Contacts", {"lastname": lastname, "assigned_user_id": "19x1"})


# -- the same path as HTTP ---------------------------------------------------------


def test_a_client_works_without_a_server(client: vtorm.Client, quiet_crm: Emulator) -> None:
    created = contact(client, "Søn & O'Brien")
    assert client.retrieve(str(created["id"]))["lastname"] == "Søn & O'Brien"
    rows = client.query("SELECT lastname FROM Contacts WHERE lastname LIKE 'Søn%';")
    assert [row["lastname"] for row in rows] == ["Søn & O'Brien"]
    client.revise({"id": created["id"], "title": "CTO"})
    client.delete(str(created["id"]))
    assert ops(quiet_crm) == [
        "getchallenge",
        "login",
        "create",
        "retrieve",
        "query",
        "revise",
        "delete",
    ]
    with pytest.raises(RuntimeError, match="not running"):
        _ = quiet_crm.url


def test_every_answer_is_byte_for_byte_the_http_answer(crm: Emulator) -> None:
    http = HTTPTransport(crm.url)
    local = InProcessTransport(crm)
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    session = client.login().session_name
    record = contact(client, "Bytes ✓")

    def get(operation: str, **fields: str) -> Request:
        fields = {"operation": operation, "sessionName": session, **fields}
        return build_request("GET", crm.url, fields, timeout=5, operation=operation)

    def post(operation: str, **fields: str) -> Request:
        fields = {"operation": operation, "sessionName": session, **fields}
        return build_request("POST", crm.url, fields, timeout=5, operation=operation)

    requests_ = [
        get("retrieve", id=str(record["id"])),
        get("query", query="SELECT lastname FROM Contacts;"),
        get("query", query="SELECT * FROM Contacts;;"),  # an error envelope
        get("describe", elementType="Contacts"),
        get("retrieve", id="12x999999"),
        get("nosuchop"),  # a PHP fatal error: empty 500
        post("retrieve", id=str(record["id"])),  # a GET operation reads only the query string
        get("listtypes", sessionName="stale"),
        build_request(
            "GET", crm.url.replace("webservice.php", "index.php"), {}, timeout=5, operation="none"
        ),  # not the endpoint: 404
    ]
    for request in requests_:
        over_http = http.handle_request(request)
        in_proc = local.handle_request(request)
        assert in_proc.status == over_http.status, request
        assert in_proc.content == over_http.content, request
        assert in_proc.headers["content-type"] == over_http.headers["content-type"]
        assert in_proc.headers["content-length"] == over_http.headers["content-length"]


def test_a_request_line_apache_refuses_is_414_here_too(client: vtorm.Client) -> None:
    ids = ",".join(f"'12x{n}'" for n in range(1040))
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.query(f"SELECT id FROM Contacts WHERE id IN ({ids});")
    assert caught.value.status == 414
    assert "Request-URI Too Long" in caught.value.excerpt
    raw = InProcessTransport(Emulator()).handle_request(
        build_request(
            "GET",
            URL,
            {"operation": "query", "query": f"SELECT id FROM Contacts WHERE id IN ({ids});"},
            timeout=5,
            operation="query",
        )
    )
    assert raw.content == (FIXTURES / "query-long-url-1040-ids.raw").read_bytes()


def test_a_document_file_travels_as_multipart(client: vtorm.Client) -> None:
    content = "Hello, Vtiger! Ünïcödé ✓\n".encode()
    document = client.create(
        "Documents",
        {"notes_title": "Spec", "assigned_user_id": "19x1", "filelocationtype": "I"},
        files={"filename": ("spec.txt", content, "text/plain")},
    )
    files = client.files_retrieve(document["imageattachmentids"])
    assert base64.b64decode(files[0]["filecontents"]) == content


def test_event_hooks_see_the_requests(client: vtorm.Client) -> None:
    seen: list[tuple[str, int]] = []
    client.event_hooks["response"].append(lambda r: seen.append((r.request.operation, r.status)))
    client.list_types()
    assert seen == [("getchallenge", 200), ("login", 200), ("listtypes", 200)]


def test_no_requests_session_without_http(client: vtorm.Client) -> None:
    with pytest.raises(AttributeError, match="InProcessTransport"):
        _ = client.session


# -- faults, as over HTTP -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "drop_after", "http500", "html"])
def test_reads_are_retried(client: vtorm.Client, quiet_crm: Emulator, kind: str) -> None:
    record = contact(client, "Read")
    quiet_crm.inject(kind, operation="retrieve", times=2)
    assert client.retrieve(str(record["id"]))["lastname"] == "Read"
    assert ops(quiet_crm).count("retrieve") == 3


def test_a_dropped_answer_is_connection_lost_and_a_create_is_not_repeated(
    client: vtorm.Client, quiet_crm: Emulator
) -> None:
    client.login()
    quiet_crm.inject("drop_after", operation="create")
    with pytest.raises(vtorm.ConnectionLost) as caught:
        contact(client, "Once")
    assert caught.value.sent is True
    assert "not sent again" in str(caught.value)
    assert len(client.query("SELECT id FROM Contacts WHERE lastname = 'Once';")) == 1


def test_a_notice_before_the_json_is_skipped(client: vtorm.Client, quiet_crm: Emulator) -> None:
    quiet_crm.inject("notice", times=None)
    assert contact(client, "Noticed")["lastname"] == "Noticed"


def test_a_slow_answer_times_out_while_the_operation_goes_on(quiet_crm: Emulator) -> None:
    client = in_process(quiet_crm, timeout=0.2, backoff=0.001)
    client.login()
    quiet_crm.inject("delay", operation="create", delay=0.5)
    with pytest.raises(vtorm.ReadTimeout) as caught:
        contact(client, "Slow")
    assert caught.value.sent is True
    assert "no answer within 0.2 s" in str(caught.value)
    quiet_crm.inject("delay", operation="query", delay=0.5)  # lets the slow create finish first
    client.timeout = 5.0
    assert len(client.query("SELECT id FROM Contacts WHERE lastname = 'Slow';")) == 1


def test_threads_share_one_transport(client: vtorm.Client, quiet_crm: Emulator) -> None:
    client.login()
    quiet_crm.inject("delay", operation="create", times=None, delay=0.05)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            contact(client, f"T{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(client.query("SELECT id FROM Contacts;")) == 8


def test_a_closed_transport_serves_again(quiet_crm: Emulator) -> None:
    transport = InProcessTransport(quiet_crm)
    client = vtorm.Client(URL, quiet_crm.username, quiet_crm.access_key, transport=transport)
    client.list_types()
    client.close()  # logs out; a transport the client did not make stays open
    transport.close()
    assert "Contacts" in client.list_types()
    assert ops(quiet_crm)[-3:] == ["getchallenge", "login", "listtypes"]


def test_a_demo_emulator_is_seeded_without_starting() -> None:
    crm = Emulator(demo=True)
    client = in_process(crm)
    assert client.query("SELECT accountname FROM Accounts LIMIT 1;")
