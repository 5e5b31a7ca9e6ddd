"""Writes in doubt: never sent again by vtorm, refused until settled, settled by resolve().

The emulator's faults make the two cases: ``drop_after`` carries the write out
and loses the answer; ``html`` answers a page and writes nothing. Either way
the outcome is unknown to the client.
"""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Accounts, Contacts
from recording import Sent, make_client

import vtorm
from vtorm.testing import Emulator


def named(client: vtorm.Client, lastname: str) -> list[dict[str, Any]]:
    return client.query(f"SELECT id, title FROM Contacts WHERE lastname = '{lastname}';")


def creates(crm: Emulator) -> int:
    return [op for op, _ in crm.calls].count("create")


def test_a_create_carried_out_whose_answer_was_lost_is_found_by_resolve(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    contact = Contacts(lastname="Lost", firstname="Ann", title="CEO", assigned_user_id="19x1")
    crm.inject("drop_after", operation="create", times=1)
    with pytest.raises(vtorm.InDoubtError) as caught:
        contact.save()
    error = caught.value
    assert isinstance(error, vtorm.ConnectionLost)  # what it is caused by, too
    assert error.instance is contact and contact.in_doubt is error
    assert error.element == {"lastname": "Lost", "firstname": "Ann", "title": "CEO",
                             "assigned_user_id": "19x1"}
    assert contact.id is None and creates(crm) == 1
    sent.clear()
    with pytest.raises(vtorm.InDoubtError, match="resolve"):
        contact.save()  # a second save does not create again
    assert sent.ops == [] and creates(crm) == 1
    assert contact.resolve() is True
    (row,) = named(client, "Lost")
    assert contact.id == row["id"] and contact.in_doubt is None and not contact.is_dirty()
    contact.title = "CFO"
    contact.save()  # now a revision of the record found
    assert named(client, "Lost") == [{"id": contact.id, "title": "CFO"}]
    assert creates(crm) == 1


def test_a_create_answered_with_a_page_and_not_carried_out_is_created_after_resolve(
    client: vtorm.Client, crm: Emulator
) -> None:
    crm.inject("html", operation="create", times=1)
    with pytest.raises(vtorm.InDoubtError) as caught:
        Contacts.objects.create(lastname="Paged", assigned_user_id="19x1")
    contact = caught.value.instance
    assert isinstance(contact, Contacts) and isinstance(caught.value, vtorm.ProtocolError)
    assert str(caught.value).count("(HTTP 200, body: ") == 1  # said once, not per layer
    assert creates(crm) == 1  # an HTTP 200 page to a write: not retried
    assert contact.resolve() is False
    contact.save()
    assert len(named(client, "Paged")) == 1 and contact.id is not None


def test_resolve_with_an_id_or_a_verdict(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("drop_after", operation="create", times=2)
    first = Contacts(lastname="Twin", assigned_user_id="19x1")
    second = Contacts(lastname="Twin", assigned_user_id="19x1")
    for contact in (first, second):
        with pytest.raises(vtorm.InDoubtError):
            contact.save()
    # Two records look like either create: resolve() does not guess.
    with pytest.raises(vtorm.InDoubtError, match="2 records look like it") as caught:
        first.resolve()
    ids = sorted((r["id"] for r in named(client, "Twin")), key=lambda i: int(i[3:]))
    assert all(i in str(caught.value) for i in ids)
    assert first.in_doubt is not None
    assert first.resolve(ids[0]) is True and first.id == ids[0]
    assert second.resolve(ids[1]) is True and second.id == ids[1]
    with pytest.raises(vtorm.ValidationError, match="not a Contacts id"):
        Contacts(lastname="x").resolve("11x1")
    third = Contacts(lastname="Third", assigned_user_id="19x1")
    crm.inject("html", operation="create", times=1)
    with pytest.raises(vtorm.InDoubtError):
        third.save()
    assert third.resolve(carried_out=False) is False and third.in_doubt is None
    third.save()
    assert len(named(client, "Third")) == 1
    assert third.resolve() is True  # nothing in doubt: whether it is saved


def test_a_revision_in_doubt_is_read_back(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    contact = Contacts(lastname="Rev", title="Old", assigned_user_id="19x1")
    contact.save(client=client)
    contact.title = "New"
    crm.inject("drop_after", operation="revise", times=1)
    with pytest.raises(vtorm.InDoubtError):
        contact.save()
    with pytest.raises(vtorm.InDoubtError):
        contact.delete()  # any write waits
    assert contact.resolve() is True  # carried out
    assert not contact.is_dirty() and contact.title == "New"
    contact.title = "Newer"
    crm.inject("html", operation="revise", times=1)
    with pytest.raises(vtorm.InDoubtError):
        contact.save()
    assert contact.resolve() is False and contact.dirty_fields == ["title"]
    contact.save()
    assert named(client, "Rev")[0]["title"] == "Newer"
    client.close()


def test_a_delete_in_doubt_is_read_back(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    gone, kept = (Contacts(lastname=n, assigned_user_id="19x1") for n in ("Gone", "Kept"))
    gone.save(client=client)
    kept.save(client=client)
    crm.inject("drop_after", operation="delete", times=1)
    with pytest.raises(vtorm.InDoubtError):
        gone.delete()
    assert gone.resolve() is True and gone.id is None
    crm.inject("html", operation="delete", times=1)
    with pytest.raises(vtorm.InDoubtError):
        kept.delete()
    assert kept.resolve() is False and kept.id is not None
    kept.delete()
    assert named(client, "Gone") == named(client, "Kept") == []
    client.close()


def test_a_lost_delete_answer_is_retried_and_done(client: vtorm.Client, crm: Emulator) -> None:
    contact = Contacts(lastname="Once", assigned_user_id="19x1")
    contact.save()
    crm.inject("drop_after", operation="delete", times=1)
    contact.delete()  # retried: the record is gone, so it was done
    assert contact.in_doubt is None and named(client, "Once") == []


def test_bulk_create_marks_the_object_in_doubt_and_refuses_it_until_resolved(
    client: vtorm.Client, crm: Emulator
) -> None:
    crm.inject("drop_after", operation="create", times=1)
    objs = [Contacts(lastname=f"Bulk{i}", assigned_user_id="19x1") for i in range(3)]
    result = Contacts.objects.bulk_create(objs, workers=1)
    ((lost, error),) = result.failed
    assert isinstance(error, vtorm.InDoubtError) and lost.in_doubt is error
    again = Contacts.objects.bulk_create([lost])
    assert isinstance(again.failed[0][1], vtorm.InDoubtError) and creates(crm) == 3
    assert lost.resolve() is True and lost.id is not None
    assert len(client.query("SELECT id FROM Contacts;")) == 3


def test_queryset_update_and_delete_name_what_is_in_doubt(
    client: vtorm.Client, crm: Emulator
) -> None:
    for name in ("U1", "U2", "U3"):
        Contacts(lastname=name, assigned_user_id="19x1").save()
    qs = Contacts.objects.filter(lastname__startswith="U")
    crm.inject("html", operation="revise", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        qs.update(title="T", workers=1)
    ((stub, error),) = caught.value.failures
    assert isinstance(error, vtorm.InDoubtError) and stub.in_doubt is error
    assert [op for op, _ in crm.calls].count("revise") == 3  # none sent twice
    crm.inject("html", operation="delete", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        qs.delete(workers=1)
    ((stub, error),) = caught.value.failures
    assert isinstance(error, vtorm.InDoubtError) and error.operation == "delete"
    assert [op for op, _ in crm.calls].count("delete") == 3


def test_a_unit_of_work_puts_writes_in_doubt_aside_until_resolved(
    crm: Emulator,
) -> None:
    client = make_client(crm, max_retries=0)
    setup = [Contacts(lastname=n, assigned_user_id="19x1") for n in ("R", "D")]
    for obj in setup:
        obj.save(client=client)
    uow = vtorm.UnitOfWork(client, workers=1)
    revised = uow.get(Contacts, setup[0].id or "")
    deleted = uow.get(Contacts, setup[1].id or "")
    revised.title = "Boss"
    uow.delete(deleted)
    account = Accounts(accountname="Doubt Inc", assigned_user_id="19x1")
    uow.add(account)
    crm.inject("drop_after", operation="create", times=1)
    crm.inject("html", operation="revise", times=1)
    crm.inject("drop_after", operation="delete", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    assert {type(e).__mro__[1] for _, e in caught.value.failures} == {vtorm.InDoubtError}
    assert {id(o) for o in uow.in_doubt} == {id(account), id(revised), id(deleted)}
    assert repr(uow).endswith(", 3 in doubt>")
    counts = [op for op, _ in crm.calls]
    uow.commit()  # nothing in doubt is sent again
    assert [op for op, _ in crm.calls] == counts
    assert account.resolve() is True and account.id is not None
    assert revised.resolve() is False  # the page came before any write
    assert deleted.resolve() is True and deleted.id is None
    assert uow.in_doubt == [] and uow.dirty == [revised] and uow.new == []
    uow.commit()
    assert client.retrieve(revised.id or "")["title"] == "Boss"
    assert [op for op, _ in crm.calls].count("create") == 3  # R, D, and the account once
    client.close()


def test_adding_an_object_in_doubt_again_sends_it_as_it_is(client: vtorm.Client,
                                                           crm: Emulator) -> None:
    uow = vtorm.UnitOfWork(client)
    contact = Contacts(lastname="Again", assigned_user_id="19x1")
    uow.add(contact)
    crm.inject("html", operation="create", times=1)
    with pytest.raises(vtorm.FlushError):
        uow.commit()
    assert uow.in_doubt == [contact] and contact.in_doubt is not None
    uow.add(contact)  # the caller checked: send it again
    assert contact.in_doubt is None and uow.in_doubt == []
    uow.commit()
    assert len(named(client, "Again")) == 1
