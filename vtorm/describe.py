"""Describe output, read once: what a CRM says about its modules, typed and checked.

``parse_describe`` turns one ``describe`` result (or its whole envelope) into
a :class:`ModuleDescription` and ``parse_listtypes`` reads ``listtypes``; both
refuse anything malformed with a :class:`~vtorm.errors.SchemaError` naming
the module, the field and the key. The code generator and the emulator read
describes only through here.

Flags (``mandatory``, ``editable``, ``nullable``, ``isEntity``) are JSON
booleans, except on the tax and currency pseudo-fields Products and Services
append, where Vtiger 8.4 writes the PHP strings ``"1"`` and ``""``
(``VtigerProductOperation::describe``). A flag is read as PHP reads those:
``"1"`` true, ``""`` and ``"0"`` false, ``null`` false. No server sends any
other text (``"no"``, ``"FALSE"``): it is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from vtorm.errors import SchemaError
from vtorm.types import FieldType, field_type

__all__ = [
    "DESCRIBE_GLOB",
    "ID_FIELD",
    "LISTTYPES_FILE",
    "FieldDescription",
    "ListTypes",
    "ModuleDescription",
    "describe_file",
    "describe_files",
    "parse_describe",
    "parse_listtypes",
    "read_flag",
    "unwrap_envelope",
]

#: The ``id`` pseudo-field describe appends to every module.
ID_FIELD: Final = "id"
#: File names of a dump directory (``vtorm dump-schema``): one describe per module.
DESCRIBE_GLOB: Final = "describe-*.json"
LISTTYPES_FILE: Final = "listtypes.json"

# Fields whose describe type is not what the server stores and answers:
# (module, field) -> the type the values really have. 8.4 describes
# Calendar's duration_hours as a time, yet computes and answers a whole
# number of hours ("38" for a task over two days), as Events' integer does.
_TYPE_FIXES: Final[Mapping[tuple[str, str], str]] = {("Calendar", "duration_hours"): "integer"}


@attrs.frozen
class FieldDescription:
    """One field of a module as describe reports it.

    ``default`` is the describe's ``default`` as wire text, ``None`` when
    empty; ``picklist`` the values (possibly only those of the describing
    user's role); ``refers_to`` the modules a reference may point at.
    """

    name: str
    type: str
    label: str = ""
    mandatory: bool = False
    editable: bool = True
    nullable: bool = True
    default: str | None = None
    refers_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()

    @property
    def kind(self) -> FieldType:
        """The registry entry of this field's Vtiger type."""
        return field_type(self.type)


@attrs.frozen
class ModuleDescription:
    """One module: names, id prefix, label fields and every field in describe order.

    ``fields`` includes describe's ``id`` pseudo-field where describe lists
    it (Products' and Services' pseudo-fields come after it);
    :attr:`record_fields` leaves it out. ``raw`` is the describe result as
    it was read.
    """

    name: str
    label: str
    id_prefix: str
    label_fields: tuple[str, ...]
    is_entity: bool
    fields: tuple[FieldDescription, ...]
    singular: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def record_fields(self) -> tuple[FieldDescription, ...]:
        """Every field but the ``id`` pseudo-field (a model declares ``id`` itself)."""
        return tuple(field for field in self.fields if field.name != ID_FIELD)


@attrs.frozen
class ListTypes:
    """A parsed ``listtypes`` result: module names and each module's ``information`` entry."""

    types: tuple[str, ...]
    information: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, eq=False)

    @property
    def singular(self) -> dict[str, str]:
        """Module name -> its singular label, where listtypes gives one."""
        return {
            name: info["singular"]
            for name, info in self.information.items()
            if isinstance(info.get("singular"), str)
        }


def unwrap_envelope(doc: Any, what: str, module: str | None = None) -> Any:
    """The ``result`` of a whole ``{"success": ..., "result": ...}`` envelope, else ``doc``.

    A failed envelope raises :class:`~vtorm.errors.SchemaError` quoting the server's error.
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


def read_flag(value: Any, module: str, field: str, key: str) -> bool:
    """A describe flag: a JSON boolean, or the PHP text ``"1"`` / ``""`` (``"0"``) of 8.4."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value in ("", "0", "1"):
        return value == "1"
    raise SchemaError(
        f"{key} is {value!r}, not a flag (a Vtiger server sends true/false, "
        "or '1'/'' on pseudo-fields)",
        module=module,
        field=field,
    )


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


