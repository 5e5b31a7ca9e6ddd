"""The runtime of generated model classes (vtorm.model)."""

from __future__ import annotations

import datetime
import json
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from models_fixture import WIDGET_ROW, Organizations, People, Widgets

import vtorm
from vtorm import FieldInfo, Manager, Model, ValidationError, field
from vtorm.errors import MultipleObjectsReturned, ObjectDoesNotExist
from vtorm.model import ModelMeta, ModelState, model_for_module

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
UTC = datetime.timezone.utc



def loaded_widget(**changes: Any) -> Widgets:
    return Widgets._from_row(dict(WIDGET_ROW, **changes), None)


# --------------------------------------------------------------------------- the class


def test_generated_shape_is_an_attrs_class_with_keyword_arguments() -> None:
    widget = Widgets(name="Gear", quantity=3)
    assert widget.name == "Gear"
    assert widget.quantity == 3
    assert widget.id is None
    assert widget.notes is None
    with pytest.raises(TypeError):
        Widgets("Gear")  # type: ignore[call-arg]
    # Last: attrs.has() narrows the class to AttrsInstance for the checker.
    assert attrs.has(Model)
    assert attrs.has(Widgets)


def test_exports() -> None:
    assert vtorm.Model is Model
    assert vtorm.field is field
    assert vtorm.FieldInfo is FieldInfo
    assert {"Model", "field", "FieldInfo"} <= set(vtorm.__all__)


def test_meta_lists_fields_in_declaration_order_with_id() -> None:
    meta = Widgets._meta
    assert isinstance(meta, ModelMeta)
    assert meta is Widgets._meta
    assert meta.model is Widgets
    assert meta.module == "Widgets"
    assert meta.id_prefix == "80"
    assert meta.label_fields == ("name", "widget_no")
    names = list(meta.fields)
    assert names[:3] == ["id", "name", "notes"]
    assert names[-1] == "class_"
    assert "_state" not in names
    assert meta.by_wire["class"] is meta.fields["class_"]
    assert meta.fields["class_"].attr == "class_"
    assert meta.fields["class_"].wire == "class"
    assert meta.fields["id"].read_only
    assert Organizations._meta.fields.keys() == {"id", "orgname", "org_no", "assigned_user_id"}


def test_field_info_carries_the_describe_flags() -> None:
    status = Widgets._meta.fields["status"]
    assert status == FieldInfo(
        attr="status",
        wire="status",
        type="picklist",
        label="Status",
        picklist=("New", "Used", "Broken"),
    )
    assert not status.read_only
    org = Widgets._meta.fields["org_id"]
    assert org.refers_to == ("Organizations",)
    name = Widgets._meta.fields["name"]
    assert name.mandatory
    assert not name.nullable
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        name.mandatory = False  # type: ignore[misc]


def test_each_model_has_its_own_exceptions() -> None:
    assert issubclass(Widgets.DoesNotExist, ObjectDoesNotExist)
    assert issubclass(Widgets.MultipleObjectsReturned, MultipleObjectsReturned)
    assert Widgets.DoesNotExist is not Organizations.DoesNotExist
    assert not issubclass(Widgets.DoesNotExist, Organizations.DoesNotExist)
    assert Widgets.DoesNotExist.__qualname__ == "Widgets.DoesNotExist"
    with pytest.raises(ObjectDoesNotExist):
        raise Widgets.DoesNotExist("no widget")


def test_objects_is_a_manager_of_the_class() -> None:
    manager = Widgets.objects
    assert isinstance(manager, Manager)
    assert manager.model is Widgets
    assert Organizations.objects.model is Organizations
    with pytest.raises(AttributeError):
        _ = Widgets(name="x").objects


def test_module_registry() -> None:
    assert model_for_module("Widgets") is Widgets
    assert model_for_module("Nowhere") is None


# --------------------------------------------------------------------------- options


def test_options_are_declared_in_an_inner_meta_class() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class Gadgets(Model):
        class Meta:
            module = "Gadget Things"
            id_prefix = "77"
            label_fields = ["name"]  # noqa: RUF012 (any sequence of names)

        name: str | None = field("name", "string")

    meta = Gadgets._meta
    assert (meta.module, meta.id_prefix, meta.label_fields) == ("Gadget Things", "77", ("name",))
    assert model_for_module("Gadget Things") is Gadgets
    assert repr(Gadgets._from_row({"id": "77x1", "name": "Zap"})) == "<Gadgets 77x1 'Zap'>"
    assert not hasattr(Gadgets, "__module_name__")


