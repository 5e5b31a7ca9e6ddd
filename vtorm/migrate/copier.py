"""``vtorm copy``: modules from a source CRM to a target CRM, references kept.

Modules go in reference order (:mod:`vtorm.migrate.order`); each source
record becomes a target row (:mod:`vtorm.migrate.copy_rows`) written by the
engine of :mod:`vtorm.migrate.upsert`. The journal maps each source id to
its target id: that is how references are rewritten, how a rerun skips what
is already copied and revises what changed, and how an interrupted copy
resumes. References to the module itself, and those breaking a cycle, are
filled in a second pass once every module is copied.

Finding a row's target record (:class:`CopyFinder`):

* copied before: the journal's target id;
* with ``--key`` for the module: the key, as ``import`` does (records the
  target already had are updated, not duplicated);
* a create left in doubt, without a key: records created on the target since
  the create was announced (``createdtime``, less a margin for clocks that
  differ) whose label fields and every copied value equal the row's, and that
  no other journal entry claims. One such record is the row's; none means the
  create was not carried out; several are reported as ambiguous, never guessed.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from vtorm.errors import (
    AccessDeniedError,
    RecordNotFoundError,
    TransportError,
    VtigerError,
    VtormError,
)
from vtorm.migrate.convert import python_of, same_value, wire_of
from vtorm.migrate.copy_rows import RowMaker
from vtorm.migrate.keys import key_of
from vtorm.migrate.lookup import BATCH, KeyLookup
from vtorm.migrate.models import cheap_count, models_for, unique_fields
from vtorm.migrate.order import plan_copy
from vtorm.migrate.owners import Owners
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import Counts, Rejects
from vtorm.migrate.rows import Rejected, Row, UsageError, field_named
from vtorm.migrate.source_feed import SourceFeed
from vtorm.migrate.upsert import ConnectionLost, Upserter, WireRow

if TYPE_CHECKING:
    from vtorm import Client, FieldInfo, Model
    from vtorm.migrate.journal import Entry, Journal

__all__ = ["Copier", "CopyFinder"]

#: How much earlier than the journal's clock a record created by an
#: unanswered create may carry as its createdtime (clocks of two machines differ).
CLOCK_MARGIN: Final = 3600.0


def scope_of(module: str) -> str:
    """The journal scope of a module's copy."""
    return f"copy:{module}"


class CopyFinder:
    """Finds the target records of copied rows (see the module documentation)."""

    def __init__(
        self,
        model: type[Model],
        client: Client,
        journal: Journal,
        key: tuple[FieldInfo, ...] = (),
    ) -> None:
        self.model = model
        self.client = client
        self.journal = journal
        self.by_id = KeyLookup(model, client, (model._meta.fields["id"],))
        self.by_key = KeyLookup(model, client, key) if key else None

    def find(self, rows: list[Row], entries: Mapping[str, Entry]) -> dict[str, list[WireRow]]:
        """Row key (source id) -> the target records that are that row's record."""
        found: dict[str, list[WireRow]] = {}
        known: dict[str, Row] = {}
        searched: list[Row] = []
        for row in rows:
            entry = entries.get(row.key)
            if entry is not None and entry.state == "done" and entry.target:
                known[entry.target] = row
            elif self.by_key is not None:
                searched.append(row)
            elif entry is not None and entry.state == "pending":
                found[row.key] = self._created_since(row, entry.since)
        if known:
            hits = self.by_id.find([{"id": target} for target in known])
            for target, row in known.items():
                match = hits.get(key_of(self.by_id.key, {"id": target}))
                if match:
                    found[row.key] = match
        if searched and self.by_key is not None:
            hits = self.by_key.find([row.probe for row in searched])
            for row in searched:
                match = hits.get(key_of(self.by_key.key, row.probe))
                if match:
                    found[row.key] = match
        return found

    def _created_since(self, row: Row, since: float) -> list[WireRow]:
        meta = self.model._meta
        after = datetime.datetime.fromtimestamp(since - CLOCK_MARGIN, datetime.timezone.utc)
        conditions: dict[str, Any] = {"createdtime__gte": after.replace(microsecond=0)}
        for attr in meta.label_fields:
            value = row.values.get(attr)
            if isinstance(value, str) and value.strip():
                conditions[attr] = value
        qs = self.model.objects.using(self.client).filter(**conditions)
        candidates: list[WireRow] = []
        offset = 0
        while True:
            page = self.client.query(str(qs[offset : offset + BATCH].query))
            candidates += page
            if len(page) < BATCH:
                break
            offset += BATCH
        return [
            wire
            for wire in candidates
            if self._same(row, wire) and not self.journal.claimed(str(wire.get("id")))
        ]

    def _same(self, row: Row, wire: WireRow) -> bool:
        fields = self.model._meta.fields
        return all(
            same_value(fields[attr], value, python_of(fields[attr], wire.get(fields[attr].wire)))
            for attr, value in row.values.items()
        )