def _field(raw: Any, module: str, index: int) -> FieldDescription:
    if not isinstance(raw, Mapping):
        kind = type(raw).__name__
        raise SchemaError(f"field #{index + 1} is {kind}, not an object", module=module)
    if "name" not in raw:
        raise SchemaError(f"field #{index + 1} has no name", module=module)
    name = _name(raw["name"], module, f"#{index + 1}", "name")
    type_info = raw.get("type")
    if not isinstance(type_info, Mapping):
        raise SchemaError(f"type is {type_info!r}, not an object", module=module, field=name)
    type_name = _name(type_info.get("name"), module, name, "type.name")
    default = raw.get("default")
    if isinstance(default, (list, dict)):
        raise SchemaError(f"default is {default!r}, not text", module=module, field=name)
    if isinstance(default, bool):
        default = "1" if default else "0"
    default_text = None
    if default is not None and default != "":
        default_text = _text(default, module, name, "default")
    return FieldDescription(
        name=name,
        type=_TYPE_FIXES.get((module, name), type_name),
        label=_text(raw.get("label", ""), module, name, "label"),
        mandatory=read_flag(raw.get("mandatory", False), module, name, "mandatory"),
        editable=read_flag(raw.get("editable", True), module, name, "editable"),
        nullable=read_flag(raw.get("nullable", True), module, name, "nullable"),
        default=default_text,
        refers_to=_names(type_info.get("refersTo"), module, name, "type.refersTo"),
        picklist=_picklist(type_info.get("picklistValues"), module, name),
    )


def parse_describe(raw: Any, *, module: str | None = None, singular: str = "") -> ModuleDescription:
    """Check and parse one ``describe`` result (or its whole envelope).

    ``module`` is the name it was asked for (used in errors and checked
    against the result's ``name``); ``None`` takes the result's own name.
    ``singular`` is the module's singular label from listtypes.
    """
    where = module or "describe"
    raw = unwrap_envelope(raw, "the describe answer", where)
    if not isinstance(raw, Mapping):
        raise SchemaError(f"describe result is {type(raw).__name__}, not an object", module=where)
    name = _name(raw.get("name"), where, None, "name")
    if module is not None and name != module:
        raise SchemaError(f"describe result is for module {name!r}", module=module)
    fields_raw = raw.get("fields")
    if not isinstance(fields_raw, list):
        raise SchemaError("describe result has no list of fields", module=name)
    if "idPrefix" not in raw:
        raise SchemaError("describe result has no idPrefix", module=name)
    id_prefix = _text(raw["idPrefix"], name, None, "idPrefix")
    fields: list[FieldDescription] = []
    seen: set[str] = set()
    for index, entry in enumerate(fields_raw):
        spec = _field(entry, name, index)
        if spec.name in seen:
            raise SchemaError("the field is listed twice", module=name, field=spec.name)
        seen.add(spec.name)
        fields.append(spec)
    label_fields_raw = raw.get("labelFields") or ""
    if isinstance(label_fields_raw, list):
        label_fields = tuple(_name(item, name, None, "labelFields") for item in label_fields_raw)
    else:
        text = _text(label_fields_raw, name, None, "labelFields")
        label_fields = tuple(part.strip() for part in text.split(",") if part.strip())
    return ModuleDescription(
        name=name,
        label=_text(raw.get("label") or name, name, None, "label"),
        id_prefix=id_prefix,
        label_fields=label_fields,
        is_entity=read_flag(raw.get("isEntity", True), name, "(module)", "isEntity"),
        fields=tuple(fields),
        singular=singular,
        raw=raw,
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
    entries = {
        str(module): dict(info) for module, info in information.items() if isinstance(info, Mapping)
    }
    return ListTypes(types=types, information=entries)


def describe_file(module: str) -> str:
    """The file name of ``module``'s describe in a dump directory."""
    return f"describe-{module}.json"


def describe_files(directory: Path) -> dict[str, Path]:
    """Module name -> its ``describe-<Module>.json`` in a dump directory, by file name."""
    prefix, suffix = len(describe_file("")) - len(".json"), len(".json")
    return {path.name[prefix:-suffix]: path for path in sorted(directory.glob(DESCRIBE_GLOB))}
