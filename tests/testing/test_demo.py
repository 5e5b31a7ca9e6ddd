"""The demo data set: deterministic, realistic, linked, and read over HTTP like any data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_wire import Wire

from vtorm.testing import Emulator
from vtorm.testing.demo import COUNTS

MODULES = tuple(COUNTS)


@pytest.fixture(scope="module")
def demo() -> Iterator[Wire]:
    with Emulator(demo=True, quirks=None) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        yield wire
        wire.http.close()


def _all(wire: Wire, module: str, columns: str = "*") -> list[dict[str, Any]]:
    """Every row of ``module``, paged by id as a careful client does."""
    rows: list[dict[str, Any]] = []
    while True:
        where = f" WHERE id > '{rows[-1]['id']}'" if rows else ""
        body = wire.get("query", query=f"SELECT {columns} FROM {module}{where} ORDER BY id;")
        assert body["success"], body
        if not body["result"]:
            return rows
        rows.extend(body["result"])


@pytest.mark.parametrize("module", MODULES)
def test_counts(demo: Wire, module: str) -> None:
    body = demo.get("query", query=f"SELECT count(*) FROM {module};")
    assert body["result"] == [{"count": str(COUNTS[module])}]
    assert len(_all(demo, module, "id")) == COUNTS[module]


def test_hundreds_of_records() -> None:
    assert sum(COUNTS.values()) >= 300


def test_same_data_every_time(demo: Wire) -> None:
    with Emulator(demo=True, quirks=None) as other:
        wire = Wire(other)
        assert wire.login()["success"]
        for module in ("Contacts", "Potentials", "HelpDesk"):
            assert _all(wire, module) == _all(demo, module)


def test_references_point_at_live_records(demo: Wire) -> None:
    accounts = {row["id"] for row in _all(demo, "Accounts", "id")}
    contacts = {row["id"] for row in _all(demo, "Contacts", "id")}
    products = {row["id"] for row in _all(demo, "Products", "id")}
    contact_accounts = [row["account_id"] for row in _all(demo, "Contacts", "account_id")]
    assert {a for a in contact_accounts if a} <= accounts
    assert sum(1 for a in contact_accounts if a) > len(contact_accounts) // 2
    for row in _all(demo, "Potentials", "related_to, contact_id"):
        assert row["related_to"] in accounts
        assert row["contact_id"] is None or row["contact_id"] in contacts
    for row in _all(demo, "HelpDesk", "parent_id, contact_id, product_id"):
        assert row["parent_id"] in accounts
        assert row["contact_id"] is None or row["contact_id"] in contacts
        assert row["product_id"] is None or row["product_id"] in products
    # Related records are found through those references.
    some = contact_accounts[0]
    related = demo.get("retrieve_related", id=some, relatedType="Contacts", relatedLabel="Contacts")
    assert len(related["result"]) == contact_accounts.count(some)


@pytest.mark.parametrize(
    ("module", "field"),
    [
        ("Leads", "leadstatus"),
        ("Accounts", "industry"),
        ("Potentials", "sales_stage"),
        ("HelpDesk", "ticketstatus"),
        ("Contacts", "leadsource"),
    ],
)
def test_picklist_values_come_from_the_schema(demo: Wire, module: str, field: str) -> None:
    described = demo.get("describe", elementType=module)["result"]["fields"]
    (info,) = [f for f in described if f["name"] == field]
    allowed = {v["value"] for v in info["type"]["picklistValues"]}
    used = {row[field] for row in _all(demo, module, field)}
    assert used <= allowed | {""}
    assert len(used - {""}) > 1


def test_names_are_varied(demo: Wire) -> None:
    contacts = _all(demo, "Contacts", "firstname, lastname, email, phone")
    names = [f"{row['firstname']} {row['lastname']}" for row in contacts]
    assert any(not name.isascii() for name in names)
    assert any(any("\u4e00" <= c <= "\u9fff" for c in name) for name in names)
    assert any("'" in name for name in names)
    assert any(row["email"] == "" for row in contacts)
    assert any(row["email"] for row in contacts)
    assert any(row["phone"] == "" for row in contacts)
    # Quoted names are found by the query language like any other.
    body = demo.get("query", query="SELECT lastname FROM Contacts WHERE lastname = 'O''Brien';")
    assert body["result"]
    assert {row["lastname"] for row in body["result"]} == {"O'Brien"}


def test_records_are_owned_by_users_and_groups(demo: Wire) -> None:
    owners = {row["assigned_user_id"] for row in _all(demo, "Accounts", "assigned_user_id")}
    assert owners == {"19x1", "19x5", "20x3"}


def test_sync_sees_the_callers_demo_records(demo: Wire) -> None:
    body = demo.get("sync", elementType="Accounts", modifiedTime="1")
    mine = [
        row
        for row in _all(demo, "Accounts", "assigned_user_id")
        if row["assigned_user_id"] == "19x1"
    ]
    assert body["result"]["more"] is False
    assert {row["id"] for row in body["result"]["updated"]} == {row["id"] for row in mine}


def test_a_kept_database_is_seeded_once(tmp_path: Path) -> None:
    path = str(tmp_path / "crm.sqlite")
    for _ in range(2):
        with Emulator(demo=True, quirks=None, db_path=path) as crm:
            wire = Wire(crm)
            assert wire.login()["success"]
            body = wire.get("query", query="SELECT count(*) FROM Accounts;")
            assert body["result"] == [{"count": str(COUNTS["Accounts"])}]
