"""Describe output, parsed and checked: what the generator knows about a CRM.

``parse_describe`` turns one raw ``describe`` result into a :class:`ModuleSpec`
and refuses anything malformed with a :class:`SchemaError` naming the module
and the field; ``parse_listtypes`` reads a ``listtypes`` result. A
:class:`Schema` is every module of one source plus what is known about that
source (for the header of the generated file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from vtorm.errors import VtormError

__all__ = [
    "FieldSpec",
    "ListTypes",
    "ModuleSpec",
    "Schema",
    "SchemaError",
    "SourceInfo",
    "parse_describe",
    "parse_listtypes",
    "unwrap_envelope",
]

# The describe `id` pseudo-field: `Model` declares `id` itself.
ID_FIELD = "id"


class SchemaError(VtormError, ValueError):
    """A describe or listtypes result that cannot be turned into models.

    ``module`` and ``field`` name where the problem is (``None`` when it is
    not about one module or field).
    """

    def __init__(self, message: str, *, module: str | None = None, field: str | None = None):
        self.module = module
        self.field = field
        where = module or ""
        if field is not None:
            where = f"{where}.{field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)


@attrs.frozen
class FieldSpec:
    """One field of a module as describe reports it (the ``id`` pseudo-field excluded).

    ``default`` is the describe's ``default`` as wire text, ``None`` when empty.
    """

    wire: str
    type: str
    label: str = ""
    mandatory: bool = False
    editable: bool = True
    nullable: bool = True
    default: str | None = None
    refers_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()


@attrs.frozen
class ModuleSpec:
    """One module: name, labels, id prefix, label fields and fields in describe order."""

    name: str
    label: str
    singular: str
    id_prefix: str
    label_fields: tuple[str, ...]
    is_entity: bool
    fields: tuple[FieldSpec, ...]


@attrs.frozen
class SourceInfo:
    """Where a schema came from, for the header of the generated file.

    ``description`` is the URL of a live CRM, ``schema dump <dir>`` or the
    embedded emulator; ``command`` the ``vtorm codegen`` line that reproduces
    the file (never with an access key).
    """

    description: str
    user: str | None = None
    vtiger_version: str | None = None
    api_version: str | None = None
    command: str | None = None


@attrs.frozen
class Schema:
    """The modules of one source, sorted by module name, and the source."""

    modules: tuple[ModuleSpec, ...]
    info: SourceInfo

    def module(self, name: str) -> ModuleSpec:
        """The module called ``name`` (``KeyError`` when absent)."""
        for spec in self.modules:
            if spec.name == name:
                return spec
        raise KeyError(name)


@attrs.frozen
class ListTypes:
    """A parsed ``listtypes`` result: module names, and each module's singular label."""

    types: tuple[str, ...]
    singular: Mapping[str, str]


def unwrap_envelope(doc: Any, what: str, module: str | None = None) -> Any:
    """The ``result`` of a whole ``{"success": ..., "result": ...}`` envelope, else ``doc``.

    A failed envelope raises :class:`SchemaError` quoting the server's error.
    """
    if isinstance(doc, Mapping) and "success" in doc and ("result" in doc or "error" in doc):
        if doc.get("success") is not True:
            error = doc.get("error")
            detail = error
            if isinstance(error, Mapping):
                detail = error.get("message") or error.get("code")
            raise SchemaError(f"{what} is a failed response: {detail}", module=module)
        return doc.get("result")
    return doc


def _flag(value: Any, module: str, field: str, key: str) -> bool:
    # Products' and Services' tax/currency pseudo-fields carry their flags as
    # strings ("1", "") on a real 8.4 server.
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "0", "false", "no"):
            return False
        if text in ("1", "true", "yes"):
            return True
    raise SchemaError(f"{key} is {value!r}, not a flag", module=module, field=field)


