"""The related-record operations answer as the recorded 8.4 does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from emulator_wire import Wire

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    """A recorded response body of a real Vtiger 8.4."""
    return json.loads((RECORDED / name).read_text("utf-8"))


class Acme:
    """An account with two contacts, a potential, a ticket and a product."""

    def __init__(self, wire: Wire) -> None:
        self.account = wire.create("Accounts", accountname="Acme", assigned_user_id="19x1")["id"]
        self.lonely = wire.create("Accounts", accountname="Lonely", assigned_user_id="19x1")["id"]
        self.john = self._contact(wire, "John")
        self.mary = self._contact(wire, "Mary")
        self.stranger = wire.create("Contacts", lastname="Stranger", assigned_user_id="19x1")["id"]
        self.product = wire.create("Products", productname="Widget", assigned_user_id="19x1")["id"]
        self.potential = wire.create(
            "Potentials",
            potentialname="Renewal",
            closingdate="2027-03-31",
            sales_stage="Prospecting",
            related_to=self.account,
            contact_id=self.john,
            assigned_user_id="19x1",
        )["id"]
        self.ticket = wire.create(
            "HelpDesk",
            ticket_title="Broken",
            ticketstatus="Open",
            ticketpriorities="High",
            parent_id=self.account,
            assigned_user_id="19x1",
        )["id"]

    def _contact(self, wire: Wire, first: str) -> str:
        created = wire.create(
            "Contacts",
            firstname=first,
            lastname="Smith",
            account_id=self.account,
            assigned_user_id="19x1",
        )
        return str(created["id"])


@pytest.fixture
def acme(wire: Wire) -> Acme:
    return Acme(wire)


@pytest.mark.parametrize("module", ["Accounts", "Contacts", "Potentials"])
def test_relatedtypes_as_recorded(wire: Wire, module: str) -> None:
    body = wire.get("relatedtypes", elementType=module)
    assert body == recorded(f"relatedtypes-{module}.json")


@pytest.mark.parametrize(
    ("params", "fixture"),
    [
        ({}, "relatedtypes-error-missing.json"),
        ({"elementType": "NoSuchModule"}, "relatedtypes-error-unknown-module.json"),
    ],
)
def test_relatedtypes_errors(wire: Wire, params: dict[str, str], fixture: str) -> None:
    assert wire.get("relatedtypes", **params) == recorded(fixture)


def test_relatedtypes_of_a_non_entity_module_is_an_empty_500(wire: Wire) -> None:
    response = wire.raw_get(
        operation="relatedtypes", sessionName=wire.session_name, elementType="Currency"
    )
    assert (response.status_code, response.content) == (500, b"")


def test_relatedtypes_via_post_reads_no_parameters(wire: Wire) -> None:
    body = wire.post("relatedtypes", elementType="Accounts")
    assert body == recorded("method-wrong-relatedtypes-via-POST.json")


def _ids(body: dict[str, Any]) -> list[str]:
    assert body["success"], body
    return [row["id"] for row in body["result"]]


def test_retrieve_related_through_reference_fields(wire: Wire, acme: Acme) -> None:
    contacts = wire.get(
        "retrieve_related", id=acme.account, relatedType="Contacts", relatedLabel="Contacts"
    )
    assert _ids(contacts) == [acme.john, acme.mary]
    expected = recorded("retrieve_related-Accounts-Contacts.json")["result"][0]
    assert list(contacts["result"][0]) == list(expected)
    tickets = wire.get(
        "retrieve_related", id=acme.account, relatedType="HelpDesk", relatedLabel="HelpDesk"
    )
    assert _ids(tickets) == [acme.ticket]
    expected = recorded("retrieve_related-Accounts-HelpDesk.json")["result"][0]
    assert list(tickets["result"][0]) == list(expected)
    potentials = wire.get(
        "retrieve_related", id=acme.account, relatedType="Potentials", relatedLabel="Potentials"
    )
    assert _ids(potentials) == [acme.potential]
    empty = wire.get(
        "retrieve_related", id=acme.lonely, relatedType="Potentials", relatedLabel="Potentials"
    )
    assert empty == {"success": True, "result": []}


def test_add_related_then_retrieve_related(wire: Wire, acme: Acme) -> None:
    before = wire.get(
        "retrieve_related", id=acme.potential, relatedType="Contacts", relatedLabel="Contacts"
    )
    assert _ids(before) == [acme.john]
    for _ in range(2):
        body = wire.post(
            "add_related",
            sourceRecordId=acme.potential,
            relatedRecordId=acme.stranger,
            relationIdLabel="Contacts",
        )
        assert body == recorded("add_related-Potential-Contact.json")
    after = wire.get(
        "retrieve_related", id=acme.potential, relatedType="Contacts", relatedLabel="Contacts"
    )
    assert _ids(after) == [acme.john, acme.stranger]
    # The link is seen from the other side too.
    back = wire.get(
        "retrieve_related", id=acme.stranger, relatedType="Potentials", relatedLabel="Potentials"
    )
    assert _ids(back) == [acme.potential]


def test_related_records_leave_when_deleted(wire: Wire, acme: Acme) -> None:
    assert wire.post("delete", id=acme.mary)["success"]
    contacts = wire.get(
        "retrieve_related", id=acme.account, relatedType="Contacts", relatedLabel="Contacts"
    )
    assert _ids(contacts) == [acme.john]


@pytest.mark.parametrize(
    ("params", "fixture"),
    [
        (
            {"relatedType": "Users", "relatedLabel": "Users"},
            "retrieve_related-error-unrelated-type.json",
        ),
        ({"relatedType": "Contacts"}, "retrieve_related-no-label.json"),
        ({"relatedType": "Contacts", "relatedLabel": "Nope"}, "retrieve_related-wrong-label.json"),
    ],
)
def test_retrieve_related_relation_errors(
    wire: Wire, acme: Acme, params: dict[str, str], fixture: str
) -> None:
    assert wire.get("retrieve_related", id=acme.account, **params) == recorded(fixture)


def test_retrieve_related_id_errors(wire: Wire) -> None:
    missing = wire.get(
        "retrieve_related", id="11x999999", relatedType="Contacts", relatedLabel="Contacts"
    )
    assert missing == recorded("retrieve_related-error-bad-id.json")
    via_post = wire.post(
        "retrieve_related", id="11x2", relatedType="Contacts", relatedLabel="Contacts"
    )
    assert via_post == recorded("retrieve_related-POST.json")


def _query_related(wire: Wire, acme: Acme, query: str, label: str = "Contacts") -> Any:
    return wire.get("query_related", id=acme.account, query=query, relatedLabel=label)


def test_query_related_filters_the_related_records(wire: Wire, acme: Acme) -> None:
    plain = _query_related(wire, acme, "SELECT firstname, lastname FROM Contacts")
    assert plain["result"] == [
        {"firstname": "John", "lastname": "Smith", "id": acme.john},
        {"firstname": "Mary", "lastname": "Smith", "id": acme.mary},
    ]
    where = _query_related(
        wire, acme, "SELECT firstname, lastname FROM Contacts WHERE firstname = 'John'"
    )
    assert where["result"] == [{"firstname": "John", "lastname": "Smith", "id": acme.john}]
    ordered = _query_related(
        wire,
        acme,
        "SELECT firstname, lastname FROM Contacts WHERE lastname = 'Smith'"
        " ORDER BY firstname DESC LIMIT 1",
    )
    assert _ids(ordered) == [acme.mary]
    star = _query_related(wire, acme, "SELECT * FROM Potentials", label="Potentials")
    expected = recorded("query_related-Accounts-Potentials-star.json")["result"][0]
    assert list(star["result"][0]) == list(expected)
    assert _ids(star) == [acme.potential]


def test_query_related_with_nothing_related(wire: Wire, acme: Acme) -> None:
    body = wire.get(
        "query_related", id=acme.lonely, query="SELECT * FROM Potentials", relatedLabel="Potentials"
    )
    assert body == recorded("query_related-no-related-records.json")


def test_query_related_count_is_empty_on_84(wire: Wire, acme: Acme) -> None:
    body = _query_related(wire, acme, "SELECT count(*) FROM Contacts")
    assert body == recorded("query_related-count.json")


@pytest.mark.parametrize(
    "fixture",
    [
        "query_related-error-trailing-semicolon",
        "query_related-error-no-label",
        "query_related-error-bad-query",
        "query_related-error-lowercase-where",
        "query_related-error-order-limit-no-where",
        "query_related-error-semicolon-after-space",
        "query_related-error-where-with-semicolon",
        "query_related-with-limit-order",
    ],
)
def test_query_related_errors_as_recorded(wire: Wire, acme: Acme, fixture: str) -> None:
    index = json.loads((RECORDED / "INDEX.json").read_text("utf-8"))
    params = dict(index[fixture]["request"]["params"])
    params.pop("operation")
    params.pop("sessionName")
    params["id"] = acme.account
    assert wire.get("query_related", **params) == recorded(f"{fixture}.json")


def test_query_related_id_errors(wire: Wire) -> None:
    missing = wire.get(
        "query_related", id="11x999999", query="SELECT * FROM Contacts;", relatedLabel="Contacts"
    )
    assert missing == recorded("query_related-error-bad-id.json")
    via_post = wire.post(
        "query_related", id="11x2", query="SELECT firstname FROM Contacts", relatedLabel="Contacts"
    )
    assert via_post == recorded("query_related-POST.json")


def test_add_related_answers_as_recorded(wire: Wire, acme: Acme) -> None:
    bad_related = wire.post(
        "add_related",
        sourceRecordId=acme.potential,
        relatedRecordId="12x999999",
        relationIdLabel="Contacts",
    )
    assert bad_related == recorded("add_related-error-bad-related.json")
    no_relation = wire.post(
        "add_related",
        sourceRecordId=acme.ticket,
        relatedRecordId=acme.john,
        relationIdLabel="Leads",
    )
    assert no_relation == recorded("add_related-error-no-relation.json")
    no_label = wire.post("add_related", sourceRecordId=acme.john, relatedRecordId=acme.product)
    assert no_label == recorded("add_related-Contact-Product-nolabel.json")
    bad_source = wire.post(
        "add_related",
        sourceRecordId="13x999999",
        relatedRecordId=acme.john,
        relationIdLabel="Contacts",
    )
    assert bad_source == recorded("add_related-error-bad-source.json")
    via_get = wire.get(
        "add_related",
        sourceRecordId=acme.potential,
        relatedRecordId=acme.john,
        relationIdLabel="Contacts",
    )
    assert via_get == recorded("method-wrong-add_related-via-GET.json")


def test_product_linked_to_an_account(wire: Wire, acme: Acme) -> None:
    body = wire.post(
        "add_related",
        sourceRecordId=acme.account,
        relatedRecordId=acme.product,
        relationIdLabel="Products",
    )
    assert body == recorded("add_related-Account-Product.json")
    products = wire.get(
        "retrieve_related", id=acme.account, relatedType="Products", relatedLabel="Products"
    )
    assert _ids(products) == [acme.product]


@pytest.mark.parametrize(
    ("module", "types"),
    [
        # As a real 8.4 lists them (read with the live suite).
        ("Leads", "Calendar Emails Calendar Documents Products Campaigns PBXManager Services"
         " ModComments"),
        ("HelpDesk", "Calendar Documents Calendar ServiceContracts Services Project ModComments"
         " Emails"),
        ("Faq", "Documents ModComments"),
        ("Calendar", "Contacts"),
        ("ServiceContracts", "HelpDesk Documents"),
        ("Events", ""),
    ],
)  # fmt: skip
def test_relatedtypes_of_more_modules(wire: Wire, module: str, types: str) -> None:
    result = wire.get("relatedtypes", elementType=module)["result"]
    assert result["types"] == types.split()
    assert (result["information"] == []) is (not types)
