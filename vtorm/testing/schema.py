"""Module schemas of the emulated CRM, read from describe dumps.

A schema directory holds ``listtypes.json`` (optional) and one
``describe-<Module>.json`` per module, each either the raw ``result`` of
``describe`` or the whole ``{"success": true, "result": ...}`` envelope — the
format ``vtorm dump-schema`` writes. Without a directory the standard modules
of a stock Vtiger 8.4 install are used (shipped in ``vtorm/testing/schema/``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SCHEMA_DIR = Path(__file__).with_name("schema")


def _flag(value: Any) -> bool:
    # Products' tax/currency pseudo-fields carry their flags as strings ("1", "").
    if isinstance(value, str):
        return value not in ("", "0", "false")
    return bool(value)


@dataclass(frozen=True)
class FieldSchema:
    """One field of a module, as describe reports it."""

    name: str
    type: str
    label: str
    mandatory: bool
    editable: bool
    nullable: bool
    default: str
    refers_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_describe(cls, raw: Mapping[str, Any]) -> FieldSchema:
        """Build a field from one entry of describe's ``fields`` list."""
        type_info = raw.get("type") or {}
        return cls(
            name=str(raw["name"]),
            type=str(type_info.get("name", "string")),
            label=str(raw.get("label", "")),
            mandatory=_flag(raw.get("mandatory")),
            editable=_flag(raw.get("editable", True)),
            nullable=_flag(raw.get("nullable", True)),
            default="" if raw.get("default") is None else str(raw.get("default")),
            refers_to=tuple(type_info.get("refersTo") or ()),
            picklist=tuple(str(v["value"]) for v in type_info.get("picklistValues") or ()),
            raw=raw,
        )


@dataclass(frozen=True)
class ModuleSchema:
    """One module: its describe result, indexed."""

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
        fields = {f.name: f for f in map(FieldSchema.from_describe, raw.get("fields") or ())}
        label_fields = tuple(
            name.strip() for name in str(raw.get("labelFields") or "").split(",") if name.strip()
        )
        return cls(
            name=str(raw["name"]),
            label=str(raw.get("label", raw["name"])),
            singular=singular or str(raw.get("label", raw["name"])),
            id_prefix=str(raw["idPrefix"]),
            is_entity=_flag(raw.get("isEntity", True)),
            label_fields=label_fields,
            fields=fields,
            describe=raw,
            information=dict(information or {}),
        )


def _result(doc: Any) -> Any:
    if isinstance(doc, dict) and "success" in doc and "result" in doc:
        return doc["result"]
    return doc


def load_schemas(directory: str | Path | None = None) -> dict[str, ModuleSchema]:
    """Read every ``describe-<Module>.json`` of ``directory`` (the stock modules by default).

    Modules keep the order ``listtypes.json`` gives, then file-name order.
    """
    root = Path(directory) if directory is not None else DEFAULT_SCHEMA_DIR
    if not root.is_dir():
        raise FileNotFoundError(f"schema directory {str(root)!r} does not exist")
    information: dict[str, Any] = {}
    order: list[str] = []
    listtypes = root / "listtypes.json"
    if listtypes.exists():
        types = _result(json.loads(listtypes.read_text(encoding="utf-8")))
        order = list(types.get("types") or ())
        information = dict(types.get("information") or {})
    schemas: dict[str, ModuleSchema] = {}
    for path in sorted(root.glob("describe-*.json")):
        raw = _result(json.loads(path.read_text(encoding="utf-8")))
        if not isinstance(raw, dict) or "name" not in raw or "fields" not in raw:
            raise ValueError(f"{path.name}: not a describe result")
        info = information.get(raw["name"]) or {}
        singular = str(info.get("singular", ""))
        schemas[raw["name"]] = ModuleSchema.from_describe(raw, singular, info)
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(schemas.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
