"""Loops that change the records they iterate miss nothing and read nothing twice.

Each test seeds a fresh emulator, then runs the loop a user writes --
delete every record, change the filtered field, change the ordering field --
for every kind of ordering (see vtorm.query.ordering), and checks the outcome
on the server, not only what the loop saw.
"""

from __future__ import annotations

import gc
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "query"))

from crm_models import Contacts  # noqa: E402
from query_brute import fold  # noqa: E402
from recording import make_client  # noqa: E402

from vtorm.testing import Emulator  # noqa: E402

N = 250
FIRST = ["Ann", "bob", "Émile", "emile", "Zoë", "ann ", None]
ORDERINGS = [
    (),
    ("-id",),
    ("firstname",),
    ("firstname", "-id"),
    ("-firstname",),
    ("-firstname", "id"),
    ("-firstname", "-lastname"),
]


def seed(client: Any, n: int = N, first: Callable[[int], str | None] = lambda i: FIRST[i % 7],
         title: Callable[[int], str | None] = lambda i: "Old") -> list[dict[str, Any]]:
    records = []
    for i in range(n):
        fields = {"lastname": f"Loop {i:03d}", "firstname": first(i), "title": title(i)}
        fields = {k: v for k, v in fields.items() if v is not None}
        made = client.create("Contacts", {**fields, "assigned_user_id": "19x1"})
        records.append({**fields, "id": made["id"]})
    return records


def num(ident: str) -> int:
    return int(ident.partition("x")[2])


def brute(records: list[dict[str, Any]], ordering: tuple[str, ...]) -> list[str]:
    """The ids in the documented order: ascending, rows without a value first, then
    blank ones (the server's order); descending, the exact reverse -- but with ties
    in ascending id order (``("-a", "id")``), where the empty ones are one value."""
    down = bool(ordering) and ordering[-1].startswith("-") and ordering[-1] != "-id"
    merge = len(ordering) == 2 and ordering[0].startswith("-") and ordering[1] == "id"
    rows = sorted(records, key=lambda r: num(r["id"]), reverse=down)
    for name in reversed(ordering):
        field, desc = name.lstrip("-"), name.startswith("-")
        if field == "id":
            rows.sort(key=lambda r: num(r["id"]), reverse=desc)
        else:
            rows.sort(key=lambda r, f=field: _key(r.get(f), merge), reverse=desc)  # type: ignore[misc]
    return [r["id"] for r in rows]


def _key(value: Any, merge: bool) -> tuple[int, str]:
    if value is None:
        return (0, "")
    if not str(value).strip(" "):
        return (0 if merge else 1, "")
    return (2, fold(str(value)))


class Queries:
    """Counts the query requests of a client."""

    def __init__(self, client: Any) -> None:
        self.statements: list[str] = []
        client.event_hooks["request"].append(self._hook)

    def _hook(self, request: Any) -> None:
        from urllib.parse import parse_qs, urlsplit

        params = parse_qs(urlsplit(request.url).query)
        if params.get("operation") == ["query"]:
            self.statements.append(params["query"][0])


@pytest.fixture
def client(crm: Emulator) -> Any:
    c = make_client(crm)
    yield c
    c.close()


def remaining(client: Any, where: str = "lastname LIKE 'Loop%'") -> list[dict[str, Any]]:
    found = []
    last = "12x0"
    while True:
        page = client.query(
            f"SELECT id, firstname, title FROM Contacts WHERE {where} AND id > '{last}' "
            "ORDER BY id;"
        )
        if not page:
            return found
        found += page
        last = page[-1]["id"]


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("streaming", [True, False])
def test_a_loop_deleting_every_record_deletes_them_all(
    client: Any, ordering: tuple[str, ...], streaming: bool
) -> None:
    records = seed(client)
    qs = Contacts.objects.using(client).filter(lastname__startswith="Loop").order_by(*ordering)
    seen = []
    for c in qs.iterator() if streaming else qs:
        seen.append(c.id)
        c.delete()
    assert seen == brute(records, ordering)
    assert remaining(client) == []


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_a_loop_changing_the_filtered_field_changes_every_record(
    client: Any, ordering: tuple[str, ...]
) -> None:
    records = seed(client)
    seen = []
    for c in Contacts.objects.using(client).filter(title="Old").order_by(*ordering).iterator():
        seen.append(c.id)
        c.title = "New"
        c.save()
    assert seen == brute(records, ordering)
    left = remaining(client)
    assert len(left) == N and {r["title"] for r in left} == {"New"}


