"""Owners are checked before a write: a missing one is refused, never sent.

Stock 8.4 carries out a write naming an owner that does not exist, stores the
owner as a bare number and answers 'Sorry! Attempt to access restricted
file.'; an owner written as a bare number silently becomes the logged-in
user. The emulator does both, so these tests see what would reach a server.
"""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Contacts
from recording import Sent, make_client

import vtorm
from vtorm.owners import directory
from vtorm.testing import Emulator


def contacts(client: vtorm.Client) -> list[dict[str, Any]]:
    return client.query("SELECT id, lastname, assigned_user_id FROM Contacts;")


@pytest.mark.parametrize("owner", ["19x424242", "20x999", "12x1"])
def test_an_owner_that_is_no_user_or_group_is_refused_before_sending(
    client: vtorm.Client, sent: Sent, owner: str
) -> None:
    sent.clear()
    with pytest.raises(vtorm.ValidationError) as caught:
        Contacts(lastname="Own", assigned_user_id=owner).save()
    message = str(caught.value)
    assert "Contacts.assigned_user_id" in message and repr(owner) in message
    assert "nothing was sent" in message
    assert "create" not in sent.ops
    assert contacts(client) == []


@pytest.mark.parametrize("owner", ["1", 1, "424242", True])
def test_a_bare_number_is_refused_naming_field_and_value(
    client: vtorm.Client, sent: Sent, owner: Any
) -> None:
    sent.clear()
    with pytest.raises(vtorm.ValidationError) as caught:
        Contacts(lastname="Own", assigned_user_id=owner).save()
    assert "assigned_user_id" in str(caught.value) and repr(owner) in str(caught.value)
    assert sent.ops == []
    with pytest.raises(vtorm.ValidationError, match="assigned_user_id"):
        Contacts.objects.all().update(assigned_user_id=owner)
    assert sent.ops == []


def test_users_and_groups_are_accepted_and_asked_about_once_per_client(
    crm: Emulator,
) -> None:
    client = make_client(crm)
    sent = Sent(client)
    for name, owner in [("A", "19x1"), ("B", "20x3"), ("C", "20x3"), ("D", "20x2")]:
        Contacts(lastname=name, assigned_user_id=owner).save(client=client)
    # the logged-in user is known; each group is retrieved once
    assert sent.ops == ["create", "retrieve", "create", "create", "retrieve", "create"]
    assert [r["assigned_user_id"] for r in contacts(client)] == ["19x1", "20x3", "20x3", "20x2"]
    other = make_client(crm)  # a cache per client
    other_sent = Sent(other)
    Contacts(lastname="E", assigned_user_id="20x3").save(client=other)
    assert other_sent.ops == ["retrieve", "create"]
    directory(other).forget()
    Contacts(lastname="F", assigned_user_id="20x3").save(client=other)
    assert other_sent.ops[2:] == ["retrieve", "create"]


def test_every_write_path_checks_the_owner(client: vtorm.Client, sent: Sent) -> None:
    saved = Contacts(lastname="Kept", assigned_user_id="19x1")
    saved.save()
    sent.clear()
    saved.assigned_user_id = "19x424242"
    with pytest.raises(vtorm.ValidationError, match="19x424242"):
        saved.save()  # a revision
    with pytest.raises(vtorm.ValidationError, match="19x424242"):
        Contacts.objects.create(lastname="New", assigned_user_id="19x424242")
    result = Contacts.objects.bulk_create(
        [Contacts(lastname="Ok", assigned_user_id="19x1"),
         Contacts(lastname="Bad", assigned_user_id="19x424242")]
    )
    ((bad, error),) = result.failed
    assert bad.lastname == "Bad" and isinstance(error, vtorm.ValidationError)
    with pytest.raises(vtorm.ValidationError, match="19x424242"):
        Contacts.objects.filter(lastname="Kept").update(assigned_user_id="19x424242")
    with pytest.raises(vtorm.FlushError) as caught, vtorm.UnitOfWork(client) as uow:
        uow.add(Contacts(lastname="Uow", assigned_user_id="20x999"))
    ((_, error),) = caught.value.failures
    assert isinstance(error, vtorm.ValidationError) and "20x999" in str(error)
    assert "revise" not in sent.ops and sent.ops.count("create") == 1  # "Ok" only
    assert sorted(r["lastname"] for r in contacts(client)) == ["Kept", "Ok"]
    assert {r["assigned_user_id"] for r in contacts(client)} == {"19x1"}


def test_a_missing_owner_the_server_took_is_in_doubt_and_not_sent_again(
    client: vtorm.Client, crm: Emulator
) -> None:
    # Past the check (sent as it is): 8.4 writes the record, then answers text.
    with pytest.raises(vtorm.InDoubtError) as caught:
        client.create("Contacts", {"lastname": "Own Rpduda", "assigned_user_id": "19x424242"})
    error = caught.value
    assert isinstance(error, vtorm.ProtocolError) and error.status == 200
    assert "restricted file" in error.excerpt
    assert error.operation == "create"
    assert error.element == {"lastname": "Own Rpduda", "assigned_user_id": "19x424242"}
    assert [op for op, _ in crm.calls].count("create") == 1  # not sent again
    assert [(r["lastname"], r["assigned_user_id"]) for r in contacts(client)] == [
        ("Own Rpduda", "424242")
    ]
