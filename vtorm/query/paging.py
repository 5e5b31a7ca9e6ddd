"""Read a compiled Query page by page, as the server's 100-row cap requires.

A page may hold fewer rows than asked even when more follow (the server
de-duplicates and filters rows after its LIMIT), so paging goes on until a
page is empty, advancing the offset by what was asked, not by what came back.
The order is unique whenever more than one request is needed, so a record
seen twice (across a page boundary, or in two streams of a split filter) is
adjacent to itself and dropped by comparing with the previous row only:
memory stays at one page per stream.

A stream with a negated LIKE (see :class:`vtorm.query.compiler.Group`) first
reads the ids to skip, id-only pages until an empty one, and keeps them in a
set: its memory grows with the number of excluded records. It then reads its
rows from the start (the server's offsets count skipped rows too) and the slice
is taken client-side.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from itertools import islice
from typing import Any, Protocol

from vtorm.query.compiler import PAGE, Group
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


def _filtered(client: QueryClient, query: Query, group: Group) -> Iterator[Row]:
    """Rows of ``group.where`` minus its excluded ids and its empty required fields."""
    excluded: set[Any] = set()
    ids = query.id_query()
    for where in group.minus:
        excluded.update(row.get("id") for row in _stream(client, ids, where, 0, None))
    required = group.required
    for row in _stream(client, query, group.where, 0, None):
        if row.get("id") in excluded:
            continue
        # A NULL field (null in the row, e.g. a date) matches no comparison, negated or
        # not; an empty text ("") is the empty string, which a NOT LIKE does match.
        if any(row.get(wire) is None for wire in required):
            continue
        yield row


def _group_rows(client: QueryClient, query: Query, group: Group,
                wanted: int | None) -> Iterator[Row]:
    """Rows of one stream from its start; ``wanted`` rows at most (None: all)."""
    if not group.minus:
        return _stream(client, query, group.where, 0, wanted)
    return islice(_filtered(client, query, group), wanted)


def _strip(rows: Iterator[Row], extra: tuple[str, ...]) -> Iterator[Row]:
    # Columns fetched only for the empty-field check are not the user's.
    for row in rows:
        for wire in extra:
            row.pop(wire, None)
        yield row


def rows(client: QueryClient, query: Query) -> Iterator[Row]:
    """Every row the query selects, in its order, within its slice."""
    streams = query.streams
    low, high = query.low, query.high
    if not streams or (high is not None and high <= low):
        return iter(())
    plan = query.plan
    extra = query.extra_columns
    found = _rows(client, query, streams, plan.reverse, plan.server[0][1])
    return _strip(found, extra) if extra else found


def _rows(client: QueryClient, query: Query, streams: tuple[Group, ...], reverse: bool,
          descending: bool) -> Iterator[Row]:
    low, high = query.low, query.high
    if len(streams) == 1 and not reverse:
        group = streams[0]
        if group.minus:
            return islice(_filtered(client, query, group), low, high)
        wanted = None if high is None else high - low
        return _stream(client, query, group.where, low, wanted)
    if reverse:
        everything = list(_group_rows(client, query, streams[0], None))
        everything.reverse()
        return islice(iter(everything), low, high)
    merged = heapq.merge(
        *(_group_rows(client, query, group, high) for group in streams),
        key=id_number,
        reverse=descending,
    )
    return islice(_dedupe(merged), low, high)
