"""Checking that the records an imported row refers to exist.

Vtiger accepts a reference to a record that does not exist (or was deleted)
and then reads it back as empty: the value is lost without an error. So the
ids a batch of rows refers to are looked up first, one query per referenced
module and 100 ids, and a row referring to a missing record is rejected with
the field and the id named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from vtorm.errors import VtigerError
from vtorm.migrate.keys import key_of
from vtorm.migrate.lookup import KeyLookup
from vtorm.migrate.models import models_for

if TYPE_CHECKING:
    from vtorm import Client, FieldInfo, Model
    from vtorm.migrate.rows import Row

__all__ = ["ReferenceCheck"]


class ReferenceCheck:
    """Finds the rows of ``model`` whose references name records ``client``'s CRM lacks."""

    def __init__(self, model: type[Model], client: Client) -> None:
        self.client = client
        self.fields: list[FieldInfo] = [
            info
            for info in model._meta.fields.values()
            if info.type == "reference" and info.editable and info.wire != "id"
        ]
        self._lookups: dict[str, KeyLookup | None] = {}  # id prefix -> lookup of its module
        self._prefixes: dict[str, str] | None = None

    def __call__(self, rows: Sequence[Row]) -> Mapping[str, str]:
        """Row key -> why the row cannot be written, for rows referring to missing records."""
        used: dict[str, set[str]] = {}
        for row in rows:
            for info in self.fields:
                value = row.values.get(info.attr)
                if isinstance(value, str):
                    used.setdefault(value.partition("x")[0], set()).add(value)
        if not used:
            return {}
        missing: set[str] = set()
        for prefix, ids in used.items():
            lookup = self._lookup(prefix)
            if lookup is None:
                continue  # a module this user cannot read: the server decides
            found = lookup.find([{"id": ident} for ident in ids], ())
            missing.update(i for i in ids if key_of(lookup.key, {"id": i}) not in found)
        reasons: dict[str, str] = {}
        for row in rows:
            gone = [
                f"{info.wire} refers to {row.values[info.attr]}, which does not exist"
                for info in self.fields
                if row.values.get(info.attr) in missing
            ]
            if gone:
                reasons[row.key] = "; ".join(gone) + " (the CRM would store it as empty)"
        return reasons

    def _lookup(self, prefix: str) -> KeyLookup | None:
        if prefix not in self._lookups:
            module = self._module_of(prefix)
            lookup = None
            if module is not None:
                try:
                    model = models_for(self.client, [module])[module]
                except VtigerError:
                    model = None
                if model is not None:
                    lookup = KeyLookup(model, self.client, (model._meta.fields["id"],))
            self._lookups[prefix] = lookup
        return self._lookups[prefix]

    def _module_of(self, prefix: str) -> str | None:
        if self._prefixes is None:
            self._prefixes = {}
            for module in {m for info in self.fields for m in info.refers_to}:
                try:
                    found = self.client.describe(module).get("idPrefix")
                except VtigerError:
                    continue
                if found is not None:
                    self._prefixes[str(found)] = module
        return self._prefixes.get(prefix)