def test_a_model_without_options_is_named_after_its_class() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class Plain(Model):
        name: str | None = field("name", "string")

    assert (Plain._meta.module, Plain._meta.id_prefix, Plain._meta.label_fields) == (
        "Plain", "", ()
    )
    assert model_for_module("Plain") is None  # only a declared module is registered


def test_a_subclass_inherits_the_options_it_does_not_declare() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class Base(Model):
        class Meta:
            module = "Bases"
            id_prefix = "78"
            label_fields = ("name",)

        name: str | None = field("name", "string")
        code: str | None = field("code", "string")

    @attrs.define(kw_only=True, eq=False, slots=False)
    class Same(Base):
        pass

    @attrs.define(kw_only=True, eq=False, slots=False)
    class Coded(Base):
        class Meta:
            label_fields = ("code",)

    assert (Same._meta.module, Same._meta.id_prefix, Same._meta.label_fields) == (
        "Bases", "78", ("name",)
    )
    assert (Coded._meta.module, Coded._meta.id_prefix, Coded._meta.label_fields) == (
        "Bases", "78", ("code",)
    )
    assert model_for_module("Bases") is Base  # a subclass does not take the module's place


def test_the_old_dunder_options_still_work_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"__module_name__.*class Meta") as caught:

        @attrs.define(kw_only=True, eq=False, slots=False)
        class Legacy(Model):
            __module_name__ = "Legacies"
            __id_prefix__ = "79"
            __label_fields__ = ("name",)

            name: str | None = field("name", "string")

    assert caught[0].filename == __file__  # points at the class statement
    assert (Legacy._meta.module, Legacy._meta.id_prefix, Legacy._meta.label_fields) == (
        "Legacies", "79", ("name",)
    )
    assert model_for_module("Legacies") is Legacy


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"Meta": type("Meta", (), {"table": "x"})}, ["unknown option", "table"]),
        ({"Meta": type("Meta", (), {"module": ""})}, ["Meta.module"]),
        ({"Meta": type("Meta", (), {"id_prefix": 12})}, ["Meta.id_prefix", "12"]),
        ({"Meta": type("Meta", (), {"id_prefix": "1x"})}, ["Meta.id_prefix"]),
        ({"Meta": type("Meta", (), {"label_fields": "name"})}, ["Meta.label_fields"]),
        ({"Meta": object()}, ["must be a class"]),
        ({"Meta": type("Meta", (), {"module": "A"}), "__module_name__": "A"},
         ["twice", "__module_name__"]),
    ],
)  # fmt: skip
def test_wrong_options_are_refused_when_the_class_is_made(
    body: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(TypeError) as caught:
        type("Broken", (Model,), body)
    assert all(word in str(caught.value) for word in words)


# --------------------------------------------------------------------------- identity


def test_instances_of_one_record_are_equal_and_hash_alike() -> None:
    one = Widgets._from_row({"id": "80x3", "name": "Gear"}, None)
    two = Widgets._from_row({"id": "80x3", "name": "Changed"}, None)
    other = Widgets._from_row({"id": "80x4", "name": "Gear"}, None)
    assert one == two and hash(one) == hash(two)
    assert one != other
    assert {one, two, other} == {one, other} and len({one, two, other}) == 2
    assert {one: "a"}[two] == "a"
    assert one != "80x3" and one != WIDGET_ROW
    assert one.pk == "80x3" == one.id


def test_the_same_id_in_another_module_is_another_record() -> None:
    widget = Widgets._from_row({"id": "80x3"}, None)
    org = Organizations._from_row({"id": "80x3"}, None)  # impossible on a server, but
    assert widget != org


def test_a_subclass_instance_of_the_same_record_is_equal() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class SpecialWidgets(Widgets):
        pass

    assert SpecialWidgets._from_row({"id": "80x3"}, None) == Widgets._from_row({"id": "80x3"})


def test_unsaved_instances_equal_only_themselves() -> None:
    a, b = Widgets(name="Same"), Widgets(name="Same")
    assert a == a and a != b
    assert len({a, b}) == 2
    assert a.pk is None
    assert a != Widgets._from_row({"id": "80x3", "name": "Same"}, None)
    with pytest.raises(AttributeError):
        a.pk = "80x1"  # type: ignore[misc]


# --------------------------------------------------------------------------- loading


def test_from_row_builds_a_clean_instance() -> None:
    client: Any = object()
    widget = Widgets._from_row(WIDGET_ROW, client)
    assert isinstance(widget, Widgets)
    assert widget.id == "80x3"
    assert widget.notes is None
    assert widget.website is None
    assert widget.quantity == 7
    assert widget.price == Decimal("1234.5")
    assert widget.active is True
    assert widget.due == datetime.date(2026, 12, 24)
    assert widget.stamp == datetime.datetime(2026, 11, 29, 2, 1, 11, tzinfo=UTC)
    assert widget.interests == ["Sports", "Books"]
    assert widget.keywords is None
    assert widget.class_ == "A"
    state = widget._state
    assert isinstance(state, ModelState)
    assert state.client is client
    assert state.adding is False
    assert state.loaded is WIDGET_ROW
    assert widget._changes() == {}


def test_partial_rows_leave_the_rest_none_and_out_of_the_snapshot() -> None:
    widget = Widgets._from_row({"id": "80x4", "name": "Half"}, None)
    assert widget.quantity is None
    assert widget.createdtime is None
    assert widget._changes() == {}
    widget.quantity = 5
    assert widget._changes() == {"quantity": "5"}


def test_new_instances_start_adding_and_report_every_set_editable_field() -> None:
    widget = Widgets(
        name="New", quantity=0, active=False, interests=["Music"], widget_no="W9",
        org_id="81x1", assigned_user_id="19x1",
    )  # fmt: skip
    assert widget._state.adding
    assert widget._state.loaded == {}
    assert widget._changes() == {
        "name": "New",
        "quantity": "0",
        "active": "0",
        "interests": "Music",
        "org_id": "81x1",
        "assigned_user_id": "19x1",
    }


# --------------------------------------------------------------------------- dirty tracking


def test_assigning_changes_only_that_field() -> None:
    widget = loaded_widget()
    widget.name = "Cog"
    widget.active = False
    assert widget._changes() == {"name": "Cog", "active": "0"}


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("price", Decimal("1234.5")),
        ("price", Decimal("1234.50")),
        ("quantity", 7),
        ("active", True),
        ("active", 1),
        ("stamp", datetime.datetime(2026, 11, 29, 3, 1, 11, tzinfo=datetime.timezone(
            datetime.timedelta(hours=1)))),
        ("interests", ["Sports", "Books"]),
        ("org_id", "81x5"),
        ("notes", None),
        ("notes", ""),
        ("keywords", []),
        ("name", "Gear"),
    ],
)  # fmt: skip
def test_assigning_an_equal_value_is_no_change(attr: str, value: Any) -> None:
    widget = loaded_widget()
    setattr(widget, attr, value)
    assert widget._changes() == {}


