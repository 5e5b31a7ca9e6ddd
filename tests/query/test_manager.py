"""The manager built from the QuerySet, its writes and the unit of work, against the emulator."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import attrs
import pytest
from crm_models import Accounts, Contacts

import vtorm
from vtorm import FieldError, Manager, QuerySet
from vtorm.query import BaseManager, queryset_only


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


# --------------------------------------------------------------------------- from_queryset


def public_methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_the_manager_has_every_public_queryset_method_but_delete() -> None:
    assert issubclass(Manager, BaseManager)
    assert public_methods(QuerySet) - public_methods(Manager) == {"delete"}
    for name in public_methods(QuerySet) - {"delete"}:
        assert getattr(Manager, name).__doc__ == getattr(QuerySet, name).__doc__, name
    with pytest.raises(AttributeError):
        Contacts.objects.delete()  # type: ignore[attr-defined]
    assert repr(Contacts.objects) == "<Manager Contacts>"


def test_manager_methods_run_on_a_fresh_queryset(vtiger_client: Any) -> None:
    objects = Contacts.objects
    assert isinstance(objects.all(), QuerySet) and objects.all() is not objects.all()
    assert str(objects.filter(lastname="x").query) == str(
        objects.get_queryset().filter(lastname="x").query
    )
    through = objects.using(vtiger_client)
    assert isinstance(through, QuerySet) and through._client is vtiger_client
    assert through.count() == 0


class ContactQuerySet(QuerySet[Contacts]):
    """A user's own queryset."""

    def named(self, lastname: str) -> ContactQuerySet:
        """Contacts with this last name."""
        found = self.filter(lastname=lastname)
        assert isinstance(found, ContactQuerySet)
        return found

    @queryset_only
    def wipe(self) -> int:
        """Delete them, but only through a queryset."""
        return self.delete()


@attrs.define(kw_only=True, eq=False, slots=False)
class ManagedContacts(Contacts):
    objects: ClassVar[Any] = Manager.from_queryset(ContactQuerySet)()


@attrs.define(kw_only=True, eq=False, slots=False)
class SpecialContacts(ManagedContacts):
    pass


def test_from_queryset_builds_a_manager_of_a_users_queryset(vtiger_client: Any) -> None:
    manager_class = type(ManagedContacts.objects)
    assert manager_class.__name__ == "ManagerFromContactQuerySet"
    assert issubclass(manager_class, Manager)
    assert manager_class.named.__doc__ == "Contacts with this last name."
    assert not hasattr(manager_class, "wipe")
    objects = ManagedContacts.objects.using(vtiger_client)
    assert isinstance(objects, ContactQuerySet)
    made = objects.create(lastname="Smith", assigned_user_id="19x1")
    assert isinstance(made, ManagedContacts)
    found = ManagedContacts.objects.using(vtiger_client).named("Smith")
    assert isinstance(found.order_by("id")[:1], ContactQuerySet)
    assert [c.id for c in found] == [made.id]
    assert ManagedContacts.objects.named("Smith").model is ManagedContacts
    # Read from a subclass, the manager serves the subclass.
    assert SpecialContacts.objects.model is SpecialContacts
    assert SpecialContacts.objects.named("x").model is SpecialContacts
    assert ManagedContacts.objects.model is ManagedContacts
    assert found.wipe() == 1 and objects.count() == 0
    with pytest.raises(AttributeError, match="through the class"):
        _ = made.objects


def test_a_manager_not_on_a_model_says_so() -> None:
    loose = Manager()
    assert repr(loose) == "<Manager (no model)>"
    with pytest.raises(TypeError, match="not attached"):
        loose.filter(lastname="x")


def test_writes_live_on_querysets(vtiger_client: Any) -> None:
    objects = Contacts.objects.using(vtiger_client)
    qs = objects.filter(title="Boss")
    made, created = qs.get_or_create(lastname="Smith", defaults={"assigned_user_id": "19x1"})
    assert created and made.title is None  # the queryset's filter is not a default
    again, created = objects.get_or_create(lastname="Smith")
    assert not created and again == made
    updated, created = objects.filter(lastname="Smith").update_or_create(
        id=made.id, defaults={"title": "Boss"}
    )
    assert not created and updated == made
    assert qs.get(lastname="Smith") == made
    result = qs.bulk_create([Contacts(lastname="Jones", title="Boss", assigned_user_id="19x1")])
    assert result.ok and qs.count() == 2
