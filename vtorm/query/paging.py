"""Read a compiled Query page by page, as the server's 100-row cap requires.

Pages follow each other by **keyset**, never by offset: the next page is the
rows after the last one read, in the plan's order (``... AND id > '12x345'``,
or ``lastname > 'X' OR lastname = 'X' AND id > '12x345'`` for another order;
the condition is ANDed into every ORed group of the filter, since the
language has no brackets). So a loop that deletes the records it was given,
or changes them so that they no longer match, misses nothing: a record that
matched when the loop started, and that nobody else deleted, is read exactly
once. An offset would skip a page's worth of rows each time the loop removes
rows ahead of it. Deep pages stay cheap too: the database seeks to the key
instead of counting skipped rows.

A page may hold fewer rows than asked even when more follow (the server
de-duplicates and filters rows after its LIMIT), so paging goes on until a
page is empty: plain iteration sends ceil(N/100) + 1 requests, with one page in
memory.

What the keyset cannot express is handled before anything of it is returned,
so that the loop has changed nothing yet:

- A value that cannot bound a page -- an empty one (the language cannot
  write ``''`` and a NULL matches no comparison; empty values sort first when
  ascending, last when descending), a reference to a deleted record (answered
  as empty), a literal too long for the URL -- is stepped over: the last row
  of the page that can bound it does, and the rows read after it are skipped
  when they come again. When a whole page has no such row: at the start, more
  pages are read ahead before the first row is returned; later, the ids of
  the rest are read first (id-only pages), then the rows by id. Either way
  memory grows with those rows only.
- A descending column (``order_by("-lastname")``) is sent as
  ``ORDER BY lastname DESC``, which leaves ties in any order: the rows of a
  page are put in id order per value, and the value the page ends with is
  read again as a whole (``lastname = 'X' ORDER BY id DESC``) or with the next
  page (``lastname <= 'X'``), so ties at a page boundary are neither lost nor
  repeated. Which rows tie is decided with a model of the server's collation
  (:mod:`vtorm.query.collation`).
- A loop that changes the ordering field of a record it was given (through
  that instance: ``save()``, a unit of work, ``bulk_update``) moves the record
  ahead of the pages still to come: vtorm notes it (:func:`note_write`) and
  skips it there, so it is still read once.

A stream with a negated LIKE (see :class:`vtorm.query.compiler.Group`) first
reads the ids to skip and keeps them in a set: its memory grows with the number
of excluded records. Streams of a filter too large for one URL each page on
their own and are merged by id.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from vtorm.query.collation import group_key, is_empty
from vtorm.query.compiler import PAGE, Group, where_length
from vtorm.query.lookups import quote
from vtorm.query.query import Query
from vtorm.types import WSID, field_type

if TYPE_CHECKING:
    from vtorm.model import Model

__all__ = ["MAX_KEYSET_WHERE", "QueryClient", "Row", "RowStream", "id_number", "note_write",
           "rows"]

Row = dict[str, Any]

#: URL-encoded length a WHERE clause may reach with its keyset condition (the
#: web server refuses request lines over about 8 KB; the rest needs room too).
MAX_KEYSET_WHERE = 7000


class QueryClient(Protocol):
    """What paging needs of a client."""

    def query(self, vtql: str) -> list[dict[str, Any]]:
        """Send one statement, return its rows."""
        ...


def id_number(row: Row) -> int:
    """The record number of a row's ``id`` (``"12x8"`` -> 8)."""
    return int(str(row["id"]).partition("x")[2])


# --------------------------------------------------------------------------- writes


_LIVE: weakref.WeakSet[RowStream] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def note_write(obj: Model, wires: Iterable[str]) -> None:
    """Record that ``obj``'s fields ``wires`` were written (called after a revision).

    A stream that yielded ``obj``'s record and orders by one of those fields
    will skip the record should it come again.
    """
    if not _LIVE or obj.id is None:
        return
    module = type(obj)._meta.module
    changed = set(wires)
    with _LIVE_LOCK:
        streams = list(_LIVE)
    for stream in streams:
        if stream.module == module and not changed.isdisjoint(stream.ordering):
            stream._moved_if_yielded(obj)


