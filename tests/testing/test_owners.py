"""Owners as 8.4 takes them: a missing one is written and answered with the restricted text."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_wire import Wire, recorded, recorded_raw

from vtorm.testing import Emulator

RESTRICTED = "b2-create-owner-nonexistent-user.raw"


def _contact(wire: Wire, **fields: Any) -> dict[str, Any]:
    return wire.create("Contacts", **{"lastname": "Owned", "assigned_user_id": "19x1", **fields})


def _rows(wire: Wire, where: str) -> list[dict[str, Any]]:
    body = wire.get("query", query=f"SELECT lastname, assigned_user_id FROM Contacts {where};")
    rows: list[dict[str, Any]] = body["result"]
    return rows


@pytest.mark.parametrize("owner", ["19x424242", "20x999", "19x424242 (old)"])
def test_create_for_a_missing_owner_is_written_yet_answered_as_restricted(
    wire: Wire, owner: str
) -> None:
    response = wire.http.post(
        wire.crm.url,
        data={
            "operation": "create",
            "sessionName": wire.session_name,
            "elementType": "Contacts",
            "element": f'{{"lastname": "Own", "assigned_user_id": "{owner}"}}',
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.content == recorded_raw(RESTRICTED)
    # The record exists, owned by the bare number.
    rows = _rows(wire, "WHERE lastname = 'Own'")
    number = owner.partition("x")[2].split(" ")[0]
    assert [r["assigned_user_id"] for r in rows] == [number]
    retrieved = wire.get("retrieve", id=rows[0]["id"])["result"]
    assert retrieved["assigned_user_id"] == number


def test_revise_to_a_missing_owner_and_every_later_write_answer_restricted(wire: Wire) -> None:
    contact = _contact(wire)
    response = wire.raw_post(
        operation="revise",
        sessionName=wire.session_name,
        element=f'{{"id": "{contact["id"]}", "assigned_user_id": "19x424242"}}',
    )
    assert response.content == recorded_raw("b2-revise-owner-nonexistent-user.raw")
    after = wire.get("retrieve", id=contact["id"])["result"]
    expected = recorded("b2-retrieve-after-owner-nonexistent.json")["result"]
    assert after["assigned_user_id"] == expected["assigned_user_id"] == "424242"
    # Another field: written, and answered as restricted again (the owner is still nobody).
    again = wire.raw_post(
        operation="revise",
        sessionName=wire.session_name,
        element=f'{{"id": "{contact["id"]}", "title": "T"}}',
    )
    assert again.content == recorded_raw(RESTRICTED)
    assert wire.get("retrieve", id=contact["id"])["result"]["title"] == "T"
    # A group is an owner: the record is answered again.
    fixed = wire.post("revise", element={"id": contact["id"], "assigned_user_id": "20x3"})
    assert fixed["success"] and fixed["result"]["assigned_user_id"] == "20x3"


@pytest.mark.parametrize("owner", ["1", 1, "424242", "5", " 7 "])
def test_a_bare_number_is_the_logged_in_user(wire: Wire, owner: Any) -> None:
    assert _contact(wire, assigned_user_id=owner)["assigned_user_id"] == "19x1"


@pytest.mark.parametrize(
    ("owner", "code"),
    [
        ("abc", "INVALID_ID_ATTRIBUTE"),
        ("19x", "INVALID_ID_ATTRIBUTE"),
        ("", "MANDATORY_FIELDS_MISSING"),
    ],
)
def test_owners_that_are_no_id_are_refused(wire: Wire, owner: str, code: str) -> None:
    body = wire.post(
        "create", elementType="Contacts", element={"lastname": "X", "assigned_user_id": owner}
    )
    assert body["error"]["code"] == code
    assert _rows(wire, "WHERE lastname = 'X'") == []


def test_an_owner_id_with_text_after_it_is_that_owner(wire: Wire) -> None:
    assert _contact(wire, assigned_user_id="19x1 (admin)")["assigned_user_id"] == "19x1"


def test_an_inactive_user_still_owns(wire: Wire) -> None:
    other = wire.crm.state.user_by_name("jdoe")
    assert other is not None
    assert wire.post("delete", id=other.wsid)["success"]  # deactivates
    assert _contact(wire, assigned_user_id=other.wsid)["assigned_user_id"] == other.wsid


def test_a_bare_number_is_whoever_writes(crm: Emulator) -> None:
    user = crm.add_user("sales1")
    wire = Wire(crm)
    assert wire.login("sales1", user.access_key)["success"]
    assert _contact(wire, assigned_user_id="1")["assigned_user_id"] == user.wsid