@pytest.mark.parametrize(
    ("ordering", "rename"),
    [
        # moved ahead of the pages still to come, in each direction
        (("firstname",), lambda name: "zz " + (name or "")),
        (("firstname", "-id"), lambda name: "zz " + (name or "")),
        (("-firstname",), lambda name: "a " + (name or "")),
        (("-firstname", "id"), lambda name: "a " + (name or "")),
        # moved behind: already passed
        (("firstname",), lambda name: "a " + (name or "")),
        (("-firstname",), lambda name: "zz " + (name or "")),
    ],
)
def test_a_loop_changing_the_ordering_field_reads_each_record_once(
    client: Any, ordering: tuple[str, ...], rename: Callable[[str | None], str]
) -> None:
    records = seed(client)
    seen = []
    qs = Contacts.objects.using(client).filter(lastname__startswith="Loop").order_by(*ordering)
    for c in qs.iterator():
        seen.append(c.id)
        c.firstname = rename(c.firstname)
        c.save()
    assert seen == brute(records, ordering)
    assert all(r["firstname"].startswith(("a ", "zz ")) for r in remaining(client))


def test_a_loop_in_a_unit_of_work_committing_as_it_goes(client: Any) -> None:
    import vtorm

    records = seed(client)
    seen = []
    with vtorm.UnitOfWork(client) as uow:
        for c in Contacts.objects.using(client).order_by("firstname").iterator():
            seen.append(c.id)
            c.firstname = "zz"
            uow.commit()
    assert seen == brute(records, ("firstname",))
    assert {r["firstname"] for r in remaining(client)} == {"zz"}


@pytest.mark.parametrize("ordering", [(), ("-id",), ("lastname",), ("lastname", "-id")])
def test_plain_iteration_sends_ceil_n_over_100_plus_one_requests(
    client: Any, ordering: tuple[str, ...]
) -> None:
    records = seed(client)
    queries = Queries(client)
    got = [c.id for c in Contacts.objects.using(client).order_by(*ordering).iterator()]
    assert got == brute(records, ordering)
    assert len(queries.statements) == math.ceil(N / 100) + 1
    assert all("LIMIT 100;" in s and "LIMIT 1" not in s.replace("LIMIT 100;", "")
               for s in queries.statements)


def test_descending_iteration_costs_a_few_requests_more(client: Any) -> None:
    records = seed(client)
    queries = Queries(client)
    got = [c.id for c in Contacts.objects.using(client).order_by("-lastname").iterator()]
    assert got == brute(records, ("-lastname",))
    # Each page ends one value early; the last value is read on its own (one
    # request, and one more to see it is whole); the rows with an empty value
    # are looked for at the end.
    assert len(queries.statements) <= math.ceil(N / 99) + 4


def test_issue_advice_descending_with_id_slices(client: Any) -> None:
    records = seed(client)
    for ordering in (("-firstname", "-id"), ("-firstname", "id"), ("-firstname",)):
        want = brute(records, ordering)
        qs = Contacts.objects.using(client).order_by(*ordering)
        assert [c.id for c in qs[:150]] == want[:150]
        assert [c.id for c in qs[200:]] == want[200:]
        for low, high in ((0, 50), (120, 130)):
            got = [c.id for c in qs[low:high]]
            if ordering == ("-firstname",):
                # one page, no id asked for: one statement, ties as the server orders them
                name = {r["id"]: _key(r.get("firstname"), True) for r in records}
                assert [name[i] for i in got] == [name[i] for i in want[low:high]]
            else:
                assert got == want[low:high]


@pytest.mark.parametrize("ordering", [("title",), ("-title",), ("title", "-id"),
                                      ("-title", "id")])
def test_many_empty_values_in_the_ordering_column(client: Any, ordering: tuple[str, ...]
                                                  ) -> None:
    # 150 records without a title (NULL), 20 with only spaces, the rest with one.
    def title(i: int) -> str | None:
        return None if i < 150 else ("  " if i < 170 else f"T{i % 9}")

    records = seed(client, title=title)
    qs = Contacts.objects.using(client).filter(lastname__startswith="Loop").order_by(*ordering)
    want = brute(records, ordering)
    assert [c.id for c in qs.iterator()] == want
    seen = []
    for c in qs.iterator():
        seen.append(c.id)
        c.delete()
    assert seen == want
    assert remaining(client) == []


