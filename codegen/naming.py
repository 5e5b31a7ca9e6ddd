"""Python names for CRM modules and fields, chosen deterministically and visibly.

A wire name that is already a valid identifier is kept as it is. Any other is
made one (keywords get a trailing ``_``, odd characters become ``_``, a
leading digit gets a prefix, a leading underscore is dropped since attrs
would strip it from the ``__init__`` argument), and a name that would clash
with a ``Model`` attribute, a name the generated module uses, or an earlier
name gets a suffix. Every renamed item carries a ``note`` saying why; the
renderer prints it as a comment above the item.
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Iterable, Mapping

import attrs

from .schema import FieldSpec, ModuleSpec

__all__ = [
    "MODEL_ATTRIBUTES",
    "MODULE_NAMES",
    "FieldPlan",
    "ModulePlan",
    "alias_name",
    "make_identifier",
    "plan_modules",
]

# Names the generated module binds or uses in annotations. A class attribute
# with one of these names would shadow it inside the class body: mypy then
# reads `str` in `x: str | None` as the attribute, and `field(...)` below a
# field named `field` would call the attribute.
MODULE_NAMES: frozenset[str] = frozenset(
    {
        "Decimal",
        "Final",
        "Literal",
        "Model",
        "annotations",
        "attrs",
        "bool",
        "datetime",
        "field",
        "int",
        "list",
        "str",
    }
)

# Public attributes of `vtorm.Model` a field must not hide (names with a
# leading underscore never come out of make_identifier), and `Meta`, the
# inner class holding a generated model's options.
MODEL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "DoesNotExist",
        "Meta",
        "MultipleObjectsReturned",
        "delete",
        "dirty_fields",
        "id",
        "in_doubt",
        "is_dirty",
        "objects",
        "pk",
        "refresh",
        "resolve",
        "save",
    }
)


@attrs.frozen
class FieldPlan:
    """A field and the Python names it gets.

    ``alias`` is the name of its ``Literal`` alias (picklists with values),
    ``note`` why ``attr`` differs from the wire name.
    """

    spec: FieldSpec
    attr: str
    note: str | None = None
    alias: str | None = None


@attrs.frozen
class ModulePlan:
    """A module, its class name (``note``: why it differs) and its fields."""

    spec: ModuleSpec
    cls: str
    fields: tuple[FieldPlan, ...]
    note: str | None = None


def _is_continue(char: str) -> bool:
    return ("a" + char).isidentifier()


def make_identifier(wire: str, prefix: str) -> tuple[str, str | None]:
    """A valid Python identifier for ``wire`` and why it differs (``None``: it does not).

    ``prefix`` goes in front of a name that would start with a digit, or
    stands alone when nothing usable is left.
    """
    if (
        wire.isidentifier()
        and not wire.startswith("_")
        and not keyword.iskeyword(wire)
        and unicodedata.normalize("NFKC", wire) == wire
    ):
        return wire, None
    text = unicodedata.normalize("NFKC", wire)
    if keyword.iskeyword(text):
        return text + "_", "is a Python keyword"
    cleaned: list[str] = []
    for char in text:
        ok = _is_continue(char)
        if not ok and cleaned and cleaned[-1] == "_":
            continue
        cleaned.append(char if ok else "_")
    name = "".join(cleaned).strip("_")
    while "__" in name:
        name = name.replace("__", "_")
    if not name:
        name = prefix
    elif not name.isidentifier():
        name = f"{prefix}_{name}"
    if keyword.iskeyword(name):
        name += "_"
    if not text.isidentifier():
        reason = "is not a valid Python identifier"
    elif text.startswith("_"):
        reason = "starts with an underscore (attrs would drop it from __init__)"
    else:
        reason = "is not in Python's normal form (NFKC)"
    return name, reason


_SHADOWS = "would shadow a name the generated module uses"
_MODEL_ATTRIBUTE = "is a Model attribute"
_CLASS = "is the name of a generated class"


def _claim(
    wanted: str, note: str | None, taken: set[str], reserved: Mapping[str, str]
) -> tuple[str, str | None]:
    name = wanted
    if name in reserved:
        why = reserved[name]
        note = f"{note}; {name} {why}" if note else why
        name += "_"
    if name in taken or name in reserved:
        stem = name.rstrip("_") or name
        number = 2
        while f"{stem}_{number}" in taken or f"{stem}_{number}" in reserved:
            number += 1
        clash = f"clashes with {name}"
        name = f"{stem}_{number}"
        note = f"{note}; {clash}" if note else clash
    taken.add(name)
    return name, note


def _assign(
    wires: list[str], prefix: str, reserved: Mapping[str, str]
) -> dict[str, tuple[str, str | None]]:
    """Identifiers for ``wires``: names valid as they are claim theirs first."""
    taken: set[str] = set()
    result: dict[str, tuple[str, str | None]] = {}
    pending: list[tuple[str, str, str | None]] = []
    for wire in wires:
        name, note = make_identifier(wire, prefix)
        if note is None and name not in reserved:
            taken.add(name)
            result[wire] = (name, None)
        else:
            pending.append((wire, name, note))
    for wire, name, note in pending:
        result[wire] = _claim(name, note, taken, reserved)
    return result


def alias_name(cls: str, attr: str) -> str:
    """The ``Literal`` alias name of a picklist: class name + the attribute in CamelCase."""
    return cls + "".join(part[:1].upper() + part[1:] for part in attr.split("_") if part)


def plan_modules(modules: Iterable[ModuleSpec]) -> tuple[ModulePlan, ...]:
    """Names for every module, field and picklist alias, in the generator's order."""
    specs = sorted(modules, key=lambda spec: spec.name)
    module_names = dict.fromkeys(MODULE_NAMES, _SHADOWS)
    classes = _assign([spec.name for spec in specs], "M", module_names)
    class_names = dict.fromkeys((name for name, _ in classes.values()), _CLASS)
    field_reserved = {**class_names, **dict.fromkeys(MODEL_ATTRIBUTES, _MODEL_ATTRIBUTE)}
    field_reserved.update(module_names)
    attrs_by_module = [
        _assign([field.name for field in spec.record_fields], "f", field_reserved) for spec in specs
    ]
    alias_reserved = {**class_names, **module_names}
    for names in attrs_by_module:
        alias_reserved.update((name, "is an attribute") for name, _ in names.values())
    aliases_taken: set[str] = set()
    plans: list[ModulePlan] = []
    for spec, names in zip(specs, attrs_by_module, strict=True):
        cls, cls_note = classes[spec.name]
        fields: list[FieldPlan] = []
        for field in spec.record_fields:
            attr, note = names[field.name]
            alias = None
            if field.type == "picklist" and field.picklist:
                alias, _ = _claim(alias_name(cls, attr), None, aliases_taken, alias_reserved)
            fields.append(FieldPlan(spec=field, attr=attr, note=note, alias=alias))
        plans.append(ModulePlan(spec=spec, cls=cls, fields=tuple(fields), note=cls_note))
    return tuple(plans)