def test_dirty_fields_and_is_dirty_name_what_save_would_send() -> None:
    widget = loaded_widget()
    assert widget.dirty_fields == [] and not widget.is_dirty()
    widget.quantity = 7  # the loaded value again
    assert not widget.is_dirty()
    widget.status = "New"
    widget.name = "Cog"
    assert widget.dirty_fields == ["name", "status"]  # in declaration order
    assert widget.is_dirty()
    widget.class_ = "B"
    assert widget.dirty_fields == ["name", "status", "class_"]  # attribute names
    assert set(widget._changes()) == {"name", "status", "class"}  # wire names


def test_a_value_that_cannot_be_sent_is_dirty() -> None:
    widget = loaded_widget()
    widget.quantity = "many"  # type: ignore[assignment]
    assert widget.dirty_fields == ["quantity"] and widget.is_dirty()
    with pytest.raises(ValidationError, match="quantity"):
        widget._changes()


def test_a_new_instance_is_dirty_in_the_fields_it_sets() -> None:
    assert not Widgets().is_dirty()
    widget = Widgets(name="New", quantity=0, widget_no="W1")
    assert widget.dirty_fields == ["name", "quantity"]  # widget_no is read-only


def test_a_multipicklist_mutated_in_place_is_a_change() -> None:
    widget = loaded_widget()
    assert widget.interests is not None
    widget.interests.append("Music")
    assert widget._changes() == {"interests": "Sports |##| Books |##| Music"}
    widget.interests.remove("Music")
    assert widget._changes() == {}


