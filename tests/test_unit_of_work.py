"""``vtorm.UnitOfWork`` against the embedded CRM: identity map, ordered commit, faults."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from crm_models import Accounts, Contacts
from recording import InFlight, Sent, make_client

import vtorm
from vtorm.context import active_unit_of_work
from vtorm.testing import Emulator


def server_calls(crm: Emulator, operation: str) -> int:
    """Requests that reached the server (a dropped one has no response to hook)."""
    return [op for op, _ in crm.calls].count(operation)


def contact_row(client: vtorm.Client, lastname: str, **fields: Any) -> dict[str, Any]:
    return client.create("Contacts", {"lastname": lastname, "assigned_user_id": "19x1", **fields})


def named(client: vtorm.Client, lastname: str) -> list[dict[str, Any]]:
    return client.query(f"SELECT id, account_id FROM Contacts WHERE lastname = '{lastname}';")


# --------------------------------------------------------------------------- identity map


def test_one_record_is_one_object(client: vtorm.Client, sent: Sent) -> None:
    wsid = contact_row(client, "Smith")["id"]
    sent.clear()
    with vtorm.UnitOfWork(client) as uow:
        assert active_unit_of_work() is uow
        first = uow.get(Contacts, wsid)
        assert uow.get(Contacts, wsid) is first
        assert sent.ops == ["retrieve"]
        queried = Contacts.objects.using(client).get(lastname="Smith")
        listed = list(Contacts.objects.using(client).all())
        assert queried is first and listed == [first]
    assert active_unit_of_work() is None
    outside = Contacts.objects.using(client).get(lastname="Smith")
    assert outside is not first


def test_a_record_loaded_again_keeps_its_unsaved_changes(client: vtorm.Client) -> None:
    wsid = contact_row(client, "Smith", title="Clerk")["id"]
    with vtorm.UnitOfWork(client) as uow:
        partial = Contacts.objects.using(client).only("lastname").get(id=wsid)
        partial.lastname = "Jones"
        full = Contacts.objects.using(client).get(id=wsid)
        assert full is partial
        assert full.lastname == "Jones"  # the pending change wins
        assert full.title == "Clerk"  # a field it had not loaded is filled in
        assert uow.dirty == [full]
    assert client.retrieve(wsid)["lastname"] == "Jones"


def test_get_of_a_missing_record_raises_does_not_exist(client: vtorm.Client) -> None:
    with vtorm.UnitOfWork(client) as uow:
        with pytest.raises(Contacts.DoesNotExist):
            uow.get(Contacts, "12x999999")
        with pytest.raises(Contacts.DoesNotExist):
            uow.get(Contacts, "11x1")


def test_the_active_unit_of_work_belongs_to_its_thread(client: vtorm.Client) -> None:
    seen: list[object] = []
    with vtorm.UnitOfWork(client):
        thread = threading.Thread(target=lambda: seen.append(active_unit_of_work()))
        thread.start()
        thread.join()
    assert seen == [None]


# --------------------------------------------------------------------------- commit order


def test_new_objects_are_created_in_reference_order(client: vtorm.Client, sent: Sent) -> None:
    with vtorm.UnitOfWork(client) as uow:
        parent = Accounts(accountname="Parent", assigned_user_id="19x1")
        account = Accounts(accountname="Acme", account_id=parent, assigned_user_id="19x1")
        contact = Contacts(lastname="Smith", account_id=account, assigned_user_id="19x1")
        uow.add(contact)  # the accounts come along
        assert sent.ops == []
    creates = sent.elements("create")
    assert [e.get("accountname") or e.get("lastname") for e in creates] == [
        "Parent", "Acme", "Smith"
    ]
    assert parent.id is not None and account.id is not None and contact.id is not None
    assert creates[1]["account_id"] == parent.id
    assert creates[2]["account_id"] == account.id
    assert contact.account_id is account  # the instance stays, now saved
    assert sent.ops == ["create"] * 3
    assert client.retrieve(contact.id)["account_id"] == account.id


def test_independent_creates_all_happen(client: vtorm.Client, sent: Sent) -> None:
    with vtorm.UnitOfWork(client, workers=4) as uow:
        accounts = [Accounts(accountname=f"A{i}", assigned_user_id="19x1") for i in range(6)]
        contacts = [
            Contacts(lastname=f"C{i}", account_id=accounts[i % 6], assigned_user_id="19x1")
            for i in range(12)
        ]
        uow.add(*contacts)
    assert sent.ops == ["create"] * 18
    for contact in contacts:
        assert contact.id is not None
        account = contact.account_id
        assert isinstance(account, Accounts) and account.id is not None
        assert client.retrieve(contact.id)["account_id"] == account.id


def test_a_cycle_of_new_objects_raises_before_sending(client: vtorm.Client, sent: Sent) -> None:
    uow = vtorm.UnitOfWork(client)
    a = Contacts(lastname="A", assigned_user_id="19x1")
    b = Contacts(lastname="B", contact_id=a, assigned_user_id="19x1")
    a.contact_id = b
    uow.add(a)
    with pytest.raises(vtorm.VtormError, match="cycle") as caught:
        uow.commit()
    assert "contact_id" in str(caught.value)
    assert sent.ops == []


def test_commit_revises_changed_objects_then_deletes(client: vtorm.Client, sent: Sent) -> None:
    for name in ("Keep", "Change", "Drop"):
        contact_row(client, name, title="Old")
    sent.clear()
    with vtorm.UnitOfWork(client) as uow:
        rows = {c.lastname: c for c in Contacts.objects.using(client).all()}
        rows["Change"].title = "New"
        rows["Drop"].title = "Ignored"  # deleted anyway: not revised
        uow.delete(rows["Drop"])
        dropped = rows["Drop"].id
        assert uow.deleted == [rows["Drop"]]
    assert [op for op in sent.ops if op != "query"] == ["revise", "delete"]
    assert sent.elements("revise") == [{"id": rows["Change"].id, "title": "New"}]
    assert {r["lastname"] for r in client.query("SELECT lastname FROM Contacts;")} == {
        "Keep", "Change"
    }
    assert dropped is not None and rows["Drop"].id is None
    assert uow.deleted == [] and uow.dirty == []


def test_leaving_with_an_exception_sends_nothing(client: vtorm.Client, sent: Sent) -> None:
    wsid = contact_row(client, "Smith")["id"]
    sent.clear()
    with pytest.raises(RuntimeError), vtorm.UnitOfWork(client) as uow:
        contact = uow.get(Contacts, wsid)
        contact.title = "Never"
        uow.add(Contacts(lastname="Never", assigned_user_id="19x1"))
        uow.delete(contact)
        raise RuntimeError("boom")
    assert sent.ops == ["retrieve"]
    assert contact._changes() == {"title": "Never"}  # still pending on the object
    assert active_unit_of_work() is None


def test_an_unsaved_object_deleted_is_just_dropped(client: vtorm.Client, sent: Sent) -> None:
    with vtorm.UnitOfWork(client) as uow:
        ghost = Contacts(lastname="Ghost", assigned_user_id="19x1")
        uow.add(ghost)
        uow.delete(ghost)
    assert sent.ops == []


def test_adding_a_second_object_of_a_loaded_record_is_refused(client: vtorm.Client) -> None:
    wsid = contact_row(client, "Smith")["id"]
    stranger = Contacts.objects.using(client).get(id=wsid)  # loaded outside the block
    with vtorm.UnitOfWork(client) as uow:
        uow.get(Contacts, wsid)
        with pytest.raises(vtorm.VtormError, match="already in this unit of work"):
            uow.add(stranger)


# --------------------------------------------------------------------------- failures


def test_a_failed_object_is_reported_stays_dirty_and_can_be_committed_again(
    client: vtorm.Client, sent: Sent
) -> None:
    wsids = [
        client.create("Accounts", {"accountname": name, "assigned_user_id": "19x1"})["id"]
        for name in ("Good", "Bad", "Taken")
    ]
    uow = vtorm.UnitOfWork(client)
    good, bad = (uow.get(Accounts, w) for w in wsids[:2])
    good.website = "good.example"
    bad.accountname = "taken"  # the server's duplicate prevention refuses it
    sent.clear()
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    ((failed, error),) = caught.value.failures
    assert failed is bad and isinstance(error, vtorm.DuplicateError)
    assert error.code == "0"
    assert client.retrieve(wsids[0])["website"] == "good.example"
    assert uow.dirty == [bad]
    bad.accountname = "Fixed"
    sent.clear()
    uow.commit()
    assert sent.elements("revise") == [{"id": wsids[1], "accountname": "Fixed"}]
    assert uow.dirty == []


def test_an_object_whose_reference_failed_is_not_sent(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    uow = vtorm.UnitOfWork(client, workers=1)  # so the account's create comes first
    account = Accounts(accountname="Acme", assigned_user_id="19x1")
    contact = Contacts(lastname="Smith", account_id=account, assigned_user_id="19x1")
    other = Contacts(lastname="Other", assigned_user_id="19x1")
    uow.add(contact, other)
    crm.inject("http500", operation="create", times=1)  # the first create: the account
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    failures = dict((id(o), e) for o, e in caught.value.failures)
    assert set(failures) == {id(account), id(contact)}
    assert isinstance(failures[id(account)], vtorm.ProtocolError)
    assert "was not sent" in str(failures[id(contact)])
    assert "account_id" in str(failures[id(contact)])
    assert other.id is not None and contact.id is None and account.id is None
    assert server_calls(crm, "create") == 2  # the account's, then Other's; never Smith's
    # An empty HTTP 500 to a create is in doubt: put aside until resolved.
    assert isinstance(failures[id(account)], vtorm.InDoubtError)
    assert uow.in_doubt == [account] and account.in_doubt is failures[id(account)]
    with pytest.raises(vtorm.FlushError):  # Smith still waits for its account
        uow.commit()
    assert server_calls(crm, "create") == 2
    assert account.resolve() is False  # looked up: not created
    assert uow.in_doubt == [] and uow.new == [contact, account]
    uow.commit()  # the failed ones were kept
    assert account.id is not None and contact.id is not None
    assert client.retrieve(contact.id)["account_id"] == account.id
    assert server_calls(crm, "create") == 4


def test_a_dropped_create_is_reported_and_sent_again_only_when_added_again(
    client: vtorm.Client, crm: Emulator
) -> None:
    uow = vtorm.UnitOfWork(client)
    contact = Contacts(lastname="Dropped", assigned_user_id="19x1")
    uow.add(contact)
    crm.inject("drop", operation="create", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    ((failed, error),) = caught.value.failures
    assert failed is contact and isinstance(error, vtorm.TransportError)
    assert "outcome unknown" in str(error)
    assert uow.in_doubt == [contact] and uow.new == []
    uow.commit()  # not sent again by itself
    assert server_calls(crm, "create") == 1
    assert named(client, "Dropped") == []  # the drop came before the server acted
    uow.add(contact)  # checked: it is not there, so send it again
    uow.commit()
    assert contact.id is not None and len(named(client, "Dropped")) == 1
    assert server_calls(crm, "create") == 2


def test_a_create_whose_answer_was_lost_is_never_created_twice(
    client: vtorm.Client, crm: Emulator
) -> None:
    crm.inject("drop_after", operation="create", times=1)
    with pytest.raises(vtorm.FlushError) as caught, vtorm.UnitOfWork(client) as uow:
        contact = Contacts(lastname="Lost", assigned_user_id="19x1")
        referrer = Contacts(lastname="Referrer", contact_id=contact, assigned_user_id="19x1")
        uow.add(referrer)
    failures = dict((id(o), e) for o, e in caught.value.failures)
    assert "outcome unknown" in str(failures[id(contact)])
    assert "was not sent" in str(failures[id(referrer)])
    assert len(named(client, "Lost")) == 1 and named(client, "Referrer") == []
    with pytest.raises(vtorm.FlushError):  # the referrer still waits for it
        uow.commit()
    assert server_calls(crm, "create") == 1
    assert len(named(client, "Lost")) == 1


def test_an_http500_on_revise_is_retried_by_the_client(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    wsid = contact_row(client, "Smith")["id"]
    crm.inject("http500", operation="revise", times=1)
    sent.clear()
    with vtorm.UnitOfWork(client) as uow:
        uow.get(Contacts, wsid).title = "Boss"
    assert sent.ops == ["retrieve", "revise", "revise"]
    assert client.retrieve(wsid)["title"] == "Boss"


def test_an_http500_on_revise_without_retries_fails_that_object_only(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    first, second = (contact_row(client, n)["id"] for n in ("One", "Two"))
    uow = vtorm.UnitOfWork(client, workers=1)
    one, two = uow.get(Contacts, first), uow.get(Contacts, second)
    one.title = two.title = "Boss"
    crm.inject("http500", operation="revise", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    ((failed, error),) = caught.value.failures
    assert isinstance(error, vtorm.ProtocolError) and isinstance(error, vtorm.InDoubtError)
    assert uow.dirty == [failed] and uow.in_doubt == [failed]
    uow.commit()  # left alone while in doubt
    assert client.retrieve(failed.id)["title"] != "Boss"
    assert failed.resolve() is False  # read back: not carried out, still changed
    assert uow.dirty == [failed] and uow.in_doubt == []
    uow.commit()
    assert client.retrieve(first)["title"] == client.retrieve(second)["title"] == "Boss"
    client.close()


def test_a_failed_delete_is_kept(client: vtorm.Client, crm: Emulator) -> None:
    wsid = contact_row(client, "Smith")["id"]
    uow = vtorm.UnitOfWork(client)
    contact = uow.get(Contacts, wsid)
    uow.delete(contact)
    client.delete(wsid)  # gone already: the server denies access
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    ((failed, error),) = caught.value.failures
    assert failed is contact and isinstance(error, vtorm.AccessDeniedError)
    assert uow.deleted == [contact]


def test_check_conflict_option(client: vtorm.Client, crm: Emulator) -> None:
    wsid = contact_row(client, "Smith", title="Clerk")["id"]
    uow = vtorm.UnitOfWork(client, check_conflict=True)
    contact = uow.get(Contacts, wsid)
    crm.state.advance(5)  # the other write lands in a later second
    client.revise({"id": wsid, "title": "Theirs"})
    contact.title = "Mine"
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    ((_, error),) = caught.value.failures
    assert isinstance(error, vtorm.ConflictError)
    assert client.retrieve(wsid)["title"] == "Theirs"


def test_objects_saved_inside_the_block_join_the_identity_map(client: vtorm.Client) -> None:
    with vtorm.UnitOfWork(client) as uow:
        saved = Contacts(lastname="Saved", assigned_user_id="19x1")
        saved.save()
        created = Contacts.objects.using(client).create(lastname="Made", assigned_user_id="19x1")
        bulk = [Contacts(lastname=f"Bulk{i}", assigned_user_id="19x1") for i in range(3)]
        assert Contacts.objects.using(client).bulk_create(bulk, workers=2).ok
        loaded = {c.lastname: c for c in Contacts.objects.using(client).all()}
        assert loaded["Saved"] is saved and loaded["Made"] is created
        assert [loaded[f"Bulk{i}"] for i in range(3)] == bulk
        assert all(loaded[f"Bulk{i}"] is bulk[i] for i in range(3))
        assert uow.dirty == []


def test_a_pending_new_object_saved_meanwhile_is_not_created_twice(
    client: vtorm.Client, sent: Sent
) -> None:
    uow = vtorm.UnitOfWork(client)
    contact = Contacts(lastname="Once", assigned_user_id="19x1")
    uow.add(contact)
    contact.save()
    contact.title = "Later"
    uow.commit()
    assert sent.ops == ["create", "revise"]
    assert len(named(client, "Once")) == 1


def test_independent_requests_of_a_commit_run_concurrently(
    client: vtorm.Client, crm: Emulator
) -> None:
    wsids = [contact_row(client, f"Old{i}")["id"] for i in range(4)]
    crm.inject("delay", operation=None, times=None, delay=0.2)
    flight = InFlight(client)
    with vtorm.UnitOfWork(client, workers=4) as uow:
        for wsid in wsids:
            uow.get(Contacts, wsid).title = "New"
        uow.add(*(Contacts(lastname=f"New{i}", assigned_user_id="19x1") for i in range(4)))
        assert flight.most == 1  # the four gets, one after another
    assert flight.most >= 2
    crm.clear_faults()
    assert {r["title"] for r in client.query("SELECT title FROM Contacts WHERE lastname "
                                             "LIKE 'Old%';")} == {"New"}
    assert len(client.query("SELECT id FROM Contacts WHERE lastname LIKE 'New%';")) == 4


def test_a_single_worker_sends_one_request_at_a_time(client: vtorm.Client, crm: Emulator) -> None:
    crm.inject("delay", operation="create", times=None, delay=0.05)
    flight = InFlight(client)
    with vtorm.UnitOfWork(client, workers=1) as uow:
        uow.add(*(Contacts(lastname=f"One{i}", assigned_user_id="19x1") for i in range(3)))
    assert flight.most == 1
    assert len(client.query("SELECT id FROM Contacts;")) == 3


def test_a_chain_behind_a_failed_create_is_reported_link_by_link(
    client: vtorm.Client, crm: Emulator
) -> None:
    uow = vtorm.UnitOfWork(client)
    account = Accounts(accountname="Acme", assigned_user_id="19x1")
    boss = Contacts(lastname="Boss", account_id=account, assigned_user_id="19x1")
    clerk = Contacts(lastname="Clerk", contact_id=boss, assigned_user_id="19x1")
    uow.add(clerk)
    crm.inject("http500", operation="create", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    failures = [(o, str(e)) for o, e in caught.value.failures]
    assert [o for o, _ in failures] == [account, boss, clerk]
    assert "account_id" in failures[1][1] and "contact_id" in failures[2][1]
    assert server_calls(crm, "create") == 1
    assert not account.resolve()
    uow.commit()
    assert clerk.id is not None and client.retrieve(clerk.id)["contact_id"] == boss.id


def test_new_objects_are_tracked_by_identity_though_saving_changes_their_hash(
    client: vtorm.Client,
) -> None:
    a, b = (Contacts(lastname=n, assigned_user_id="19x1") for n in ("A", "B"))
    assert a != b  # unsaved: each equals only itself
    with vtorm.UnitOfWork(client) as uow:
        uow.add(a, b, a)
        assert uow.new == [a, b]
    assert a.id is not None and b.id is not None and a != b
    assert uow.get(Contacts, a.id) is a and uow.get(Contacts, b.id) is b


def test_objects_that_cannot_be_sent_fail_alone_before_their_request(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    wsids = [contact_row(client, name)["id"] for name in ("Bad", "Good")]
    uow = vtorm.UnitOfWork(client)
    bad, good = (uow.get(Contacts, w) for w in wsids)
    bad.birthday = "next week"  # type: ignore[assignment]
    good.title = "Fine"
    nameless = Contacts(firstname="NoLastName", assigned_user_id="19x1")
    fine = Contacts(lastname="Fine", assigned_user_id="19x1")
    uow.add(nameless, fine)
    sent.clear()
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    failures = dict((id(o), e) for o, e in caught.value.failures)
    assert set(failures) == {id(bad), id(nameless)}
    assert "birthday" in str(failures[id(bad)]) and "lastname" in str(failures[id(nameless)])
    assert sorted(sent.ops) == ["create", "revise"]  # fine's and good's only
    assert fine.id is not None and client.retrieve(wsids[1])["title"] == "Fine"
    assert uow.new == [nameless] and uow.dirty == [bad]


def test_a_loaded_object_referring_to_a_failed_create_is_not_sent(
    client: vtorm.Client, crm: Emulator, sent: Sent
) -> None:
    wsid = contact_row(client, "Smith")["id"]
    uow = vtorm.UnitOfWork(client)
    contact = uow.get(Contacts, wsid)
    account = Accounts(accountname="Acme", assigned_user_id="19x1")
    contact.account_id = account
    crm.inject("http500", operation="create", times=1)
    sent.clear()
    with pytest.raises(vtorm.FlushError) as caught:
        uow.commit()
    failures = dict((id(o), e) for o, e in caught.value.failures)
    assert set(failures) == {id(account), id(contact)}
    assert "was not sent" in str(failures[id(contact)])
    assert "account_id" in str(failures[id(contact)])
    assert "revise" not in sent.ops
    assert account.resolve(carried_out=False) is False
    uow.commit()
    assert client.retrieve(wsid)["account_id"] == account.id
