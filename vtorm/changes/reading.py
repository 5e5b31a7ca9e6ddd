"""The requests a change feed sends: query pages in modification order, sync pages, id scans.

Every statement is built with a QuerySet (so names and values are checked and
quoted as everywhere else) and sent with ``client.query`` as exactly one
request: a feed pages by keys, not by offsets, so that records changing
while it reads never shift a page.
"""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from vtorm.client import SyncResult
from vtorm.errors import ProtocolError, UnsupportedQueryError
from vtorm.query.compiler import PAGE
from vtorm.query.q import Q

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import Model
    from vtorm.query.queryset import QuerySet

__all__ = [
    "check",
    "foreign_latest",
    "id_pages",
    "latest_time",
    "number",
    "query_pages",
    "seconds",
    "statement",
    "sync_page",
    "sync_pages",
    "utc_second",
    "wire_time",
]

Row = dict[str, Any]
_WIRE = "%Y-%m-%d %H:%M:%S"


def seconds(text: Any) -> int | None:
    """Unix seconds of a wire datetime (``"2026-11-29 02:05:42"``, UTC); None if empty."""
    if not text:
        return None
    return calendar.timegm(time.strptime(str(text), _WIRE))


def wire_time(second: int) -> str:
    """The wire text of a Unix second."""
    return time.strftime(_WIRE, time.gmtime(second))


def number(wsid: str) -> int:
    """The record number of an id (``"12x8"`` -> 8)."""
    return int(wsid.partition("x")[2])


def statement(qs: QuerySet[Any]) -> str:
    """The one statement that reads the first page of ``qs``.

    Raises :class:`UnsupportedQueryError` when ``qs`` needs more than one
    request stream (a negated LIKE, or a filter too large for one URL): the
    feed's keys are only exact within one ordered stream.
    """
    query = qs[:PAGE].query
    if len(query.groups) != 1 or query.client_side:
        raise UnsupportedQueryError(
            f"{qs.model.__name__}: a change feed reads one stream of records in "
            "modification order, but this filter needs several requests per page (it "
            "holds a negated LIKE, or is too large for one URL once the feed's own "
            "conditions are added); simplify the filter"
        )
    return str(query)


def _one_page(client: Client, qs: QuerySet[Any]) -> list[Row]:
    return client.query(statement(qs))


def check(base: QuerySet[Any]) -> None:
    """Raise before any request if a page of ``base`` could not be read as one statement."""
    sample_time = wire_time(0)
    sample_id = f"{base.model._meta.id_prefix}x1"
    ordered = base.order_by("modifiedtime", "id")
    statement(ordered.filter(modifiedtime__gte=sample_time))
    statement(ordered.filter(Q(modifiedtime__gt=sample_time)
                             | Q(modifiedtime=sample_time, id__gt=sample_id)))
    statement(base.only("id").order_by("id").filter(id__gt=sample_id))


def latest_time(client: Client, model: type[Model]) -> int | None:
    """The latest ``modifiedtime`` among the module's records (None: no record)."""
    qs = model.objects.order_by("-modifiedtime").only("modifiedtime")
    rows = client.query(str(qs[:1].query))
    return seconds(rows[0].get("modifiedtime")) if rows else None


def foreign_latest(client: Client, model: type[Model], owner: str, user: str) -> Row | None:
    """The most recently modified record not owned by ``user`` (id and modifiedtime)."""
    qs = model.objects.exclude(**{owner: user}).order_by("-modifiedtime").only("modifiedtime")
    rows = client.query(str(qs[:1].query))
    return rows[0] if rows else None


def query_pages(client: Client, base: QuerySet[Any], since: int | None) -> Iterator[list[Row]]:
    """Pages of whole records modified at or after ``since``, by (modifiedtime, id).

    Each page continues after the last row of the one before, ``modifiedtime >
    t OR modifiedtime = t AND id > last`` (AND binds tighter than OR), so the
    paging is exact however the records change meanwhile; it ends with an
    empty page, since a page may hold fewer rows than asked while more follow.
    """
    ordered = base.order_by("modifiedtime", "id")
    qs = ordered if since is None else ordered.filter(modifiedtime__gte=wire_time(since))
    while True:
        rows = _one_page(client, qs)
        if not rows:
            return
        yield rows
        last = rows[-1]
        at = str(last["modifiedtime"])
        qs = ordered.filter(Q(modifiedtime__gt=at) | Q(modifiedtime=at, id__gt=str(last["id"])))


def id_pages(client: Client, base: QuerySet[Any]) -> Iterator[list[int]]:
    """Record numbers of every record ``base`` selects, ascending, a page at a time."""
    ordered = base.only("id").order_by("id")
    qs = ordered
    while True:
        rows = _one_page(client, qs)
        if not rows:
            return
        yield [number(str(row["id"])) for row in rows]
        qs = ordered.filter(id__gt=str(rows[-1]["id"]))


def sync_page(client: Client, module: str, after: int) -> SyncResult:
    """One ``sync`` page of every owner's records (``syncType=application``) after ``after``."""
    # The server fails on modifiedTime=0; 1 means the same here.
    result = client.call(
        "sync", elementType=module, modifiedTime=max(after, 1), syncType="application"
    )
    return SyncResult.from_result(result)


def sync_pages(client: Client, module: str, after: int, first: SyncResult | None = None
               ) -> Iterator[SyncResult]:
    """Pages of ``sync`` from ``after`` until the server says there is no more."""
    page = first if first is not None else sync_page(client, module, after)
    while True:
        yield page
        if not page.more:
            return
        if page.last_modified_time <= after:
            raise ProtocolError(
                f"sync: the server says more changes follow {after} but its "
                f"lastModifiedTime ({page.last_modified_time}) does not move on",
                status=200,
                excerpt="",
                operation="sync",
            )
        after = page.last_modified_time
        page = sync_page(client, module, after)


def utc_second(value: datetime.datetime) -> int:
    """The Unix second an aware datetime falls in."""
    return int(value.timestamp() // 1)
