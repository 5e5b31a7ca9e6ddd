"""Read a compiled Query page by page, as the server's 100-row cap requires.

A page may hold fewer rows than asked even when more follow (the server
de-duplicates and filters rows after its LIMIT), so paging goes on until a
page is empty, advancing the offset by what was asked, not by what came back.
The order is unique whenever more than one request is needed, so a record
seen twice (across a page boundary, or in two streams of a split filter) is
adjacent to itself and dropped by comparing with the previous row only:
memory stays at one page per stream.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any, Protocol

from vtorm.query.compiler import PAGE
from vtorm.query.query import Query

Row = dict[str, Any]


class QueryClient(Protocol):
    """What paging needs of a client."""

    def query(self, vtql: str) -> list[dict[str, Any]]:
        """Send one statement, return its rows."""
        ...


def id_number(row: Row) -> int:
    """The record number of a row's ``id`` (``"12x8"`` -> 8)."""
    return int(str(row["id"]).partition("x")[2])


def _dedupe(rows: Iterator[Row]) -> Iterator[Row]:
    last: Any = None
    for row in rows:
        ident = row.get("id")
        if ident is not None and ident == last:
            continue
        last = ident
        yield row


def _stream(client: QueryClient, query: Query, where: str, offset: int,
            wanted: int | None) -> Iterator[Row]:
    """Rows of one WHERE clause from ``offset``; ``wanted`` rows at most (None: all)."""
    last: Any = None
    # A non-unique order is only used for a window of one page; should the
    # server answer it short, ties may move in the next page: remember them all.
    seen: set[Any] | None = None if query.plan.unique else set()
    while wanted is None or wanted > 0:
        limit = PAGE if wanted is None else min(PAGE, wanted)
        page = client.query(query.statement(where, offset, limit))
        if not page:
            return
        offset += limit
        for row in page:
            ident = row.get("id")
            if ident is not None:
                if ident == last:
                    continue
                if seen is not None:
                    if ident in seen:
                        continue
                    seen.add(ident)
            last = ident
            if wanted is not None:
                if wanted <= 0:
                    return
                wanted -= 1
            yield row


def rows(client: QueryClient, query: Query) -> Iterator[Row]:
    """Every row the query selects, in its order, within its slice."""
    groups = query.groups
    low, high = query.low, query.high
    if not groups or (high is not None and high <= low):
        return iter(())
    plan = query.plan
    if len(groups) == 1 and not plan.reverse:
        wanted = None if high is None else high - low
        return _stream(client, query, groups[0], low, wanted)
    if plan.reverse:
        everything = list(_stream(client, query, groups[0], 0, None))
        everything.reverse()
        return islice(iter(everything), low, high)
    descending = plan.server[0][1]
    streams = [_stream(client, query, where, 0, high) for where in groups]
    merged = heapq.merge(*streams, key=id_number, reverse=descending)
    return islice(_dedupe(merged), low, high)
