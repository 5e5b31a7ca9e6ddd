"""``vtorm export``: every matching record of a module, streamed to a JSON Lines or CSV file.

Records are read a page (100 rows) at a time and written as they come, so
memory does not grow with the module. The requests are the module's
``describe`` (when the model is made from it), one query per 100 records,
and the one empty page that proves the end: ``ceil(N/100) + 2``.

Columns are ``id`` and the fields' wire names; values are written so that
``vtorm import`` reads them back unchanged (:mod:`vtorm.migrate.convert`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtorm.errors import FieldError, ValidationError
from vtorm.migrate.convert import csv_text, input_value, json_value
from vtorm.migrate.files import RecordWriter, file_format
from vtorm.migrate.progress import Progress
from vtorm.migrate.rows import UsageError, field_named

if TYPE_CHECKING:
    from vtorm import Client, Model

__all__ = ["export_records", "parse_filter"]

_LIST_LOOKUPS = frozenset({"in"})
_TEXT_LOOKUPS = frozenset({"like", "contains", "startswith", "endswith"})


def parse_filter(model: type[Model], text: str) -> tuple[str, Any]:
    """``FIELD__LOOKUP=VALUE`` (lookup optional) as a QuerySet filter argument.

    The value is read as an input file's value of that field (``in`` takes a
    comma-separated list); raises :class:`UsageError` naming what is wrong.
    """
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--filter {text!r}: expected FIELD__LOOKUP=VALUE")
    field, _, lookup = name.strip().partition("__")
    try:
        info = field_named(model, field)
    except FieldError as exc:
        raise UsageError(f"--filter {text!r}: {exc}") from None
    module = model._meta.module
    try:
        if lookup in _LIST_LOOKUPS:
            value: Any = [input_value(info, part, module) for part in raw.split(",")]
        elif lookup in _TEXT_LOOKUPS:
            value = raw
        else:
            value = input_value(info, raw, module)
    except ValidationError as exc:
        raise UsageError(f"--filter {text!r}: {exc}") from None
    return (f"{info.attr}__{lookup}" if lookup else info.attr), value


def export_records(
    model: type[Model],
    client: Client,
    out: str | Path,
    *,
    fields: Sequence[str] | None = None,
    filters: Iterable[tuple[str, Any]] = (),
    progress: Progress | None = None,
) -> int:
    """Write the records of ``model`` matching ``filters`` to ``out``; return how many.

    ``fields`` are wire (or attribute) names, every field when None; ``id``
    always comes first. ``filters`` are ``(name__lookup, value)`` pairs.
    """
    file_format(out)
    meta = model._meta
    try:
        chosen = [field_named(model, name) for name in fields] if fields else None
    except FieldError as exc:
        raise UsageError(f"--fields: {exc}") from None
    infos = [meta.fields["id"], *(chosen or (i for i in meta.fields.values() if i.wire != "id"))]
    infos = list({info.wire: info for info in infos}.values())
    qs = model.objects.using(client).all()
    for name, value in filters:
        qs = qs.filter(**{name: value})
    if chosen is not None:
        qs = qs.only(*(info.attr for info in infos if info.wire != "id"))
    columns = [info.wire for info in infos]
    as_csv = file_format(out) == ".csv"
    show = progress if progress is not None else Progress("", enabled=False)
    with RecordWriter(out, columns) as writer:
        for obj in qs.iterator():
            writer.write(_record(obj, infos, as_csv))
            show.update()
    show.close()
    return writer.count


def _record(obj: Model, infos: Sequence[Any], as_csv: bool) -> Mapping[str, Any]:
    if as_csv:
        return {info.wire: csv_text(info, getattr(obj, info.attr)) for info in infos}
    return {info.wire: json_value(info, getattr(obj, info.attr)) for info in infos}