def test_clearing_a_field_sends_the_empty_string() -> None:
    widget = loaded_widget()
    widget.quantity = None
    widget.org_id = None
    assert widget._changes() == {"quantity": "", "org_id": ""}


def test_a_saved_instance_as_reference_is_its_id() -> None:
    widget = loaded_widget()
    org = Organizations._from_row({"id": "81x5", "orgname": "Acme"}, None)
    widget.org_id = org
    assert widget._changes() == {}
    other = Organizations._from_row({"id": "81x6", "orgname": "Other"}, None)
    widget.org_id = other
    assert widget._changes() == {"org_id": "81x6"}


def test_read_only_fields_are_frozen_and_never_reported() -> None:
    widget = loaded_widget()
    with pytest.raises(AttributeError):
        widget.widget_no = "other"
    with pytest.raises(AttributeError):
        widget.createdtime = datetime.datetime.now(UTC)
    with pytest.raises(AttributeError):
        widget.id = "80x9"
    assert widget.widget_no == "WID3"
    assert widget._changes() == {}


def test_a_misspelt_attribute_is_refused_not_silently_kept() -> None:
    # Python would make a new attribute that save() never sends: the change would be lost.
    widget = loaded_widget()
    with pytest.raises(vtorm.FieldError) as caught:
        widget.quantty = 7  # type: ignore[attr-defined]
    assert str(caught.value) == (
        "Widgets has no field 'quantty' (did you mean 'quantity'?): an attribute of another "
        "name would never be saved (tried 7)"
    )
    assert isinstance(caught.value, AttributeError)
    assert "quantty" not in vars(widget)
    assert widget._changes() == {}


def test_private_names_class_attributes_and_attrs_attributes_may_be_set() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class Tagged(Widgets):
        note: str = ""  # an attrs attribute of the user's own, not a CRM field
        seen: ClassVar[int] = 0

    tagged = Tagged(name="Gear")
    tagged.note = "mine"
    tagged.seen = 1  # type: ignore[misc]
    tagged._cache = {}  # type: ignore[attr-defined]
    tagged.save = lambda: None  # type: ignore[method-assign]  # as mock.patch.object does
    tagged.name = "Cog"
    assert (tagged.note, tagged.name) == ("mine", "Cog")
    assert tagged._changes() == {"name": "Cog"}


def test_mark_clean_takes_the_server_row() -> None:
    widget = Widgets(name="New", quantity=2, assigned_user_id="19x1")
    row = dict(WIDGET_ROW, id="80x10", name="New", quantity="2", widget_no="WID10")
    widget._mark_clean(row)
    assert widget.id == "80x10"
    assert widget.widget_no == "WID10"
    assert widget.price == Decimal("1234.5")
    assert widget._state.adding is False
    assert widget._changes() == {}
    widget._mark_clean({"quantity": "3", "createdtime": "2026-12-01 00:00:00"})
    assert widget.quantity == 3
    assert widget.name == "New"
    assert widget.createdtime == datetime.datetime(2026, 12, 1, tzinfo=UTC)
    assert widget._changes() == {}


def test_mark_clean_keeps_a_referenced_instance_it_confirms() -> None:
    widget = loaded_widget()
    org = Organizations._from_row({"id": "81x6", "orgname": "Acme"}, None)
    widget.org_id = org
    widget._mark_clean({"org_id": "81x6"})
    assert widget.org_id is org
    widget._mark_clean({"org_id": "81x7"})
    assert widget.org_id == "81x7"  # type: ignore[comparison-overlap]


# --------------------------------------------------------------------------- references


def test_unsaved_references_are_pending_and_refused_on_the_wire() -> None:
    org = Organizations(orgname="Acme", assigned_user_id="19x1")
    person = People(lastname="Smith")
    widget = Widgets(name="W", org_id=org, party_id=person, assigned_user_id="19x1")
    assert widget._pending_references() == {"org_id": org, "party_id": person}
    with pytest.raises(ValidationError, match=r"Widgets\.org_id"):
        widget._changes()
    with pytest.raises(ValidationError, match=r"Widgets\.party_id"):
        widget._to_wire(["party_id"])
    org._mark_clean({"id": "81x2", "orgname": "Acme"})
    person._mark_clean({"id": "82x3", "lastname": "Smith"})
    assert widget._pending_references() == {}
    assert widget._changes()["org_id"] == "81x2"
    assert widget._changes()["party_id"] == "82x3"