def _text(value: Any, module: str, field: str | None, key: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise SchemaError(f"{key} is {value!r}, not text", module=module, field=field)


def _name(value: Any, module: str, field: str | None, key: str) -> str:
    text = _text(value, module, field, key)
    if not text.strip():
        raise SchemaError(f"{key} is empty", module=module, field=field)
    return text


def _names(value: Any, module: str, field: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SchemaError(f"{key} is {value!r}, not a list", module=module, field=field)
    return tuple(_name(item, module, field, key) for item in value)


def _picklist(value: Any, module: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SchemaError(f"picklistValues is {value!r}, not a list", module=module, field=field)
    values: list[str] = []
    for entry in value:
        raw = entry.get("value") if isinstance(entry, Mapping) else entry
        if raw is None or isinstance(raw, (bool, list, dict)):
            raise SchemaError(
                f"picklist entry {entry!r} has no text value", module=module, field=field
            )
        text = _text(raw, module, field, "picklist value")
        if text not in values:  # a duplicate carries no information
            values.append(text)
    return tuple(values)


def _field(raw: Any, module: str, index: int) -> FieldSpec:
    if not isinstance(raw, Mapping):
        kind = type(raw).__name__
        raise SchemaError(f"field #{index + 1} is {kind}, not an object", module=module)
    if "name" not in raw:
        raise SchemaError(f"field #{index + 1} has no name", module=module)
    wire = _name(raw["name"], module, f"#{index + 1}", "name")
    type_info = raw.get("type")
    if not isinstance(type_info, Mapping):
        raise SchemaError(f"type is {type_info!r}, not an object", module=module, field=wire)
    type_name = _name(type_info.get("name"), module, wire, "type.name")
    default = raw.get("default")
    if isinstance(default, (list, dict)):
        raise SchemaError(f"default is {default!r}, not text", module=module, field=wire)
    if isinstance(default, bool):
        default = "1" if default else "0"
    default_text = None
    if default is not None and default != "":
        default_text = _text(default, module, wire, "default")
    return FieldSpec(
        wire=wire,
        type=type_name,
        label=_text(raw.get("label", ""), module, wire, "label"),
        mandatory=_flag(raw.get("mandatory", False), module, wire, "mandatory"),
        editable=_flag(raw.get("editable", True), module, wire, "editable"),
        nullable=_flag(raw.get("nullable", True), module, wire, "nullable"),
        default=default_text,
        refers_to=_names(type_info.get("refersTo"), module, wire, "type.refersTo"),
        picklist=_picklist(type_info.get("picklistValues"), module, wire),
    )


def parse_describe(raw: Any, *, module: str, singular: str = "") -> ModuleSpec:
    """Check and parse one ``describe`` result (or its whole envelope).

    ``module`` is the name it was asked for, used in errors and checked
    against the result's ``name``. Raises :class:`SchemaError`.
    """
    raw = unwrap_envelope(raw, "the describe answer", module)
    if not isinstance(raw, Mapping):
        raise SchemaError(f"describe result is {type(raw).__name__}, not an object", module=module)
    name = _name(raw.get("name"), module, None, "name")
    if name != module:
        raise SchemaError(f"describe result is for module {name!r}", module=module)
    fields_raw = raw.get("fields")
    if not isinstance(fields_raw, list):
        raise SchemaError("describe result has no list of fields", module=module)
    if "idPrefix" not in raw:
        raise SchemaError("describe result has no idPrefix", module=module)
    id_prefix = _text(raw["idPrefix"], module, None, "idPrefix")
    fields: list[FieldSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(fields_raw):
        spec = _field(entry, module, index)
        if spec.wire in seen:
            raise SchemaError("the field is listed twice", module=module, field=spec.wire)
        seen.add(spec.wire)
        if spec.wire != ID_FIELD:
            fields.append(spec)
    label_fields_raw = raw.get("labelFields") or ""
    if isinstance(label_fields_raw, list):
        label_fields = tuple(_name(item, module, None, "labelFields") for item in label_fields_raw)
    else:
        text = _text(label_fields_raw, module, None, "labelFields")
        label_fields = tuple(part.strip() for part in text.split(",") if part.strip())
    label = _text(raw.get("label") or name, module, None, "label")
    return ModuleSpec(
        name=name,
        label=label,
        singular=singular,
        id_prefix=id_prefix,
        label_fields=label_fields,
        is_entity=_flag(raw.get("isEntity", True), module, "(module)", "isEntity"),
        fields=tuple(fields),
    )


def parse_listtypes(raw: Any) -> ListTypes:
    """Check and parse a ``listtypes`` result (or its whole envelope)."""
    raw = unwrap_envelope(raw, "listtypes")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("types"), list):
        raise SchemaError("listtypes result has no list of types")
    types = tuple(_name(item, "listtypes", None, "types") for item in raw["types"])
    information = raw.get("information") or {}
    if not isinstance(information, Mapping):
        raise SchemaError("listtypes information is not an object")
    singular: dict[str, str] = {}
    for module, info in information.items():
        if isinstance(info, Mapping) and isinstance(info.get("singular"), str):
            singular[str(module)] = info["singular"]
    return ListTypes(types=types, singular=singular)


def sorted_modules(modules: Iterable[ModuleSpec]) -> tuple[ModuleSpec, ...]:
    """Modules in the generator's stable order (by name)."""
    return tuple(sorted(modules, key=lambda spec: spec.name))
