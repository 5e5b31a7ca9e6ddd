"""vtorm.Client against a real CRM: every operation, and the errors it turns answers into."""

from __future__ import annotations

import base64

import pytest
import requests
from live_support import Crm, Marked, element, require_crm

import vtorm

require_crm()
pytestmark = pytest.mark.live


def test_login_extend_and_logout(live_crm: Crm) -> None:
    with vtorm.Client(live_crm.url, live_crm.username, live_crm.access_key) as client:
        login = client.login()
        assert login.user_id.startswith("19x") and login.vtiger_version == client.vtiger_version
        assert login.session_name not in repr(login) and live_crm.access_key not in repr(client)
        again = client.extend_session()
        assert again.user_id == login.user_id
        client.logout()
        # The next call logs in again by itself.
        assert "Contacts" in client.list_types()


def test_list_types_and_by_field_type(live_client: vtorm.Client) -> None:
    types = live_client.list_types()
    assert {"Contacts", "Accounts", "Leads", "Users"} <= set(types)
    with_email = live_client.list_types(["email"])
    assert "Contacts" in with_email and "Users" not in with_email
    assert live_client.list_types(["date"]) == []


def test_describe(live_client: vtorm.Client) -> None:
    contacts = live_client.describe("Contacts")
    fields = {f["name"]: f for f in contacts["fields"]}
    assert fields["lastname"]["mandatory"] is True
    assert fields["account_id"]["type"]["refersTo"] == ["Accounts"]
    assert contacts["idPrefix"].isdigit() and contacts["fields"][-1]["name"] == "id"


def test_create_retrieve_revise_update_delete(live_client: vtorm.Client, marked: Marked) -> None:
    created = live_client.create("Contacts", element(marked, title="Buyer"))
    wsid = marked.track(created["id"])
    assert live_client.retrieve(wsid)["title"] == "Buyer"
    revised = live_client.revise({"id": wsid, "title": "CTO"})
    assert revised["title"] == "CTO" and revised["lastname"] == created["lastname"]
    full = {**live_client.retrieve(wsid), "department": "Sales"}
    updated = live_client.update(full)
    assert (updated["department"], updated["title"]) == ("Sales", "CTO")
    live_client.delete(wsid)
    with pytest.raises(vtorm.AccessDeniedError):
        live_client.retrieve(wsid)


def test_query(live_client: vtorm.Client, marked: Marked) -> None:
    wsid = marked.track(live_client.create("Contacts", element(marked, firstname="Q"))["id"])
    rows = live_client.query(
        f"SELECT firstname, lastname FROM Contacts WHERE firstname = 'Q'"
        f" AND lastname LIKE '%{marked.marker}';"
    )
    assert rows == [{"firstname": "Q", "lastname": marked.name("Contact"), "id": wsid}]


def test_sync_and_retrieve_inventory_say_what_8_4_cannot_do(live_client: vtorm.Client) -> None:
    if not str(live_client.vtiger_version).startswith("8."):
        pytest.skip("only stock 8.x on PHP 8 cannot run them")
    with pytest.raises(vtorm.ProtocolError, match="modifiedtime"):
        live_client.sync("Accounts", 1)
    with pytest.raises(vtorm.ProtocolError, match="retrieve"):
        live_client.retrieve_inventory("4x1")


def test_related_operations(live_client: vtorm.Client, marked: Marked) -> None:
    account = live_client.create(
        "Accounts", {"accountname": marked.name("Related Co"), "assigned_user_id": marked.owner}
    )
    account_id = marked.track(account["id"])
    contact = live_client.create("Contacts", element(marked, account_id=account_id))
    contact_id = marked.track(contact["id"])
    product = live_client.create(
        "Products", {"productname": marked.name("Widget"), "assigned_user_id": marked.owner}
    )
    product_id = marked.track(product["id"])
    related = live_client.related_types("Accounts")
    assert "Contacts" in related["types"]
    linked = live_client.retrieve_related(account_id, "Contacts", "Contacts")
    assert [row["id"] for row in linked] == [contact_id]
    rows = live_client.query_related(
        f"SELECT lastname FROM Contacts WHERE lastname LIKE '%{marked.marker}'",
        account_id,
        "Contacts",
    )
    assert [row["id"] for row in rows] == [contact_id]
    live_client.add_related(account_id, product_id, "Products")
    products = live_client.retrieve_related(account_id, "Products", "Products")
    assert product_id in [row["id"] for row in products]


