"""From a source CRM's record to a row for the target CRM.

* Fields are matched by wire name; fields the target does not have, and the
  read-only ones, are left out.
* Owners are mapped by name: the source owner's user name (or group name)
  is looked up among the target's users and groups.
* References are rewritten to the target's ids through the journal (the
  referenced record was copied before: modules go in reference order).
  References filled in the second pass (:mod:`vtorm.migrate.order`) are
  kept aside, as source ids, in the row's ``refs``.
* Every value then passes the target's field types: a picklist value the
  target does not have is refused, like a bad value in an input file.

The row's key in the journal is the source record's id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vtorm.errors import ValidationError
from vtorm.migrate.convert import input_value
from vtorm.migrate.keys import key_of
from vtorm.migrate.rows import Rejected, Row, digest_of

if TYPE_CHECKING:
    from vtorm import FieldInfo, Model
    from vtorm.migrate.journal import Journal
    from vtorm.migrate.owners import Owners

__all__ = ["RowMaker"]

# Written by the server itself on every write: copying it means nothing.
_SERVER_KEPT = frozenset({"Users"})


class RowMaker:
    """Makes target rows of one module from source instances (see the module documentation).

    ``deferred`` are the wire names filled in the second pass; ``key`` the
    target fields matching existing target records (``--key``), if any.
    ``planned`` (a dry run) holds the source ids a dry run would have copied:
    references to them stand in for the target ids they would have had.
    """

    def __init__(
        self,
        source_model: type[Model],
        target_model: type[Model],
        *,
        journal: Journal,
        source_owners: Owners,
        target_owners: Owners,
        deferred: frozenset[str] = frozenset(),
        key: tuple[FieldInfo, ...] = (),
        planned: set[str] | None = None,
    ) -> None:
        self.source = source_model
        self.target = target_model
        self.module = target_model._meta.module
        self.journal = journal
        self.source_owners = source_owners
        self.target_owners = target_owners
        self.deferred = deferred
        self.key = key
        self.planned = planned
        source_fields = source_model._meta.by_wire
        self.pairs: list[tuple[FieldInfo, FieldInfo]] = [
            (source_fields[info.wire], info)
            for info in target_model._meta.fields.values()
            if info.editable
            and info.wire != "id"
            and info.wire in source_fields
            and not (info.type == "reference" and set(info.refers_to) <= _SERVER_KEPT)
        ]

    def row(self, line: int, record: Model) -> Row:
        """The target row of the source instance ``record``; :class:`Rejected` with the reason."""
        values: dict[str, Any] = {}
        refs: dict[str, str | None] = {}
        problems: list[str] = []
        for source_info, info in self.pairs:
            value = getattr(record, source_info.attr)
            if info.wire in self.deferred:
                refs[info.wire] = value
                continue
            try:
                values[info.attr] = self._value(info, value)
            except (ValidationError, Rejected) as exc:
                problems.append(str(exc))
        ident = str(record.id)
        if problems:
            raise Rejected("; ".join(problems))
        probe = {info.attr: values.get(info.attr) for info in self.key}
        if self.key and any(v is None for v in probe.values()):
            empty = ", ".join(i.wire for i in self.key if probe[i.attr] is None)
            raise Rejected(f"key field(s) {empty} have no value")
        refs_text = json.dumps(refs, sort_keys=True) if self.deferred else None
        return Row(
            line=line,
            origin={"module": self.module, "id": ident},
            values=values,
            probe=probe,
            key=ident,
            digest=digest_of(self.target, values, refs_text),
            refs=refs_text,
            lock=key_of(self.key, probe) if self.key else ident,
        )

    def _value(self, info: FieldInfo, value: Any) -> Any:
        where = f"{self.module}.{info.wire}"
        if value is None:
            return None
        if info.type == "owner":
            name = self.source_owners.name_of(str(value))
            if name is None:
                raise Rejected(f"{where}: the owner {value} is no user or group of the source")
            try:
                return self.target_owners.resolve(name, where)
            except ValidationError:
                raise Rejected(
                    f"{where}: the owner {value} ({name!r}) has no user or group of that name "
                    "on the target"
                ) from None
        if info.type == "reference":
            mapped = self.journal.target_of(str(value))
            if mapped is None and self.planned is not None and str(value) in self.planned:
                return str(value)  # a dry run: the record would have been copied
            if mapped is None:
                raise Rejected(
                    f"{where} refers to {value}, which was not copied (its module is not "
                    "among --modules, or its record was rejected)"
                )
            return mapped
        return input_value(info, value, self.module)

    def mapped_refs(self, refs: Mapping[str, str | None]) -> dict[str, str | None]:
        """Attribute -> target id of the deferred references (second pass).

        Raises :class:`Rejected` for a reference to a record that was not copied.
        """
        fields = self.target._meta.by_wire
        out: dict[str, str | None] = {}
        for wire, source_id in refs.items():
            info = fields[wire]
            out[info.attr] = None if source_id is None else self._value(info, source_id)
        return out
