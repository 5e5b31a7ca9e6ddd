"""The query operation end to end: VTQL over HTTP against the emulator, answered as 8.4 answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulator_wire import Wire, assert_recorded_error, recorded

from vtorm.testing import Emulator


def query(wire: Wire, text: str) -> Any:
    return wire.get("query", query=text)


def rows(wire: Wire, text: str) -> list[dict[str, Any]]:
    body = query(wire, text)
    assert body["success"] is True, body
    result: list[dict[str, Any]] = body["result"]
    return result


def contact(wire: Wire, **fields: Any) -> str:
    fields.setdefault("assigned_user_id", "19x1")
    created: str = wire.create("Contacts", **fields)["id"]
    return created


@pytest.fixture
def people(wire: Wire) -> dict[str, str]:
    return {
        "john": contact(wire, firstname="John", lastname="Smith", title="CEO"),
        "mary": contact(wire, firstname="Mary", lastname="Smith"),
        "sean": contact(wire, firstname="Seán", lastname="O'Brien"),
        "jose": contact(wire, firstname="José", lastname="Müller-Ñúñez"),
        "hostile": contact(wire, firstname="Bobby", lastname="' OR 1=1 --"),
    }


def test_where_and_or_like_order_limit(wire: Wire, people: dict[str, str]) -> None:
    got = rows(
        wire,
        "SELECT firstname, lastname FROM Contacts WHERE lastname = 'smith' AND firstname = 'John'"
        " OR lastname LIKE 'muller%' ORDER BY lastname DESC LIMIT 5;",
    )
    assert [r["id"] for r in got] == [people["john"], people["jose"]]
    assert got[0] == {"firstname": "John", "lastname": "Smith", "id": people["john"]}


def test_quoted_quotes_and_hostile_values_match_literally(
    wire: Wire, people: dict[str, str]
) -> None:
    got = rows(wire, "SELECT lastname FROM Contacts WHERE lastname = 'O''Brien';")
    assert [r["id"] for r in got] == [people["sean"]]
    got = rows(wire, "SELECT lastname FROM Contacts WHERE lastname = ''' OR 1=1 --';")
    assert [r["id"] for r in got] == [people["hostile"]]
    assert rows(wire, "SELECT lastname FROM Contacts WHERE id = '12x0 or 1=1';") == []


def test_order_by_two_columns_and_paging(wire: Wire, people: dict[str, str]) -> None:
    ordered = [
        r["id"]
        for r in rows(wire, "SELECT lastname FROM Contacts ORDER BY lastname, firstname DESC;")
    ]
    assert ordered == [
        people["hostile"],
        people["jose"],
        people["sean"],
        people["mary"],
        people["john"],
    ]
    page = rows(wire, "SELECT lastname FROM Contacts ORDER BY lastname, firstname DESC LIMIT 1, 2;")
    assert [r["id"] for r in page] == ordered[1:3]


def test_empty_texts_match_ne_and_read_as_empty(wire: Wire, people: dict[str, str]) -> None:
    """An unset title is '' on 8.4: ``!=`` matches it (b2-query-string-ne-with-empty)."""
    got = rows(wire, "SELECT title FROM Contacts WHERE title != 'CTO';")
    assert [r["id"] for r in got] == list(people.values())
    mary = rows(wire, f"SELECT title FROM Contacts WHERE id = '{people['mary']}';")
    assert mary == [{"title": "", "id": people["mary"]}]


def test_deleted_records_are_not_answered(wire: Wire, people: dict[str, str]) -> None:
    assert wire.post("delete", id=people["mary"])["success"]
    got = rows(wire, "SELECT lastname FROM Contacts WHERE lastname = 'Smith';")
    assert [r["id"] for r in got] == [people["john"]]


def test_row_shapes_are_the_recorded_ones(wire: Wire, people: dict[str, str]) -> None:
    twice = rows(wire, "SELECT lastname, lastname FROM Contacts LIMIT 1;")
    assert list(twice[0]) == list(recorded("query-select-column-twice.json")["result"][0])
    star = rows(wire, "SELECT * FROM Contacts LIMIT 1;")
    assert list(star[0]) == list(recorded("query-select-star-contacts.json")["result"][0])


@pytest.mark.parametrize(
    "name",
    [
        "query-order-multi",
        "query-where-parens-1",
        "query-where-ne-ltgt",
        "query-err-unknown-field-select",
        "query-err-unknown-field-where",
        "query-err-unknown-module",
        "query-err-missing-from",
        "query-quote-in-double-quotes",
        "query-empty-string-value",
        "query-ref-eq-bare-id",
        "query-no-semicolon",
        "query-err-trailing-garbage",
    ],
)
def test_refused_statements_answer_the_recorded_error(wire: Wire, name: str) -> None:
    from vtql_recorded import recorded_queries

    assert_recorded_error(query(wire, recorded_queries()[name]), f"{name}.json")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT firstname FROM Contacts ORDER BY nosuchfield;",
        "SELECT firstname FROM Contacts WHERE lastname = Smith;",
        "SELECT firstname FROM Contacts LIMIT '5';",
        "SELECT firstname FROM Contacts LIMIT -1;",
        "SELECT count(*) FROM Contacts;",
    ],
)
def test_statements_8_4_answers_with_an_empty_success(
    wire: Wire, people: dict[str, str], text: str
) -> None:
    assert query(wire, text) == {"success": True, "result": []}


def test_limit_abc_is_ignored_and_rows_are_capped_at_100(wire: Wire) -> None:
    for number in range(105):
        wire.create("Leads", lastname=f"Lead {number:03d}", company="Co", assigned_user_id="19x1")
    assert len(rows(wire, "SELECT lastname FROM Leads;")) == 100
    assert len(rows(wire, "SELECT lastname FROM Leads LIMIT abc;")) == 100
    assert len(rows(wire, "SELECT lastname FROM Leads LIMIT 500;")) == 100
    rest = rows(wire, "SELECT lastname FROM Leads ORDER BY lastname LIMIT 100, 500;")
    assert [r["lastname"] for r in rest] == [f"Lead {n:03d}" for n in range(100, 105)]


def test_users_answer_the_active_admin(wire: Wire) -> None:
    got = rows(wire, "SELECT user_name FROM Users;")
    assert {"user_name": "admin", "id": "19x1"} in got


@pytest.fixture
def unquirked() -> Iterator[Wire]:
    with Emulator(quirks=None) as crm:
        client = Wire(crm)
        assert client.login()["success"]
        yield client
        client.http.close()


def test_count_answers_a_string_without_the_8_4_quirk(unquirked: Wire) -> None:
    contact(unquirked, lastname="A")
    contact(unquirked, lastname="B")
    assert rows(unquirked, "SELECT count(*) FROM Contacts WHERE lastname != 'B';") == [
        {"count": "1"}
    ]