class Copier:
    """Copies ``modules`` from ``source`` to ``target`` (see the module documentation).

    ``keys`` maps a module to the target fields that match records the
    target already has. ``progress`` makes the progress display of a module.
    """

    def __init__(
        self,
        source: Client,
        target: Client,
        modules: Sequence[str],
        *,
        journal: Journal,
        keys: Mapping[str, Sequence[str]] | None = None,
        workers: int = 4,
        dry_run: bool = False,
        rejects: Rejects | None = None,
        progress: Any = None,
        since: str | datetime.datetime | None = None,
    ) -> None:
        if not modules:
            raise UsageError("no module to copy")
        self.source = source
        self.target = target
        self.modules = list(dict.fromkeys(modules))
        self.journal = journal
        self.workers = workers
        self.dry_run = dry_run
        self.since = since
        # The feeds' state files live beside the journal (a folder of their own for
        # a journal in memory).
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        if journal.path == ":memory:":
            self._folder = tempfile.TemporaryDirectory(prefix="vtorm-copy-")
            self.beside = Path(self._folder.name) / "journal"
        else:
            self.beside = Path(journal.path).resolve()
        self.rejects = rejects if rejects is not None else Rejects()
        self.progress = progress or (lambda label: Progress(label, enabled=False))
        self.source_models = models_for(source, self.modules)
        # Made last, so reference checks see the target's id prefixes.
        self.target_models = models_for(target, self.modules)
        unknown = sorted(set(keys or {}) - set(self.modules))
        if unknown:
            raise UsageError(f"--key names module(s) not copied: {', '.join(unknown)}")
        try:
            self.keys = {
                module: tuple(field_named(self.target_models[module], f) for f in fields)
                for module, fields in (keys or {}).items()
            }
        except VtormError as exc:
            raise UsageError(f"--key: {exc}") from None
        self.plan = plan_copy(self.target_models, self.modules)
        self.source_owners = Owners(source)
        self.target_owners = Owners(target)
        self.counts: dict[str, Counts] = {m: Counts() for m in self.plan.order}
        # Dry run: source ids the run would have copied, by every module.
        self.planned: set[str] = set()

    def run(self) -> dict[str, Counts]:
        """Copy every module, then fill the deferred references; return counts per module.

        Raises :class:`~vtorm.migrate.upsert.ConnectionLost` when a CRM stops
        answering; the journal keeps what was done.
        """
        try:
            for module in self.plan.order:
                self._first_pass(module)
            if not self.dry_run:
                for module in self.plan.order:
                    if self.plan.deferred[module]:
                        self._second_pass(module)
        finally:
            if self._folder is not None:
                self._folder.cleanup()
        return self.counts

    # ----------------------------------------------------------------- first pass

    def _maker(self, module: str) -> RowMaker:
        return RowMaker(
            self.source_models[module],
            self.target_models[module],
            journal=self.journal,
            source_owners=self.source_owners,
            target_owners=self.target_owners,
            deferred=self.plan.deferred[module],
            key=self.keys.get(module, ()),
            planned=self.planned if self.dry_run else None,
        )

    def _first_pass(self, module: str) -> None:
        model = self.target_models[module]
        key = self.keys.get(module, ())
        unique = unique_fields(self.target, module)
        progress = self.progress(f"copy {module}")
        if progress.is_bar:
            progress.set_total(cheap_count(self.source, module))
        engine = Upserter(
            model,
            self.target,
            scope=scope_of(module),
            finder=CopyFinder(model, self.target, self.journal, key),
            journal=self.journal,
            workers=self.workers,
            dry_run=self.dry_run,
            rejects=self.rejects,
            progress=progress,
            key_attrs=frozenset(info.attr for info in key),
            unique_key=any(info.wire in unique for info in key),
            unique_names=", ".join(sorted(unique)),
            duplicate_hint=(
                f"to update the target's records instead of creating new ones, copy with "
                f"--key {module}={','.join(sorted(unique))}" if unique else ""
            ),
        )
        engine.counts = counts = self.counts[module]
        engine.planned = self.planned
        source = SourceFeed(
            self.source_models[module], self.source, self.journal, scope_of(module),
            since=self.since, beside=self.beside, dry_run=self.dry_run,
        )  # fmt: skip
        if source.note:
            progress.note(source.note)
        deleted: list[str] = []
        try:
            engine.run(self._rows(module, engine, source, deleted))
            self._delete(module, deleted)
        finally:
            progress.close()
        source.finish(clean=counts.clean)

    def _rows(
        self, module: str, engine: Upserter, source: SourceFeed, deleted: list[str]
    ) -> Iterator[Row]:
        maker = self._maker(module)
        try:
            for line, change in enumerate(source.feed, 1):
                record = change.record
                if record is None:
                    deleted.append(change.id)
                    continue
                try:
                    yield maker.row(line, record)
                except Rejected as exc:
                    engine.reject_unread({"module": module, "id": change.id}, str(exc))
        except TransportError as exc:
            raise ConnectionLost(f"reading {module} from the source failed: {exc}") from exc

    def _delete(self, module: str, deleted: list[str]) -> None:
        """Delete on the target the copies of source records deleted since the last run."""
        scope = scope_of(module)
        counts = self.counts[module]
        for source_id in deleted:
            entry = self.journal.get(scope, source_id)
            if entry is None or entry.target is None:
                continue  # never copied
            if self.dry_run:
                counts.add("deleted")
                continue
            try:
                self.target.delete(entry.target)
            except (AccessDeniedError, RecordNotFoundError):
                pass  # already gone (8.4 answers ACCESS_DENIED for a deleted id)
            except VtigerError as exc:
                counts.add("rejected")
                self.rejects.add(
                    f"deleted on the source; deleting {entry.target} failed: {exc}",
                    module=module, id=source_id,
                )  # fmt: skip
                continue
            except TransportError as exc:
                raise ConnectionLost(f"deleting {entry.target} failed: {exc}") from exc
            self.journal.forget(scope, source_id)
            counts.add("deleted")

    # ----------------------------------------------------------------- second pass

    def _second_pass(self, module: str) -> None:
        """Fill the deferred references of the module's records copied so far."""
        scope = scope_of(module)
        maker = self._maker(module)
        model = self.target_models[module]
        lookup = KeyLookup(model, self.target, (model._meta.fields["id"],))
        with cf.ThreadPoolExecutor(self.workers, thread_name_prefix="vtorm-refs") as pool:
            for batch in self.journal.with_refs(scope, BATCH):
                current = lookup.find([{"id": e.target} for e in batch])
                sends: dict[cf.Future[WireRow], Entry] = {}
                for entry in batch:
                    match = current.get(key_of(lookup.key, {"id": entry.target}))
                    changes = self._ref_changes(module, maker, entry, match)
                    if changes is None:
                        continue
                    if not changes:
                        self.journal.refs_done(scope, entry.key)
                        continue
                    sends[pool.submit(self.target.revise, {"id": entry.target, **changes})] = entry
                for future in cf.as_completed(sends):
                    entry = sends[future]
                    try:
                        future.result()
                    except (VtigerError, TransportError, VtormError) as exc:
                        self._ref_failed(module, entry, f"filling references failed: {exc}")
                        if isinstance(exc, TransportError) and not exc.sent:
                            raise ConnectionLost(f"the target is not reachable: {exc}") from exc
                        continue
                    self.journal.refs_done(scope, entry.key)

    def _ref_changes(
        self, module: str, maker: RowMaker, entry: Entry, match: list[WireRow] | None
    ) -> dict[str, Any] | None:
        """Wire name -> value of each deferred reference to send (None: failed, reported)."""
        if not match:
            self._ref_failed(module, entry, f"its target record {entry.target} is gone")
            return None
        try:
            wanted = maker.mapped_refs(json.loads(entry.refs or "{}"))
        except Rejected as exc:
            self._ref_failed(module, entry, str(exc))
            return None
        fields = self.target_models[module]._meta.fields
        changes: dict[str, Any] = {}
        for attr, value in wanted.items():
            info = fields[attr]
            if not same_value(info, value, python_of(info, match[0].get(info.wire))):
                changes[info.wire] = wire_of(info, value, module)
        return changes

    def _ref_failed(self, module: str, entry: Entry, reason: str) -> None:
        # The record exists without this reference: reported, and counted as not written.
        self.counts[module].add("rejected")
        self.rejects.add(reason, module=module, id=entry.key, target=entry.target)
