"""Saving and the unit of work against a real CRM."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pytest
from crm_models import Accounts, Contacts, Potentials
from live_support import Marked, require_crm

import vtorm

require_crm()
pytestmark = pytest.mark.live


def test_save_creates_then_revises_only_what_changed(
    live_client: vtorm.Client, marked: Marked
) -> None:
    contact = Contacts(lastname=marked.name("Saved"), assigned_user_id=marked.owner, title="Buyer")
    contact.save(client=live_client)
    assert contact.id is not None and contact.contact_no
    marked.track(contact.id)
    contact.department = "Sales"
    contact.save()
    stored = live_client.retrieve(contact.id)
    assert (stored["department"], stored["title"]) == ("Sales", "Buyer")
    contact.title = None  # clears it
    contact.save()
    contact.refresh()
    assert contact.title is None and contact.department == "Sales"
    contact.delete()
    assert contact.id is None
    with pytest.raises(vtorm.AccessDeniedError):
        live_client.retrieve(str(stored["id"]))


def test_the_server_computes_what_it_computes(live_client: vtorm.Client, marked: Marked) -> None:
    deal = Potentials(
        potentialname=marked.name("Deal"),
        assigned_user_id=marked.owner,
        sales_stage="Prospecting",
        closingdate=datetime.date(2027, 1, 31),
        amount=Decimal("99.99"),
        probability=Decimal("12.5"),
    )
    deal.save(client=live_client)
    marked.track(str(deal.id))
    assert deal.forecast_amount == Decimal("12.50")
    deal.probability = Decimal("50")
    deal.save()
    assert deal.forecast_amount == Decimal("50.00")


def test_manager_create_get_or_create_update_or_create(
    live_client: vtorm.Client, marked: Marked
) -> None:
    objects = Accounts.objects.using(live_client)
    name = marked.name("Managed Co")
    first = objects.create(accountname=name, assigned_user_id=marked.owner)
    marked.track(str(first.id))
    same, created = objects.get_or_create(
        accountname=name, defaults={"assigned_user_id": marked.owner}
    )
    assert (same.id, created) == (first.id, False)
    updated, created = objects.update_or_create(
        accountname=name, defaults={"website": "managed.example"}
    )
    assert (updated.id, created) == (first.id, False)
    assert live_client.retrieve(str(first.id))["website"] == "managed.example"


def test_a_duplicate_name_is_refused_on_save(live_client: vtorm.Client, marked: Marked) -> None:
    name = marked.name("Once Co")
    first = Accounts(accountname=name, assigned_user_id=marked.owner)
    first.save(client=live_client)
    marked.track(str(first.id))
    second = Accounts(accountname=name + "  ", assigned_user_id=marked.owner)
    with pytest.raises(vtorm.DuplicateError):
        second.save(client=live_client)
    assert second.id is None


def test_bulk_create_and_bulk_update(live_client: vtorm.Client, marked: Marked) -> None:
    people = [
        Contacts(lastname=marked.name(f"Bulk {n}"), assigned_user_id=marked.owner)
        for n in range(12)
    ]
    created = Contacts.objects.using(live_client).bulk_create(people, workers=4)
    created.raise_for_failures()
    for person in people:
        marked.track(str(person.id))
        person.title = "Bulk"
    updated = Contacts.objects.using(live_client).bulk_update(people, ["title"], workers=4)
    updated.raise_for_failures()
    rows = live_client.query(
        f"SELECT title FROM Contacts WHERE lastname LIKE 'Bulk % {marked.marker}';"
    )
    assert sorted(row["id"] for row in rows) == sorted(str(p.id) for p in people)
    assert {row["title"] for row in rows} == {"Bulk"}


def test_unit_of_work_creates_in_reference_order_then_revises_and_deletes(
    live_client: vtorm.Client, marked: Marked
) -> None:
    old = Contacts(lastname=marked.name("Old"), assigned_user_id=marked.owner)
    old.save(client=live_client)
    marked.track(str(old.id))
    with vtorm.UnitOfWork(live_client) as uow:
        acme = Accounts(accountname=marked.name("UoW Co"), assigned_user_id=marked.owner)
        ann = Contacts(lastname=marked.name("Ann"), account_id=acme, assigned_user_id=marked.owner)
        uow.add(ann)
        kept = uow.get(Contacts, str(old.id))
        assert uow.get(Contacts, str(old.id)) is kept
        kept.title = "Moved"
    for made in (acme, ann):
        marked.track(str(made.id))
    assert live_client.retrieve(str(ann.id))["account_id"] == acme.id
    assert live_client.retrieve(str(old.id))["title"] == "Moved"
    with vtorm.UnitOfWork(live_client) as uow:
        uow.delete(uow.get(Contacts, str(ann.id)))
    with pytest.raises(vtorm.AccessDeniedError):
        live_client.retrieve(str(ann.id))


def test_check_conflict_sees_a_write_made_meanwhile(
    live_client: vtorm.Client, marked: Marked
) -> None:
    contact = Contacts(lastname=marked.name("Contended"), assigned_user_id=marked.owner)
    contact.save(client=live_client)
    marked.track(str(contact.id))
    time.sleep(1.1)  # modifiedtime counts whole seconds
    live_client.revise({"id": contact.id, "title": "Theirs"})
    contact.title = "Mine"
    with pytest.raises(vtorm.ConflictError):
        contact.save(check_conflict=True)
    assert live_client.retrieve(str(contact.id))["title"] == "Theirs"