def test_a_reference_to_a_module_the_field_does_not_allow_is_refused() -> None:
    widget = loaded_widget()
    widget.org_id = People._from_row({"id": "82x3", "lastname": "Smith"}, None)  # type: ignore[assignment]
    with pytest.raises(ValidationError, match="Organizations"):
        widget._changes()
    widget.org_id = "82x3"
    with pytest.raises(ValidationError, match="82x3"):
        widget._changes()


def test_to_wire_of_named_and_of_all_set_fields() -> None:
    widget = loaded_widget()
    assert widget._to_wire(["price", "interests", "class"]) == {
        "price": "1234.50000000",
        "interests": "Sports |##| Books",
        "class": "A",
    }
    everything = widget._to_wire()
    assert everything["id"] == "80x3"
    assert everything["widget_no"] == "WID3"
    assert "notes" not in everything
    with pytest.raises(vtorm.FieldError):
        widget._to_wire(["nope"])


# --------------------------------------------------------------------------- repr


def test_repr_shows_class_id_and_label_fields() -> None:
    assert repr(loaded_widget()) == "<Widgets 80x3 'Gear WID3'>"
    assert repr(Widgets(name="Cog")) == "<Widgets unsaved 'Cog'>"
    assert repr(Widgets()) == "<Widgets unsaved>"
    assert repr(People(firstname="Ann", lastname="Lee")) == "<People unsaved 'Ann Lee'>"


def test_repr_is_never_huge() -> None:
    text = repr(Widgets(name="x" * 10_000, notes="y" * 10_000))
    assert len(text) < 100
    assert text.endswith("...'>")


def test_a_subclass_keeps_its_own_repr() -> None:
    @attrs.define(kw_only=True, eq=False, slots=False)
    class Gadgets(Widgets):
        def __repr__(self) -> str:
            return "gadget"

    @attrs.define(kw_only=True, eq=False, slots=False)
    class Gizmos(Widgets):
        pass

    assert repr(Gadgets(name="g")) == "gadget"
    assert repr(Gizmos(name="g")) == "<Gizmos unsaved 'g'>"
    assert issubclass(Gizmos.DoesNotExist, Widgets.DoesNotExist)


def test_recorded_contact_loads_into_the_generated_class() -> None:
    from crm_models import Contacts

    row = json.loads((RECORDED / "retrieve-success-Contacts.json").read_text())["result"]
    contact = Contacts._from_row(row, None)
    assert repr(contact) == "<Contacts 12x8 'John Smith'>"
    assert contact.birthday == datetime.date(1980, 5, 17)
    assert contact.account_id == "11x2"
    assert contact.contact_id is None
    assert contact.donotcall is False
    assert contact.mobile is None
    assert contact._changes() == {}


# --------------------------------------------------------------------------- over HTTP


def test_round_trip_through_the_embedded_crm(vtiger_client: Any) -> None:
    from crm_models import Accounts, Contacts

    account = Accounts(accountname="Acme & Sons", assigned_user_id="19x1")
    account._mark_clean(vtiger_client.create("Accounts", account._changes()))
    assert account.id is not None
    assert account.id.startswith(Accounts._meta.id_prefix + "x")

    contact = Contacts(
        lastname="O'Brien",
        firstname="Zoë",
        birthday=datetime.date(1980, 2, 29),
        donotcall=True,
        account_id=account,
        assigned_user_id="19x1",
    )
    contact._mark_clean(vtiger_client.create("Contacts", contact._changes()))
    assert contact.id is not None
    assert contact.account_id is account
    assert contact._changes() == {}
    assert contact.createdtime is not None
    assert contact.createdtime.tzinfo is not None

    again = Contacts._from_row(vtiger_client.retrieve(contact.id), vtiger_client)
    same_client = again._state.client is vtiger_client
    assert same_client
    for name in ("lastname", "firstname", "birthday", "donotcall", "createdtime"):
        assert getattr(again, name) == getattr(contact, name)
    assert again.account_id == account.id

    again.donotcall = False
    again.birthday = None
    assert again._changes() == {"donotcall": "0", "birthday": ""}
    again._mark_clean(vtiger_client.revise({"id": again.id, **again._changes()}))
    assert again._changes() == {}
    stored = Contacts._from_row(vtiger_client.retrieve(contact.id), None)
    assert stored.donotcall is False
    assert stored.birthday is None


