"""Generated classes work with the runtime as generated: metadata, read-only fields, managers."""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from codegen_fixtures import ROOT
from vtorm.codegen.naming import MODEL_ATTRIBUTES
from vtorm.codegen.render import render
from vtorm.codegen.source import from_dump

import vtorm
import vtorm.model
from vtorm.client import Client
from vtorm.model import Model
from vtorm.testing import Emulator


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stock() -> ModuleType:
    # The one `crm_models` other tests import, so its classes stay the registered ones.
    loaded = sys.modules.get("crm_models")
    return loaded if loaded is not None else _load(ROOT / "tests" / "crm_models.py", "crm_models")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes a test declares leave the module -> model registry as it was."""
    monkeypatch.setattr(vtorm.model, "_MODELS", dict(vtorm.model._MODELS))


def test_every_public_model_attribute_is_reserved() -> None:
    public = {name for name in dir(Model) if not name.startswith("_")}
    assert public <= MODEL_ATTRIBUTES
    # The instance API and the options class of a generated model.
    assert {"pk", "is_dirty", "dirty_fields", "Meta"} <= MODEL_ATTRIBUTES


def test_a_mandatory_field_left_empty_is_refused_before_create(stock: ModuleType) -> None:
    contacts: Any = stock.Contacts
    contact = contacts(firstname="x", assigned_user_id="19x1")
    assert contact.lastname is None
    with Emulator() as crm, Client(crm.url, crm.username, crm.access_key) as client:
        with pytest.raises(vtorm.ValidationError, match=r"without a value: lastname \(Last Name\)"):
            contact.save(client=client)
        assert [op for op, _ in crm.calls if op == "create"] == []
        contact.lastname = "Smith"
        contact.save(client=client)
        assert contact.id is not None and contact.id.startswith("12x")


def test_metadata_reaches_the_runtime(stock: ModuleType) -> None:
    contacts: Any = stock.Contacts
    assert Model in contacts.__mro__
    assert attrs.has(stock.Contacts)
    meta = contacts._meta
    assert meta.module == "Contacts" and meta.id_prefix == "12"
    assert meta.label_fields == ("firstname", "lastname")
    lastname = meta.fields["lastname"]
    assert (lastname.wire, lastname.type, lastname.mandatory, lastname.label) == (
        "lastname",
        "string",
        True,
        "Last Name",
    )
    assert meta.fields["leadsource"].picklist[:2] == ("Cold Call", "Existing Customer")
    assert meta.fields["account_id"].refers_to == ("Accounts",)
    assert meta.fields["contact_no"].read_only
    invoice: Any = stock.Invoice
    assert invoice._meta.by_wire["shipping_&_handling"].attr == "shipping_handling"
    assert invoice._meta.fields["shipping_handling_shtax1"].default == "4.500"
    # Not editable on the server, so not assignable on the instance.
    contact = contacts(lastname="Smith", assigned_user_id="19x1")
    refused = (
        r"^Contacts\.contact_no \(Contact Id\) is read-only: the CRM sets it and ignores any "
        r"value sent, so it cannot be assigned \(tried 'CON9'\)$"
    )
    with pytest.raises(vtorm.FieldError, match=refused) as caught:
        contact.contact_no = "CON9"  # type: ignore[misc]
    assert isinstance(caught.value, AttributeError)  # as attrs' frozen fields, and Python's
    assert contact.contact_no is None
    contact.title = "Boss"
    assert contact.title == "Boss"


def test_manager_api_on_generated_classes(stock: ModuleType) -> None:
    contacts: Any = stock.Contacts
    qs = contacts.objects.filter(lastname__like="Sm%").order_by("email")[:50]
    assert (
        str(qs.query) == "SELECT * FROM Contacts WHERE lastname LIKE 'Sm%' ORDER BY email LIMIT 50;"
    )


def test_records_come_back_as_generated_instances(stock: ModuleType) -> None:
    contacts: Any = stock.Contacts
    with Emulator() as crm:
        client = Client(crm.url, crm.username, crm.access_key)
        created = client.create(
            "Contacts",
            {"lastname": "Smith", "birthday": "1980-02-03", "assigned_user_id": "19x1"},
        )
        found = list(contacts.objects.using(client).filter(lastname="Smith"))
        client.close()
    assert [type(obj) for obj in found] == [contacts]
    assert found[0].id == created["id"]
    assert found[0].birthday == datetime.date(1980, 2, 3)


def test_hostile_module_imports_and_keeps_wire_names(
    hostile_dump: Path, tmp_path: Path, registry: None
) -> None:
    path = tmp_path / "hostile_models.py"
    path.write_text(render(from_dump(hostile_dump), date=datetime.date(2026, 1, 1)), "utf-8")
    module = _load(path, "codegen_test_hostile_models")
    klass: Any = module.class_
    assert klass._meta.module == "class"
    by_wire = klass._meta.by_wire
    assert by_wire["first name"].attr == "first_name_2"
    assert by_wire["class"].attr == "class__"
    assert by_wire["objects"].attr == "objects_"
    # A field named like the options class or a Model attribute leaves them alone.
    assert by_wire["Meta"].attr == "Meta_"
    assert by_wire["pk"].attr == "pk_"
    assert klass.Meta.module == "class"
    obj = klass(class__="x", first_name_2="y", objects_="z", save_="s")
    assert obj._changes()["first name"] == "y"
    assert obj._changes()["class"] == "x"
    # The Model attributes are still the Model's.
    assert callable(obj.save) and klass.objects.model is klass
    assert module.My_Mod._meta.module == "My Mod"
    assert module.My_Mod_2._meta.module == "My-Mod"
