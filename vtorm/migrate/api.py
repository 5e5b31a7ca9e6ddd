"""The Python entry points of ``vtorm.migrate``: import and export, by model or module name."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtorm.context import client_for
from vtorm.migrate.convert import ISO_ONLY, DateRule
from vtorm.migrate.copier import Copier
from vtorm.migrate.export import export_records
from vtorm.migrate.files import fingerprint, read_records
from vtorm.migrate.importer import Importer
from vtorm.migrate.journal import Journal
from vtorm.migrate.mapping import FieldMap
from vtorm.migrate.models import models_for
from vtorm.migrate.owners import Owners
from vtorm.migrate.prepare import Preparer
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import Counts, Rejects

if TYPE_CHECKING:
    from vtorm import Client, Model

__all__ = ["copy_modules", "export_file", "import_file", "import_records", "model_of"]


def model_of(module: str | type[Model], client: Client) -> type[Model]:
    """``module`` itself when it is a model class, else a class made from the CRM's describe."""
    if isinstance(module, str):
        return models_for(client, [module])[module]
    return module


def import_records(
    module: str | type[Model],
    records: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str],
    client: Client | None = None,
    field_map: FieldMap | Mapping[str, Any] | None = None,
    journal: str | Path | Journal | None = None,
    workers: int = 4,
    dry_run: bool = False,
    rejects: Rejects | None = None,
    dates: DateRule = ISO_ONLY,
    progress: Progress | None = None,
) -> Counts:
    """Upsert ``records`` (dicts of field or column -> value) into ``module`` by ``key``.

    The same job as ``vtorm import``: see :mod:`vtorm.migrate.importer`.
    ``field_map`` is a :class:`~vtorm.migrate.mapping.FieldMap` or its
    dict form (``{"rename": {...}, "set": {...}, ...}``); ``journal`` a path
    or an open :class:`~vtorm.migrate.journal.Journal` (a temporary one when
    None). Returns the counts; rejected rows go to ``rejects``.
    """
    numbered = ((n, dict(record)) for n, record in enumerate(records, 1))
    return _run_import(
        module, numbered, key=key, client=client, field_map=field_map, journal=journal,
        workers=workers, dry_run=dry_run, rejects=rejects, dates=dates, progress=progress,
    )  # fmt: skip


def import_file(
    module: str | type[Model],
    path: str | Path,
    *,
    key: Sequence[str],
    delimiter: str = ",",
    **options: Any,
) -> Counts:
    """Upsert the records of a ``.jsonl`` or ``.csv`` file; options as :func:`import_records`."""
    records = read_records(path, delimiter=delimiter)
    return _run_import(module, records, key=key, source=fingerprint(path), **options)


def _run_import(
    module: str | type[Model],
    records: Iterable[tuple[int, Any]],
    *,
    key: Sequence[str],
    client: Client | None = None,
    field_map: FieldMap | Mapping[str, Any] | None = None,
    journal: str | Path | Journal | None = None,
    workers: int = 4,
    dry_run: bool = False,
    rejects: Rejects | None = None,
    dates: DateRule = ISO_ONLY,
    progress: Progress | None = None,
    source: str | None = None,
) -> Counts:
    sender = client_for(client)
    model = model_of(module, sender)
    if field_map is not None and not isinstance(field_map, FieldMap):
        field_map = FieldMap.from_dict(field_map)
    preparer = Preparer(model, key, field_map=field_map, owners=Owners(sender), dates=dates)
    with _journal(journal) as given:
        importer = Importer(
            model, sender, preparer, journal=given, workers=workers,
            dry_run=dry_run, rejects=rejects, progress=progress, source=source,
        )  # fmt: skip
        try:
            return importer.run(records)
        finally:
            importer.close()


@contextlib.contextmanager
def _journal(journal: str | Path | Journal | None) -> Iterator[Journal | None]:
    """``journal`` as an open journal (a path is opened, and closed after the job)."""
    if not isinstance(journal, (str, Path)):
        yield journal
        return
    with Journal(journal) as opened:
        yield opened


def export_file(
    module: str | type[Model],
    path: str | Path,
    *,
    client: Client | None = None,
    fields: Sequence[str] | None = None,
    filters: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
    progress: Progress | None = None,
) -> int:
    """Write every record of ``module`` matching ``filters`` to a ``.jsonl`` or ``.csv`` file.

    ``filters`` are QuerySet arguments (``{"lastname__like": "Sm%"}``).
    Returns the number of records written.
    """
    sender = client_for(client)
    model = model_of(module, sender)
    pairs = filters.items() if isinstance(filters, Mapping) else filters
    return export_records(model, sender, path, fields=fields, filters=pairs, progress=progress)


def copy_modules(
    source: Client,
    target: Client,
    modules: Sequence[str],
    *,
    journal: str | Path | Journal,
    keys: Mapping[str, Sequence[str]] | None = None,
    since: str | datetime.datetime | None = None,
    workers: int = 4,
    dry_run: bool = False,
    rejects: Rejects | None = None,
) -> dict[str, Counts]:
    """Copy ``modules`` from ``source`` to ``target``; the same job as ``vtorm copy``.

    ``journal`` is a path or an open journal (it maps source ids to target
    ids: keep it for reruns); ``keys`` maps a module to the fields matching
    records the target already has; ``since`` is None (every record),
    ``"last"`` or an aware datetime. Returns the counts per module, in the
    order the modules were copied. See :mod:`vtorm.migrate.copier`.
    """
    with _journal(journal) as used:
        assert used is not None
        copier = Copier(
            source, target, modules, journal=used, keys=keys, workers=workers,
            dry_run=dry_run, rejects=rejects, since=since,
        )  # fmt: skip
        return copier.run()
