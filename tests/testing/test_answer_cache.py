"""Answers kept between writes: a repeated read is served from memory, any write forgets it."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_wire import Wire

from vtorm.testing import Emulator

CONTACTS = "SELECT lastname, account_id FROM Contacts;"


def _rows(wire: Wire, statement: str) -> list[dict[str, Any]]:
    body = wire.get("query", query=statement)
    assert body["success"], body
    rows: list[dict[str, Any]] = body["result"]
    return rows


def _retrieve(wire: Wire, wsid: str) -> dict[str, Any]:
    body = wire.get("retrieve", id=wsid)
    assert body["success"], body
    result: dict[str, Any] = body["result"]
    return result


@pytest.fixture
def sql_runs(crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the store reads query rows for (a remembered answer reads none)."""
    store = crm.state.store
    runs: list[str] = []
    window = store.window

    def counted(statement: Any, offset: int, count: int) -> Any:
        runs.append(statement.ids_sql)
        return window(statement, offset, count)

    monkeypatch.setattr(store, "window", counted)
    return runs


def test_a_repeated_query_is_answered_from_memory(wire: Wire, sql_runs: list[str]) -> None:
    wire.create("Contacts", lastname="Kept", assigned_user_id="19x1")
    first = wire.raw_get(operation="query", query=CONTACTS, sessionName=wire.session_name)
    second = wire.raw_get(operation="query", query=CONTACTS, sessionName=wire.session_name)
    assert second.content == first.content
    assert len(sql_runs) == 1


def test_a_write_shows_in_the_next_query_and_retrieve(wire: Wire, sql_runs: list[str]) -> None:
    contact = wire.create("Contacts", lastname="Before", assigned_user_id="19x1")
    assert _rows(wire, CONTACTS)[0]["lastname"] == "Before"
    assert _retrieve(wire, contact["id"])["lastname"] == "Before"
    revised = wire.post("revise", element={"id": contact["id"], "lastname": "After"})
    assert revised["success"], revised
    assert _rows(wire, CONTACTS)[0]["lastname"] == "After"
    assert _retrieve(wire, contact["id"])["lastname"] == "After"
    assert len(sql_runs) == 2


def test_a_deleted_reference_reads_null_in_query_rows(wire: Wire) -> None:
    account = wire.create("Accounts", accountname="Gone soon", assigned_user_id="19x1")
    contact = wire.create(
        "Contacts", lastname="Linked", account_id=account["id"], assigned_user_id="19x1"
    )
    assert _rows(wire, CONTACTS) == [
        {"lastname": "Linked", "account_id": account["id"], "id": contact["id"]}
    ]
    assert _retrieve(wire, contact["id"])["account_id"] == account["id"]
    deleted = wire.post("delete", id=account["id"])
    assert deleted["success"], deleted
    # Nothing of the contact changed, yet its rows render differently now.
    assert _rows(wire, CONTACTS) == [
        {"lastname": "Linked", "account_id": None, "id": contact["id"]}
    ]
    assert _retrieve(wire, contact["id"])["account_id"] is None


def test_a_write_outside_the_store_methods_is_seen(crm: Emulator, wire: Wire) -> None:
    contact = wire.create("Contacts", lastname="Stored", assigned_user_id="19x1")
    assert _rows(wire, CONTACTS)[0]["lastname"] == "Stored"
    store = crm.state.store
    with store.lock:
        store.conn.execute(
            'UPDATE "mod_Contacts" SET lastname = ? WHERE crmid = ?',
            ("Direct", int(contact["id"].partition("x")[2])),
        )
    assert _rows(wire, CONTACTS)[0]["lastname"] == "Direct"
    assert _retrieve(wire, contact["id"])["lastname"] == "Direct"
