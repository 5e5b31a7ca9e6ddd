"""From an input record to a row ready to upsert: mapped, converted, checked.

Nothing is sent for a row that fails here: the reason names the field and
the value. What is checked:

* every name is a field of the model (renamed through the map if needed);
  read-only fields and ``id`` are left out, since the server ignores them;
* every value passes through the model's types (:mod:`vtorm.migrate.convert`);
* owners are ids of users or groups the CRM has, or their names;
* the key fields have values (an empty key cannot be looked up).

Mandatory fields are checked when the row is about to be created (an update
may leave them out, but may not clear them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from vtorm.errors import FieldError, ValidationError, did_you_mean
from vtorm.migrate.convert import ISO_ONLY, DateRule, input_value
from vtorm.migrate.keys import key_of
from vtorm.migrate.mapping import FieldMap
from vtorm.migrate.rows import Rejected, Row, UsageError, digest_of, field_named

if TYPE_CHECKING:
    from vtorm import FieldInfo, Model
    from vtorm.migrate.owners import Owners

__all__ = ["Preparer"]


class Preparer:
    """Turns input records into :class:`Row` objects for ``model`` keyed by ``key``."""

    def __init__(
        self,
        model: type[Model],
        key: Sequence[str],
        *,
        field_map: FieldMap | None = None,
        owners: Owners | None = None,
        dates: DateRule = ISO_ONLY,
    ) -> None:
        self.model = model
        self.module = model._meta.module
        self.map = field_map or FieldMap()
        self.owners = owners
        self.dates = dates
        if not key:
            raise UsageError("no key field given")
        try:
            self.key = tuple(field_named(model, name) for name in key)
        except FieldError as exc:
            raise UsageError(f"key: {exc}") from None
        #: A key the server fills itself (id, an auto number) cannot be given to a
        #: new record: rows whose record does not exist are rejected, not created.
        self.update_only = any(not info.editable for info in self.key)
        try:
            for name in self.map.fields():
                field_named(model, name)
        except FieldError as exc:
            raise UsageError(f"map: {exc}") from None

    def check_names(self, record: Mapping[str, Any]) -> None:
        """Raise :class:`UsageError` if a name of ``record`` (after the map) is no field.

        Used on the first record, so that a misspelt column stops the job
        before anything is written instead of rejecting every row.
        """
        names = [
            self.map.rename.get(c, c) for c in record if c not in self.map.ignore
        ]
        unknown = [n for n in names if n not in self.model._meta.by_wire
                   and n not in self.model._meta.fields]
        if unknown:
            wires = self.model._meta.by_wire
            named = ", ".join(f"{n!r}{did_you_mean(n, wires)}" for n in unknown)
            raise UsageError(
                f"{self.module} has no field(s) {named}: "
                "rename them to fields in a map file (--map), or list them under 'ignore'"
            )
        given = {field_named(self.model, n).attr for n in names}
        given |= {field_named(self.model, n).attr for n in (*self.map.constants, *self.map.default)}
        absent = [info.wire for info in self.key if info.attr not in given]
        if absent and self.map.hook is None:
            raise UsageError(
                f"the key field(s) {', '.join(absent)} are not among the columns "
                f"({', '.join(map(str, record))}); rename a column to it in a map file (--map)"
            )

    def prepare(self, line: int, record: Mapping[str, Any]) -> Row:
        """The row for ``record``; raises :class:`Rejected` with the reason."""
        try:
            mapped = self.map.apply(record)
        except ValueError as exc:
            raise Rejected(f"rejected by the map's hook: {exc}") from None
        values: dict[str, Any] = {}
        keys: dict[str, Any] = {}
        problems: list[str] = []
        key_attrs = {info.attr for info in self.key}
        for name, raw in mapped.items():
            try:
                info = field_named(self.model, name)
            except FieldError as exc:
                problems.append(f"{exc} (rename or ignore it in the map)")
                continue
            if not info.editable and info.attr not in key_attrs:
                continue
            try:
                value = self._value(info, raw)
            except ValidationError as exc:
                problems.append(str(exc))
                continue
            if info.attr in key_attrs:
                keys[info.attr] = value
            if info.editable and info.wire != "id":
                values[info.attr] = value
        if problems:
            raise Rejected("; ".join(problems))
        empty = [i.wire for i in self.key if keys.get(i.attr) is None]
        if empty:
            raise Rejected(f"key field(s) {', '.join(empty)} have no value")
        return Row(
            line=line,
            origin={"line": line, "row": dict(record)},
            values=values,
            probe=keys,
            key=key_of(self.key, keys),
            digest=digest_of(self.model, values),
        )

    def _value(self, info: FieldInfo, raw: Any) -> Any:
        if info.type == "owner" and isinstance(raw, str) and raw.strip():
            if self.owners is None:
                raise ValidationError(f"{self.module}.{info.wire}: owners cannot be checked")
            raw = self.owners.resolve(raw, f"{self.module}.{info.wire}")
        return input_value(info, raw, self.module, dates=self.dates)
