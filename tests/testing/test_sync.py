"""sync against the emulator: stock 8.4 dies on every call; without quirks it works as designed."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_wire import CONTACT_ELEMENT, Wire

from vtorm.testing import Emulator

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    """A recorded response body of a real (sync-patched) Vtiger 8.4."""
    return json.loads((RECORDED / name).read_text("utf-8"))


def recorded_raw(name: str) -> bytes:
    """A recorded response body that is not JSON."""
    return (RECORDED / name).read_bytes()


def assert_recorded_error(body: Any, name: str) -> None:
    """``body`` fails with the recorded code and message."""
    expected = recorded(name)
    assert expected["success"] is False
    assert body == expected


@pytest.fixture
def designed() -> Iterator[Wire]:
    """A logged-in session on an emulator whose sync works (``quirks=None``)."""
    with Emulator(quirks=None) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        yield wire
        wire.http.close()


def _sync(wire: Wire, module: str, since: int | str, **extra: str) -> dict[str, Any]:
    body = wire.get("sync", elementType=module, modifiedTime=str(since), **extra)
    assert body["success"], body
    result: dict[str, Any] = body["result"]
    return result


def _account(wire: Wire, name: str, owner: str = "19x1") -> dict[str, Any]:
    return wire.create("Accounts", accountname=name, assigned_user_id=owner)


@pytest.mark.parametrize(
    ("params", "fixture"),
    [
        ({"elementType": "Accounts", "modifiedTime": "0"}, "sync-stock-Accounts-modifiedTime0.raw"),
        ({"modifiedTime": "0"}, "sync-stock-no-elementType.raw"),
        (
            {"elementType": "Accounts", "modifiedTime": "0", "syncType": "user"},
            "sync-stock-with-syncType-param.raw",
        ),
        ({"elementType": "Accounts", "modifiedTime": "1"}, "sync-stock-Accounts-modifiedTime0.raw"),
    ],
)
def test_stock_84_sync_is_an_empty_500(wire: Wire, params: dict[str, str], fixture: str) -> None:
    response = wire.raw_get(operation="sync", sessionName=wire.session_name, **params)
    assert response.status_code == 500
    assert response.content == recorded_raw(fixture) == b""


def test_stock_84_sync_via_post_is_an_empty_500(wire: Wire) -> None:
    response = wire.raw_post(
        operation="sync", sessionName=wire.session_name, elementType="Accounts", modifiedTime="0"
    )
    assert (response.status_code, response.content) == (500, recorded_raw("sync-stock-POST.raw"))


@pytest.mark.parametrize(
    "params",
    [
        {"elementType": "Accounts", "modifiedTime": "0"},
        {"elementType": "Accounts", "modifiedTime": "yesterday"},
        {"elementType": "Accounts", "modifiedTime": "2026-11-29 00:00:00"},
        {"elementType": "Accounts"},
        {"modifiedTime": "1"},
    ],
    ids=["zero", "not-a-number", "date-string", "no-time", "no-module"],
)
def test_designed_sync_fatal_parameters(designed: Wire, params: dict[str, str]) -> None:
    response = designed.raw_get(operation="sync", sessionName=designed.session_name, **params)
    assert (response.status_code, response.content) == (500, b"")


@pytest.mark.parametrize(
    ("module", "fixture"),
    [
        ("Currency", "sync-error-non-entity-module.json"),
        ("NoSuch", "sync-error-unknown-module.json"),
    ],
)
def test_designed_sync_module_errors(designed: Wire, module: str, fixture: str) -> None:
    body = designed.get("sync", elementType=module, modifiedTime="1")
    assert_recorded_error(body, fixture)


def test_designed_sync_users_echoes_the_time(designed: Wire) -> None:
    result = _sync(designed, "Users", 1)
    assert result == recorded("sync-Users.json")["result"]


def test_changed_records_shaped_like_query_rows(designed: Wire) -> None:
    first = _account(designed, "Acme Corporation")
    second = _account(designed, "O'Reilly & Sons")
    result = _sync(designed, "Accounts", 1)
    expected = recorded("sync-Accounts-modifiedTime1.json")["result"]
    assert list(result) == list(expected)
    assert [row["id"] for row in result["updated"]] == [first["id"], second["id"]]
    query = designed.get("query", query=f"SELECT * FROM Accounts WHERE id = '{first['id']}';")
    assert result["updated"][0] == query["result"][0]
    assert list(result["updated"][0]) == list(expected["updated"][0])
    modified = calendar.timegm(time.strptime(second["modifiedtime"], "%Y-%m-%d %H:%M:%S"))
    assert result["lastModifiedTime"] == modified
    assert result["deleted"] == [] and result["more"] is False


def test_nothing_changed_answers_the_time_given(designed: Wire) -> None:
    _account(designed, "Acme")
    result = _sync(designed, "Accounts", 4102444800)
    assert result == {"updated": [], "deleted": [], "more": False, "lastModifiedTime": 4102444800}
    assert list(result) == list(recorded("sync-modifiedTime-future.json")["result"])


def test_updates_and_deletions_after_last_time(designed: Wire) -> None:
    crm = designed.crm
    kept = _account(designed, "Kept")
    gone = _account(designed, "Gone")
    since = _sync(designed, "Accounts", 1)["lastModifiedTime"]
    crm.state.advance(5)
    assert designed.post("revise", element={"id": kept["id"], "phone": "+1 555 0199"})["success"]
    assert designed.post("delete", id=gone["id"])["success"]
    result = _sync(designed, "Accounts", since)
    assert [row["id"] for row in result["updated"]] == [kept["id"]]
    assert result["updated"][0]["phone"] == "+1 555 0199"
    assert result["deleted"] == [gone["id"]]
    assert result["lastModifiedTime"] > since
    assert list(result) == list(recorded("sync-Accounts-after-update-delete.json")["result"])
    assert _sync(designed, "Accounts", result["lastModifiedTime"])["updated"] == []


def test_only_the_callers_records_unless_asked(designed: Wire) -> None:
    mine = _account(designed, "Mine")
    _account(designed, "Theirs", owner="19x5")
    group = _account(designed, "Group owned", owner="20x3")
    assert [r["id"] for r in _sync(designed, "Accounts", 1)["updated"]] == [mine["id"]]
    with_groups = _sync(designed, "Accounts", 1, syncType="userandgroup")
    assert [r["id"] for r in with_groups["updated"]] == [mine["id"], group["id"]]
    assert len(_sync(designed, "Accounts", 1, syncType="application")["updated"]) == 3


def test_application_sync_is_for_admins_only(designed: Wire) -> None:
    # vtws_sync(): "if($applicationSync && !is_admin($user)) throw ... ACCESSDENIED".
    _account(designed, "Theirs", owner="19x5")
    other = Wire(designed.crm)
    jdoe = designed.crm.state.users[5]
    assert other.login(jdoe.user_name, jdoe.access_key)["success"]
    body = other.get("sync", elementType="Accounts", modifiedTime="1", syncType="application")
    assert body == {
        "success": False,
        "error": {
            "code": "ACCESS_DENIED",
            "message": "Only admin users can perform application sync",
        },
    }
    assert [r["accountname"] for r in _sync(other, "Accounts", 1)["updated"]] == ["Theirs"]
    other.http.close()


def test_converted_lead_counts_as_deleted(designed: Wire) -> None:
    lead = designed.create("Leads", lastname="Lead", company="Lead Co", assigned_user_id="19x1")
    since = _sync(designed, "Leads", 1)["lastModifiedTime"]
    designed.crm.state.advance(5)
    element = {
        "leadId": lead["id"],
        "entities": {"Contacts": {"create": True, "name": "Contacts", "lastname": "Lead"}},
    }
    assert designed.post("convertlead", element=element)["success"]
    result = _sync(designed, "Leads", since)
    assert result["updated"] == []
    assert result["deleted"] == [lead["id"]]


def test_pages_by_the_first_100_distinct_times(designed: Wire) -> None:
    crm = designed.crm
    # 101 distinct modified times, the first shared by three records.
    ids = [designed.create("Contacts", **CONTACT_ELEMENT)["id"] for _ in range(3)]
    for _ in range(100):
        crm.state.advance(1)
        ids.append(designed.create("Contacts", **CONTACT_ELEMENT)["id"])
    first = _sync(designed, "Contacts", 1)
    assert first["more"] is True
    assert [row["id"] for row in first["updated"]] == ids[:102]
    assert len(first["updated"]) == 102
    second = _sync(designed, "Contacts", first["lastModifiedTime"])
    assert second["more"] is False
    assert [row["id"] for row in second["updated"]] == ids[102:]
