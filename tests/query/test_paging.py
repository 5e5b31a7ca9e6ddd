"""Paging against a scripted server that can answer short pages.

The emulator answers full pages; a real server may not (it de-duplicates and
filters rows after its LIMIT). This server keeps records in memory, reads the
statements vtorm writes (ORDER BY / LIMIT / ``id IN`` groups) and hides some
rows after the LIMIT, to check that paging never stops early, never repeats a
record and sends no more requests than needed.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from query_fakes import Contacts

from vtorm.query import Q
from vtorm.query.compiler import TRUE, resolve
from vtorm.query.paging import rows
from vtorm.query.query import Query

STATEMENT = re.compile(
    r"SELECT (?P<cols>.+?) FROM Contacts(?: WHERE (?P<where>.+?))?"
    r" ORDER BY (?P<order>.+?) LIMIT (?:(?P<off>\d+), )?(?P<lim>\d+);"
)


TERM = re.compile(r"(?P<col>\w+) (?P<op>IN|<=|>=|!=|=|<|>) (?P<value>\(.*\)|'[^']*')")


def _number(ident: str) -> int:
    return int(ident.partition("x")[2])


class ScriptedServer:
    def __init__(self, n: int, hidden: frozenset[int] = frozenset()) -> None:
        self.records = [
            {"id": f"12x{i}", "lastname": f"name{(i * 7) % 13:02d}"} for i in range(1, n + 1)
        ]
        self.hidden = hidden
        self.sent: list[str] = []

    @staticmethod
    def _value(r: dict[str, Any], col: str) -> Any:
        return _number(r["id"]) if col == "id" else r[col]

    def _holds(self, r: dict[str, Any], term: str) -> bool:
        m = TERM.fullmatch(term)
        assert m, term
        col, op, value = m["col"], m["op"], m["value"]
        if op == "IN":
            wanted = {_number(v) if col == "id" else v for v in re.findall(r"'([^']*)'", value)}
            return self._value(r, col) in wanted
        literal: Any = value[1:-1]
        if col == "id":
            literal = _number(literal)
        have = self._value(r, col)
        return {"=": have == literal, "!=": have != literal, "<": have < literal,
                ">": have > literal, "<=": have <= literal, ">=": have >= literal}[op]

    def _matches(self, r: dict[str, Any], where: str) -> bool:
        # AND binds tighter than OR, as on the server; no value here holds " OR ".
        return any(all(self._holds(r, t) for t in conj.split(" AND "))
                   for conj in where.split(" OR "))

    def query(self, vtql: str) -> list[dict[str, Any]]:
        self.sent.append(vtql)
        m = STATEMENT.fullmatch(vtql)
        assert m, vtql
        found = self.records
        if m["where"]:
            found = [r for r in found if self._matches(r, m["where"])]
        order = m["order"]
        desc = order.endswith(" DESC")
        columns = [c.strip() for c in order.removesuffix(" DESC").split(",")]

        # One direction for the last column, as the server does; ties by
        # insertion order otherwise (not by id: only what is asked is sorted).
        found = sorted(found, key=lambda r: self._value(r, columns[-1]), reverse=desc)
        for col in reversed(columns[:-1]):
            found = sorted(found, key=lambda r, c=col: self._value(r, c))  # type: ignore[misc]
        off, lim = int(m["off"] or 0), int(m["lim"])
        page = found[off : off + min(lim, 100)]
        return [dict(r) for r in page if _number(r["id"]) not in self.hidden]


def ids(found: Any) -> list[int]:
    return [int(r["id"].partition("x")[2]) for r in found]


@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250, 300])
def test_every_row_once_in_at_most_ceil_plus_one_requests(n: int) -> None:
    server = ScriptedServer(n)
    assert ids(rows(server, Query(Contacts))) == list(range(1, n + 1))  # type: ignore[arg-type]
    assert len(server.sent) <= math.ceil(n / 100) + 1


def test_short_pages_do_not_end_iteration() -> None:
    hidden = frozenset(range(1, 101)) - {50}  # the first page holds one visible row
    server = ScriptedServer(250, hidden | {150, 151})
    got = ids(rows(server, Query(Contacts)))  # type: ignore[arg-type]
    assert got == [50, *[i for i in range(101, 251) if i not in (150, 151)]]
    # The next page starts after the last row read, not at an offset.
    assert server.sent[1] == "SELECT * FROM Contacts WHERE id > '12x50' ORDER BY id LIMIT 100;"


def test_slices_ask_only_for_what_they_need() -> None:
    server = ScriptedServer(300)
    got = ids(rows(server, Query(Contacts, low=120, high=130)))  # type: ignore[arg-type]
    assert got == list(range(121, 131))
    assert server.sent == ["SELECT * FROM Contacts ORDER BY id LIMIT 120, 10;"]

    server = ScriptedServer(300)
    got = ids(rows(server, Query(Contacts, low=50, high=260)))  # type: ignore[arg-type]
    assert got == list(range(51, 261))
    assert server.sent == [
        "SELECT * FROM Contacts ORDER BY id LIMIT 50, 100;",
        "SELECT * FROM Contacts WHERE id > '12x150' ORDER BY id LIMIT 100;",
        "SELECT * FROM Contacts WHERE id > '12x250' ORDER BY id LIMIT 10;",
    ]


def test_slice_short_page_is_filled_from_the_next_offset() -> None:
    server = ScriptedServer(300, frozenset({3, 4}))
    got = ids(rows(server, Query(Contacts, high=10)))  # type: ignore[arg-type]
    assert got == [1, 2, 5, 6, 7, 8, 9, 10, 11, 12]
    assert server.sent[1] == "SELECT * FROM Contacts WHERE id > '12x10' ORDER BY id LIMIT 2;"


def test_non_unique_order_pages_with_id_tiebreak() -> None:
    server = ScriptedServer(260)
    query = Query(Contacts, ordering=(("lastname", False),))  # type: ignore[arg-type]
    got = list(rows(server, query))
    expected = sorted(server.records, key=lambda r: (r["lastname"], ids([r])[0]))
    assert got == expected
    assert "ORDER BY lastname, id LIMIT" in server.sent[0]


def test_descending_non_unique_order_pages_with_ties_in_id_order() -> None:
    server = ScriptedServer(230)
    query = Query(Contacts, ordering=(("lastname", True),))  # type: ignore[arg-type]
    got = list(rows(server, query))
    expected = sorted(server.records, key=lambda r: (r["lastname"], ids([r])[0]), reverse=True)
    assert got == expected
    assert server.sent[0] == "SELECT * FROM Contacts ORDER BY lastname DESC LIMIT 100;"
    # The next page holds the value the last one ended with, whole.
    assert server.sent[1].startswith("SELECT * FROM Contacts WHERE lastname <= 'name")
    # A page ends one value early; a value filling a page is read in id order on
    # its own; the rows with an empty value (none here) are looked for at the end.
    assert len(server.sent) == 7
    assert server.sent[4] == (
        "SELECT * FROM Contacts WHERE lastname = 'name00' ORDER BY id DESC LIMIT 100;"
    )
    assert server.sent[-1] == "SELECT id, lastname FROM Contacts ORDER BY lastname, id LIMIT 100;"


def test_split_filter_streams_merge_in_id_order_without_duplicates() -> None:
    wanted = [f"12x{i}" for i in range(1000, 0, -2)] + ["12x2", "12x4"]
    where = resolve(Contacts, Q(id__in=wanted) | Q(id__in=["12x3", "12x2"]))  # type: ignore[arg-type]
    query = Query(Contacts, where)  # type: ignore[arg-type]
    assert len(query.groups) > 1
    server = ScriptedServer(1100)
    assert ids(rows(server, query)) == sorted({*range(2, 1001, 2), 3})
    assert len(server.sent) <= len(query.groups) * (math.ceil(501 / 100) + 1)

    desc = Query(Contacts, where, (("id", True),), 0, 5)  # type: ignore[arg-type]
    assert ids(rows(ScriptedServer(1100), desc)) == [1000, 998, 996, 994, 992]


def test_nothing_is_sent_for_an_empty_filter_or_window() -> None:
    server = ScriptedServer(10)
    assert list(rows(server, Query(Contacts, resolve(Contacts, Q(id__in=[]))))) == []  # type: ignore[arg-type]
    assert list(rows(server, Query(Contacts, TRUE, (), 5, 5))) == []  # type: ignore[arg-type]
    assert server.sent == []


# --------------------------------------------------------------------------- keyset bounds


class RefServer(ScriptedServer):
    """Records with an account_id that sorts by its number but reads as empty (null)
    when the account was deleted, as 8.4 answers a reference to a deleted record."""

    def __init__(self, accounts: list[int | None], deleted: set[int]) -> None:
        super().__init__(len(accounts))
        for record, account in zip(self.records, accounts, strict=True):
            record["_acc"] = account
            record["account_id"] = (
                None if account is None or account in deleted else f"11x{account}"
            )

    @staticmethod
    def _value(r: dict[str, Any], col: str) -> Any:
        if col == "account_id":
            return -1 if r["_acc"] is None else r["_acc"]  # NULL sorts first
        return _number(r["id"]) if col == "id" else r[col]

    def _holds(self, r: dict[str, Any], term: str) -> bool:
        if term.startswith("account_id ") and r["_acc"] is None:
            return False  # NULL matches no comparison
        if term.startswith("account_id "):
            m = TERM.fullmatch(term)
            assert m and m["op"] != "IN"
            have, literal = r["_acc"], _number(m["value"][1:-1])
            return {"=": have == literal, "<": have < literal, ">": have > literal,
                    "<=": have <= literal, ">=": have >= literal}[m["op"]]
        return super()._holds(r, term)

    def query(self, vtql: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "_acc"} for r in super().query(vtql)]


def by_account(server: RefServer, desc: bool = False) -> list[int]:
    ordered = sorted(server.records, key=lambda r: (server._value(r, "account_id"),
                                                     _number(r["id"])))
    return ids(ordered[::-1] if desc else ordered)


def test_a_row_that_cannot_bound_a_page_is_stepped_over() -> None:
    # Every 7th record refers to a deleted account: it reads as empty mid-order.
    accounts = [i // 3 for i in range(260)]
    server = RefServer(accounts, deleted={n for n in range(0, 90, 7)})
    query = Query(Contacts, ordering=(("account_id", False),))  # type: ignore[arg-type]
    assert ids(rows(server, query)) == by_account(server)
    assert len(server.sent) <= math.ceil(260 / 100) + 2
    assert all("account_id = '11x" in s for s in server.sent[1:-1])


def test_a_page_that_cannot_bound_the_next_reads_the_ids_of_the_rest_first() -> None:
    # 150 records in a row refer to deleted accounts: no row of a page can bound it.
    accounts = [i for i in range(60)] + [100 + i for i in range(150)] + [500 + i for i in range(40)]
    server = RefServer(accounts, deleted={100 + i for i in range(150)})
    query = Query(Contacts, ordering=(("account_id", False),))  # type: ignore[arg-type]
    assert ids(rows(server, query)) == by_account(server)
    assert any(s.startswith("SELECT id, account_id FROM Contacts WHERE") for s in server.sent)
    assert any(" WHERE id IN (" in s for s in server.sent)


def test_empty_values_at_the_start_are_read_ahead() -> None:
    accounts: list[int | None] = [None] * 130 + [i // 2 for i in range(120)]
    server = RefServer(accounts, deleted=set())
    query = Query(Contacts, ordering=(("account_id", False),))  # type: ignore[arg-type]
    assert ids(rows(server, query)) == by_account(server)
    # two pages read ahead by offset before anything was returned, then keyset
    assert server.sent[1] == "SELECT * FROM Contacts ORDER BY account_id, id LIMIT 100, 100;"
    assert "WHERE account_id > '11x" in server.sent[2]


def test_a_value_too_long_for_the_url_cannot_bound_a_page() -> None:
    server = ScriptedServer(230)
    for r in server.records[:120]:
        r["lastname"] = "x" * 3000 + r["lastname"]
    query = Query(Contacts, ordering=(("lastname", False),))  # type: ignore[arg-type]
    expected = sorted(server.records, key=lambda r: (r["lastname"], _number(r["id"])))
    assert list(rows(server, query)) == expected
    assert all(len(s) < 8000 for s in server.sent)


def test_the_keyset_condition_goes_into_every_ored_group() -> None:
    where = resolve(Contacts, Q(lastname="name01") | Q(lastname="name03"))  # type: ignore[arg-type]
    server = ScriptedServer(300)
    got = ids(rows(server, Query(Contacts, where)))  # type: ignore[arg-type]
    assert got == [_number(r["id"]) for r in server.records
                   if r["lastname"] in ("name01", "name03")]
    (second,) = [s for s in server.sent if "id >" in s][:1]
    assert " WHERE lastname = 'name01' AND id > '12x" in second
    assert " OR lastname = 'name03' AND id > '12x" in second


def test_descending_with_short_pages_is_exact() -> None:
    hidden = frozenset(range(5, 300, 4))
    server = ScriptedServer(300, hidden)
    for ordering in ((("lastname", True),), (("lastname", True), ("id", False))):
        server.sent.clear()
        query = Query(Contacts, ordering=ordering)  # type: ignore[arg-type]
        visible = [r for r in server.records if _number(r["id"]) not in hidden]
        ties_up = len(ordering) == 2
        expected = sorted(visible, key=lambda r: (r["lastname"],
                                                  -_number(r["id"]) if ties_up
                                                  else _number(r["id"])), reverse=True)
        assert list(rows(server, query)) == expected


class NullableServer(ScriptedServer):
    """Last names drawn from a few values, some NULL (sorting first, matching nothing)."""

    def __init__(self, names: list[str | None], hidden: frozenset[int]) -> None:
        super().__init__(len(names), hidden)
        for record, name in zip(self.records, names, strict=True):
            record["lastname"] = name

    @staticmethod
    def _value(r: dict[str, Any], col: str) -> Any:
        if col == "lastname":
            return (0, "") if r["lastname"] is None else (1, r["lastname"])
        return _number(r["id"]) if col == "id" else r[col]

    def _holds(self, r: dict[str, Any], term: str) -> bool:
        if term.startswith("lastname "):
            m = TERM.fullmatch(term)
            assert m and m["op"] != "IN"
            if r["lastname"] is None:
                return False
            have, literal = r["lastname"], m["value"][1:-1]
            return {"=": have == literal, "<": have < literal, ">": have > literal,
                    "<=": have <= literal, ">=": have >= literal}[m["op"]]
        return super()._holds(r, term)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.one_of(st.none(), st.sampled_from(["ann", "bob", "cy", "dee"])),
                   min_size=0, max_size=330),
    hidden=st.frozensets(st.integers(1, 330), max_size=40),
    ordering=st.sampled_from([(("lastname", False),), (("lastname", True),),
                              (("lastname", True), ("id", False)),
                              (("lastname", False), ("id", True)), (("id", True),)]),
    window=st.one_of(st.none(), st.tuples(st.integers(0, 200), st.integers(101, 250))),
)
def test_every_ordering_reads_each_visible_row_once_in_order(
    names: list[str | None], hidden: frozenset[int], ordering: Any, window: Any
) -> None:
    low, size = window or (0, None)
    if low:
        hidden = frozenset()  # the server's offsets count the rows it hides after its LIMIT
    server = NullableServer(names, hidden)
    high = None if size is None else low + size
    query = Query(Contacts, ordering=ordering, low=low, high=high)  # type: ignore[arg-type]
    visible = [r for r in server.records if _number(r["id"]) not in hidden]
    (col, desc), *rest = ordering
    ties_desc = rest[0][1] if rest else desc
    if col == "id":
        expected = sorted(visible, key=lambda r: _number(r["id"]), reverse=desc)
    else:
        ties = sorted(visible, key=lambda r: _number(r["id"]), reverse=ties_desc)
        expected = sorted(ties, key=lambda r: server._value(r, "lastname"), reverse=desc)
    assert list(rows(server, query)) == expected[low:high]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.one_of(st.none(), st.sampled_from(["ann", "bob", "cy", "dee"])),
                   min_size=0, max_size=330),
    ordering=st.sampled_from([(), (("lastname", False),), (("lastname", True),),
                              (("lastname", True), ("id", False)), (("id", True),)]),
    every=st.integers(1, 4),
)
def test_deleting_while_reading_misses_nothing(names: list[str | None], ordering: Any,
                                               every: int) -> None:
    server = NullableServer(names, frozenset())
    query = Query(Contacts, ordering=ordering)  # type: ignore[arg-type]
    before = list(rows(NullableServer(names, frozenset()), query))
    seen = []
    for n, row in enumerate(rows(server, query)):
        seen.append(row)
        if n % every == 0:  # the loop deletes some of what it was given
            server.records = [r for r in server.records if r["id"] != row["id"]]
    assert seen == before
