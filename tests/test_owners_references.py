"""References are checked before a write: a missing target is refused, never sent.

Stock 8.4 saves a record whose reference names no record (a typo, a deleted
account) and reads the reference back as empty: the link is lost without an
error. The emulator does the same, so these tests see what would reach a server.
"""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Accounts, Contacts
from recording import Sent, make_client

import vtorm
from vtorm import owners
from vtorm.testing import Emulator


def contacts(client: vtorm.Client) -> list[dict[str, Any]]:
    return client.query("SELECT id, lastname, account_id FROM Contacts;")


def test_the_server_would_drop_a_reference_to_no_record(client: vtorm.Client) -> None:
    # Why the check exists: sent as it is, the reference is lost and nothing says so.
    row = client.create(
        "Contacts", {"lastname": "Raw", "account_id": "11x99999", "assigned_user_id": "19x1"}
    )
    assert row["account_id"] is None


def test_a_reference_to_no_record_is_refused_before_sending(
    client: vtorm.Client, sent: Sent
) -> None:
    sent.clear()
    with pytest.raises(vtorm.ValidationError) as caught:
        Contacts(lastname="Lee", account_id="11x99999", assigned_user_id="19x1").save()
    assert str(caught.value) == (
        "Contacts.account_id: '11x99999' is no Accounts record this client can see "
        "(deleted, or never existed); nothing was sent (8.4 would save the record with "
        "the reference empty, without an error)"
    )
    assert sent.ops == ["retrieve"]
    assert contacts(client) == []


def test_a_deleted_target_is_refused_on_every_write_path(client: vtorm.Client, sent: Sent) -> None:
    gone = Accounts(accountname="Gone", assigned_user_id="19x1")
    gone.save()
    gone_id = gone.id
    kept = Contacts(lastname="Kept", assigned_user_id="19x1")
    kept.save()
    gone.delete()  # seen when created, forgotten when deleted
    sent.clear()
    kept.account_id = gone_id
    with pytest.raises(vtorm.ValidationError, match="is no Accounts record"):
        kept.save()  # a revision
    with pytest.raises(vtorm.ValidationError, match="is no Accounts record"):
        Contacts.objects.create(lastname="New", account_id=gone_id, assigned_user_id="19x1")
    with pytest.raises(vtorm.ValidationError, match="is no Accounts record"):
        Contacts.objects.filter(lastname="Kept").update(account_id=gone_id)
    result = Contacts.objects.bulk_create(
        [Contacts(lastname="Ok", assigned_user_id="19x1"),
         Contacts(lastname="Bad", account_id=gone_id, assigned_user_id="19x1")]
    )  # fmt: skip
    ((bad, error),) = result.failed
    assert bad.lastname == "Bad" and isinstance(error, vtorm.ValidationError)
    with pytest.raises(vtorm.FlushError) as caught, vtorm.UnitOfWork(client) as uow:
        uow.add(Contacts(lastname="Uow", account_id=gone_id, assigned_user_id="19x1"))
    ((_, error),) = caught.value.failures
    assert isinstance(error, vtorm.ValidationError)
    assert "revise" not in sent.ops and sent.ops.count("create") == 1  # "Ok" only
    assert sorted(r["lastname"] for r in contacts(client)) == ["Kept", "Ok"]


def test_records_found_are_asked_about_once_in_a_while(crm: Emulator) -> None:
    client = make_client(crm)
    acme = client.create("Accounts", {"accountname": "Acme", "assigned_user_id": "19x1"})
    sent = Sent(client)
    Contacts.objects.using(client).bulk_create(
        [Contacts(lastname=f"C{n}", account_id=acme["id"], assigned_user_id="19x1")
         for n in range(5)],
        workers=1,
    )  # fmt: skip
    assert sent.ops == ["retrieve"] + ["create"] * 5
    owners.directory(client).forget()
    Contacts(lastname="Later", account_id=acme["id"], assigned_user_id="19x1").save(client=client)
    assert sent.ops[6:] == ["retrieve", "create"]


def test_a_record_created_through_vtorm_needs_no_lookup(client: vtorm.Client, sent: Sent) -> None:
    sent.clear()
    with vtorm.UnitOfWork(client) as uow:
        acme = Accounts(accountname="Initrode", assigned_user_id="19x1")
        uow.add(Contacts(lastname="Lumbergh", account_id=acme, assigned_user_id="19x1"))
    assert sent.ops == ["create", "create"]
    (row,) = contacts(client)
    assert row["account_id"] == acme.id


def test_clearing_a_reference_is_not_looked_up(client: vtorm.Client, sent: Sent) -> None:
    acme = Accounts(accountname="Acme", assigned_user_id="19x1")
    acme.save()
    lee = Contacts(lastname="Lee", account_id=acme, assigned_user_id="19x1")
    lee.save()
    sent.clear()
    lee.account_id = None
    lee.save()
    assert sent.ops == ["revise"]
    assert contacts(client)[0]["account_id"] is None


def test_a_found_record_is_asked_again_after_a_while(
    client: vtorm.Client, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = client.create("Accounts", {"accountname": "Acme", "assigned_user_id": "19x1"})
    found = owners.directory(client)
    assert found.exists(acme["id"]) is True
    client.delete(acme["id"])
    sent.clear()
    assert found.exists(acme["id"]) is True  # remembered
    assert sent.ops == []
    monkeypatch.setattr(owners, "REMEMBER_SECONDS", 0.0)
    assert found.exists(acme["id"]) is False
    assert sent.ops == ["retrieve"]
