"""The write engine shared by ``import`` and ``copy``: decide, send, journal, settle doubts.

Rows are taken 100 at a time. For each batch:

1. rows the journal shows written with the same values are skipped;
2. the others' target records are found in as few queries as the
   :class:`Finder` can (one per 100 keys for ``import``);
3. each row is decided: no record -> create; one record -> revise with only
   the fields that differ, or nothing when none do; two records -> rejected
   as ambiguous;
4. writes go to a pool of worker threads; this thread records each outcome
   in the journal as it is confirmed, and prepares the next batch meanwhile.

A create is recorded as ``pending`` in the journal (committed) before it is
sent. A write the client reports in doubt (:class:`~vtorm.errors.InDoubtError`:
the connection dropped after sending, an answer that is not the server's
JSON, such as the page 8.4 answers a create with a missing owner *after*
creating it) goes back to the queue and the finder looks for its record
again, so a create the server carried out is found instead of being sent
twice. Rows with the same
key are never in flight together: the later one waits and becomes an update
of the first.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

from vtorm.errors import (
    DuplicateError,
    InDoubtError,
    ProtocolError,
    TransportError,
    VtigerError,
    VtormError,
)
from vtorm.migrate.convert import python_of, same_value, wire_of
from vtorm.migrate.keys import key_text
from vtorm.migrate.lookup import BATCH
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import Counts, Rejects

if TYPE_CHECKING:
    from vtorm import Client, Model
    from vtorm.migrate.journal import Entry, Journal
    from vtorm.migrate.rows import Row

__all__ = ["ConnectionLost", "Finder", "Upserter"]

log = logging.getLogger("vtorm.migrate")

#: Sends of one row whose answers are lost before it is left in doubt.
MAX_ATTEMPTS: Final = 3

WireRow = dict[str, Any]


class ConnectionLost(VtormError):
    """The target stopped answering; the job stopped (the journal keeps its place)."""


class Finder(Protocol):
    """Finds the target records of rows: the strategy ``import`` and ``copy`` differ in."""

    def find(self, rows: list[Row], entries: Mapping[str, Entry]) -> dict[str, list[WireRow]]:
        """Row key -> the target records (wire rows) that are that row's record.

        ``entries`` are the rows' journal entries (absent: never written).
        A key with no record is left out.
        """
        ...


@attrs.define
class _Write:
    row: Row
    op: str  # "create" | "revise"
    target: str | None = None
    changes: dict[str, Any] = attrs.Factory(dict)


def _release(counter: collections.Counter[str], lock: str) -> None:
    """One fewer row holds ``lock`` (a lock nobody holds is forgotten: memory stays flat)."""
    counter[lock] -= 1
    if counter[lock] <= 0:
        del counter[lock]


def _in_doubt(exc: TransportError | ProtocolError) -> bool:
    """Whether a failed write may nevertheless have been carried out.

    The client says so with :class:`~vtorm.errors.InDoubtError` for every write
    whose request may have reached the CRM; any other transport error sent
    nothing of the write (the target is not reachable). A protocol error the
    client leaves as it is counts as in doubt too: a success envelope whose
    result is not a record came after the write ran, and a web server's own
    refusal is looked for and tried again like one.
    """
    return isinstance(exc, (InDoubtError, ProtocolError))


class Upserter:
    """Writes rows of ``model`` through ``client``; see the module documentation.

    ``scope`` names the job in ``journal``. ``key_attrs`` are the attributes
    a finder matched on (another spelling of them is not a change);
    ``update_only`` rejects rows whose record does not exist;
    ``unique_key`` says the key holds the field duplicate prevention checks,
    so a create refused as a duplicate is looked up again rather than
    rejected; otherwise ``duplicate_hint`` ends the reason of such a reject
    (what to give the command to match those records instead). ``source``
    identifies the input (a hash of the file): on a rerun of the same input,
    a row whose key a later row has since written is skipped rather than
    written and overwritten again. ``precheck`` maps
    the rows of a batch still to write to the reasons some cannot be (such as
    references to missing records). ``dry_run`` sends no write and counts what
    would be done.
    """

    def __init__(
        self,
        model: type[Model],
        client: Client,
        *,
        scope: str,
        finder: Finder,
        journal: Journal,
        workers: int = 4,
        dry_run: bool = False,
        rejects: Rejects | None = None,
        progress: Progress | None = None,
        key_attrs: frozenset[str] = frozenset(),
        update_only: bool = False,
        unique_key: bool = False,
        unique_names: str = "",
        duplicate_hint: str = "",
        source: str | None = None,
        precheck: Callable[[list[Row]], Mapping[str, str]] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.model = model
        self.meta = model._meta
        self.client = client
        self.scope = scope
        self.finder = finder
        self.journal = journal
        self.workers = workers
        self.dry_run = dry_run
        self.rejects = rejects if rejects is not None else Rejects()
        self.progress = progress if progress is not None else Progress("", enabled=False)
        self.key_attrs = key_attrs
        self.update_only = update_only
        self.unique_key = unique_key
        self.unique_names = unique_names or "a unique field"
        self.duplicate_hint = duplicate_hint
        self.source = source
        self.precheck = precheck
        self.counts = Counts()
        #: Dry run: keys of the rows that would be written or are already in place.
        self.planned: set[str] = set()
        self._owner_default: str | None = None
        # Dry run: what the rows before would have written, by key.
        self._virtual: dict[str, dict[str, Any]] = {}

    # ----------------------------------------------------------------- driving

    def run(self, rows: Iterator[Row]) -> Counts:
        """Write every row; return the counts.

        Raises :class:`ConnectionLost` when the target stops answering (what
        was confirmed is in the journal; rows in flight are counted in doubt).
        """
        waiting: collections.deque[Row] = collections.deque()  # behind a row of the same lock
        waiting_locks: collections.Counter[str] = collections.Counter()
        ready: collections.deque[_Write] = collections.deque()  # decided, not sent yet
        busy: dict[cf.Future[WireRow], _Write] = {}
        holding: collections.Counter[str] = collections.Counter()  # locks in ready or busy
        # A few writes queued per worker; one batch decided ahead while they are sent.
        max_busy = 2 * self.workers
        exhausted = False
        pool = cf.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="vtorm-write")
        try:
            while True:
                planned = False
                if len(ready) < BATCH:
                    batch, exhausted = self._take(rows, waiting, waiting_locks, holding, exhausted)
                    if batch:
                        planned = True
                        for write in self._plan(batch):
                            ready.append(write)
                            holding[write.row.lock] += 1
                while ready and len(busy) < max_busy:
                    write = ready.popleft()
                    busy[self._submit(pool, write)] = write
                if not busy:
                    if not ready and exhausted and not waiting:
                        break
                    continue
                # Record what has finished; block only when nothing else can be done.
                finished, _ = cf.wait(
                    busy, timeout=0 if planned else None, return_when=cf.FIRST_COMPLETED
                )
                for future in finished:
                    write = busy.pop(future)
                    _release(holding, write.row.lock)
                    retry = self._finish(write, future)
                    if retry is not None:
                        waiting.appendleft(retry)
                        waiting_locks[retry.lock] += 1
        except BaseException:
            # Let the writes already sent end, and record them, before stopping.
            for future in cf.as_completed(list(busy)):
                self._finish(busy.pop(future), future, final=True)
            raise
        finally:
            pool.shutdown(wait=True)
        return self.counts

    def _take(
        self,
        rows: Iterator[Row],
        waiting: collections.deque[Row],
        waiting_locks: collections.Counter[str],
        holding: collections.Counter[str],
        exhausted: bool,
    ) -> tuple[list[Row], bool]:
        """The next batch: rows that waited first, then new ones; none whose lock is held.

        A row whose lock is held (or already in the batch, or behind a waiting
        row of the same lock) waits: rows of one lock are written in order.
        """
        batch: list[Row] = []
        taken: set[str] = set()
        for _ in range(len(waiting)):
            row = waiting.popleft()
            if holding[row.lock] > 0 or row.lock in taken or len(batch) >= BATCH:
                waiting.append(row)
                continue
            _release(waiting_locks, row.lock)
            batch.append(row)
            taken.add(row.lock)
        while not exhausted and len(batch) < BATCH:
            row_or_none = next(rows, None)
            if row_or_none is None:
                return batch, True
            row = row_or_none
            self.counts.read += 1
            if holding[row.lock] > 0 or row.lock in taken or waiting_locks[row.lock] > 0:
                waiting.append(row)
                waiting_locks[row.lock] += 1
            else:
                batch.append(row)
                taken.add(row.lock)
        return batch, exhausted

    def reject_unread(self, origin: dict[str, Any], reason: str) -> None:
        """Count an input row that never became a row (unreadable, refused by checks)."""
        self.counts.read += 1
        self._reject_origin(origin, reason)

    # ----------------------------------------------------------------- deciding

    def _plan(self, batch: list[Row]) -> list[_Write]:
        """Decide each row of a batch; return the writes to send."""
        entries = self.journal.many(self.scope, [row.key for row in batch])
        todo: list[Row] = []
        for row in batch:
            entry = entries.get(row.key)
            if entry is not None and entry.state == "done" and self._skip(row, entry):
                self._settled(row)
                continue
            if entry is not None and entry.state == "pending":
                # A create was announced and never confirmed (a run was stopped).
                row.doubt = "create"
            todo.append(row)
        if not todo:
            return []
        try:
            if self.precheck is not None:
                refused = self.precheck(todo)
                for row in todo:
                    if row.key in refused:
                        self._reject(row, refused[row.key])
                todo = [row for row in todo if row.key not in refused]
            found = self.finder.find(todo, entries)
        except TransportError as exc:
            raise ConnectionLost(f"looking records up on the target failed: {exc}") from exc
        writes: list[_Write] = []
        for row in todo:
            write = self._decide(row, found.get(row.key, []))
            if write is not None:
                writes.append(write)
        return writes

    def _skip(self, row: Row, entry: Entry) -> bool:
        if entry.digest == row.digest:
            return True
        # The same input ran before, and a later row of this key was written last.
        return (
            self.source is not None
            and entry.source == self.source
            and entry.line is not None
            and entry.line > row.line
        )

    def _decide(self, row: Row, matches: list[WireRow]) -> _Write | None:
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches[:10])
            self._reject(row, f"ambiguous: the key matches {len(matches)} records ({ids})")
            return None
        # A dry run compares with what the rows before would have written.
        virtual = self._virtual.get(row.lock) if self.dry_run else None
        if virtual is not None:
            return self._update(row, virtual, None)
        if matches:
            return self._update(row, self._python(matches[0]), str(matches[0]["id"]))
        if self.update_only:
            self._reject(
                row,
                "no record has this key (the key is read-only: rows are only updated, "
                "never created)",
            )
            return None
        missing = self._missing(row)
        if missing:
            self._reject(row, missing)
            return None
        if self.dry_run:
            self._virtual[row.lock] = dict(row.values)
            self._count(row, "created")
            return None
        return _Write(row, "create")

    def _update(self, row: Row, current: Mapping[str, Any], target: str | None) -> _Write | None:
        changes = self._changes(row, current)
        if isinstance(changes, str):
            self._reject(row, changes)
            return None
        if not changes:
            if target is not None and not self.dry_run:
                self._done(row, target)
            self._settled(row)
            return None
        if self.dry_run:
            self._virtual[row.lock] = {**current, **row.values}
            self._count(row, "updated")
            return None
        return _Write(row, "revise", target, changes)

    def _settled(self, row: Row) -> None:
        """Count a row whose record already holds its values."""
        # A write whose answer was lost, found carried out, counts as done.
        outcome = {"create": "created", "revise": "updated"}.get(row.doubt or "", "unchanged")
        self._count(row, outcome)

    def _python(self, wire_row: Mapping[str, Any]) -> dict[str, Any]:
        by_wire = self.meta.by_wire
        return {
            by_wire[w].attr: python_of(by_wire[w], v) for w, v in wire_row.items() if w in by_wire
        }

    def _changes(self, row: Row, current: Mapping[str, Any]) -> dict[str, Any] | str:
        """Attribute -> new value of each field that differs, or why the row cannot be written."""
        changes: dict[str, Any] = {}
        fields = self.meta.fields
        for attr, value in row.values.items():
            info = fields[attr]
            old = current.get(attr)
            if same_value(info, value, old):
                continue
            if attr in self.key_attrs and key_text(info, value) == key_text(info, old):
                # The key found this record: another spelling of it is no change.
                continue
            if value is None and info.mandatory:
                return f"{info.wire} is mandatory and cannot be cleared (it is empty in the row)"
            changes[attr] = value
        return changes

    def _missing(self, row: Row) -> str | None:
        fields = self.meta.fields.values()
        owner = next((i for i in fields if i.type == "owner" and i.mandatory), None)
        if owner is not None and row.values.get(owner.attr) is None:
            # As the CRM's own import does: a record given no owner is the importing user's.
            row.values[owner.attr] = self._default_owner()
        missing = [
            f"{i.wire} ({i.label or i.wire})"
            for i in fields
            if i.mandatory and i.editable and i.wire != "id" and row.values.get(i.attr) is None
        ]
        if missing:
            return "missing mandatory field(s): " + ", ".join(missing)
        return None

    def _default_owner(self) -> str:
        if self._owner_default is None:
            # Logged in already (describe, lookups); login() would replace the session.
            self._owner_default = self.client.user_id or self.client.login().user_id
        return self._owner_default

    # ----------------------------------------------------------------- sending

    def _wire(self, values: Mapping[str, Any]) -> dict[str, Any]:
        fields, module = self.meta.fields, self.meta.module
        return {fields[a].wire: wire_of(fields[a], v, module) for a, v in values.items()}

    def _submit(self, pool: cf.ThreadPoolExecutor, write: _Write) -> cf.Future[WireRow]:
        row = write.row
        client = self.client
        if write.op == "create":
            module = self.meta.module
            element = self._wire({a: v for a, v in row.values.items() if v is not None})
            # Intent first: killed after sending, the next run looks before resending.
            self.journal.intend(self.scope, row.key)
            future = pool.submit(client.create, module, element)
        else:
            future = pool.submit(client.revise, {"id": write.target, **self._wire(write.changes)})
        return future

    def _finish(
        self, write: _Write, future: cf.Future[WireRow], *, final: bool = False
    ) -> Row | None:
        """Record a finished write; return the row when its record must be looked for again.

        ``final``: the job is stopping; a row left unsettled is counted in doubt.
        """
        row = write.row
        create = write.op == "create"
        try:
            answer = future.result()
        except DuplicateError as exc:
            if create:
                self.journal.forget(self.scope, row.key)
            if create and self.unique_key and row.attempts < MAX_ATTEMPTS and not final:
                # The record exists under a spelling the lookup did not match: look again.
                row.attempts += 1
                return row
            self._reject(
                row,
                f"duplicate: the target already has a record with this {self.unique_names} "
                f"({exc.message}), and it is not the record of this row's key"
                + (f"; {self.duplicate_hint}" if self.duplicate_hint else ""),
            )
            return None
        except VtigerError as exc:
            if create:
                self.journal.forget(self.scope, row.key)
            self._reject(row, f"the server refused the {write.op}: {exc}")
            return None
        except (TransportError, ProtocolError) as exc:
            doubt = _in_doubt(exc)  # else nothing was sent: the target is not reachable
            if doubt and row.doubt != "create":
                row.doubt = write.op
            row.attempts += 1
            if final or not doubt or row.attempts >= MAX_ATTEMPTS:
                if row.doubt == "create" or (create and not doubt):
                    self._count(row, "in_doubt", reason=f"{write.op} not confirmed: {exc}")
                else:
                    self._reject(row, f"{write.op} not confirmed: {exc}")
                if not doubt and not final:
                    raise ConnectionLost(f"the target is not reachable: {exc}") from exc
                return None
            log.info("%s: %s in doubt (%s); looking for its record", row.origin, write.op, exc)
            return row
        self._done(row, str(answer.get("id") or write.target or ""))
        self._count(row, "created" if create or row.doubt == "create" else "updated")
        return None

    def _done(self, row: Row, target: str) -> None:
        self.journal.done(
            self.scope, row.key, target, row.digest, row.refs, source=self.source, line=row.line
        )

    # ----------------------------------------------------------------- counting

    def _count(self, row: Row, outcome: str, reason: str | None = None) -> None:
        self.counts.add(outcome)
        if self.dry_run and outcome in ("created", "updated", "unchanged"):
            self.planned.add(row.key)
        if reason is not None:
            self.rejects.add(reason, **row.origin)
        self.progress.update()

    def _reject(self, row: Row, reason: str) -> None:
        self._reject_origin(row.origin, reason)

    def _reject_origin(self, origin: dict[str, Any], reason: str) -> None:
        self.counts.add("rejected")
        self.rejects.add(reason, **origin)
        self.progress.update()
