"""Duplicate prevention: unique fields (``isunique`` in describe) refuse a second record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from emulator_wire import Wire, recorded_raw

from vtorm.testing import Emulator
from vtorm.testing.schema import DEFAULT_SCHEMA_DIR

DUPLICATE = "b2-create-Accounts-duplicate-name.json"


def _account(wire: Wire, name: str) -> dict[str, object]:
    return wire.create("Accounts", accountname=name, assigned_user_id="19x1")


def _create_raw(wire: Wire, name: str) -> bytes:
    element = json.dumps({"accountname": name, "assigned_user_id": "19x1"})
    return wire.raw_post(
        operation="create", sessionName=wire.session_name, elementType="Accounts", element=element
    ).content


@pytest.mark.parametrize("again", ["Acme Ltd", "acme ltd", "ACME LTD  ", "Ácme Ltd"])
def test_a_second_account_of_the_same_name_is_refused(wire: Wire, again: str) -> None:
    """Letter case, accents and trailing spaces do not make a name another one."""
    _account(wire, "Acme Ltd")
    assert _create_raw(wire, again) == recorded_raw(DUPLICATE)  # the integer code 0
    rows = wire.get("query", query="SELECT accountname FROM Accounts;")["result"]
    assert [r["accountname"] for r in rows] == ["Acme Ltd"]


def test_other_names_and_leading_spaces_are_other_accounts(wire: Wire) -> None:
    _account(wire, "Acme Ltd")
    _account(wire, "Acme Limited")
    _account(wire, " Acme Ltd")
    assert len(wire.get("query", query="SELECT id FROM Accounts;")["result"]) == 3


def test_revise_and_update_cannot_take_a_name_in_use(wire: Wire) -> None:
    first = _account(wire, "First Co")
    second = _account(wire, "Second Co")
    body = wire.post("revise", element={"id": second["id"], "accountname": "FIRST CO"})
    assert body == {"success": False, "error": {"message": "Duplicate(s) detected!", "code": 0}}
    full = {**wire.get("retrieve", id=second["id"])["result"], "accountname": "First Co"}
    assert wire.post("update", element=full)["error"]["code"] == 0
    kept = wire.get("retrieve", id=second["id"])["result"]
    assert kept["accountname"] == "Second Co"
    # Keeping one's own name, in any spelling, is no duplicate.
    own = wire.post("revise", element={"id": first["id"], "accountname": "first co", "phone": "1"})
    assert own["success"] and own["result"]["accountname"] == "first co"


def test_a_deleted_accounts_name_is_free_again(wire: Wire) -> None:
    first = _account(wire, "Gone Co")
    assert wire.post("delete", id=first["id"])["success"]
    assert _account(wire, "Gone Co")["accountname"] == "Gone Co"


def test_modules_without_a_unique_field_take_twins(wire: Wire) -> None:
    one = wire.create("Contacts", lastname="Twin", firstname="Al", assigned_user_id="19x1")
    two = wire.create("Contacts", lastname="Twin", firstname="Al", assigned_user_id="19x1")
    assert one["id"] != two["id"]


def test_convertlead_into_a_taken_account_name_fails_as_a_duplicate(wire: Wire) -> None:
    _account(wire, "Lead Co")
    lead = wire.create("Leads", lastname="Lee", company="Lead Co", assigned_user_id="19x1")
    element = {
        "leadId": lead["id"],
        "assignedTo": "19x1",
        "entities": {"Accounts": {"create": True, "name": "Accounts", "accountname": "lead co"}},
    }
    body = wire.post("convertlead", element=element)
    assert body == {"success": False, "error": {"message": "Duplicate(s) detected!", "code": 0}}


def test_a_schema_that_allows_duplicates_takes_them(tmp_path: Path) -> None:
    for path in DEFAULT_SCHEMA_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    describe = json.loads((tmp_path / "describe-Accounts.json").read_text("utf-8"))
    result = describe.get("result", describe)
    result["allowDuplicates"] = True
    (tmp_path / "describe-Accounts.json").write_text(json.dumps(describe), "utf-8")
    with Emulator(schema_dir=tmp_path) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        _account(wire, "Same")
        _account(wire, "Same")
        assert len(wire.get("query", query="SELECT id FROM Accounts;")["result"]) == 2


def test_a_custom_unique_field_is_checked_too(tmp_path: Path) -> None:
    for path in DEFAULT_SCHEMA_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    describe = json.loads((tmp_path / "describe-Contacts.json").read_text("utf-8"))
    result = describe.get("result", describe)
    for field in result["fields"]:
        if field["name"] == "email":
            field["isunique"] = True
    (tmp_path / "describe-Contacts.json").write_text(json.dumps(describe), "utf-8")
    with Emulator(schema_dir=tmp_path) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        wire.create("Contacts", lastname="A", email="a@example.com", assigned_user_id="19x1")
        wire.create("Contacts", lastname="B", assigned_user_id="19x1")  # empty: not checked
        wire.create("Contacts", lastname="C", assigned_user_id="19x1")
        body = wire.post(
            "create",
            elementType="Contacts",
            element={"lastname": "D", "email": "A@example.com", "assigned_user_id": "19x1"},
        )
        assert body["error"] == {"message": "Duplicate(s) detected!", "code": 0}
