"""Keys compared as the server compares them (vtorm.migrate.keys)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from crm_models import Accounts, Contacts

from vtorm.migrate.keys import fold, key_of, key_text

EMAIL = Contacts._meta.by_wire["email"]
REVENUE = Accounts._meta.by_wire["annual_revenue"]


def test_case_accents_and_trailing_spaces_do_not_count() -> None:
    assert fold("Hélène ") == fold("HELENE") == fold("helene")
    assert fold("Straße") == fold("STRASE")
    assert fold(" lead") != fold("lead")  # leading spaces count
    assert fold("Øre") == fold("ore")


def test_values_of_other_types() -> None:
    assert key_text(REVENUE, Decimal("1234.50000000")) == key_text(REVENUE, Decimal("1234.5"))
    assert key_text(REVENUE, Decimal("0.00")) == "0"
    birthday = Contacts._meta.by_wire["birthday"]
    assert key_text(birthday, datetime.date(2001, 6, 15)) == "2001-06-15"
    account = Contacts._meta.by_wire["account_id"]
    assert key_text(account, "11x5") == "11x5"


def test_a_whole_key() -> None:
    first, last = Contacts._meta.by_wire["firstname"], Contacts._meta.by_wire["lastname"]
    one = key_of([first, last], {"firstname": "Zoë", "lastname": "Lee "})
    assert one == key_of([first, last], {"firstname": "ZOE", "lastname": "lee"})
    assert one != key_of([first, last], {"firstname": "Zoe", "lastname": "Li"})
    assert key_of([EMAIL], {"email": None}) == '[""]'
