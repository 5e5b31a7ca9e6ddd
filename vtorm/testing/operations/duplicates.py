"""Duplicate prevention: a second record with the same value in every unique field is refused.

A field describe marks ``"isunique": true`` (on a stock 8.4 only
``Accounts.accountname``) is checked before every create, update and revise
of a module whose describe says ``allowDuplicates: false``: another live
record holding the same values in all those fields makes the server answer
``{"success":false,"error":{"message":"Duplicate(s) detected!","code":0}}``
-- the code is the integer 0. Values compare as the database collation
compares them (letter case, accents and trailing spaces do not count); the
record being written does not count, nor do deleted or converted ones, nor
empty values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import WsError
from vtorm.testing.schema import FieldSchema, ModuleSchema
from vtorm.testing.store import Store

__all__ = ["DUPLICATES", "check_unique", "unique_fields"]

DUPLICATES = "Duplicate(s) detected!"
# How describe spells a set flag (Products' pseudo-fields use strings).
_TRUE = (True, 1, "1", "true")


def unique_fields(schema: ModuleSchema) -> tuple[FieldSchema, ...]:
    """The editable fields of ``schema`` that must be unique (none if duplicates are allowed)."""
    if schema.describe.get("allowDuplicates", False) in _TRUE:
        return ()
    unique = {
        str(raw.get("name"))
        for raw in schema.describe.get("fields") or ()
        if isinstance(raw, dict) and raw.get("isunique") in _TRUE
    }
    return tuple(
        field
        for field in schema.fields.values()
        if field.editable and field.name in unique and field.name != "id"
    )


def check_unique(
    store: Store, schema: ModuleSchema, values: Mapping[str, Any], crmid: int | None
) -> None:
    """Raise the duplicate error when another live record matches ``values`` in every unique field.

    ``values`` holds the record's wire values after the write (for an update,
    the stored ones merged with those sent); ``crmid`` is the record itself,
    None on create.
    """
    fields = [f for f in unique_fields(schema) if values.get(f.name) not in (None, "")]
    if not fields:
        return
    layout = store.layouts[schema.name]
    # vtci is the emulator's utf8_general_ci: case, accents and trailing spaces ignored.
    conditions = " AND ".join(
        '"' + f.name.replace('"', '""') + '" = ? COLLATE vtci' for f in fields
    )
    rows = store.execute(
        f"SELECT crmid FROM {layout.table} WHERE {conditions} AND crmid != ? AND _hidden = 0",
        (*(values[f.name] for f in fields), -1 if crmid is None else crmid),
    )
    if any(store.alive.get(row["crmid"]) == schema.name for row in rows):
        raise WsError(0, DUPLICATES)