# --------------------------------------------------------------------------- conditions


def _literal(kind: str, value: Any) -> str | None:
    """The literal of a row's value as a page bound, or None when it cannot bound one."""
    if is_empty(value) or isinstance(value, (dict, list)):
        return None
    text = str(value)
    if kind == "id" or field_type(kind).id_like:
        # the server pastes these unquoted after stripping the prefix: only <n>x<n>
        return quote(text) if WSID.fullmatch(text) else None
    if "\x00" in text:
        return None
    return quote(text)


def _and(terms: tuple[str, ...], conditions: Iterable[str]) -> str:
    """``terms`` (ORed) AND (``conditions`` ORed), distributed: the language has no brackets."""
    out = [f"{t} AND {c}" if t else c for t in terms for c in conditions]
    return " OR ".join(dict.fromkeys(out))


def _fits(where: str) -> bool:
    return where_length(where) <= MAX_KEYSET_WHERE


def _after(columns: tuple[tuple[str, str], ...], literals: list[str], last_id: str,
           id_descending: bool) -> list[str]:
    """The ORed conditions selecting rows after (literals..., last_id) in ascending
    column order: ``a > 'X' OR a = 'X' AND id > '12x5'``."""
    out: list[str] = []
    equal: list[str] = []
    for (wire, _), literal in zip(columns, literals, strict=True):
        out.append(" AND ".join((*equal, f"{wire} > {literal}")))
        equal.append(f"{wire} = {literal}")
    out.append(" AND ".join((*equal, f"id {'<' if id_descending else '>'} {quote(last_id)}")))
    return out


# --------------------------------------------------------------------------- the stream