def test_save_refresh_delete_go_through_the_server(vtiger_client: Any) -> None:
    from crm_models import Accounts

    account = Accounts(accountname="Acme", assigned_user_id="19x1")
    account.save(client=vtiger_client)
    assert account.id is not None
    assert not account._state.adding
    assert account.account_no  # numbered by the server
    record_id = account.id
    account.accountname = "Acme Ltd"
    account.save()
    assert vtiger_client.retrieve(record_id)["accountname"] == "Acme Ltd"
    account.accountname = "not saved"
    account.refresh()
    assert account.accountname == "Acme Ltd"
    assert account._changes() == {}
    account.delete()
    assert account.id is None
    with pytest.raises(vtorm.AccessDeniedError):
        vtiger_client.retrieve(record_id)


# --------------------------------------------------------------------------- static typing

GENERATED_SHAPE = '''\
"""Vtiger CRM models generated by vtorm codegen. Do not edit."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

import attrs

from vtorm import Model, field

ThingsKind = Literal["A", "B"]


@attrs.define(kw_only=True, eq=False, slots=False)
class Owners(Model):
    """Owners (one record: Owner); id prefix 70."""

    class Meta:
        module = "Owners"
        id_prefix = "70"
        label_fields = ("name",)

    name: str = field("name", "string", label="Name", mandatory=True)


@attrs.define(kw_only=True, eq=False, slots=False)
class Things(Model):
    """Things (one record: Thing); id prefix 71."""

    class Meta:
        module = "Things"
        id_prefix = "71"
        label_fields = ("name",)

    name: str = field("name", "string", label="Name", mandatory=True)
    kind: ThingsKind | None = field("kind", "picklist", label="Kind", picklist=("A", "B"))
    tags: list[str] | None = field("tags", "multipicklist", label="Tags")
    price: Decimal | None = field("price", "currency", label="Price")
    due: datetime.date | None = field("due", "date", label="Due")
    owner_id: Owners | str | None = field(
        "owner_id", "reference", label="Owner", refers_to=("Owners",)
    )
    thing_no: str | None = field("thing_no", "autogenerated", label="No", editable=False)
    class_: str | None = field("class", "string", label="Class")
'''

USE_OK = """\
from __future__ import annotations

from decimal import Decimal

import attrs

from vtorm.query import Manager
from things import Owners, Things

thing = Things(name="x", kind="A", price=Decimal("1.50"), owner_id=Owners(name="o"))
thing.owner_id = "70x1"
manager: Manager[Things] = Things.objects
first: Things | None = Things.objects.filter(name="x").first()
loaded: Things = Things._from_row({"id": "71x1"}, None)
changes: dict[str, object] = loaded._changes()
try:
    pass
except Things.DoesNotExist:
    pass
# Last: attrs.has() narrows the class to AttrsInstance for the checker.
assert attrs.has(Things)
"""

USE_BAD = """\
from things import Things

thing = Things(name="x")
thing.price = "cheap"
thing.kind = "C"
"""


def _mypy(tmp_path: Path, use: str) -> tuple[str, int]:
    api = pytest.importorskip("mypy.api")
    (tmp_path / "things.py").write_text(GENERATED_SHAPE)
    (tmp_path / "use.py").write_text(textwrap.dedent(use))
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--python-version",
            "3.10",
            "--config-file",
            "",
            str(tmp_path / "things.py"),
            str(tmp_path / "use.py"),
        ]
    )
    return stdout + stderr, status


def test_mypy_strict_accepts_the_generated_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    output, status = _mypy(tmp_path, USE_OK)
    assert status == 0, output


def test_mypy_strict_catches_wrong_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    output, status = _mypy(tmp_path, USE_BAD)
    assert status == 1, output
    assert 'use.py:4: error: Incompatible types in assignment (expression has type "str"' in output
    assert "use.py:5: error" in output
