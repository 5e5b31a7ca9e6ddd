"""Currency and Tax: an administrator creates and deletes them, as on a real 8.4."""

from __future__ import annotations

import pytest
from emulator_wire import Wire, recorded

from vtorm.testing import Emulator

CURRENCY = {
    "currency_name": "Euro",
    "currency_code": "EUR",
    "currency_symbol": "€",
    "conversion_rate": "1.5",
    "currency_status": "Active",
    "defaultid": "0",
    "deleted": "0",
}


def test_an_admin_creates_retrieves_lists_and_deletes_a_currency(wire: Wire) -> None:
    created = wire.create("Currency", **CURRENCY)
    # Answered as retrieve answers the stock currency: id first, rate to 5 decimals.
    assert list(created) == list(recorded("retrieve-success-Currency.json")["result"])
    assert created["id"] == "21x2" and created["conversion_rate"] == "1.50000"
    assert wire.get("retrieve", id="21x2")["result"] == created
    listed = wire.get("query", query="SELECT currency_code FROM Currency;")["result"]
    assert [row["currency_code"] for row in listed] == ["USD", "EUR"]
    assert wire.post("delete", id="21x2") == {"success": True, "result": {"status": "successful"}}
    assert wire.get("retrieve", id="21x2")["error"]["code"] == "ACCESS_DENIED"
    listed = wire.get("query", query="SELECT currency_code FROM Currency;")["result"]
    assert [row["currency_code"] for row in listed] == ["USD"]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("defaultid", "defaultid does not have a value"),
        ("deleted", "deleted does not have a value"),
    ],
)
def test_a_currency_needs_defaultid_and_deleted(wire: Wire, missing: str, message: str) -> None:
    element = {k: v for k, v in CURRENCY.items() if k != missing}
    body = wire.post("create", elementType="Currency", element=element)
    assert body["error"] == {"message": message, "code": "MANDATORY_FIELDS_MISSING"}


def test_a_tax_is_named_by_the_server_and_kept_when_deleted(wire: Wire) -> None:
    created = wire.create("Tax", taxname="mine", taxlabel="Eco Tax", percentage="7.5")
    assert created == {
        "taxid": "4",
        "taxname": "tax4",
        "taxlabel": "Eco Tax",
        "percentage": "7.500",
        "deleted": "0",
        "method": "Simple",
        "type": "Fixed",
        "id": "34x4",
    }
    empty = wire.create("Tax")
    assert (empty["taxname"], empty["taxlabel"], empty["percentage"]) == ("tax5", "", "0.000")
    rows = wire.get("query", query="SELECT * FROM Tax;")["result"]
    assert [row["taxname"] for row in rows] == ["tax1", "tax2", "tax3", "tax4", "tax5"]
    assert list(rows[3]) == list(recorded("query-tax-module.json")["result"][0])
    assert wire.post("delete", id="34x5")["success"]
    assert wire.get("retrieve", id="34x5")["result"]["deleted"] == "1"
    rows = wire.get("query", query="SELECT taxname FROM Tax;")["result"]
    assert [row["taxname"] for row in rows] == ["tax1", "tax2", "tax3", "tax4"]


def test_only_an_admin_writes_currencies_and_taxes(crm: Emulator) -> None:
    user = crm.add_user("clerk")
    wire = Wire(crm)
    assert wire.login("clerk", user.access_key)["success"]
    denied = {"message": "Permission to perform the operation is denied", "code": "ACCESS_DENIED"}
    assert wire.post("create", elementType="Currency", element=CURRENCY)["error"] == denied
    assert wire.post("create", elementType="Tax", element={"taxlabel": "T"})["error"] == denied
    assert wire.post("delete", id="34x1")["error"] == denied
    assert wire.post("delete", id="21x1")["error"] == denied


def test_other_modules_outside_the_entities_stay_closed(wire: Wire) -> None:
    body = wire.post("create", elementType="Groups", element={"groupname": "G"})
    assert body["error"]["code"] == "ACCESS_DENIED"
