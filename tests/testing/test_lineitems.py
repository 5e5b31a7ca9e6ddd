"""Line items of inventory records: refused as on 8.4, kept as designed without the quirks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulator_wire import Wire

from vtorm.testing import Emulator


@pytest.fixture
def designed() -> Iterator[Wire]:
    with Emulator(quirks=None) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        yield wire
        wire.http.close()


def _quote(wire: Wire, lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    account = wire.create("Accounts", accountname="Buyer", assigned_user_id="19x1")
    element = {
        "subject": "Offer",
        "quotestage": "Created",
        "account_id": account["id"],
        "bill_street": "1 Main St",
        "ship_street": "1 Main St",
        "assigned_user_id": "19x1",
        "productid": lines[0]["productid"] if lines else "",
        "LineItems": lines,
        **fields,
    }
    body = wire.post("create", elementType="Quotes", element=element)
    assert body["success"], body
    result: dict[str, Any] = body["result"]
    return result


def _product(wire: Wire, name: str, price: str) -> str:
    made = wire.create("Products", productname=name, unit_price=price, assigned_user_id="19x1")
    return str(made["id"])


def test_a_quote_keeps_its_line_items(designed: Wire) -> None:
    widget = _product(designed, "Widget", "19.99")
    gadget = _product(designed, "Gadget", "5")
    quote = _quote(
        designed,
        [
            {"productid": widget, "quantity": "2", "listprice": "19.99", "comment": "two"},
            {"productid": gadget, "quantity": "3", "discount_amount": "1"},
        ],
    )
    lines = quote["LineItems"]
    assert [line["productid"] for line in lines] == [widget, gadget]
    first, second = lines
    assert first["id"].startswith("33x") and first["id"] != second["id"]
    assert (first["parent_id"], first["sequence_no"], second["sequence_no"]) == (
        quote["id"],
        "1",
        "2",
    )
    assert (first["quantity"], first["listprice"], first["comment"]) == (
        "2.000",
        "19.99000000",
        "two",
    )
    assert second["listprice"] == "5.00000000"  # none sent: the product's unit price
    assert (first["product_name"], first["entity_type"], first["deleted"]) == (
        "Widget",
        "Products",
        "0",
    )
    # 2 x 19.99 + 3 x 5 - 1
    assert quote["hdnSubTotal"] == quote["hdnGrandTotal"] == "53.98000000"
    for answer in (
        designed.get("retrieve", id=quote["id"])["result"],
        designed.get("retrieve_inventory", id=quote["id"])["result"],
    ):
        assert answer["LineItems"] == lines
    rows = designed.get("query", query="SELECT productid, quantity FROM LineItem;")["result"]
    assert [row["productid"] for row in rows] == [widget, gadget]


def test_revise_replaces_line_items_only_when_it_sends_them(designed: Wire) -> None:
    widget = _product(designed, "Widget", "10")
    quote = _quote(designed, [{"productid": widget, "quantity": "1"}])
    kept = designed.post("revise", element={"id": quote["id"], "subject": "Renamed"})["result"]
    assert [line["quantity"] for line in kept["LineItems"]] == ["1.000"]
    replaced = designed.post(
        "revise",
        element={
            "id": quote["id"],
            "LineItems": [
                {"productid": widget, "quantity": "4"},
                {"productid": widget, "quantity": "5"},
            ],
        },
    )["result"]
    assert [line["quantity"] for line in replaced["LineItems"]] == ["4.000", "5.000"]
    assert replaced["hdnGrandTotal"] == "90.00000000"
    rows = designed.get("query", query="SELECT quantity FROM LineItem;")["result"]
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Mandatory Fields Missing.."),
        ([{"quantity": "1"}], "productid does not have a value"),
        ([{"productid": "{p}"}], "quantity does not have a value"),
    ],
)
def test_line_items_that_cannot_be_kept_are_refused(
    designed: Wire, lines: list[dict[str, str]], message: str
) -> None:
    product = _product(designed, "P", "1")
    account = designed.create("Accounts", accountname="Buyer", assigned_user_id="19x1")
    sent = [{k: v.format(p=product) for k, v in line.items()} for line in lines]
    element = {
        "subject": "Offer",
        "quotestage": "Created",
        "account_id": account["id"],
        "bill_street": "1",
        "ship_street": "1",
        "assigned_user_id": "19x1",
        "productid": product,
        "LineItems": sent,
    }
    body = designed.post("create", elementType="Quotes", element=element)
    assert body["error"] == {"message": message, "code": "MANDATORY_FIELDS_MISSING"}
    assert designed.get("query", query="SELECT id FROM Quotes;")["result"] == []


def test_on_8_4_no_inventory_record_can_be_created(wire: Wire) -> None:
    """Checked on a real 8.4: without line items the create is refused too."""
    product = _product(wire, "P", "1")
    account = wire.create("Accounts", accountname="Buyer", assigned_user_id="19x1")
    element: dict[str, Any] = {
        "subject": "Offer",
        "quotestage": "Created",
        "account_id": account["id"],
        "bill_street": "1",
        "ship_street": "1",
        "assigned_user_id": "19x1",
    }
    body = wire.post("create", elementType="Quotes", element=element)
    assert body["error"]["message"] == "productid does not have a value"
    element["productid"] = product
    body = wire.post("create", elementType="Quotes", element=element)
    assert body["error"] == {
        "message": "Mandatory Fields Missing..",
        "code": "MANDATORY_FIELDS_MISSING",
    }
    element["LineItems"] = [{"productid": product, "quantity": "1"}]
    body = wire.post("create", elementType="Quotes", element=element)
    assert body["error"]["code"] == "INVALID_ID_ATTRIBUTE"