def test_a_loop_over_values_and_an_only_queryset(client: Any) -> None:
    records = seed(client)
    qs = Contacts.objects.using(client).filter(title="Old").order_by("-firstname")
    seen = [row["id"] for row in qs.values("id", "title").iterator()]
    assert seen == brute(records, ("-firstname",))
    # The ordering column is read for paging, and not handed out.
    row = next(iter(qs.values_list("lastname").iterator()))
    assert len(row) == 1
    only = next(iter(qs.only("lastname").iterator()))
    assert only.firstname is None


ACTIONS = st.sampled_from(["delete", "retitle", "rename-ahead", "rename-behind", "nothing"])


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ordering=st.sampled_from([*ORDERINGS, ("title", "firstname"), ("lastname",)]),
    action=ACTIONS,
    n=st.integers(90, 230),
    names=st.lists(st.sampled_from(["Ann", "ann", "Émile", "emile", "Zoë", "  ", "x"]),
                   min_size=1, max_size=4),
    every=st.integers(1, 3),
)
def test_random_loops_match_a_brute_force(
    ordering: tuple[str, ...], action: str, n: int, names: list[str], every: int
) -> None:
    with Emulator() as crm:
        client = make_client(crm)
        records = seed(client, n, first=lambda i: names[i % len(names)] if i % 5 else None,
                       title=lambda i: "Old" if i % every == 0 else "Other")
        qs = Contacts.objects.using(client).filter(title="Old").order_by(*ordering)
        want = brute([r for r in records if r["title"] == "Old"], ordering)
        seen = []
        for c in qs.iterator():
            seen.append(c.id)
            if action == "delete":
                c.delete()
            elif action == "retitle":
                c.title = "New"
                c.save()
            elif action == "rename-ahead":
                ahead = "zz" if not ordering or not ordering[0].startswith("-") else "a"
                c.firstname = ahead
                c.save()
            elif action == "rename-behind":
                c.firstname = "a" if not ordering or not ordering[0].startswith("-") else "zz"
                c.save()
        assert seen == want
        client.close()


def test_a_descending_reference_is_read_whole_and_backwards(client: Any) -> None:
    from vtorm.query import paging

    accounts = [client.create("Accounts", {"accountname": f"Acc {n}",
                                           "assigned_user_id": "19x1"})["id"] for n in range(6)]
    made = [client.create("Contacts", {"lastname": f"Ref {i:03d}", "account_id": accounts[i % 6],
                                       "assigned_user_id": "19x1"})["id"] for i in range(130)]
    for gone in accounts[1:3]:
        client.delete(gone)  # their contacts now read an empty account_id
    qs = Contacts.objects.using(client).filter(lastname__startswith="Ref")
    refers = {ident: num(accounts[i % 6]) for i, ident in enumerate(made)}
    want = sorted(made, key=lambda i: (refers[i], num(i)), reverse=True)
    ordered = qs.order_by("-account_id")
    assert ordered.query.plan.kind == "reverse"
    assert [c.id for c in ordered.iterator()] == want
    assert [c.id for c in ordered[10:120]] == want[10:120]
    gc.collect()  # streams other tests left unfinished
    assert len(paging._LIVE) == 0  # finished streams no longer watch writes


HOSTILE = ["O'Brien", "a\\b", "100%", "x_y", "Ünïcode", "' OR 1=1 --", "semi;colon", "Ann"]


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ordering=st.sampled_from([("firstname",), ("-firstname",), ("firstname", "-id")]),
    names=st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=5),
    n=st.integers(101, 160),
)
def test_hostile_values_at_page_boundaries_page_exactly(
    ordering: tuple[str, ...], names: list[str], n: int
) -> None:
    # The last value of a page becomes a literal of the next page's keyset
    # condition: quotes, backslashes, LIKE wildcards and SQL text must stay
    # values, so every record comes once, in order, and the loop can delete.
    with Emulator() as crm:
        client = make_client(crm)
        records = seed(client, n, first=lambda i: names[i % len(names)])
        qs = Contacts.objects.using(client).order_by(*ordering)
        seen = []
        for c in qs.iterator():
            seen.append(c.id)
            c.delete()
        assert seen == brute(records, ordering)
        assert client.query("SELECT id FROM Contacts;") == []
        client.close()
