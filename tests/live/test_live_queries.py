"""QuerySets against a real CRM, compared with a brute-force evaluation of the same filter.

The run's Contacts (some with empty first names, titles and birthdays) are
read back whole, and every filter's answer must be exactly the records the
brute force picks from them: the server's semantics, empty values included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from crm_models import Contacts
from live_support import Marked, require_crm
from query_brute import fold, matches

import vtorm
from vtorm import Q

require_crm()
pytestmark = pytest.mark.live

FIRST = ["Ann", "Bob", "bob", "Cy", None, "Émile"]
TITLES = ["CTO", "cto", "Dev", None, "Ops", "Zed", "Chief Technology"]
BIRTHDAYS = ["1975-03-04", None, "1989-12-31", "1990-01-01", "2001-06-15"]
COUNT = 23
# Empty dates are NULL on the server; empty texts are ''.
NULL_FIELDS = frozenset({"birthday"})


@pytest.fixture(scope="module")
def people(live_client: vtorm.Client, marked: Marked) -> Iterator[list[dict[str, Any]]]:
    """The records of this module: what was sent for each, with its id."""
    made = []
    for number in range(COUNT):
        values = {
            "lastname": f"{marked.marker} {number:02d}",
            "firstname": FIRST[number % len(FIRST)],
            "title": TITLES[number % len(TITLES)],
            "birthday": BIRTHDAYS[number % len(BIRTHDAYS)],
        }
        sent = {k: v for k, v in values.items() if v is not None}
        created = live_client.create("Contacts", {**sent, "assigned_user_id": marked.owner})
        made.append({**sent, "id": marked.track(created["id"])})
    yield made
    for record in made:
        live_client.delete(record["id"])


def _number(wsid: str) -> int:
    return int(wsid.partition("x")[2])


def _brute(people: list[dict[str, Any]], q: Q) -> list[str]:
    return sorted((r["id"] for r in people if matches(r, q, null_fields=NULL_FIELDS)), key=_number)


def _ours(client: vtorm.Client, marked: Marked) -> Any:
    return Contacts.objects.using(client).filter(lastname__startswith=marked.marker)


FILTERS = [
    Q(firstname="Ann"),
    ~Q(firstname="bob"),
    Q(firstname__ne="Cy"),
    Q(title__lt="D"),
    Q(title__gte="Dev"),
    Q(title__in=["CTO", "Ops"]),
    ~Q(title__in=["CTO", "Ops"]),
    Q(firstname__startswith="B"),
    ~Q(firstname__startswith="B"),
    ~Q(title__contains="t"),
    Q(firstname="emile"),
    Q(birthday__gt="1980-01-01"),
    ~Q(birthday="1990-01-01"),
    Q(birthday__lte="1989-12-31"),
    Q(firstname="Ann") | Q(title="Dev"),
    ~(Q(firstname="Ann") | Q(title="Dev")),
    Q(title="cto", firstname__ne="Ann") | Q(lastname__endswith="7"),
]


@pytest.mark.parametrize("q", FILTERS, ids=repr)
def test_filter_matches_the_brute_force(
    live_client: vtorm.Client, marked: Marked, people: list[dict[str, Any]], q: Q
) -> None:
    got = sorted((obj.id for obj in _ours(live_client, marked).filter(q)), key=_number)
    assert got == _brute(people, q)


def test_count_exists_and_slices(
    live_client: vtorm.Client, marked: Marked, people: list[dict[str, Any]]
) -> None:
    qs = _ours(live_client, marked)
    ids = sorted((r["id"] for r in people), key=_number)
    assert qs.count() == COUNT
    assert qs.exclude(title="CTO").count() == len(_brute(people, ~Q(title="CTO")))
    assert [obj.id for obj in qs[5:15]] == ids[5:15]
    assert qs.filter(firstname="Nobody").exists() is False


def test_order_by_a_text_field(
    live_client: vtorm.Client, marked: Marked, people: list[dict[str, Any]]
) -> None:
    titles = [obj.title for obj in _ours(live_client, marked).order_by("title", "id")]
    keys = [fold(title or "") for title in titles]
    assert keys == sorted(keys) and len(titles) == COUNT
    assert titles[0] is None  # the empty title sorts first, as ''


def test_values_are_typed(
    live_client: vtorm.Client, marked: Marked, people: list[dict[str, Any]]
) -> None:
    first = _ours(live_client, marked).order_by("id").first()
    assert first is not None and first.id == people[0]["id"]
    assert str(first.birthday) == people[0]["birthday"] and first.firstname == "Ann"
