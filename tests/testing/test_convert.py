"""convertlead: entities made from a Lead, the Lead hidden, errors as the recorded 8.4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator_wire import Wire

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    """A recorded response body of a real Vtiger 8.4."""
    return json.loads((RECORDED / name).read_text("utf-8"))


def _lead(wire: Wire) -> str:
    created = wire.create(
        "Leads",
        firstname="Lena",
        lastname="Lead",
        company="Lead Co",
        email="lena@leadco.example",
        leadsource="Web Site",
        assigned_user_id="19x1",
    )
    return str(created["id"])


FULL = {
    "Accounts": {"create": True, "name": "Accounts", "accountname": "Lead Co"},
    "Contacts": {"create": True, "name": "Contacts", "lastname": "Lead", "firstname": "Lena"},
    "Potentials": {
        "create": True,
        "name": "Potentials",
        "potentialname": "Lead Co deal",
        "closingdate": "2027-01-31",
        "sales_stage": "Prospecting",
        "amount": "5000",
    },
}


def _convert(wire: Wire, lead: str, entities: Any = None, **extra: Any) -> Any:
    element: dict[str, Any] = {"leadId": lead, **extra}
    if entities is not None:
        element["entities"] = entities
    return wire.post("convertlead", element=element)


def test_success_creates_linked_entities_and_hides_the_lead(wire: Wire) -> None:
    lead = _lead(wire)
    body = _convert(wire, lead, FULL, assignedTo="19x1")
    assert body["success"], body
    result = body["result"]
    assert list(result) == list(recorded("convertlead-success.json")["result"])
    account = wire.get("retrieve", id=result["Accounts"])["result"]
    contact = wire.get("retrieve", id=result["Contacts"])["result"]
    potential = wire.get("retrieve", id=result["Potentials"])["result"]
    assert account["accountname"] == "Lead Co"
    assert (contact["firstname"], contact["lastname"]) == ("Lena", "Lead")
    # Values the element does not give come from the lead.
    assert contact["email"] == "lena@leadco.example"
    assert contact["leadsource"] == "Web Site"
    assert contact["account_id"] == result["Accounts"]
    assert potential["related_to"] == result["Accounts"]
    assert potential["contact_id"] == result["Contacts"]
    assert potential["amount"] == "5000.00000000"
    # Converted leads vanish from queries, yet retrieve answers them as recorded.
    rows = wire.get("query", query=f"SELECT lastname FROM Leads WHERE id = '{lead}';")
    assert rows == {"success": True, "result": []}
    retrieved = wire.get("retrieve", id=lead)
    assert retrieved["success"]
    assert list(retrieved["result"]) == list(recorded("retrieve-converted-lead.json")["result"])


def test_converting_twice_is_refused(wire: Wire) -> None:
    lead = _lead(wire)
    assert _convert(wire, lead, {"Contacts": FULL["Contacts"]})["success"]
    again = _convert(wire, lead, {"Contacts": FULL["Contacts"]})
    assert again == recorded("convertlead-error-already-converted.json")


def test_missing_mandatory_field_is_not_atomic(wire: Wire) -> None:
    lead = _lead(wire)
    entities = {
        "Potentials": {"create": True, "name": "Potentials", "potentialname": "x"},
        "Contacts": {"create": True, "name": "Contacts", "lastname": "D'Angelo"},
    }
    body = _convert(wire, lead, entities)
    assert body == recorded("convertlead-error-missing-mandatory.json")
    # The Contact was created before the Potential failed; the Lead stays unconverted.
    contacts = wire.get(
        "query", query="SELECT lastname FROM Contacts WHERE lastname = 'D''Angelo';"
    )
    assert [row["lastname"] for row in contacts["result"]] == ["D'Angelo"]
    leads = wire.get("query", query=f"SELECT lastname FROM Leads WHERE id = '{lead}';")
    assert len(leads["result"]) == 1


def test_unknown_lead(wire: Wire) -> None:
    body = _convert(wire, "10x999999", {"Contacts": FULL["Contacts"]})
    assert body == recorded("convertlead-error-bad-id.json")


def test_no_entities_succeeds_without_a_result(wire: Wire) -> None:
    lead = _lead(wire)
    response = wire.raw_post(
        operation="convertlead",
        sessionName=wire.session_name,
        element=json.dumps({"leadId": lead}),
    )
    # Byte for byte: no ``result`` key at all, not ``"result":null``.
    assert response.content == (RECORDED / "convertlead-error-no-entities.json").read_bytes()
    # Nothing was converted.
    leads = wire.get("query", query=f"SELECT lastname FROM Leads WHERE id = '{lead}';")
    assert len(leads["result"]) == 1


def test_via_get_reads_no_element(wire: Wire) -> None:
    lead = _lead(wire)
    element = {"leadId": lead, "entities": {"Contacts": FULL["Contacts"]}}
    body = wire.get("convertlead", element=element)
    assert body == recorded("method-wrong-convertlead-via-GET.json")


def test_a_contact_id_is_converted_into_a_new_contact(wire: Wire) -> None:
    contact = wire.create("Contacts", lastname="Already", assigned_user_id="19x1")["id"]
    body = _convert(wire, contact, {"Contacts": FULL["Contacts"]})
    assert body["success"], body
    assert body["result"]["Contacts"] != contact
    # The source Contact stays visible: only Leads are hidden by a conversion.
    rows = wire.get("query", query=f"SELECT lastname FROM Contacts WHERE id = '{contact}';")
    assert rows["result"] == [{"lastname": "Already", "id": contact}]
