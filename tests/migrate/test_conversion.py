"""What a file's value means for a field (vtorm.migrate.convert), and the way back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from crm_models import Accounts, Contacts
from hypothesis import given
from hypothesis import strategies as st

from vtorm import ValidationError
from vtorm.migrate.convert import DateRule, csv_text, input_value, json_value

BIRTHDAY = Contacts._meta.by_wire["birthday"]
OPT_OUT = Contacts._meta.by_wire["emailoptout"]
REVENUE = Accounts._meta.by_wire["annual_revenue"]
EMPLOYEES = Accounts._meta.by_wire["employees"]
LEADSOURCE = Contacts._meta.by_wire["leadsource"]
CREATED = Contacts._meta.by_wire["createdtime"]
ACCOUNT = Contacts._meta.by_wire["account_id"]


def value(info: Any, raw: Any, **kw: Any) -> Any:
    module = "Accounts" if info in Accounts._meta.fields.values() else "Contacts"
    return input_value(info, raw, module, **kw)


@pytest.mark.parametrize(
    ("raw", "rule", "expected"),
    [
        ("2021-02-03", DateRule(), datetime.date(2021, 2, 3)),
        (" 2021-02-03 ", DateRule(), datetime.date(2021, 2, 3)),
        ("03/02/2021", DateRule(dayfirst=True), datetime.date(2021, 2, 3)),
        ("03/02/2021", DateRule(dayfirst=False), datetime.date(2021, 3, 2)),
        ("3 Feb 2021", DateRule(dayfirst=True), datetime.date(2021, 2, 3)),
        ("03.02.2021", DateRule(date_format="%d.%m.%Y"), datetime.date(2021, 2, 3)),
        ("2021-02-03", DateRule(date_format="%d.%m.%Y"), datetime.date(2021, 2, 3)),
    ],
)
def test_dates_are_read_by_the_rule_chosen(raw: str, rule: DateRule, expected: Any) -> None:
    assert value(BIRTHDAY, raw, dates=rule) == expected


@pytest.mark.parametrize(
    ("raw", "rule", "why"),
    [
        ("2021-02-30", DateRule(), "not a real date"),
        ("03/02/2021", DateRule(), "--dayfirst, --monthfirst or --date-format"),
        ("2021-02", DateRule(dayfirst=True), "not a date"),
        ("1990", DateRule(dayfirst=True), "not a date"),
        ("Feb 2021", DateRule(dayfirst=False), "not a date"),
        ("2021-02-03 10:00", DateRule(dayfirst=True), "not a date"),
        ("31/02/2021", DateRule(dayfirst=True), "not a date"),
        ("next week", DateRule(dayfirst=True), "not a date"),
        ("03-02-2021", DateRule(date_format="%d.%m.%Y"), "%d.%m.%Y"),
    ],
)
def test_dates_the_server_would_corrupt_are_refused(raw: str, rule: DateRule, why: str) -> None:
    with pytest.raises(ValidationError, match="birthday") as refused:
        value(BIRTHDAY, raw, dates=rule)
    assert why in str(refused.value) and repr(raw) in str(refused.value)


@pytest.mark.parametrize(("raw", "expected"), [(True, True), ("1", True), ("0", False), (0, False),
                                               ("", None), (None, None)])  # fmt: skip
def test_booleans(raw: Any, expected: Any) -> None:
    assert value(OPT_OUT, raw) is expected


@pytest.mark.parametrize("raw", ["yes", "true", "on", "TRUE", 2])
def test_booleans_the_server_would_store_as_false_are_refused(raw: Any) -> None:
    with pytest.raises(ValidationError, match="emailoptout"):
        value(OPT_OUT, raw)


def test_numbers() -> None:
    assert value(REVENUE, "1234.50") == Decimal("1234.50")
    assert value(REVENUE, 19.99) == Decimal("19.99")
    assert value(EMPLOYEES, "42") == 42
    for bad in ("1,234.50", "19.999", "abc"):
        with pytest.raises(ValidationError, match="annual_revenue"):
            value(REVENUE, bad)
    with pytest.raises(ValidationError, match="employees"):
        value(EMPLOYEES, "14.7")


def test_picklists_multipicklists_datetimes_and_references() -> None:
    assert value(LEADSOURCE, "Web Site") == "Web Site"
    with pytest.raises(ValidationError, match="not one of the field's values"):
        value(LEADSOURCE, "Fax")
    assert value(LEADSOURCE, "Fax", picklist=["Fax"]) == "Fax"
    assert value(CREATED, "2024-05-01T09:30:00+02:00") == datetime.datetime(
        2024, 5, 1, 7, 30, tzinfo=datetime.timezone.utc
    )
    with pytest.raises(ValidationError, match="no UTC offset"):
        value(CREATED, "2024-05-01 09:30:00")
    assert value(ACCOUNT, "11x5") == "11x5"
    with pytest.raises(ValidationError, match="account_id"):
        value(ACCOUNT, "5")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), min_size=1)


@given(
    st.one_of(
        st.tuples(st.just(BIRTHDAY), st.dates(datetime.date(1, 1, 1))),
        st.tuples(st.just(OPT_OUT), st.booleans()),
        st.tuples(st.just(EMPLOYEES), st.integers(-(10**12), 10**12)),
        st.tuples(st.just(REVENUE), st.decimals(places=2, allow_nan=False, allow_infinity=False,
                                                min_value=-(10**9), max_value=10**9)),
        st.tuples(st.just(Contacts._meta.by_wire["description"]),
                  _TEXT.filter(lambda t: t.strip() == t and t.strip())),
    )
)  # fmt: skip
def test_written_values_read_back_unchanged(case: tuple[Any, Any]) -> None:
    info, python = case
    assert value(info, json_value(info, python)) == python
    assert value(info, csv_text(info, python)) == python
