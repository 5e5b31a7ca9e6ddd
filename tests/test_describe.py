"""The one reading of describe output (vtorm.describe), as the server sends it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtorm.describe import (
    ID_FIELD,
    parse_describe,
    parse_listtypes,
    read_flag,
)
from vtorm.errors import SchemaError

RECORDED = Path(__file__).parent / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def test_products_pseudo_fields_carry_php_string_flags() -> None:
    # The server writes '1' and '' for the tax and currency pseudo-fields.
    raw = recorded("describe-Products.json")
    flags = {
        (field["mandatory"], field["editable"], field["nullable"])
        for field in raw["result"]["fields"]
        if field["name"] in ("tax1", "tax2", "tax3", "currency1")
    }
    assert flags == {("", "1", "1")}
    products = parse_describe(raw, module="Products")
    by_name = {field.name: field for field in products.fields}
    for name in ("tax1", "tax2", "tax3", "currency1"):
        field = by_name[name]
        assert (field.mandatory, field.editable, field.nullable) == (False, True, True)
    # They follow the id pseudo-field, which record_fields leaves out.
    names = [field.name for field in products.fields]
    assert names.index(ID_FIELD) < names.index("tax1")
    assert ID_FIELD not in [field.name for field in products.record_fields]
    assert "tax1" in [field.name for field in products.record_fields]


def test_every_flag_of_every_recorded_describe_is_read() -> None:
    seen: set[Any] = set()
    for path in sorted(RECORDED.glob("describe-*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("success") is not True:
            continue
        module = parse_describe(raw)
        for entry, field in zip(raw["result"]["fields"], module.fields, strict=True):
            for key in ("mandatory", "editable", "nullable"):
                sent = entry[key]
                seen.add(sent)
                assert getattr(field, key) is (sent is True or sent == "1"), (path.name, key)
    # What 8.4 sends, and nothing else.
    assert seen == {True, False, "1", ""}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("1", True), ("", False), ("0", False), (None, False),
     (1, True), (0, False)],
)  # fmt: skip
def test_flags_read_as_php_reads_them(value: Any, expected: bool) -> None:
    assert read_flag(value, "Things", "name", "mandatory") is expected


@pytest.mark.parametrize("value", ["no", "FALSE", "false", "yes", "true", "on", [], 0.5j])
def test_flag_text_no_server_sends_is_refused(value: Any) -> None:
    with pytest.raises(SchemaError) as caught:
        read_flag(value, "Things", "name", "mandatory")
    assert str(caught.value).startswith(f"Things.name: mandatory is {value!r}, not a flag")
    assert (caught.value.module, caught.value.field) == ("Things", "name")


def test_calendar_duration_is_read_as_whole_hours() -> None:
    # describe says time; the server answers the hours it computed ("38").
    raw = recorded("describe-Calendar.json")
    described = [f for f in raw["result"]["fields"] if f["name"] == "duration_hours"]
    assert described[0]["type"]["name"] == "time"
    calendar = parse_describe(raw, module="Calendar")
    duration = next(f for f in calendar.fields if f.name == "duration_hours")
    assert duration.type == "integer"
    assert duration.kind.python == "int"
    row = recorded("create-success-Calendar-task-with-activitytype.json")["result"]
    assert row["duration_hours"] == "38"


def test_module_facts() -> None:
    contacts = parse_describe(recorded("describe-Contacts.json"), singular="Contact")
    assert (contacts.name, contacts.label, contacts.id_prefix, contacts.singular) == (
        "Contacts",
        "Contacts",
        "12",
        "Contact",
    )
    assert contacts.label_fields == ("firstname", "lastname")
    assert contacts.is_entity
    assert contacts.raw["idPrefix"] == "12"
    lastname = next(f for f in contacts.fields if f.name == "lastname")
    assert (lastname.type, lastname.mandatory, lastname.label) == ("string", True, "Last Name")
    leadsource = next(f for f in contacts.fields if f.name == "leadsource")
    assert leadsource.picklist[:2] == ("Cold Call", "Existing Customer")
    assert not parse_describe(recorded("describe-Currency.json")).is_entity


def test_listtypes_keep_each_modules_information() -> None:
    listing = parse_listtypes(recorded("listtypes.json"))
    assert "Contacts" in listing.types
    assert listing.singular["Contacts"] == "Contact"
    assert listing.information["Faq"]["label"] == "FAQ"


def test_a_describe_of_another_module_is_refused() -> None:
    with pytest.raises(SchemaError, match="Accounts: describe result is for module 'Contacts'"):
        parse_describe(recorded("describe-Contacts.json"), module="Accounts")


def test_a_failed_envelope_is_refused_with_the_servers_message() -> None:
    with pytest.raises(SchemaError, match="Nope: the describe answer is a failed response"):
        parse_describe(recorded("describe-error-unknown-module.json"), module="Nope")
