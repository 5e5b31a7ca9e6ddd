"""Saving one instance and many (vtorm.persistence) against the embedded CRM.

Every test counts the requests the client sends (a response hook on its
session) and checks what the server stored.
"""

# field() returns attrs.field(default=None): a plain default, not a shared call result.
# ruff: noqa: RUF009

from __future__ import annotations

import datetime
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from crm_models import Accounts, Contacts, Potentials
from recording import Sent, make_client

import vtorm
from vtorm import field, persistence
from vtorm.testing import Emulator
from vtorm.testing.schema import DEFAULT_SCHEMA_DIR

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
UTC = datetime.timezone.utc


def new_contact(lastname: str = "Smith", **fields: Any) -> Contacts:
    return Contacts(lastname=lastname, assigned_user_id="19x1", **fields)


def stored(client: vtorm.Client, id: str) -> dict[str, Any]:
    return client.retrieve(id)


def saved_contact(client: vtorm.Client, lastname: str = "Smith", **fields: Any) -> Contacts:
    """A Contact created on the server, then loaded back through a query."""
    row = client.create("Contacts", {"lastname": lastname, "assigned_user_id": "19x1", **fields})
    return Contacts.objects.using(client).get(id=row["id"])


# --------------------------------------------------------------------------- create


def test_save_new_creates_with_the_set_fields_and_takes_the_answer(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = new_contact(
        firstname="Ann", birthday=datetime.date(1990, 1, 2), donotcall=True,
        contact_no="CON-MINE",  # read-only: never sent
    )  # fmt: skip
    contact.save()
    assert sent.ops == ["create"]
    (element,) = sent.elements("create")
    assert element == {
        "lastname": "Smith", "firstname": "Ann", "birthday": "1990-01-02",
        "donotcall": "1", "assigned_user_id": "19x1",
    }  # fmt: skip
    assert contact.id is not None and contact.id.startswith("12x")
    assert contact.contact_no is not None and contact.contact_no.startswith("CON")
    assert contact.contact_no != "CON-MINE"
    assert isinstance(contact.modifiedtime, datetime.datetime)
    assert contact.modifiedtime.tzinfo == UTC
    assert contact._changes() == {}
    assert contact._state.client is client
    assert stored(client, contact.id)["birthday"] == "1990-01-02"
    contact.save()
    assert sent.ops == ["create", "retrieve"]  # clean: nothing sent


def test_save_takes_fields_the_server_computes(client: vtorm.Client) -> None:
    deal = Potentials(
        potentialname="Deal", closingdate=datetime.date(2027, 1, 1), sales_stage="Prospecting",
        amount=Decimal("1000"), probability=Decimal("25"), assigned_user_id="19x1",
    )  # fmt: skip
    deal.save()
    assert deal.forecast_amount == Decimal("250")
    assert deal.potential_no is not None


def test_mandatory_fields_are_checked_before_any_request(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = Contacts(firstname="NoLastName", assigned_user_id="19x1")
    with pytest.raises(vtorm.ValidationError, match=r"lastname \(Last Name\)"):
        contact.save()
    blank = Contacts(lastname="   ", assigned_user_id="19x1")
    with pytest.raises(vtorm.ValidationError, match="lastname"):
        blank.save()
    assert sent.ops == []
    assert contact.id is None and contact._state.adding


def test_a_missing_owner_says_what_an_owner_is(client: vtorm.Client, sent: Sent) -> None:
    with pytest.raises(vtorm.ValidationError) as caught:
        Contacts(lastname="Smith").save()
    assert str(caught.value) == (
        "Contacts: mandatory field(s) without a value: assigned_user_id (Assigned To); "
        "nothing was sent (assigned_user_id takes the id of a user or a group: the "
        "logged-in user's is client.user_id, such as '19x1')"
    )
    assert sent.ops == []


def test_manager_create_returns_the_stored_record(client: vtorm.Client, sent: Sent) -> None:
    account = Accounts.objects.using(client).create(
        accountname="Acme", assigned_user_id="19x1", employees=12
    )
    assert sent.ops == ["create"]
    assert account.id is not None and account.employees == 12
    assert account._changes() == {}
    assert stored(client, account.id)["accountname"] == "Acme"


def test_get_or_create_creates_once(client: vtorm.Client, sent: Sent) -> None:
    objects = Accounts.objects.using(client)
    first, created = objects.get_or_create(
        accountname="Acme", defaults={"assigned_user_id": "19x1", "website": "acme.example"}
    )
    assert created is True and first.website == "acme.example"
    again, created_again = objects.get_or_create(
        accountname="Acme", defaults={"assigned_user_id": "19x1"}
    )
    assert created_again is False and again.id == first.id
    assert sent.ops.count("create") == 1


def test_update_or_create_revises_only_what_changed(client: vtorm.Client, sent: Sent) -> None:
    objects = Accounts.objects.using(client)
    account, created = objects.update_or_create(
        accountname="Acme", defaults={"assigned_user_id": "19x1", "website": "a.example"}
    )
    assert created is True
    sent.clear()
    same, created = objects.update_or_create(
        accountname="Acme", defaults={"assigned_user_id": "19x1", "website": "b.example"}
    )
    assert created is False and same.id == account.id
    assert sent.elements("revise") == [{"id": account.id, "website": "b.example"}]
    assert same.id is not None and stored(client, same.id)["website"] == "b.example"


# --------------------------------------------------------------------------- revise


def test_loaded_and_unchanged_sends_nothing(client: vtorm.Client, sent: Sent) -> None:
    contact = saved_contact(client, birthday="1990-01-02", donotcall="1")
    sent.clear()
    contact.birthday = datetime.date(1990, 1, 2)  # same value again
    contact.donotcall = True
    contact.save()
    assert sent.ops == []


def test_revise_sends_the_id_and_exactly_the_changed_fields(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = saved_contact(client, title="Clerk", department="Sales")
    before = contact.modifiedtime
    assert contact.id is not None
    sent.clear()
    contact.title = "Boss"
    contact.birthday = datetime.date(1980, 5, 6)
    contact.emailoptout = True
    contact.save()
    assert sent.elements("revise") == [
        {"id": contact.id, "title": "Boss", "birthday": "1980-05-06", "emailoptout": "1"}
    ]
    assert sent.ops == ["revise"]
    assert client.features.revise is True
    row = stored(client, contact.id)
    assert (row["title"], row["department"], row["birthday"]) == ("Boss", "Sales", "1980-05-06")
    assert contact._changes() == {}
    assert contact.modifiedtime is not None and before is not None
    assert contact.modifiedtime >= before
    assert contact.modifiedby == "19x1"


def test_clearing_a_value_sends_an_empty_string(client: vtorm.Client, sent: Sent) -> None:
    account = Accounts.objects.using(client).create(accountname="Acme", assigned_user_id="19x1")
    contact = saved_contact(client, account_id=account.id, title="Clerk")
    sent.clear()
    contact.account_id = None
    contact.title = None
    contact.save()
    assert sent.elements("revise") == [{"id": contact.id, "account_id": "", "title": ""}]
    assert contact.id is not None
    row = stored(client, contact.id)
    assert row["account_id"] is None and row["title"] == ""


def test_update_fields_sends_only_those_and_keeps_the_rest_pending(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = saved_contact(client)
    sent.clear()
    contact.title = "Boss"
    contact.department = "R&D"
    contact.save(update_fields=["title"])
    assert sent.elements("revise") == [{"id": contact.id, "title": "Boss"}]
    assert contact.department == "R&D"  # not overwritten by the server's answer
    assert contact._changes() == {"department": "R&D"}
    contact.save(update_fields=["title"])  # title is clean now: nothing
    assert len(sent.requests) == 1
    contact.save()
    assert sent.elements("revise")[1] == {"id": contact.id, "department": "R&D"}
    assert contact._changes() == {}


def test_update_fields_refuses_unknown_and_read_only_fields(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = saved_contact(client)
    sent.clear()
    contact.title = "Boss"
    with pytest.raises(vtorm.FieldError, match="nosuchfield"):
        contact.save(update_fields=["nosuchfield"])
    with pytest.raises(vtorm.FieldError, match="read-only"):
        contact.save(update_fields=["contact_no"])
    with pytest.raises(vtorm.VtormError, match="not saved yet"):
        persistence.save(new_contact(), update_fields=["title"])
    assert sent.ops == []


# --------------------------------------------------------------------------- multipicklists


@attrs.define(kw_only=True, eq=False, slots=False)
class ContactsWithInterests(Contacts):
    """Contacts of a CRM where a multipicklist ``cf_interests`` was added."""

    cf_interests: list[str] | None = field(
        "cf_interests", "multipicklist", label="Interests",
        picklist=("Sports", "Music", "Art & Design", "Café", "日本語"),
    )  # fmt: skip


@pytest.fixture
def custom_crm(tmp_path: Path) -> Iterator[Emulator]:
    for source in DEFAULT_SCHEMA_DIR.glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(
        RECORDED / "describe-Contacts-with-custom-multipicklist.json",
        tmp_path / "describe-Contacts.json",
    )
    with Emulator(schema_dir=tmp_path) as emulator:
        yield emulator


def test_a_multipicklist_changed_in_place_is_sent(custom_crm: Emulator) -> None:
    client = make_client(custom_crm)
    sent = Sent(client)
    person = ContactsWithInterests(
        lastname="Fan", assigned_user_id="19x1", cf_interests=["Sports"]
    )
    persistence.save(person, client=client)
    assert sent.elements("create")[0]["cf_interests"] == "Sports"
    assert person.cf_interests == ["Sports"]
    person.save()
    assert sent.ops == ["create"]
    assert person.cf_interests is not None
    person.cf_interests.append("Café")  # mutated, not reassigned
    person.save()
    assert sent.elements("revise") == [{"id": person.id, "cf_interests": "Sports |##| Café"}]
    assert person.id is not None
    assert client.retrieve(person.id)["cf_interests"] == "Sports |##| Café"
    person.save()
    assert sent.ops == ["create", "revise", "retrieve"]
    client.close()


# --------------------------------------------------------------------------- no revise


def test_a_server_without_revise_gets_retrieve_merge_update(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    sent = Sent(client)
    contact = saved_contact(client, title="Clerk", department="Sales")
    other = make_client(crm)
    assert contact.id is not None
    other.revise({"id": contact.id, "department": "Support"})  # changed meanwhile
    crm.inject("http500", operation="revise", times=None)  # as an unknown operation answers
    sent.clear()
    contact.title = "Boss"
    contact.save()
    # revise, the check that revise is really missing, then retrieve + update
    assert sent.ops == ["revise", "revise", "retrieve", "update"]
    assert client.features.revise is False
    (element,) = sent.elements("update")
    assert element["id"] == contact.id and element["title"] == "Boss"
    assert element["department"] == "Support" and element["lastname"] == "Smith"
    assert "contact_no" not in element and "modifiedtime" not in element  # read-only
    row = stored(client, contact.id)
    assert (row["title"], row["department"]) == ("Boss", "Support")
    assert contact.department == "Support" and contact._changes() == {}
    sent.clear()
    contact.title = "Chief"
    contact.save()
    assert sent.ops == ["retrieve", "update"]  # remembered for this client
    other.close()
    client.close()


def test_update_cannot_clear_a_reference_so_it_refuses(crm: Emulator) -> None:
    client = make_client(crm)
    client.features.revise = False
    account = Accounts.objects.using(client).create(accountname="Acme", assigned_user_id="19x1")
    contact = saved_contact(client, account_id=account.id)
    sent = Sent(client)
    contact.account_id = None
    with pytest.raises(vtorm.VtormError, match="cannot clear a reference"):
        contact.save()
    assert sent.ops == []
    assert contact._changes() == {"account_id": ""}
    client.close()


def test_the_client_option_skips_revise(crm: Emulator) -> None:
    client = make_client(crm)
    client.features.revise = False
    contact = saved_contact(client)
    sent = Sent(client)
    contact.title = "Boss"
    contact.save()
    assert sent.ops == ["retrieve", "update"]
    assert contact.id is not None and stored(client, contact.id)["title"] == "Boss"
    client.close()


def test_a_passing_http500_on_revise_is_not_taken_for_a_missing_revise(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    contact = saved_contact(client)
    sent = Sent(client)
    crm.inject("http500", operation="revise", times=1)
    contact.title = "Boss"
    with pytest.raises(vtorm.ProtocolError):
        contact.save()
    assert sent.ops == ["revise", "revise"]  # the failed one, and the check
    assert client.features.revise is True  # the check found it
    assert contact._changes() == {"title": "Boss"}  # still pending
    assert isinstance(contact.in_doubt, vtorm.InDoubtError)
    with pytest.raises(vtorm.InDoubtError, match="resolve"):
        contact.save()  # refused until settled
    assert contact.resolve() is False  # read back: not carried out
    assert contact._changes() == {"title": "Boss"}
    contact.save()
    assert sent.ops == ["revise", "revise", "retrieve", "revise"]
    assert contact.id is not None and stored(client, contact.id)["title"] == "Boss"
    client.close()


def test_revise_retried_by_the_client_after_a_dropped_request(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    contact = saved_contact(client)
    sent.clear()
    crm.inject("http500", operation="revise", times=1)
    contact.title = "Boss"
    contact.save()
    assert sent.ops == ["revise", "revise"]
    assert contact.id is not None and stored(client, contact.id)["title"] == "Boss"


# --------------------------------------------------------------------------- conflicts


def test_check_conflict_refuses_a_record_changed_on_the_server(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    contact = saved_contact(client, title="Clerk")
    assert contact.id is not None
    crm.state.advance(5)  # the other write lands in a later second
    other = make_client(crm)
    other.revise({"id": contact.id, "title": "Theirs"})
    sent.clear()
    contact.title = "Mine"
    with pytest.raises(vtorm.ConflictError, match="changed on the server"):
        contact.save(check_conflict=True)
    assert sent.ops == ["retrieve"]
    assert stored(client, contact.id)["title"] == "Theirs"
    assert contact._changes() == {"title": "Mine"}
    contact.refresh()
    contact.title = "Mine"
    sent.clear()
    contact.save(check_conflict=True)
    assert sent.ops == ["retrieve", "revise"]
    assert stored(client, contact.id)["title"] == "Mine"
    other.close()


def test_check_conflict_needs_the_loaded_modifiedtime(client: vtorm.Client, sent: Sent) -> None:
    contact = saved_contact(client)
    partial = Contacts.objects.using(client).only("lastname").get(id=contact.id)
    sent.clear()
    partial.lastname = "Jones"
    with pytest.raises(vtorm.VtormError, match="without modifiedtime"):
        partial.save(check_conflict=True)
    assert sent.ops == []


# --------------------------------------------------------------------------- delete, refresh


def test_delete_removes_the_record(client: vtorm.Client, sent: Sent) -> None:
    contact = saved_contact(client)
    wsid = contact.id
    assert wsid is not None
    sent.clear()
    contact.delete()
    assert sent.ops == ["delete"]
    assert contact.id is None and contact._state.adding
    with pytest.raises(vtorm.AccessDeniedError):
        client.retrieve(wsid)
    with pytest.raises(vtorm.VtormError, match="never saved"):
        contact.delete()
    assert sent.ops == ["delete", "retrieve"]


def test_refresh_drops_local_changes_and_reads_the_server(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    contact = saved_contact(client, title="Clerk")
    assert contact.id is not None
    client.revise({"id": contact.id, "department": "Support"})
    contact.title = "Local"
    sent.clear()
    contact.refresh()
    assert sent.ops == ["retrieve"]
    assert (contact.title, contact.department) == ("Clerk", "Support")
    assert contact._changes() == {}
    with pytest.raises(vtorm.VtormError, match="never saved"):
        new_contact().refresh()


# --------------------------------------------------------------------------- bulk


def test_bulk_create_sends_one_request_per_object(client: vtorm.Client, sent: Sent) -> None:
    contacts = [new_contact(f"Bulk{i}") for i in range(30)]
    result = Contacts.objects.using(client).bulk_create(contacts, workers=4)
    assert isinstance(result, vtorm.BulkResult)
    assert result.ok and len(result.succeeded) == 30 and result.failed == []
    assert list(result) == contacts
    assert sent.ops == ["create"] * 30
    ids = {c.id for c in contacts}
    assert len(ids) == 30 and None not in ids
    assert all(c._changes() == {} for c in contacts)
    assert len(client.query("SELECT id FROM Contacts LIMIT 100;")) == 30


def test_bulk_create_reports_each_failure_and_keeps_it_pending(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    good = [new_contact(f"Ok{i}") for i in range(6)]
    bad = Contacts(firstname="NoLastName", assigned_user_id="19x1")
    crm.inject("http500", operation="create", times=1)  # one of the good ones meets it
    result = persistence.bulk_create([*good, bad], client=client, workers=3)
    assert not result.ok and len(result.failed) == 2 and len(result.succeeded) == 5
    failed = dict((id(o), e) for o, e in result.failed)
    assert isinstance(failed[id(bad)], vtorm.ValidationError)
    (hit,) = [o for o, _ in result.failed if o is not bad]
    assert isinstance(failed[id(hit)], vtorm.ProtocolError)
    assert hit.id is None and hit._state.adding
    assert sent.ops == ["create"] * 6  # nothing for the object that failed the check
    with pytest.raises(vtorm.FlushError) as caught:
        result.raise_for_failures()
    assert len(caught.value.failures) == 2
    # An empty HTTP 500 to a create is in doubt: refused until settled.
    assert hit.in_doubt is failed[id(hit)]
    refused = persistence.bulk_create([hit], client=client)
    assert isinstance(refused.failed[0][1], vtorm.InDoubtError) and sent.ops.count("create") == 6
    assert hit.resolve() is False
    again = persistence.bulk_create([hit], client=client)
    assert again.ok and hit.id is not None
    assert len(client.query("SELECT id FROM Contacts;")) == 6


def test_bulk_create_does_not_resend_a_create_whose_answer_was_lost(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    crm.inject("drop_after", operation="create", times=1)
    contacts = [new_contact(f"Lost{i}") for i in range(4)]
    result = persistence.bulk_create(contacts, client=client, workers=2)
    ((lost, error),) = result.failed
    assert isinstance(error, vtorm.TransportError)
    assert "outcome unknown" in str(error)
    assert sent.ops == ["create"] * 3  # the fourth answer was lost: no response to hook
    assert [op for op, _ in crm.calls].count("create") == 4
    assert len(client.query("SELECT id FROM Contacts;")) == 4  # created once, not twice
    assert lost.id is None


def test_bulk_create_refuses_saved_objects(client: vtorm.Client, sent: Sent) -> None:
    contact = saved_contact(client)
    sent.clear()
    with pytest.raises(vtorm.VtormError, match="already saved"):
        persistence.bulk_create([new_contact(), contact], client=client)
    assert sent.ops == []


def test_bulk_update_revises_the_changed_objects(client: vtorm.Client, sent: Sent) -> None:
    for i in range(8):
        client.create("Contacts", {"lastname": f"Up{i}", "assigned_user_id": "19x1"})
    contacts = list(Contacts.objects.using(client).order_by("lastname"))
    sent.clear()
    for contact in contacts[:5]:
        contact.title = f"T-{contact.lastname}"
        contact.department = "Changed"
    result = Contacts.objects.using(client).bulk_update(contacts, ["title"], workers=4)
    assert result.ok and len(result.succeeded) == 8
    assert sorted(sent.ops) == ["revise"] * 5
    assert all(set(e) == {"id", "title"} for e in sent.elements("revise"))
    rows = {r["lastname"]: r for r in client.query("SELECT lastname, title, department FROM "
                                                     "Contacts;")}
    assert rows["Up0"]["title"] == "T-Up0" and rows["Up0"]["department"] == ""
    assert all(c._changes() == {"department": "Changed"} for c in contacts[:5])


def test_bulk_update_reports_server_errors(client: vtorm.Client, sent: Sent) -> None:
    a, b = saved_contact(client, "A"), saved_contact(client, "B")
    client.delete(a.id or "")  # behind vtorm's back: the server refuses the revision
    sent.clear()
    a.title = "Gone"
    b.title = "Fine"
    result = persistence.bulk_update([a, b], client=client)
    ((failed, error),) = result.failed
    assert failed is a and isinstance(error, vtorm.AccessDeniedError)
    assert result.succeeded == [b]
    assert a._changes() == {"title": "Gone"}
    with pytest.raises(vtorm.VtormError, match="not saved yet"):
        persistence.bulk_update([new_contact()], client=client)


def test_emptying_a_mandatory_field_is_refused_before_sending(
    client: vtorm.Client, sent: Sent
) -> None:
    # revise would answer MANDATORY_FIELDS_MISSING: the client knows it first.
    a = saved_contact(client, "A")
    sent.clear()
    for empty in (None, "", "  "):
        a.lastname = empty
        with pytest.raises(vtorm.ValidationError) as caught:
            a.save()
        assert str(caught.value) == (
            f"Contacts {a.id}: mandatory field(s) cannot be emptied: lastname (Last Name); "
            "nothing was sent"
        )
    result = persistence.bulk_update([a], client=client)
    ((failed, error),) = result.failed
    assert failed is a and isinstance(error, vtorm.ValidationError)
    assert sent.ops == []
    a.lastname = "Kept"
    a.save()
    assert stored(client, a.id or "")["lastname"] == "Kept"


def test_an_instance_given_an_id_by_hand_revises_that_record(
    client: vtorm.Client, sent: Sent
) -> None:
    wsid = client.create("Contacts", {"lastname": "Smith", "assigned_user_id": "19x1"})["id"]
    sent.clear()
    stub = Contacts(id=wsid, title="Boss")
    stub.save()
    assert sent.elements("revise") == [{"id": wsid, "title": "Boss"}]
    assert stub.lastname == "Smith" and stub._changes() == {}  # the server's answer
    assert stored(client, wsid)["title"] == "Boss"


def test_an_unsaved_reference_is_refused_before_any_request(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = new_contact(account_id=Accounts(accountname="Acme", assigned_user_id="19x1"))
    with pytest.raises(vtorm.ValidationError, match="not saved yet"):
        contact.save()
    assert sent.ops == [] and contact.id is None


def test_refresh_keeps_a_reference_instance_the_server_confirms(client: vtorm.Client) -> None:
    account = Accounts.objects.using(client).create(accountname="Acme", assigned_user_id="19x1")
    contact = new_contact(account_id=account)
    contact.save()
    contact.title = "Local"
    contact.refresh()
    assert contact.account_id is account and contact.title is None


def test_bulk_update_refuses_a_wrong_field_name_before_sending(
    client: vtorm.Client, sent: Sent
) -> None:
    contact = saved_contact(client)
    contact.title = "Boss"
    sent.clear()
    with pytest.raises(vtorm.FieldError, match="nosuchfield"):
        persistence.bulk_update([contact], ["title", "nosuchfield"], client=client)
    assert sent.ops == []


# --------------------------------------------------------------------------- the route


def test_plan_save_decides_without_a_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vtorm.context, "_default", None)
    loaded = Contacts._from_row({"id": "12x5", "lastname": "Smith", "title": "Clerk",
                                 "modifiedtime": "2026-01-01 10:00:00"})  # fmt: skip
    assert persistence.plan_save(loaded) is None
    loaded.save()  # nothing changed: no client needed, nothing sent
    loaded.title = "Boss"
    loaded.department = "Sales"
    write = persistence.plan_save(loaded, ["title"], check_conflict=True)
    assert write is not None and write.operation == "revise"
    assert write.element == {"id": "12x5", "title": "Boss"}
    assert write.kept == {"department": "Sales"}
    assert write.modifiedtime == "2026-01-01 10:00:00"
    new = persistence.plan_save(new_contact(title="X"))
    assert new is not None and new.operation == "create"
    assert new.element == {"lastname": "Smith", "title": "X", "assigned_user_id": "19x1"}
    with pytest.raises(vtorm.VtormError, match="connect"):
        loaded.save()  # something to send, and no client to send it through


def test_run_concurrently_reports_each_outcome_in_order() -> None:
    def boom() -> int:
        raise ValueError("no")

    outcomes = persistence.run_concurrently([("a", lambda: 1), ("b", boom), ("c", lambda: 3)], 2)
    assert [(k, r) for k, r, _ in outcomes] == [("a", 1), ("b", None), ("c", 3)]
    assert isinstance(outcomes[1][2], ValueError) and outcomes[0][2] is None
    with pytest.raises(ValueError, match="workers"):
        persistence.run_concurrently([], 0)
