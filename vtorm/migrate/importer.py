"""``vtorm import``: rows of a file upserted into a module by a key.

Each record is prepared (:mod:`vtorm.migrate.prepare`: mapped, converted,
checked) and handed to the write engine (:mod:`vtorm.migrate.upsert`),
which finds its record by the key, 100 keys per query
(:mod:`vtorm.migrate.lookup`), and creates, revises or leaves it alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtorm.migrate.files import BadLine
from vtorm.migrate.journal import Entry, Journal
from vtorm.migrate.lookup import KeyLookup
from vtorm.migrate.models import unique_fields
from vtorm.migrate.prepare import Preparer
from vtorm.migrate.progress import Progress
from vtorm.migrate.references import ReferenceCheck
from vtorm.migrate.report import Counts, Rejects
from vtorm.migrate.rows import Rejected, Row
from vtorm.migrate.upsert import ConnectionLost, Upserter, WireRow

if TYPE_CHECKING:
    from vtorm import Client, Model

__all__ = ["ConnectionLost", "Importer", "KeyFinder"]


class KeyFinder:
    """Finds rows' records by their key, 100 keys per query."""

    def __init__(self, lookup: KeyLookup) -> None:
        self.lookup = lookup

    def find(self, rows: list[Row], entries: Mapping[str, Entry]) -> dict[str, list[WireRow]]:
        """Row key -> the records having that key (reading the fields the rows write)."""
        meta = self.lookup.model._meta
        columns = sorted({meta.fields[a].wire for row in rows for a in row.values})
        return self.lookup.find([row.probe for row in rows], columns)


class Importer:
    """Upserts records into ``model`` through ``client`` (see the module documentation).

    ``preparer`` says how records become rows (map, key, types); ``journal``
    keeps the job's place (a temporary one when None); ``source`` identifies
    the input file (see :class:`~vtorm.migrate.upsert.Upserter`).
    """

    def __init__(
        self,
        model: type[Model],
        client: Client,
        preparer: Preparer,
        *,
        journal: Journal | None = None,
        workers: int = 4,
        dry_run: bool = False,
        rejects: Rejects | None = None,
        progress: Progress | None = None,
        source: str | None = None,
    ) -> None:
        self.prep = preparer
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        if journal is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="vtorm-journal-")
            journal = Journal(Path(self._temporary.name) / "journal.sqlite")
        self.journal = journal
        module = model._meta.module
        unique = unique_fields(client, module)
        self.lookup = KeyLookup(model, client, preparer.key)
        self.engine = Upserter(
            model,
            client,
            scope=f"import:{module}:{','.join(info.wire for info in preparer.key)}",
            finder=KeyFinder(self.lookup),
            journal=journal,
            workers=workers,
            dry_run=dry_run,
            rejects=rejects,
            progress=progress,
            key_attrs=frozenset(info.attr for info in preparer.key),
            update_only=preparer.update_only,
            unique_key=any(info.wire in unique for info in preparer.key),
            unique_names=", ".join(sorted(unique)),
            duplicate_hint=(
                f"to update the records of that name instead, import with "
                f"--key {','.join(sorted(unique))}" if unique else ""
            ),
            source=source,
            precheck=ReferenceCheck(model, client),
        )

    @property
    def counts(self) -> Counts:
        """The counts so far."""
        return self.engine.counts

    def run(self, records: Iterable[tuple[int, Mapping[str, Any] | BadLine]]) -> Counts:
        """Upsert every record (``(record number, record)`` pairs); return the counts.

        Raises :class:`~vtorm.migrate.rows.UsageError` before anything is
        sent when the first record names no field, and
        :class:`~vtorm.migrate.upsert.ConnectionLost` when the target stops
        answering (what was confirmed is in the journal).
        """
        try:
            return self.engine.run(self._rows(iter(records)))
        finally:
            self.engine.progress.close()

    def close(self) -> None:
        """Close a temporary journal."""
        if self._temporary is not None:
            self.journal.close()
            self._temporary.cleanup()
            self._temporary = None

    def _rows(self, records: Iterator[tuple[int, Mapping[str, Any] | BadLine]]) -> Iterator[Row]:
        first = True
        for line, record in records:
            if isinstance(record, BadLine):
                self.engine.reject_unread({"line": line, "text": record.text}, record.reason)
                continue
            if first:
                self.prep.check_names(record)
                first = False
            try:
                yield self.prep.prepare(line, record)
            except Rejected as exc:
                self.engine.reject_unread({"line": line, "row": dict(record)}, str(exc))
