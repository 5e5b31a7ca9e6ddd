"""Sessions, faults and threads: the client against a misbehaving embedded CRM."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import vtorm
from vtorm.testing import Emulator


def make_client(crm: Emulator, **options: Any) -> vtorm.Client:
    options.setdefault("backoff", 0.001)
    options.setdefault("backoff_cap", 0.01)
    return vtorm.Client(crm.url, crm.username, crm.access_key, **options)


@pytest.fixture
def client(crm: Emulator) -> Iterator[vtorm.Client]:
    with make_client(crm) as c:
        c.login()
        yield c


def ops(crm: Emulator) -> list[str]:
    return [name for name, _ in crm.calls]


def count(crm: Emulator, operation: str) -> int:
    return ops(crm).count(operation)


def contact(client: vtorm.Client, lastname: str) -> dict[str, Any]:
    return client.create("Contacts", {"lastname": lastname, "assigned_user_id": "19x1"})


def contacts_named(client: vtorm.Client, lastname: str) -> list[dict[str, Any]]:
    return client.query(f"SELECT lastname FROM Contacts WHERE lastname = '{lastname}';")


def run_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def body(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# -- sessions ---------------------------------------------------------------


def test_expired_session_is_renewed_once_invisibly(client: vtorm.Client, crm: Emulator) -> None:
    record = contact(client, "Renewed")
    crm.expire_sessions()
    assert client.retrieve(record["id"])["lastname"] == "Renewed"
    assert ops(crm)[-4:] == ["retrieve", "getchallenge", "login", "retrieve"]
    assert count(crm, "login") == 2
    sessions = {params.get("sessionName") for name, params in crm.calls}
    assert sessions == {None}  # the emulator never records session ids


@pytest.mark.parametrize("operation", ["create", "revise", "describe", "listtypes", "delete"])
def test_every_operation_renews_the_session(
    client: vtorm.Client, crm: Emulator, operation: str
) -> None:
    record = contact(client, "Any")
    crm.expire_sessions()
    logins = count(crm, "login")
    calls: dict[str, Callable[[], Any]] = {
        "create": lambda: contact(client, "Second"),
        "revise": lambda: client.revise({"id": record["id"], "title": "T"}),
        "describe": lambda: client.describe("Accounts"),
        "listtypes": lambda: client.list_types(),
        "delete": lambda: client.delete(record["id"]),
    }
    calls[operation]()
    assert count(crm, "login") == logins + 1
    assert ops(crm)[-1] == operation


def test_create_after_expiry_makes_one_record(client: vtorm.Client, crm: Emulator) -> None:
    crm.expire_sessions()
    created = contact(client, "Once")
    assert count(crm, "create") == 2  # refused for the session, then carried out
    assert [row["id"] for row in contacts_named(client, "Once")] == [created["id"]]


def test_concurrent_renewal_logs_in_once(client: vtorm.Client, crm: Emulator) -> None:
    record = contact(client, "Shared")
    crm.expire_sessions()
    logins = count(crm, "login")
    results = run_threads(8, lambda i: client.retrieve(record["id"]))
    assert [r["lastname"] for r in results] == ["Shared"] * 8
    assert count(crm, "login") == logins + 1
    assert count(crm, "getchallenge") == logins + 1


def test_concurrent_first_calls_log_in_once(crm: Emulator) -> None:
    client = make_client(crm)
    results = run_threads(8, lambda i: client.describe("Contacts")["name"])
    assert results == ["Contacts"] * 8
    assert count(crm, "getchallenge") == 1
    assert count(crm, "login") == 1


def test_concurrent_writes_share_one_client(client: vtorm.Client, crm: Emulator) -> None:
    def work(i: int) -> str:
        if i == 6:
            crm.expire_sessions()
        record = contact(client, f"Bulk{i}")
        return str(client.revise({"id": record["id"], "title": f"T{i}"})["title"])

    results = run_threads(12, work)
    assert results == [f"T{i}" for i in range(12)]
    rows = client.query("SELECT lastname FROM Contacts;")
    assert sorted(row["lastname"] for row in rows) == sorted(f"Bulk{i}" for i in range(12))
    assert count(crm, "create") >= 12


# -- faults on operations safe to repeat --------------------------------------


@pytest.mark.parametrize("kind", ["drop", "drop_after", "http500", "html"])
def test_reads_are_retried(client: vtorm.Client, crm: Emulator, kind: str) -> None:
    record = contact(client, "Read")
    crm.inject(kind, operation="retrieve", times=2)
    assert client.retrieve(record["id"])["lastname"] == "Read"
    assert count(crm, "retrieve") == 3


@pytest.mark.parametrize("kind", ["drop", "drop_after", "http500", "html"])
def test_query_is_retried(client: vtorm.Client, crm: Emulator, kind: str) -> None:
    contact(client, "Queried")
    crm.inject(kind, operation="query")
    assert [row["lastname"] for row in contacts_named(client, "Queried")] == ["Queried"]
    assert count(crm, "query") == 2


def test_notice_before_json_is_read_first_time(client: vtorm.Client, crm: Emulator) -> None:
    record = contact(client, "Noticed")
    crm.inject("notice", times=None)
    assert client.retrieve(record["id"])["lastname"] == "Noticed"
    assert contact(client, "Second")["lastname"] == "Second"
    assert count(crm, "retrieve") == 1
    assert count(crm, "create") == 2


def test_slow_answer_times_out_and_is_retried(crm: Emulator) -> None:
    client = make_client(crm)
    client.login()
    client.timeout = 0.5
    crm.inject("delay", operation="listtypes", delay=1.0)
    assert "Contacts" in client.list_types()
    assert count(crm, "listtypes") == 2


def test_delay_within_timeout_is_just_slow(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("delay", operation="listtypes", delay=0.05)
    assert "Contacts" in client.list_types()
    assert count(crm, "listtypes") == 1


@pytest.mark.parametrize("kind", ["drop_after", "http500"])
def test_revise_and_update_are_retried(client: vtorm.Client, crm: Emulator, kind: str) -> None:
    record = contact(client, "Writes")
    crm.inject(kind, operation="revise")
    assert client.revise({"id": record["id"], "title": "R"})["title"] == "R"
    crm.inject(kind, operation="update")
    record["title"] = "U"
    assert client.update(record)["title"] == "U"
    assert count(crm, "revise") == 2
    assert count(crm, "update") == 2


def test_delete_whose_answer_was_lost_succeeds(client: vtorm.Client, crm: Emulator) -> None:
    record = contact(client, "Lost")
    crm.inject("drop_after", operation="delete")
    client.delete(record["id"])
    assert count(crm, "delete") == 2
    with pytest.raises(vtorm.AccessDeniedError):
        client.retrieve(record["id"])


def test_delete_answered_500_is_retried(client: vtorm.Client, crm: Emulator) -> None:
    record = contact(client, "Kept")
    crm.inject("http500", operation="delete")  # answered before anything was done
    client.delete(record["id"])
    assert count(crm, "delete") == 2
    with pytest.raises(vtorm.AccessDeniedError):
        client.retrieve(record["id"])


def test_persistent_fault_gives_up_after_max_retries(crm: Emulator) -> None:
    client = make_client(crm, max_retries=2)
    client.login()
    crm.inject("http500", operation="listtypes", times=None)
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.list_types()
    assert caught.value.status == 500
    assert caught.value.operation == "listtypes"
    assert "gave up after 3 attempts" in str(caught.value)
    assert count(crm, "listtypes") == 3


def test_persistent_drop_raises_transport_error(crm: Emulator) -> None:
    client = make_client(crm, max_retries=1)
    client.login()
    crm.inject("drop", operation="listtypes", times=None)
    with pytest.raises(vtorm.ConnectionLost) as caught:
        client.list_types()
    assert caught.value.sent is True
    assert caught.value.operation == "listtypes"
    assert count(crm, "listtypes") == 2


def test_html_page_raises_protocol_error_with_excerpt(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    client.login()
    crm.inject("html", operation="describe")
    with pytest.raises(vtorm.ProtocolError) as caught:
        client.describe("Contacts")
    assert caught.value.status == 200
    assert "<html>" in caught.value.excerpt.lower()
    assert "HTML page" in str(caught.value)


def test_max_retries_zero_sends_once(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    client.login()
    crm.inject("drop", operation="listtypes")
    with pytest.raises(vtorm.TransportError):
        client.list_types()
    assert count(crm, "listtypes") == 1


# -- writes that must never be sent twice --------------------------------------


def test_create_with_lost_answer_is_not_repeated(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("drop_after", operation="create")
    with pytest.raises(vtorm.ConnectionLost) as caught:
        contact(client, "Unknown")
    assert caught.value.sent is True
    assert caught.value.operation == "create"
    assert "not sent again" in str(caught.value)
    assert count(crm, "create") == 1
    assert len(contacts_named(client, "Unknown")) == 1


def test_create_with_dropped_request_is_not_repeated(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("drop", operation="create")
    with pytest.raises(vtorm.TransportError):
        contact(client, "Dropped")
    assert count(crm, "create") == 1
    assert contacts_named(client, "Dropped") == []


@pytest.mark.parametrize("kind", ["http500", "html"])
def test_create_with_odd_answer_is_not_repeated(
    client: vtorm.Client, crm: Emulator, kind: str
) -> None:
    crm.inject(kind, operation="create")
    with pytest.raises(vtorm.ProtocolError) as caught:
        contact(client, "Odd")
    assert "not sent again" in str(caught.value)
    assert count(crm, "create") == 1


def test_create_timing_out_is_not_repeated(crm: Emulator) -> None:
    client = make_client(crm)
    client.login()
    client.timeout = 0.3
    crm.inject("delay", operation="create", delay=0.8)
    with pytest.raises(vtorm.ReadTimeout) as caught:
        contact(client, "Slow")
    assert caught.value.sent is True
    assert "no answer within 0.3 s" in str(caught.value)
    assert count(crm, "create") == 1
    crm.inject("delay", operation="query", delay=0.8)  # lets the slow create finish first
    client.timeout = 5.0
    assert len(contacts_named(client, "Slow")) == 1


def test_add_related_with_lost_answer_is_not_repeated(client: vtorm.Client, crm: Emulator) -> None:
    account = client.create("Accounts", {"accountname": "A", "assigned_user_id": "19x1"})
    person = contact(client, "P")
    crm.inject("drop_after", operation="add_related")
    with pytest.raises(vtorm.TransportError):
        client.add_related(account["id"], person["id"], "Contacts")
    assert count(crm, "add_related") == 1


def test_convertlead_with_lost_answer_is_not_repeated(client: vtorm.Client, crm: Emulator) -> None:
    lead = client.create("Leads", {"lastname": "L", "company": "Co", "assigned_user_id": "19x1"})
    crm.inject("drop_after", operation="convertlead")
    with pytest.raises(vtorm.TransportError):
        client.convert_lead(lead["id"], {"Contacts": {"lastname": "L"}})
    assert count(crm, "convertlead") == 1


def test_unknown_post_operation_is_not_repeated(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("drop", operation="wsapp_register")
    with pytest.raises(vtorm.TransportError):
        client.call("wsapp_register", method="POST", type="vtigerCRM")
    assert count(crm, "wsapp_register") == 1


# -- connection refused --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_refused_connection_raises_not_sent() -> None:
    port = free_port()
    client = vtorm.Client(f"http://127.0.0.1:{port}", "admin", "key", max_retries=2, backoff=0.001)
    with pytest.raises(vtorm.ConnectError) as caught:
        client.list_types()
    assert caught.value.sent is False
    assert "gave up after 3 attempts" in str(caught.value)


def test_create_is_retried_while_the_server_refuses_connections() -> None:
    first = Emulator(access_key="k" * 16).start()
    port = first.port
    client = vtorm.Client(
        first.url, first.username, "k" * 16, max_retries=40, backoff=0.05, backoff_cap=0.1
    )
    client.login()
    first.stop()
    second = Emulator(port=port, access_key="k" * 16)
    timer = threading.Timer(0.3, second.start)
    timer.start()
    try:
        created = contact(client, "Persistent")  # refused, refused, ..., then a new session
        assert client.retrieve(created["id"])["lastname"] == "Persistent"
        # Refused connections are retried; the new server then refuses the old
        # session before acting, so the record is created exactly once.
        assert ops(second) == ["create", "getchallenge", "login", "create", "retrieve"]
    finally:
        timer.join()
        second.stop()

