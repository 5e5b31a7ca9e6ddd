"""``ChangeFeed``: what changed in a module since a point in time, on every server.

Where ``sync`` works, a feed reads its pages (every owner's records, with
``syncType=application``) and takes deletions from its ``deleted`` lists.
Where it does not (stock Vtiger 8.x under PHP 8 answers an empty HTTP 500,
remembered in ``client.features.sync``), or the server will not sync every
owner's records for this user, or the queryset is filtered, the feed pages
through queries ordered by ``modifiedtime, id``; deletions are then found by
comparing the ids of the optional ``state`` file with a scan of the current
ids.

Either way the feed ends on a :class:`~vtorm.changes.cursor.Position` that
never moves past a second in which the server may still write: its time is at
most the latest ``modifiedtime`` the module had when the feed began, since
every write that lands while the feed reads is stamped with that second or a
later one. The next feed reads from there again and skips, by fingerprint,
what was already delivered.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs

from vtorm.changes import reading
from vtorm.changes.cursor import DELETED, Position, fingerprint
from vtorm.changes.reading import number, seconds
from vtorm.changes.state import KnownIds
from vtorm.context import client_for
from vtorm.errors import (
    AccessDeniedError,
    UnsupportedOperationError,
    UnsupportedQueryError,
    ValidationError,
)

if TYPE_CHECKING:
    from vtorm.client import Client, SyncResult
    from vtorm.model import FieldInfo, Model
    from vtorm.query.queryset import QuerySet

__all__ = ["Change", "ChangeFeed", "Kind"]

log = logging.getLogger("vtorm.changes")

M = TypeVar("M", bound="Model")

Kind = Literal["created", "updated", "deleted"]

@attrs.frozen
class Change(Generic[M]):
    """One change of one record.

    ``kind`` is ``"created"``, ``"updated"`` or ``"deleted"``; ``id`` the
    record's id (``"12x34"``); ``record`` the record as it is now (a model
    instance), or ``None`` when it was deleted.
    """

    kind: Kind
    id: str
    record: M | None


class ChangeFeed(Generic[M]):
    """The changes of the records a queryset selects, since a point in time.

    Built by ``Model.objects.changes()`` / ``QuerySet.changes()``. Iterating
    yields :class:`Change` objects in modification order (deletions found
    through the ``state`` file come last); :attr:`cursor` then tells where the
    next feed starts (pass it as ``since=``). Iterating the same feed again
    continues from its cursor.
    """

    def __init__(
        self,
        queryset: QuerySet[M],
        *,
        since: datetime.datetime | str | None = None,
        state: str | os.PathLike[str] | None = None,
        client: Client | None = None,
    ) -> None:
        model = queryset.model
        self.model = model
        meta = model._meta
        for wire in ("modifiedtime", "createdtime"):
            if wire not in meta.by_wire:
                raise UnsupportedQueryError(
                    f"{model.__name__} has no {wire} field: a change feed needs the "
                    "createdtime and modifiedtime every Vtiger entity module has"
                )
        query = queryset.query
        if query.low or query.high is not None:
            raise UnsupportedQueryError(
                f"{model.__name__}: a sliced queryset has no well-defined changes (which "
                "records are the first n changes over time); take changes() of the "
                "unsliced queryset"
            )
        groups = query.groups
        self._base: QuerySet[M] = queryset.only().order_by()
        # A negated LIKE alone leaves the WHERE empty: its rows are skipped client-side.
        self._filtered = groups != ("",) or query.client_side
        self._matches_nothing = not groups
        scope = ""
        describe = model.__name__
        if self._matches_nothing:
            # Its own scope: its state file must never be an unfiltered feed's.
            scope, describe = "none", f"{model.__name__} filtered by none()"
        elif self._filtered:
            where = " OR ".join(groups)
            scope = hashlib.blake2b(where.encode("utf-8"), digest_size=8).hexdigest()
            describe = f"{model.__name__} filtered by {where[:80]}"
            reading.check(self._base)
        self._describe = describe
        self._position = _start(since, meta.module, scope, describe)
        self._state_path = None if state is None else _state_path(state)
        if self._state_path is not None:
            KnownIds(self._state_path, meta.module, scope, describe).close()
        self._client = client
        self._owner: FieldInfo | None = next(
            (info for info in meta.fields.values() if info.type == "owner"), None
        )
        self._known: KnownIds | None = None
        self._reading = False
        # Records this feed object reported created: seen again while it reads
        # (changed meanwhile), one is an update.
        self._created: set[int] = set()

    def __repr__(self) -> str:
        where = "the beginning" if self._position.time is None else reading.wire_time(
            self._position.time
        )
        return f"<ChangeFeed {self._describe} from {where}>"

    @property
    def cursor(self) -> str:
        """Where the next feed starts: an opaque string to pass as ``since=``.

        Read at any time: it covers exactly the changes yielded so far, so a
        feed stopped early or interrupted by an error resumes from it without
        losing or repeating a change. Reading it also makes the ``state`` file
        as current as the cursor.
        """
        if self._known is not None:
            self._known.commit()
        return self._position.encode()

    def __iter__(self) -> Iterator[Change[M]]:
        if self._reading:
            raise RuntimeError("a ChangeFeed is read by one loop at a time")
        return self._run()

    # ---------------------------------------------------------------- running

    def _run(self) -> Iterator[Change[M]]:
        if self._reading:
            raise RuntimeError("a ChangeFeed is read by one loop at a time")
        self._reading = True
        known = None
        try:
            client = client_for(self._client)
            if self._state_path is not None:
                meta = self.model._meta
                known = KnownIds(self._state_path, meta.module, self._position.scope,
                                 self._describe)
            self._known = known
            yield from self._changes(client, known)
        finally:
            self._known = None
            self._reading = False
            if known is not None:
                known.close()

    def _changes(self, client: Client, known: KnownIds | None) -> Iterator[Change[M]]:
        if self._matches_nothing:
            # Nothing can match: every record reported before has left the set.
            if known is not None:
                yield from self._gone(known, iter(()), client)
            return
        start = self._position.copy()
        self._created = set()
        latest = reading.latest_time(client, self.model)
        # Writes landing while the feed reads are stamped `latest` or later: the
        # position never moves past it (see the module docstring).
        cap = latest if latest is not None else start.time
        first = None if self._filtered else self._sync_start(client, start)
        if first is not None:
            yield from self._from_sync(client, known, start, cap, first)
            return
        for rows in reading.query_pages(client, self._base, start.time):
            yield from self._deliver(rows, client, known, start, cap)
        if known is not None:
            yield from self._gone(known, reading.id_pages(client, self._base), client)

    def _deliver(self, rows: Iterable[dict[str, Any]], client: Client,
                 known: KnownIds | None, start: Position, cap: int | None
                 ) -> Iterator[Change[M]]:
        position = self._position
        from_row = self.model._from_row
        for row in rows:
            wsid = str(row["id"])
            n = number(wsid)
            mark = fingerprint(row)
            second = seconds(row.get("modifiedtime"))
            if not position.delivered(n, mark):
                kind: Kind = "updated"
                if n not in start.seen and n not in self._created:
                    created = seconds(row.get("createdtime"))
                    if start.time is None or (created is not None and created >= start.time):
                        kind = "created"
                        self._created.add(n)
                record = from_row(row, client)
                position.mark(n, second if second is not None else 0, mark)
                if cap is not None and second is not None:
                    position.advance(min(second, cap))
                if known is not None:
                    known.add(n)
                yield Change(kind, wsid, record)
            elif cap is not None and second is not None:
                position.advance(min(second, cap))

    def _gone(self, known: KnownIds, pages: Iterator[list[int]], client: Client
              ) -> Iterator[Change[M]]:
        """Deletions: known records missing from the ascending id ``pages``."""
        prefix = self.model._meta.id_prefix
        numbers = known.numbers()
        pending = next(numbers, None)
        if pending is None:
            return
        for page in pages:
            present = set(page)
            high = page[-1]
            while pending is not None and pending <= high:
                if pending not in present:
                    known.discard(pending)
                    yield Change("deleted", f"{prefix}x{pending}", None)
                pending = next(numbers, None)
            if pending is None:
                return  # every known record is accounted for: read no further
        while pending is not None:
            known.discard(pending)
            yield Change("deleted", f"{prefix}x{pending}", None)
            pending = next(numbers, None)

    # ---------------------------------------------------------------- sync

    def _sync_start(self, client: Client, start: Position) -> SyncResult | None:
        """The first sync page of the feed, or None when sync cannot serve it."""
        if client.features.sync is False or client.features.sync_all_owners is False:
            return None
        # The page first: it finds out whether sync runs at all.
        page = self._try_sync(client, 0 if start.time is None else start.time - 1)
        if page is None:
            return None
        if client.features.sync_all_owners is None and not self._application_proven(client):
            return None
        return page

    def _application_proven(self, client: Client) -> bool:
        """Whether sync may be trusted to return every owner's records now.

        A server that does not register sync's ``syncType`` parameter ignores
        it and returns the caller's own records only. So once, with a record
        of another owner, check that sync returns it; while the caller owns
        every record, its own records are all there is.
        """
        owner, user = self._owner, client.user_id
        if owner is None or not user:
            return False
        foreign = reading.foreign_latest(client, self.model, owner.attr, user)
        if foreign is None:
            return True
        second = seconds(foreign.get("modifiedtime"))
        probe = self._try_sync(client, (second or 1) - 1)
        if probe is None:
            return False
        ids = {str(row.get("id")) for row in probe.updated} | set(probe.deleted)
        honoured = str(foreign["id"]) in ids
        client.features.sync_all_owners = honoured
        if not honoured:
            log.warning(
                "%s: sync ignores syncType=application on this server (it returns only "
                "the records %s owns): reading changes with queries instead",
                self.model.__name__, user,
            )
        return honoured

    def _try_sync(self, client: Client, after: int) -> SyncResult | None:
        try:
            page = reading.sync_page(client, self.model._meta.module, after)
        except AccessDeniedError as exc:
            client.features.sync_all_owners = False
            log.info("sync for every owner refused (%s): reading changes with queries", exc)
            return None
        except UnsupportedOperationError:
            # The client found sync broken (and recorded it in its features).
            log.info("sync is broken on this server: reading changes with queries")
            return None
        client.features.sync = True
        return page

    def _from_sync(self, client: Client, known: KnownIds | None, start: Position,
                   cap: int | None, first: SyncResult) -> Iterator[Change[M]]:
        position = self._position
        after = 0 if start.time is None else start.time - 1
        for page in reading.sync_pages(client, self.model._meta.module, after, first):
            last = page.last_modified_time
            # Deletions carry no time: deliver them first, so that the position
            # may then move with the updated rows.
            for wsid in page.deleted:
                n = number(wsid)
                if position.delivered(n, DELETED):
                    continue
                if start.time is None and (known is None or n not in known):
                    continue  # reading from the beginning: never reported, nothing to undo
                position.mark(n, last, DELETED)
                if known is not None:
                    known.discard(n)
                yield Change("deleted", wsid, None)
            rows = sorted(
                page.updated,
                key=lambda r: (seconds(r.get("modifiedtime")) or 0, number(str(r["id"]))),
            )
            yield from self._deliver(rows, client, known, start, cap)
            if cap is not None:
                position.advance(min(last, cap))


def _start(since: Any, module: str, scope: str, describe: str) -> Position:
    if since is None:
        return Position(module, scope)
    if isinstance(since, datetime.datetime):
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValidationError(
                f"since={since!r} is a naive datetime; give it a timezone (for example "
                "datetime.timezone.utc): modifiedtime is kept in UTC"
            )
        return Position(module, scope, reading.utc_second(since))
    if isinstance(since, str):
        return Position.decode(since, module, scope, describe)
    raise ValidationError(
        f"since={since!r}: expected None, a timezone-aware datetime or the cursor "
        f"string of an earlier feed, not {type(since).__name__}"
    )


def _state_path(state: Any) -> str:
    if not isinstance(state, (str, os.PathLike)) or not os.fspath(state):
        raise ValidationError(f"state={state!r}: expected the path of a local file, or None")
    return os.path.abspath(os.fspath(state))
