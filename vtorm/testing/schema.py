"""Module schemas of the emulated CRM, read from describe dumps.

A schema directory holds ``listtypes.json`` (optional) and one
``describe-<Module>.json`` per module, each either the raw ``result`` of
``describe`` or the whole ``{"success": true, "result": ...}`` envelope — the
format ``vtorm dump-schema`` writes. Without a directory the standard modules
of a stock Vtiger 8.4 install are used (shipped in ``vtorm/testing/schema/``).
Every describe is read by :func:`vtorm.describe.parse_describe`, so a dump
the code generator refuses is refused here too, with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vtorm.describe import (
    LISTTYPES_FILE,
    FieldDescription,
    ModuleDescription,
    describe_files,
    parse_describe,
    parse_listtypes,
)
from vtorm.errors import SchemaError

__all__ = ["DEFAULT_SCHEMA_DIR", "FieldSchema", "ModuleSchema", "load_schemas"]

DEFAULT_SCHEMA_DIR = Path(__file__).with_name("schema")

#: One field of a module, as describe reports it.
FieldSchema = FieldDescription


@dataclass(frozen=True)
class ModuleSchema:
    """One module: its describe result, indexed by field name (``id`` included)."""

    name: str
    label: str
    singular: str
    id_prefix: str
    is_entity: bool
    label_fields: tuple[str, ...]
    fields: Mapping[str, FieldSchema]
    describe: Mapping[str, Any] = field(compare=False, repr=False)
    # The module's entry in listtypes' ``information`` (its label there can
    # differ from describe's: "FAQ" / "Faq"); empty when the dump had none.
    information: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_describe(
        cls,
        raw: Mapping[str, Any],
        singular: str = "",
        information: Mapping[str, Any] | None = None,
    ) -> ModuleSchema:
        """Build a module from a describe ``result`` object (and its listtypes entry)."""
        return cls.from_description(parse_describe(raw), singular, information)

    @classmethod
    def from_description(
        cls,
        described: ModuleDescription,
        singular: str = "",
        information: Mapping[str, Any] | None = None,
    ) -> ModuleSchema:
        """Index a parsed describe (and its listtypes entry)."""
        return cls(
            name=described.name,
            label=described.label,
            singular=singular or described.label,
            id_prefix=described.id_prefix,
            is_entity=described.is_entity,
            label_fields=described.label_fields,
            fields={f.name: f for f in described.fields},
            describe=described.raw,
            information=dict(information or {}),
        )


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SchemaError(f"{path.name} is not valid JSON ({exc})") from None


def load_schemas(directory: str | Path | None = None) -> dict[str, ModuleSchema]:
    """Read every ``describe-<Module>.json`` of ``directory`` (the stock modules by default).

    Modules keep the order ``listtypes.json`` gives, then file-name order. A
    describe that cannot be read raises :class:`~vtorm.errors.SchemaError`.
    """
    root = Path(directory) if directory is not None else DEFAULT_SCHEMA_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"schema directory {str(root)!r} does not exist")
    information: Mapping[str, Mapping[str, Any]] = {}
    order: tuple[str, ...] = ()
    listtypes = root / LISTTYPES_FILE
    if listtypes.exists():
        listing = parse_listtypes(_load(listtypes))
        order, information = listing.types, listing.information
    schemas: dict[str, ModuleSchema] = {}
    for path in describe_files(root).values():
        described = parse_describe(_load(path))
        info = information.get(described.name) or {}
        singular = str(info.get("singular", ""))
        schemas[described.name] = ModuleSchema.from_description(described, singular, info)
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(schemas.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
