"""Ordering plans and page statements, without a server."""

from __future__ import annotations

import pytest
from query_fakes import Contacts

from vtorm.query import UnsupportedQueryError
from vtorm.query.compiler import TRUE
from vtorm.query.ordering import plan_order
from vtorm.query.query import Query

A, B = ("a", False), ("b", False)
DA, DB = ("a", True), ("b", True)
ID, DID = ("id", False), ("id", True)


@pytest.mark.parametrize(
    ("requested", "window", "server", "reverse"),
    [
        ((), None, (ID,), False),
        ((A,), None, (A, ID), False),
        ((A, B), None, (A, B, ID), False),
        ((A, B), 50, (A, B), False),
        ((A, DB), 100, (A, DB), False),
        ((DA,), 10, (DA,), False),
        ((DA,), None, (DA,), False),
        ((DA,), 500, (DA,), False),
        ((DA, DB), None, (A, B, ID), True),
        ((DID,), None, (DID,), False),
        ((A, DID), None, (A, DID), False),
        ((DA, ID), None, (DA,), False),
        ((DA, DID), 150, (DA,), False),
        ((A, ID, DB), None, (A, ID), False),
    ],
)
def test_plans(requested, window, server, reverse) -> None:  # type: ignore[no-untyped-def]
    plan = plan_order(requested, window, "Contacts")
    assert plan.server == server
    assert plan.reverse == reverse


@pytest.mark.parametrize(
    ("requested", "window", "message"),
    [
        ((DA, B), None, "cannot be expressed"),
        ((DA, B), 10, "cannot be expressed"),
        ((A, DB), None, "cannot be paged reliably"),
        ((A, DB), 101, "cannot be paged reliably"),
        ((A, DB), 500, "order by one descending column alone"),
        ((DA, DB), 10, "whole result"),
    ],
)
def test_refused_orders(requested, window, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedQueryError, match=message):
        plan_order(requested, window, "Contacts")


def q(**kw) -> Query:  # type: ignore[no-untyped-def]
    return Query(Contacts, **kw)  # type: ignore[arg-type]


def test_statements() -> None:
    assert str(q()) == "SELECT * FROM Contacts ORDER BY id LIMIT 100;"
    assert str(q(low=150, high=170)) == "SELECT * FROM Contacts ORDER BY id LIMIT 150, 20;"
    assert str(q(ordering=(("lastname", True),), high=5)) == (
        "SELECT * FROM Contacts ORDER BY lastname DESC LIMIT 5;"
    )
    assert str(q(columns=("lastname", "email"), ordering=(("lastname", False),))) == (
        "SELECT lastname, email FROM Contacts ORDER BY lastname, id LIMIT 100;"
    )
    assert q(where=TRUE).count_statement() == "SELECT count(*) FROM Contacts;"
    assert str(q(where=("OR", ()))) == ""
    assert str(q(low=5, high=5)) == ""


def test_descending_plan_reads_from_the_start() -> None:
    query = q(ordering=(("lastname", True),), low=3)
    assert str(query) == "SELECT * FROM Contacts ORDER BY lastname DESC LIMIT 100;"
    assert query.plan.kind == "descending" and query.plan.id_descending
    ties_up = q(ordering=(("lastname", True), ("id", False)), high=150)
    assert str(ties_up) == "SELECT * FROM Contacts ORDER BY lastname DESC LIMIT 100;"
    assert ties_up.plan.kind == "descending" and not ties_up.plan.id_descending
    assert str(q(ordering=(("lastname", True), ("id", True)), high=50)) == (
        "SELECT * FROM Contacts ORDER BY lastname DESC LIMIT 51;"
    )
    both = q(ordering=(("lastname", True), ("firstname", True)))
    assert str(both) == "SELECT * FROM Contacts ORDER BY lastname, firstname, id LIMIT 100;"
    assert both.plan.reverse and both.plan.kind == "reverse"


def test_ordering_columns_are_selected() -> None:
    # 8.4 answers an ORDER BY on a column the statement does not join with an
    # empty success; paging reads the ordering values of every row too.
    query = q(columns=("lastname",), ordering=(("email", False),))
    assert str(query) == "SELECT lastname, email FROM Contacts ORDER BY email, id LIMIT 100;"
    assert query.extra_columns == ("email",)


def test_split_filter_needs_id_order() -> None:
    from vtorm.query import Q
    from vtorm.query.compiler import resolve

    where = resolve(Contacts, Q(id__in=[f"12x{n}" for n in range(1, 600)]))  # type: ignore[arg-type]
    assert len(q(where=where).groups) > 1
    assert str(q(where=where)).startswith("SELECT * FROM Contacts WHERE id IN ('12x1', ")
    with pytest.raises(UnsupportedQueryError, match="merged in id order"):
        _ = q(where=where, ordering=(("lastname", False),)).plan