def test_convert_lead(live_client: vtorm.Client, marked: Marked) -> None:
    lead = live_client.create(
        "Leads",
        {
            "lastname": marked.name("Lead"),
            "company": marked.name("Lead Co"),
            "assigned_user_id": marked.owner,
        },
    )
    marked.track(lead["id"])
    made = live_client.convert_lead(
        lead["id"],
        {
            "Accounts": {"create": True, "name": "Accounts", "accountname": marked.name("Conv")},
            "Contacts": {"create": True, "name": "Contacts", "lastname": marked.name("Conv")},
        },
        assigned_to=marked.owner,
    )
    assert set(made) == {"Accounts", "Contacts"}
    for wsid in made.values():
        marked.track(wsid)
        assert live_client.retrieve(wsid)["isconvertedfromlead"] == "1"
    assert live_client.retrieve(made["Contacts"])["account_id"] == made["Accounts"]


def test_files(live_client: vtorm.Client, marked: Marked) -> None:
    document = live_client.create(
        "Documents",
        {
            "notes_title": marked.name("Spec"),
            "assigned_user_id": marked.owner,
            "filelocationtype": "I",
            "filestatus": "1",
        },
        files={"filename": ("spec.txt", b"Hello, live CRM!\n", "text/plain")},
    )
    marked.track(document["id"])
    assert (document["filename"], document["filesize"]) == ("spec.txt", "17")
    files = live_client.files_retrieve(document["imageattachmentids"])
    assert base64.b64decode(files[0]["filecontents"]) == b"Hello, live CRM!\n"


def test_call_any_operation(live_client: vtorm.Client) -> None:
    described = live_client.call("describe", elementType="Faq")
    assert described["name"] == "Faq"


def test_errors_become_their_classes(live_client: vtorm.Client, marked: Marked) -> None:
    with pytest.raises(vtorm.MandatoryFieldError):
        live_client.create("Contacts", {"assigned_user_id": marked.owner})
    with pytest.raises(vtorm.InvalidIdError):
        live_client.retrieve("12x")
    with pytest.raises(vtorm.AccessDeniedError):
        live_client.retrieve("12x999999999")
    with pytest.raises(vtorm.QuerySyntaxError):
        live_client.query("SELECT lastname FROM Contacts WHERE;")
    name = marked.name("Unique Co")
    marked.track(
        live_client.create("Accounts", {"accountname": name, "assigned_user_id": marked.owner})[
            "id"
        ]
    )
    with pytest.raises(vtorm.DuplicateError) as caught:
        live_client.create("Accounts", {"accountname": name.upper(), "assigned_user_id": "19x1"})
    assert caught.value.code == "0"


def test_an_owner_that_does_not_exist(live_client: vtorm.Client, marked: Marked) -> None:
    """The create happens, yet its answer is the restricted-file text: a ProtocolError."""
    name = marked.name("Nobody")
    with pytest.raises(vtorm.ProtocolError) as caught:
        live_client.create("Contacts", {"lastname": name, "assigned_user_id": "19x424242"})
    assert "restricted" in caught.value.excerpt
    rows = live_client.query(f"SELECT assigned_user_id FROM Contacts WHERE lastname = '{name}';")
    assert [row["assigned_user_id"] for row in rows] == ["424242"]
    marked.track(rows[0]["id"])


def test_a_dead_session_is_renewed_invisibly(live_crm: Crm) -> None:
    with vtorm.Client(live_crm.url, live_crm.username, live_crm.access_key) as client:
        session = client.login().session_name
        # Ended elsewhere: the next call answers INVALID_SESSIONID, and the client logs in again.
        ended = requests.post(live_crm.url, data={"operation": "logout", "sessionName": session})
        assert ended.json()["success"]
        assert client.retrieve(str(client.user_id))["id"] == client.user_id
        assert client.login().session_name != session
