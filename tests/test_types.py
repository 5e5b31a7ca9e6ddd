"""Wire <-> Python conversion of every Vtiger field type (vtorm.types)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from models_fixture import WIDGET_ROW as BASE_ROW
from models_fixture import Organizations, People, Widgets

from vtorm import FieldInfo, ValidationError
from vtorm.types import (
    FIELD_TYPES,
    ID_TYPES,
    NUMERIC_TYPES,
    TEXT_TYPES,
    UNKNOWN,
    to_python,
    to_wire,
)

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "recorded"
UTC = datetime.timezone.utc
INFO = Widgets._meta.fields


def info(attr: str) -> FieldInfo:
    return INFO[attr]


def wire(attr: str, value: Any) -> Any:
    return to_wire(info(attr), value, "Widgets")


def refused(attr: str, value: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        wire(attr, value)
    message = str(caught.value)
    assert "Widgets" in message
    assert attr in message
    assert repr(value)[:40] in message
    return caught.value


# --------------------------------------------------------------------------- inbound

TEXT_ATTRS = [
    "name", "notes", "email", "phone", "website", "skype", "status", "grade", "widget_no",
    "secret", "attachment", "photo", "mystery", "class_",
]  # fmt: skip
ALL_ATTRS = list(INFO)


@pytest.mark.parametrize("attr", TEXT_ATTRS)
def test_text_types_read_as_str(attr: str) -> None:
    assert to_python(info(attr), "O'Brien & Söhne 山田") == "O'Brien & Söhne 山田"


@pytest.mark.parametrize("attr", ALL_ATTRS)
@pytest.mark.parametrize("empty", ["", None])
def test_empty_is_none_for_every_type(attr: str, empty: Any) -> None:
    assert to_python(info(attr), empty) is None


@pytest.mark.parametrize(
    ("attr", "text", "expected"),
    [
        ("quantity", "42", 42),
        ("quantity", "-7", -7),
        ("quantity", "3.000", 3),
        ("ratio", "12.346", Decimal("12.346")),
        ("price", "1234.50000000", Decimal("1234.50000000")),
        ("active", "1", True),
        ("active", "0", False),
        ("active", "on", True),
        ("active", "off", False),
        ("due", "1980-05-17", datetime.date(1980, 5, 17)),
        ("due", "0000-00-00", None),
        ("stamp", "2026-11-29 02:01:11", datetime.datetime(2026, 11, 29, 2, 1, 11, tzinfo=UTC)),
        ("at", "09:30:00", datetime.time(9, 30)),
        ("interests", "Sports |##| Music", ["Sports", "Music"]),
        ("interests", "Sports", ["Sports"]),
        ("org_id", "81x5", "81x5"),
        ("assigned_user_id", "20x3", "20x3"),
    ],
)
def test_typed_values_read(attr: str, text: str, expected: Any) -> None:
    assert to_python(info(attr), text) == expected


def test_decimal_keeps_the_database_scale_and_equals_the_short_form() -> None:
    value = to_python(info("price"), "1234.50000000")
    assert str(value) == "1234.50000000"
    assert value == Decimal("1234.5")


def test_datetime_is_aware_utc() -> None:
    value = to_python(info("stamp"), "2026-11-29 02:01:11")
    assert value.utcoffset() == datetime.timedelta(0)


def test_products_currency1_json_number() -> None:
    row = json.loads((RECORDED / "retrieve-success-Products.json").read_text())["result"]
    assert isinstance(row["currency1"], float)
    currency = FieldInfo(attr="currency1", wire="currency1", type="currency")
    assert to_python(currency, row["currency1"]) == Decimal("19.99")
    assert to_python(currency, 0) == Decimal(0)
    assert to_python(info("price"), row["unit_price"]) == Decimal("19.99")


@pytest.mark.parametrize(
    ("attr", "text"),
    [("quantity", "many"), ("quantity", "14.7"), ("active", ["1"]), ("due", "17/05/1980"),
     ("stamp", "yesterday"), ("at", "noon"), ("at", "14"), ("price", "1,234.50")],
)  # fmt: skip
def test_values_the_type_cannot_hold_raise(attr: str, text: str) -> None:
    with pytest.raises(ValidationError, match=info(attr).wire):
        to_python(info(attr), text)


# --------------------------------------------------------------------------- outbound


@pytest.mark.parametrize(
    ("attr", "value", "expected"),
    [
        ("name", "Widget", "Widget"),
        ("name", None, ""),
        ("quantity", 42, "42"),
        ("quantity", "42", "42"),
        ("quantity", 15.0, "15"),
        ("ratio", Decimal("12.3456"), "12.3456"),
        ("ratio", 0.1, "0.1"),
        ("price", Decimal("1234.50000000"), "1234.50000000"),
        ("price", 19.99, "19.99"),
        ("price", "19.99", "19.99"),
        ("price", 20, "20"),
        ("active", True, "1"),
        ("active", False, "0"),
        ("active", 1, "1"),
        ("active", 0, "0"),
        ("due", datetime.date(1999, 12, 31), "1999-12-31"),
        ("due", "1999-12-31", "1999-12-31"),
        ("stamp", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02 03:04:05"),
        (
            "stamp",
            datetime.datetime(
                2026, 1, 2, 5, 4, 5, 999, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "2026-01-02 03:04:05",
        ),
        ("stamp", "2026-01-02 03:04:05", "2026-01-02 03:04:05"),
        ("at", datetime.time(9, 30), "09:30:00"),
        ("interests", ["Sports", "Music"], "Sports |##| Music"),
        ("interests", [], ""),
        ("keywords", ["anything", "goes"], "anything |##| goes"),
        ("org_id", "81x5", "81x5"),
        ("party_id", "82x9", "82x9"),
        ("elsewhere_id", "77x1", "77x1"),
        ("assigned_user_id", "19x1", "19x1"),
    ],
)
def test_values_written(attr: str, value: Any, expected: str) -> None:
    assert wire(attr, value) == expected


@pytest.mark.parametrize(
    ("wire_value", "expected"),
    [
        # Vtiger_Boolean_UIType::getDisplayValue: a number equal to 1, or "on".
        ("1", True), ("on", True), ("ON", True), ("On", True), (" 1", True), ("1.0", True),
        ("1e0", True), (1, True), (1.0, True), (True, True),
        ("0", False), ("off", False), ("OFF", False), ("no", False), ("yes", False),
        ("true", False), ("false", False), ("2", False), ("-1", False), ("0x1", False),
        ("\u0661", False), (0, False), (2, False), (False, False),
        ("", None), (None, None),
    ],
)  # fmt: skip
def test_booleans_read_as_the_server_reads_them(wire_value: Any, expected: bool | None) -> None:
    assert to_python(info("active"), wire_value) is expected
    row = dict(BASE_ROW, active=wire_value)
    assert Widgets._from_row(row, None).active is expected


def test_picklist_value_outside_the_fields_values_is_refused() -> None:
    error = refused("status", "Refurbished")
    assert "'New', 'Used', 'Broken'" in str(error)


def test_picklist_without_listed_values_takes_any_text() -> None:
    assert wire("grade", "Refurbished") == "Refurbished"


@pytest.mark.parametrize("value", ["true", "TRUE", "yes", "on", 2, -1, "", 0.5, None.__class__])
def test_boolean_refusals(value: Any) -> None:
    refused("active", value)


@pytest.mark.parametrize(
    "value",
    ["31-12-1999", "1999/12/31", "19991231", "2021-02-30", "next week",
     datetime.datetime(1999, 12, 31, tzinfo=UTC), 19991231],
)  # fmt: skip
def test_date_refusals(value: Any) -> None:
    refused("due", value)


def test_naive_datetime_refused() -> None:
    error = refused("stamp", datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert "naive" in str(error)


@pytest.mark.parametrize("value", ["2026-02-30 00:00:00", "2026-01-02T03:04:05", 0])
def test_datetime_refusals(value: Any) -> None:
    refused("stamp", value)


@pytest.mark.parametrize("value", ["9:30", "25:00:00", datetime.time(9, 30, tzinfo=UTC), 930])
def test_time_refusals(value: Any) -> None:
    refused("at", value)


@pytest.mark.parametrize(
    "value",
    [19.999, Decimal("0.005"), "99.995", "1,234.50", "abc", Decimal("NaN"), float("inf"), True],
)
def test_currency_refusals(value: Any) -> None:
    refused("price", value)


@pytest.mark.parametrize("value", [14.7, "14.7", Decimal("0.5"), True, "1e3", "x"])
def test_integer_refusals(value: Any) -> None:
    refused("quantity", value)


@pytest.mark.parametrize("value", ["1,5", "", float("nan"), False, [1]])
def test_double_refusals(value: Any) -> None:
    refused("ratio", value)


@pytest.mark.parametrize("attr", ["name", "notes", "grade", "keywords"])
def test_four_byte_characters_refused(attr: str) -> None:
    value: Any = ["Smile 😀"] if attr == "keywords" else "Smile 😀"
    error = refused(attr, value)
    assert "????" in str(error)


def test_text_needs_a_str() -> None:
    refused("name", 42)


@pytest.mark.parametrize(
    "value",
    [
        ["Sports", "Cooking"],
        ["Sports |##| Music"],
        ["A|##|B"],
        [""],
        [3],
        "Sports |##| Music",
        {"Sports"},
    ],
)
def test_multipicklist_refusals(value: Any) -> None:
    refused("interests", value)


def test_multipicklist_separator_refused_without_a_known_list() -> None:
    refused("keywords", ["a |##| b"])


@pytest.mark.parametrize(
    "value",
    ["12x", "12x-1", "abc", "5", "x5", " 81x5", 81, "81x5;", "\uff18\uff11x\uff15", "81x\u0665"],
)
def test_id_shape_refusals(value: Any) -> None:
    refused("org_id", value)
    refused("assigned_user_id", value)


def test_reference_prefix_of_another_known_module_refused() -> None:
    error = refused("org_id", "82x9")
    assert "81" in str(error)
    refused("party_id", "80x1")


def test_record_id_of_another_module_refused() -> None:
    assert wire("id", "80x3") == "80x3"
    error = refused("id", "81x3")
    assert "80" in str(error)


def test_reference_instances() -> None:
    org = Organizations(orgname="Acme", assigned_user_id="19x1")
    error = refused("org_id", org)
    assert "not saved" in str(error)
    org._mark_clean({"id": "81x5", "orgname": "Acme"})
    assert wire("org_id", org) == "81x5"
    person = People(lastname="Smith")
    person._mark_clean({"id": "82x2"})
    assert wire("party_id", person) == "82x2"
    assert "Organizations" in str(refused("org_id", person))


# --------------------------------------------------------------------------- round trips

SAFE_TEXT = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), min_size=1)
DOMAINS: dict[str, st.SearchStrategy[Any]] = {
    "name": SAFE_TEXT,
    "notes": SAFE_TEXT,
    "status": st.sampled_from(["New", "Used", "Broken"]),
    "grade": SAFE_TEXT,
    "quantity": st.integers(-(2**63), 2**63),
    "ratio": st.decimals(allow_nan=False, allow_infinity=False, places=6),
    "price": st.decimals(allow_nan=False, allow_infinity=False, places=2),
    "active": st.booleans(),
    "due": st.dates(min_value=datetime.date(1000, 1, 1)),
    "stamp": st.datetimes(min_value=datetime.datetime(1000, 1, 2), timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    ),
    "at": st.times().map(lambda t: t.replace(microsecond=0)),
    "interests": st.lists(st.sampled_from(["Sports", "Music", "Books"]), min_size=1),
    "keywords": st.lists(
        SAFE_TEXT.filter(lambda s: "|##|" not in s and s == s.strip() and s != ""), min_size=1
    ),
    "org_id": st.integers(0, 10**9).map(lambda n: f"81x{n}"),
    "assigned_user_id": st.from_regex(r"\A[0-9]{1,3}x[0-9]{1,9}\Z"),
}


@pytest.mark.parametrize("attr", sorted(DOMAINS))
def test_round_trip(attr: str) -> None:
    field_info = info(attr)

    @given(DOMAINS[attr])
    def check(value: Any) -> None:
        assert to_python(field_info, to_wire(field_info, value, "Widgets")) == value

    check()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_currency_accepts_exactly_the_values_with_two_decimals(value: Decimal) -> None:
    with localcontext() as context:
        context.prec = 10_000
        keeps = (value * 100) == (value * 100).to_integral_value()
    try:
        sent = to_wire(info("price"), value, "Widgets")
    except ValidationError:
        assert not keeps
    else:
        assert Decimal(sent) == value


# --------------------------------------------------------------------------- the registry


def test_every_type_of_the_stock_modules_is_registered() -> None:
    from vtorm.testing.schema import load_schemas

    names = {f.type for module in load_schemas().values() for f in module.fields.values()}
    assert names <= set(FIELD_TYPES)


def test_the_type_families() -> None:
    assert {"reference", "owner"} == ID_TYPES
    assert {"integer", "double", "currency"} == NUMERIC_TYPES
    assert {
        "string", "text", "email", "phone", "url", "skype", "picklist", "autogenerated",
        "password", "file", "image",
    } == TEXT_TYPES  # fmt: skip
    assert {name for name, kind in FIELD_TYPES.items() if kind.unset == "null"} == ID_TYPES
    assert FIELD_TYPES["date"].unset == "null-in-query"


def test_a_field_knows_its_type() -> None:
    assert info("active").kind is FIELD_TYPES["boolean"]
    assert info("org_id").kind.id_like
    # A type the registry does not know is text.
    assert info("mystery").kind is UNKNOWN
    assert UNKNOWN.text_like and UNKNOWN.python == "str"
    assert to_python(info("mystery"), "x") == "x"

