"""The manager's writes and the unit of work, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Accounts, Contacts

import vtorm
from vtorm import FieldError, Manager, QuerySet


def test_objects_is_a_manager_of_the_class(vtiger_client: Any) -> None:
    assert isinstance(Contacts.objects, Manager)
    assert Contacts.objects.model is Contacts
    assert isinstance(Contacts.objects.filter(lastname="x"), QuerySet)
    with pytest.raises(AttributeError):
        _ = Contacts(lastname="x").objects


def test_create_then_read_back(vtiger_client: Any) -> None:
    objects = Contacts.objects.using(vtiger_client)
    made = objects.create(lastname="O'Brien", firstname="Seán", assigned_user_id="19x1")
    assert made.id and made.id.startswith("12x")
    found = objects.get(id=made.id)
    assert (found.lastname, found.firstname) == ("O'Brien", "Seán")
    assert objects.filter(firstname="sean").count() == 1  # accents and case ignored


def test_get_or_create_and_update_or_create(vtiger_client: Any, counter: Any) -> None:
    objects = Contacts.objects.using(vtiger_client)
    first, created = objects.get_or_create(
        lastname="Smith", defaults={"firstname": "John", "assigned_user_id": "19x1"}
    )
    assert created and first.firstname == "John"
    again, created = objects.get_or_create(lastname="Smith", defaults={"firstname": "Other"})
    assert not created and again.id == first.id and again.firstname == "John"

    updated, created = objects.update_or_create(
        lastname="Smith", defaults={"title": "CTO"}
    )
    assert not created and updated.id == first.id
    assert objects.get(id=first.id).title == "CTO"

    made, created = objects.update_or_create(
        lastname__iexact="Jones", defaults={"lastname": "Jones", "assigned_user_id": "19x1"}
    )
    assert created and objects.get(lastname="jones").id == made.id
    assert objects.count() == 2


def test_bulk_create_and_bulk_update(vtiger_client: Any) -> None:
    objects = Contacts.objects.using(vtiger_client)
    people = [Contacts(lastname=f"Bulk {n}", assigned_user_id="19x1") for n in range(12)]
    result = objects.bulk_create(people, workers=4)
    assert result.ok and all(p.id for p in people)
    for p in people:
        p.title = "Dev"
    assert objects.bulk_update(people, ["title"]).ok
    assert objects.filter(title="Dev").count() == 12
    assert objects.order_by("lastname")[:3].count() == 3


def test_reference_filters_take_instances(vtiger_client: Any) -> None:
    acme = Accounts.objects.using(vtiger_client).create(
        accountname="Acme", assigned_user_id="19x1"
    )
    objects = Contacts.objects.using(vtiger_client)
    objects.create(lastname="A", account_id=acme, assigned_user_id="19x1")
    objects.create(lastname="B", assigned_user_id="19x1")
    assert [c.lastname for c in objects.filter(account_id=acme)] == ["A"]
    assert [c.lastname for c in objects.filter(account_id=acme.id)] == ["A"]
    with pytest.raises(vtorm.ValidationError, match="Accounts"):
        objects.filter(account_id="12x1")  # a Contacts id cannot be an account


def test_loaded_objects_join_the_unit_of_work(vtiger_client: Any) -> None:
    objects = Contacts.objects.using(vtiger_client)
    made = objects.create(lastname="Solo", assigned_user_id="19x1")
    with vtorm.UnitOfWork(vtiger_client):
        one = objects.get(id=made.id)
        one.title = "changed, not saved"
        two = objects.filter(lastname="Solo").first()
        three = next(iter(objects.all()))
        assert one is two is three
        assert two.title == "changed, not saved"
    outside = objects.get(id=made.id)
    assert outside is not one


def test_unknown_names_in_writes_are_caught(vtiger_client: Any) -> None:
    with pytest.raises(FieldError):
        Contacts.objects.using(vtiger_client).get_or_create(nosuch="x")
