"""Rows into instances (vtorm.rows): compiled per model, and every recorded row loads."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import crm_models
import pytest
from hypothesis import given
from hypothesis import strategies as st
from models_fixture import WIDGET_ROW as BASE_ROW
from models_fixture import Organizations, Widgets

from vtorm import Model, ValidationError
from vtorm.rows import converter, row_builder, values_builder
from vtorm.types import field_type, to_python

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "recorded"
ALL_ATTRS = list(Widgets._meta.fields)

# --------------------------------------------------------------------------- compiled rows


def _careful(cls: type[Any], row: dict[str, Any]) -> dict[str, Any]:
    return {i.attr: to_python(i, row.get(i.wire)) for i in cls._meta.fields.values()}


def _values(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in type(obj)._meta.fields}


def _shapes(cls: type[Any], attrs: list[str], row: dict[str, Any]) -> tuple[Any, Any, Any]:
    """What the compiled values builders make of ``row``: dict, tuple and one value."""
    infos = tuple(cls._meta.fields[attr] for attr in attrs)
    return (
        values_builder(cls, infos, "dict")(row),
        values_builder(cls, infos, "tuple")(row),
        values_builder(cls, infos[:1], "flat")(row),
    )


def _expected_shapes(cls: type[Any], attrs: list[str], row: dict[str, Any]
                     ) -> tuple[Any, Any, Any]:
    every = _careful(cls, row)
    return {a: every[a] for a in attrs}, tuple(every[a] for a in attrs), every[attrs[0]]


# A retrieve-shaped row (label, tags) with a text field that is not empty.
WIDGET_ROW: dict[str, Any] = {**BASE_ROW, "mystery": "?", "label": "Gear", "tags": ""}


def test_compiled_builder_matches_field_by_field_conversion() -> None:
    obj = Widgets._from_row(WIDGET_ROW, None)
    assert _values(obj) == _careful(Widgets, WIDGET_ROW)
    assert obj.price == Decimal("1234.5")
    assert obj.interests == ["Sports", "Books"]
    assert obj.class_ == "A"


@pytest.mark.parametrize(
    ("wire_name", "odd", "attr", "expected"),
    [
        ("due", "0000-00-00", "due", None),
        ("quantity", "3.000", "quantity", 3),
        ("price", 19.99, "price", Decimal("19.99")),
        ("active", 1, "active", True),
        ("interests", ["Sports"], "interests", ["Sports"]),
    ],
)
def test_compiled_builder_falls_back_on_unusual_shapes(
    wire_name: str, odd: Any, attr: str, expected: Any
) -> None:
    row = dict(WIDGET_ROW, **{wire_name: odd})
    obj = Widgets._from_row(row, None)
    assert getattr(obj, attr) == expected
    assert _values(obj) == _careful(Widgets, row)
    assert _shapes(Widgets, [attr, "id"], row) == ({attr: expected, "id": obj.id},
                                                   (expected, obj.id), expected)


# Wire texts near the edges of what each type's reader and fast path accept.
ODD_WIRE_TEXTS = [
    "", "0", "1", "on", "off", "yes", "14", "3.000", "NaN", "-Infinity", "1e3", " 7",
    "4_2", "\u0667", "2026-12-24", "20261224", "2026-W01-1", "0000-00-00",
    "2026-02-30", "2026-11-29 02:01:11", "2026-11-29T02:01:11", "23:59:59", "09:30",
    "1234.50000000", "Sports |##| Books", "81x5", "A",
]  # fmt: skip
WIRE_SHAPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.lists(st.sampled_from(["Sports", "1"]), max_size=2),
    st.sampled_from(ODD_WIRE_TEXTS),
    st.text(max_size=12),
)


@pytest.mark.parametrize("attr", ALL_ATTRS)
def test_compiled_builder_agrees_with_the_reader_on_any_value(attr: str) -> None:
    field_info = Widgets._meta.fields[attr]

    @given(WIRE_SHAPES)
    def check(value: Any) -> None:
        row = dict(WIDGET_ROW, **{field_info.wire: value})
        try:
            expected = _careful(Widgets, row)
        except ValidationError:
            with pytest.raises(ValidationError, match=field_info.wire):
                Widgets._from_row(row, None)
            for shape in ("dict", "tuple", "flat"):
                with pytest.raises(ValidationError, match=field_info.wire):
                    values_builder(Widgets, (field_info,), shape)(row)  # type: ignore[arg-type]
            return
        assert _values(Widgets._from_row(row, None)) == expected
        assert _shapes(Widgets, [attr, *ALL_ATTRS], row) == _expected_shapes(
            Widgets, [attr, *ALL_ATTRS], row
        )

    check()


def test_compiled_builder_names_the_field_of_a_bad_value() -> None:
    with pytest.raises(ValidationError, match="quantity"):
        Widgets._from_row(dict(WIDGET_ROW, quantity="lots"), None)


def test_page_of_contacts_matches_field_by_field_conversion() -> None:
    from crm_models import Contacts

    rows = json.loads((FIXTURES / "page-Contacts-100.json").read_text())["result"]
    assert len(rows) == 100
    for row in rows:
        assert _values(Contacts._from_row(row, None)) == _careful(Contacts, row)


def test_builder_is_compiled_once_per_class() -> None:
    assert row_builder(Widgets) is row_builder(Widgets)
    assert row_builder(Widgets) is not row_builder(Organizations)
    assert "def build_Widgets" in (row_builder(Widgets).__doc__ or "")


def test_values_builders_read_a_page_as_instances_do() -> None:
    from crm_models import Contacts

    rows = json.loads((FIXTURES / "page-Contacts-100.json").read_text())["result"]
    attrs = ["lastname", "birthday", "id", "donotcall", "lastname", "assigned_user_id"]
    for row in rows:
        obj = Contacts._from_row(row, None)
        dicts, tuples, flat = _shapes(Contacts, attrs, row)
        assert dicts == {a: getattr(obj, a) for a in attrs}
        assert tuples == tuple(getattr(obj, a) for a in attrs)
        assert flat == obj.lastname


def test_values_builder_is_compiled_once_per_fields_and_shape() -> None:
    infos = (Widgets._meta.fields["price"], Widgets._meta.fields["due"])
    made = values_builder(Widgets, infos, "tuple")
    assert values_builder(Widgets, infos, "tuple") is made
    assert values_builder(Widgets, infos[::-1], "tuple") is not made
    assert values_builder(Widgets, infos, "dict") is not made
    assert values_builder(Organizations, (Organizations._meta.fields["id"],), "flat") is not (
        values_builder(Widgets, (Widgets._meta.fields["id"],), "flat")
    )
    source = made.__doc__ or ""
    assert source.startswith("def values_Widgets(row):") and "'price'" in source
    with pytest.raises(ValueError, match="one field, not 2"):
        values_builder(Widgets, infos, "flat")


def test_values_builders_kept_per_class_are_bounded() -> None:
    fields = list(Widgets._meta.fields.values())
    pairs = [(a, b) for a in fields for b in fields][:100]
    assert len(pairs) == 100
    made = [values_builder(Widgets, pair, "tuple") for pair in pairs]
    cache = Widgets.__dict__["_vtorm_values_builders"]
    assert len(cache) == 64
    # The newest are kept; the oldest are compiled again when asked for.
    assert values_builder(Widgets, pairs[-1], "tuple") is made[-1]
    assert values_builder(Widgets, pairs[0], "tuple") is not made[0]
    assert values_builder(Widgets, pairs[0], "tuple")(WIDGET_ROW) == made[0](WIDGET_ROW)


def test_converter_structures_and_unstructures_models() -> None:
    obj = converter.structure(WIDGET_ROW, Widgets)
    assert isinstance(obj, Widgets)
    assert obj.id == "80x3"
    out = converter.unstructure(obj)
    assert out["price"] == "1234.50000000"
    assert out["interests"] == "Sports |##| Books"
    assert out["class"] == "A"
    assert "notes" not in out


# --------------------------------------------------------------------------- recorded rows

# The operations whose answer is one record or a list of them.
ROW_OPERATIONS = ("query", "retrieve", "create", "revise", "update")
# What each annotation of the registry is at run time.
RUNTIME_TYPES: dict[str, type] = {
    "str": str,
    "int": int,
    "Decimal": Decimal,
    "bool": bool,
    "datetime.date": datetime.date,
    "datetime.datetime": datetime.datetime,
    "datetime.time": datetime.time,
    "list[str]": list,
}
GENERATED: dict[str, type[Model]] = {
    cls._meta.id_prefix: cls
    for cls in vars(crm_models).values()
    if isinstance(cls, type) and issubclass(cls, Model) and cls.__module__ == "crm_models"
}


def _recorded_answers() -> dict[str, list[dict[str, Any]]]:
    """Recording name -> the records of every successful answer of a row operation."""
    index = json.loads((RECORDED / "INDEX.json").read_text(encoding="utf-8"))
    answers: dict[str, list[dict[str, Any]]] = {}
    for name, entry in sorted(index.items()):
        params = entry["request"].get("params") or {}
        if params.get("operation") not in ROW_OPERATIONS or not entry["file"].endswith(".json"):
            continue
        body = json.loads((RECORDED / entry["file"]).read_text(encoding="utf-8"))
        if body.get("success") is not True:
            continue
        result = body["result"]
        answers[name] = result if isinstance(result, list) else [result]
    return answers


ANSWERS = _recorded_answers()


def _rows() -> Iterator[tuple[type[Model], dict[str, Any]]]:
    for rows in ANSWERS.values():
        for row in rows:
            yield GENERATED[row["id"].partition("x")[0]], row


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_every_recorded_row_loads_through_its_generated_model(name: str) -> None:
    for row in ANSWERS[name]:
        model = GENERATED[row["id"].partition("x")[0]]
        obj = model._from_row(row, None)
        assert _values(obj) == _careful(model, row)
        for info in model._meta.fields.values():
            value = getattr(obj, info.attr)
            if value is not None:
                assert isinstance(value, RUNTIME_TYPES[field_type(info.type).python]), info
            elif info.wire in row:
                assert row[info.wire] in ("", None, "0000-00-00"), info
        # Loaded and untouched, a record has nothing to send.
        assert obj._changes() == {}, (model.__name__, row["id"])


# Stock 8.4 cannot create inventory records through the web service
# (create-error-Quotes-lineitems-no-id), so they and their line items have no
# recorded rows, and ProductTaxes answers no query (ACCESS_DENIED on '.id.').
NO_RECORDED_ROWS = {"Invoice", "Quotes", "SalesOrder", "PurchaseOrder", "LineItem", "ProductTaxes"}


def test_the_recordings_cover_every_module_the_server_can_answer_rows_of() -> None:
    modules = {model._meta.module for model, _ in _rows()}
    every = {model._meta.module for model in GENERATED.values()}
    assert len(every) == 35
    assert modules == every - NO_RECORDED_ROWS


def test_every_boolean_spelling_the_server_sent_is_read() -> None:
    seen: dict[Any, set[Any]] = {}
    for model, row in _rows():
        for info in model._meta.fields.values():
            if info.type == "boolean" and info.wire in row:
                value = getattr(model._from_row(row, None), info.attr)
                seen.setdefault(row[info.wire], set()).add(value)
    assert seen == {"0": {False}, "1": {True}, "on": {True}, None: {None}}


def test_generated_users_model_loads_the_users() -> None:
    rows = ANSWERS["query-users-all"]
    users = [crm_models.Users._from_row(row, None) for row in rows]
    assert [user.user_name for user in users] == ["admin"]
    admin = users[0]
    assert admin.is_admin is True  # sent as "on"
    assert admin.internal_mailer is True and admin.leftpanelhide is False
    assert admin.hidecompletedevents is None
    assert admin.id == "19x1"


def test_calendar_task_durations_are_whole_hours() -> None:
    task = next(
        crm_models.Calendar._from_row(row, None)
        for row in ANSWERS["create-success-Calendar-task-with-activitytype"]
    )
    assert task.duration_hours == 38