class RowStream(Iterator[Row]):
    """The rows a query selects, in its order, within its slice, read lazily.

    ``ordering`` holds the columns (other than ``id``) the rows are ordered by;
    an object made from one of the rows may be given to :meth:`watch`, so that
    a write changing one of them (:func:`note_write`) keeps the record from
    being read twice.
    """

    def __init__(self, client: QueryClient, query: Query) -> None:
        self.client = client
        self.query = query
        self.module = query.module
        self.ordering: frozenset[str] = frozenset()
        if query.streams and (query.high is None or query.high > query.low):
            # (nothing is planned for a query that sends nothing)
            plan = query.plan
            if plan.kind in ("keyset", "descending"):
                self.ordering = frozenset(plan.columns)
        self._moved: set[str] = set()
        self._yielded: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._rows = self._all()
        if self.ordering:
            with _LIVE_LOCK:
                _LIVE.add(self)

    def __next__(self) -> Row:
        return next(self._rows)

    def watch(self, obj: Any) -> None:
        """Note that ``obj`` was made from a row of this stream."""
        if self.ordering:
            self._yielded.add(obj)

    def _moved_if_yielded(self, obj: Any) -> None:
        with self._lock:
            if obj in self._yielded:
                self._moved.add(obj.id)

    def _was_moved(self, ident: Any) -> bool:
        """Whether the row ``ident`` was yielded before and moved ahead by a write."""
        if not self._moved:
            return False
        with self._lock:
            if ident in self._moved:
                self._moved.discard(ident)  # passed: it cannot come a third time
                return True
        return False

    # ----------------------------------------------------------------- dispatch

    def _all(self) -> Iterator[Row]:
        query = self.query
        streams = query.streams
        low, high = query.low, query.high
        if not streams or (high is not None and high <= low):
            return
        try:
            found = self._dispatch(streams, low, high)
            extra = query.extra_columns
            if not extra:
                yield from found
                return
            for row in found:
                # Columns fetched only for paging or a client-side step are not the user's.
                for wire in extra:
                    row.pop(wire, None)
                yield row
        finally:
            self._finish()

    def _finish(self) -> None:
        """Nothing more will be read: writes no longer concern this stream."""
        if self.ordering:
            with _LIVE_LOCK:
                _LIVE.discard(self)
            self._yielded = weakref.WeakSet()

    def _dispatch(self, streams: tuple[Group, ...], low: int, high: int | None
                  ) -> Iterator[Row]:
        plan = self.query.plan
        if plan.reverse:
            everything = list(self._group_rows(streams[0], None))
            everything.reverse()
            return islice(iter(everything), low, high)
        if len(streams) == 1:
            group = streams[0]
            if group.minus:
                return islice(self._filtered(group), low, high)
            wanted = None if high is None else high - low
            return self._ordered(group, low, wanted)
        merged = heapq.merge(
            *(self._group_rows(group, high) for group in streams),
            key=id_number,
            reverse=plan.id_descending,
        )
        return islice(_dedupe(merged), low, high)

    def _group_rows(self, group: Group, wanted: int | None) -> Iterator[Row]:
        """Rows of one stream from its start; ``wanted`` rows at most (None: all)."""
        if not group.minus:
            return self._ordered(group, 0, wanted)
        return islice(self._filtered(group), wanted)

    def _ordered(self, group: Group, low: int, wanted: int | None) -> Iterator[Row]:
        kind = self.query.plan.kind
        if kind == "single":
            return self._single(group, low, wanted)
        if kind == "descending":
            found = self._descending(group, None if wanted is None else low + wanted)
            return islice(found, low, None if wanted is None else low + wanted)
        return self._keyset(group, low, wanted)

    def _filtered(self, group: Group) -> Iterator[Row]:
        """Rows of ``group.where`` minus its excluded ids and its empty required fields."""
        ids = self.query.id_query()
        excluded: set[Any] = set()
        for where in group.minus:
            clause = Group(where, terms=(where,))
            excluded.update(row.get("id") for row in RowStream(self.client, ids)._keyset(
                clause, 0, None))
        required = group.required
        for row in self._ordered(Group(group.where, terms=(group.where,)), 0, None):
            if row.get("id") in excluded:
                continue
            # A NULL field (null in the row, e.g. a date) matches no comparison, negated or
            # not; an empty text ("") is the empty string, which a NOT LIKE does match.
            if any(row.get(wire) is None for wire in required):
                continue
            yield row

    # ----------------------------------------------------------------- one window

    def _single(self, group: Group, offset: int, wanted: int | None) -> Iterator[Row]:
        """At most one page in an order that is not unique: by offset, ties remembered."""
        query = self.query
        seen: set[Any] = set()
        while wanted is None or wanted > 0:
            limit = PAGE if wanted is None else min(PAGE, wanted)
            page = self.client.query(query.statement(group.where, offset, limit))
            if not page:
                return
            offset += limit
            for row in page:
                ident = row.get("id")
                if ident in seen:
                    continue
                seen.add(ident)
                if wanted is not None:
                    if wanted <= 0:
                        return
                    wanted -= 1
                yield row

    # ----------------------------------------------------------------- ascending keyset

    def _keyset(self, group: Group, low: int, wanted: int | None) -> Iterator[Row]:
        """Rows of ``group`` from offset ``low`` in the plan's (server-sorted) order."""
        query = self.query
        plan = query.plan
        columns = tuple((wire, query.field_type(wire)) for wire in plan.columns)
        id_desc = plan.id_descending
        terms = group.disjuncts()
        order = query.order_text

        def bound(row: Row) -> list[str] | None:
            literals = []
            for wire, kind in columns:
                literal = _literal(kind, row.get(wire))
                if literal is None:
                    return None
                literals.append(literal)
            if not WSID.fullmatch(str(row.get("id", ""))):
                return None
            after = _after(columns, literals, str(row["id"]), id_desc)
            return after if _fits(_and(terms, after)) else None

        def last_bound(page: list[Row]) -> tuple[list[str], int] | None:
            for index in range(len(page) - 1, -1, -1):
                after = bound(page[index])
                if after is not None:
                    return after, index
            return None

        left = wanted

        def take(page: Iterable[Row], skip: set[Any]) -> Iterator[Row]:
            nonlocal left
            for row in page:
                ident = row.get("id")
                if ident in skip or self._was_moved(ident):
                    continue
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                yield row

        # Start: read ahead (by offset: nothing was returned yet) until a page
        # holds a row that can bound the next one.
        held: list[Row] = []
        offset = low
        found = None
        while found is None:
            limit = PAGE if left is None else min(PAGE, left - len(held))
            if limit <= 0:
                yield from take(held, set())
                return
            rows_ = self.client.query(query.sql(group.where, order, offset, limit))
            if not rows_:
                yield from take(held, set())
                return
            offset += limit
            held.extend(rows_)
            found = last_bound(rows_)
        after, index = found
        skip = {row.get("id") for row in rows_[index + 1:]}
        yield from take(held, set())
        held = []
        while left is None or left > 0:
            limit = PAGE if left is None else min(PAGE, left + len(skip))
            page = self.client.query(query.sql(_and(terms, after), order, 0, limit))
            if not page:
                return
            found = last_bound(page)
            if found is None:
                # No row of the page can bound the next one: read the ids of the
                # rest first, then the rows.
                ids = [str(r["id"]) for r in self._read_ids(_and(terms, after), order)]
                yield from take(self._fetch(ids), skip)
                return
            yield from take(page, skip)
            after, index = found
            skip = {row.get("id") for row in page[index + 1:]}

    def _read_ids(self, where: str, order: str,
                  stop: Callable[[Row], bool] | None = None) -> list[Row]:
        """The ids (with the ordering columns) of the rows of ``where`` in ``order``,
        read by offset in one go (nothing is returned meanwhile); up to the first
        row for which ``stop`` is true, that row left out."""
        query = self.query
        select = ", ".join(("id", *query.plan.columns))
        id_rows: list[Row] = []
        offset = 0
        while True:
            page = self.client.query(query.sql(where, order, offset, PAGE, select))
            if not page:
                return id_rows
            for row in page:
                if stop is not None and stop(row):
                    return id_rows
                id_rows.append(row)
            offset += PAGE

    def _fetch(self, ids: list[str]) -> Iterator[Row]:
        """The rows of ``ids``, in that order (those deleted meanwhile are left out)."""
        query = self.query
        for start in range(0, len(ids), PAGE):
            chunk = [i for i in ids[start:start + PAGE] if WSID.fullmatch(i)]
            if not chunk:
                continue
            where = f"id IN ({', '.join(quote(i) for i in chunk)})"
            found = {r.get("id"): r for r in self.client.query(query.sql(where, "id", 0, PAGE))}
            for ident in chunk:
                row = found.get(ident)
                if row is not None:
                    yield row

    # ----------------------------------------------------------------- descending

    def _descending(self, group: Group, needed: int | None) -> Iterator[Row]:
        """Rows of ``group`` by one descending column, ties in id order (see the module)."""
        query = self.query
        wire = query.plan.columns[0]
        kind = query.field_type(wire)
        ties_desc = query.plan.id_descending
        op = "<" if ties_desc else ">"
        by_id = "id DESC" if ties_desc else "id"
        order = f"{wire} DESC"
        terms = group.disjuncts()
        cond: list[str] | None = None  # what is left, ANDed into the filter
        recent: set[Any] = set()  # ids of the last batch, should a tie straddle it
        produced = 0

        def where(extra: list[str] | None) -> str:
            return group.where if extra is None else _and(terms, extra)

        def key(row: Row) -> str:
            return group_key(kind, row.get(wire))

        def out(rows_: Iterable[Row]) -> Iterator[Row]:
            nonlocal produced
            for row in rows_:
                ident = row.get("id")
                if ident in recent or self._was_moved(ident):
                    continue
                produced += 1
                yield row

        def limit() -> int:
            return PAGE if needed is None else max(1, min(PAGE, needed - produced + 1))

        while needed is None or produced < needed:
            page = self.client.query(query.sql(where(cond), order, 0, limit()))
            if not page:
                if cond is not None:
                    # NULL values match no condition: the rows holding one are read last.
                    yield from out(self._descending_rest(group, None, [], ties_desc, recent,
                                                         empty_only=True))
                return
            keys = [key(row) for row in page]
            first = keys.index(keys[-1])
            if first > 0:
                # Every value before the last one is complete in this page.
                batch = _ties_in_id_order(page[:first], keys[:first], ties_desc)
                literal = _literal(kind, page[first].get(wire))
                below = None if literal is None else [f"{wire} <= {literal}"]
                if below is None or not _fits(where(below)):
                    yield from out(self._descending_rest(group, cond, batch, ties_desc, recent))
                    return
                yield from out(batch)
                recent = {row.get("id") for row in batch}
                cond = below
                continue
            # One value fills the page: read its rows on their own, in id order.
            literal = _literal(kind, page[0].get(wire))
            # Under "col <= 'w'" or "col < 'v'" the value's rows are all left;
            # under "col = 'g' AND id < 'L' OR col < 'g'" only some of them may be.
            tie = None if literal is None else [
                f"{c} AND {wire} = {literal}" if c else f"{wire} = {literal}"
                for c in (cond if cond is not None and len(cond) > 1 else [""])
            ]
            if tie is None or not _fits(where(tie)):
                yield from out(self._descending_rest(group, cond, [], ties_desc, recent))
                return
            last: str | None = None
            while True:
                now = tie if last is None else [f"{t} AND id {op} {quote(last)}" for t in tie]
                if not _fits(where(now)):
                    yield from out(self._descending_rest(group, cond, [], ties_desc, recent))
                    return
                asked = limit()
                tied = self.client.query(query.sql(where(now), by_id, 0, asked))
                if not tied:
                    cond = [f"{wire} < {literal}"]
                    break
                yield from out(tied)
                if needed is not None and produced >= needed:
                    return
                last = str(tied[-1]["id"])
                if len(tied) < asked:
                    # Probably the whole tie: the next page reads its rest (if
                    # any) together with the values below it.
                    cond = [f"{wire} = {literal} AND id {op} {quote(last)}", f"{wire} < {literal}"]
                    break

    def _descending_rest(self, group: Group, cond: list[str] | None, batch: list[Row],
                         ties_desc: bool, recent: set[Any], *, empty_only: bool = False
                         ) -> Iterator[Row]:
        """``batch``, then the rows of ``group`` left to read (those of ``cond`` and
        those with an empty value, which no condition reaches) in the descending
        order, from their ids read first in ascending order and reversed."""
        query = self.query
        wire = query.plan.columns[0]
        kind = query.field_type(wire)
        skip = {row.get("id") for row in batch} | recent
        ascending = f"{wire}, id"
        if cond is None and not empty_only:
            id_rows = self._read_ids(group.where, ascending)
        else:
            # Empty values sort first ascending (NULL, then ''): read until a value.
            id_rows = self._read_ids(group.where, ascending,
                                     stop=lambda r: not is_empty(r.get(wire)))
            if cond is not None:
                seen = {r.get("id") for r in id_rows}
                id_rows += [r for r in self._read_ids(_and(group.disjuncts(), cond), ascending)
                            if r.get("id") not in seen]
        rest = [r for r in reversed(id_rows) if r.get("id") not in skip]
        if not ties_desc:
            # Reversed, ties run from the highest id down: put each value's in
            # id order (the empty ones, NULL or blank, as one value).
            rest = _ties_in_id_order(rest, [group_key(kind, r.get(wire)) for r in rest], False)
        ids = [str(r["id"]) for r in rest]
        yield from batch
        yield from self._fetch(ids)


def _ties_in_id_order(rows: list[Row], keys: list[str], descending: bool) -> list[Row]:
    """``rows`` (sorted by value) with the rows of each value in id order."""
    groups: dict[str, list[Row]] = {}
    for row, key in zip(rows, keys, strict=True):
        groups.setdefault(key, []).append(row)
    out: list[Row] = []
    for members in groups.values():
        members.sort(key=id_number, reverse=descending)
        out.extend(members)
    return out


def _dedupe(rows: Iterator[Row]) -> Iterator[Row]:
    last: Any = None
    for row in rows:
        ident = row.get("id")
        if ident is not None and ident == last:
            continue
        last = ident
        yield row


def rows(client: QueryClient, query: Query) -> RowStream:
    """Every row the query selects, in its order, within its slice (read lazily)."""
    return RowStream(client, query)
