"""Drift between a generated models file and a CRM's current schema.

The comparison is semantic: the file is parsed (``ast``) back into what it
declares — modules, id prefixes, label fields, and for every field its wire
name, attribute, type, flags, default, targets and picklist values — and
compared with what the generator would make of the schema now. The header
(date, source) plays no part, nor does formatting.
"""

from __future__ import annotations

import ast
import itertools
import shlex
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import attrs

from .naming import plan_modules
from .schema import Schema, SchemaError

__all__ = [
    "FieldSummary",
    "ModuleSummary",
    "compare_file",
    "compare_text",
    "diff",
    "read_models",
    "recorded_modules",
    "summarize",
]


@attrs.frozen
class FieldSummary:
    """What a generated file declares about one field."""

    attr: str
    type: str
    label: str = ""
    mandatory: bool = False
    editable: bool = True
    default: str | None = None
    refers_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()
    nullable: bool = True


@attrs.frozen
class ModuleSummary:
    """What a generated file declares about one module (fields by wire name, in order)."""

    cls: str
    id_prefix: str
    label_fields: tuple[str, ...]
    fields: Mapping[str, FieldSummary]


def summarize(schema: Schema) -> dict[str, ModuleSummary]:
    """What the generator would declare for ``schema``, by module name."""
    result: dict[str, ModuleSummary] = {}
    for plan in plan_modules(schema.modules):
        fields = {
            field.spec.name: FieldSummary(
                attr=field.attr,
                type=field.spec.type,
                label=field.spec.label,
                mandatory=field.spec.mandatory,
                editable=field.spec.editable,
                default=field.spec.default,
                refers_to=field.spec.refers_to,
                picklist=field.spec.picklist,
                nullable=field.spec.nullable,
            )
            for field in plan.fields
        }
        attr_of = {field.spec.name: field.attr for field in plan.fields}
        result[plan.spec.name] = ModuleSummary(
            cls=plan.cls,
            id_prefix=plan.spec.id_prefix,
            label_fields=tuple(attr_of.get(name, name) for name in plan.spec.label_fields),
            fields=fields,
        )
    return result


_FIELD_KEYWORDS = frozenset(
    {"label", "mandatory", "editable", "default", "refers_to", "picklist", "nullable"}
)


def _literal(node: ast.expr, where: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise SchemaError(f"{where}: line {node.lineno} is not a literal") from None


def _field(stmt: ast.AnnAssign, where: str) -> tuple[str, FieldSummary] | None:
    call = stmt.value
    if not (
        isinstance(stmt.target, ast.Name)
        and isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "field"
    ):
        return None
    where = f"{where}.{stmt.target.id}"
    if len(call.args) != 2:
        raise SchemaError(f"{where}: field() at line {stmt.lineno} needs a wire name and a type")
    wire, type_name = (_literal(arg, where) for arg in call.args)
    options: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg not in _FIELD_KEYWORDS:
            raise SchemaError(f"{where}: unknown field() argument {keyword.arg!r}")
        options[keyword.arg] = _literal(keyword.value, where)
    try:
        summary = FieldSummary(attr=stmt.target.id, type=str(type_name), **options)
    except TypeError as exc:
        raise SchemaError(f"{where}: {exc}") from None
    return str(wire), summary


# The options of a model: the names of the inner ``class Meta``, and the
# class attributes files generated before it wrote instead.
_OPTIONS = {
    "module": "__module_name__",
    "id_prefix": "__id_prefix__",
    "label_fields": "__label_fields__",
}


def _constants(body: list[ast.stmt], names: Collection[str], where: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and target.id in names:
                found[target.id] = _literal(stmt.value, where)
    return found


def _options(node: ast.ClassDef, where: str) -> dict[str, Any]:
    """``module``, ``id_prefix``, ``label_fields``: from ``class Meta``, else the dunders."""
    dunders = {dunder: option for option, dunder in _OPTIONS.items()}
    found = {dunders[name]: value for name, value in _constants(node.body, dunders, where).items()}
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            found.update(_constants(stmt.body, _OPTIONS, f"{where}.Meta"))
    return found


def _module(node: ast.ClassDef, filename: str) -> tuple[str, ModuleSummary] | None:
    where = f"{filename}: class {node.name}"
    fields: dict[str, FieldSummary] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign):
            found = _field(stmt, where)
            if found is not None:
                fields[found[0]] = found[1]
    options = _options(node, where)
    name = options.get("module")
    if not isinstance(name, str):
        return None
    return name, ModuleSummary(
        cls=node.name,
        id_prefix=str(options.get("id_prefix", "")),
        label_fields=tuple(options.get("label_fields", ())),
        fields=fields,
    )


def read_models(text: str, filename: str = "<models>") -> dict[str, ModuleSummary]:
    """What a generated models file declares, by module name."""
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        raise SchemaError(
            f"{filename} is not valid Python (line {exc.lineno}: {exc.msg})"
        ) from None
    modules: dict[str, ModuleSummary] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found = _module(node, filename)
            if found is not None:
                modules[found[0]] = found[1]
    return modules


def _show(values: tuple[str, ...]) -> str:
    return ", ".join(repr(value) for value in values) or "nothing"


def _field_changes(name: str, old: FieldSummary, new: FieldSummary) -> list[str]:
    changes: list[str] = []
    if old.type != new.type:
        changes.append(f"{name}: type {old.type} -> {new.type}")
    if old.mandatory != new.mandatory:
        changes.append(f"{name}: " + ("now mandatory" if new.mandatory else "no longer mandatory"))
    if old.editable != new.editable:
        changes.append(f"{name}: " + ("now editable" if new.editable else "now read-only"))
    if old.nullable != new.nullable:
        changes.append(f"{name}: nullable {old.nullable} -> {new.nullable}")
    if old.picklist != new.picklist:
        added = tuple(value for value in new.picklist if value not in old.picklist)
        removed = tuple(value for value in old.picklist if value not in new.picklist)
        parts = []
        if added:
            parts.append(f"added {_show(added)}")
        if removed:
            parts.append(f"removed {_show(removed)}")
        changes.append(f"{name}: picklist values " + ("; ".join(parts) or "reordered"))
    if old.refers_to != new.refers_to:
        changes.append(f"{name}: refers to ({_show(old.refers_to)}) -> ({_show(new.refers_to)})")
    if old.default != new.default:
        changes.append(f"{name}: default {old.default!r} -> {new.default!r}")
    if old.label != new.label:
        changes.append(f"{name}: label {old.label!r} -> {new.label!r}")
    if old.attr != new.attr:
        changes.append(f"{name}: attribute {old.attr} -> {new.attr}")
    return changes


def diff(old: Mapping[str, ModuleSummary], new: Mapping[str, ModuleSummary]) -> list[str]:
    """Readable differences from ``old`` (the file) to ``new`` (the schema now)."""
    changes: list[str] = []
    for module in sorted(set(old) | set(new)):
        if module not in old:
            changes.append(f"{module}: module added ({len(new[module].fields)} fields)")
            continue
        if module not in new:
            changes.append(f"{module}: module removed")
            continue
        before, after = old[module], new[module]
        if before.cls != after.cls:
            changes.append(f"{module}: class {before.cls} -> {after.cls}")
        if before.id_prefix != after.id_prefix:
            changes.append(f"{module}: id prefix {before.id_prefix} -> {after.id_prefix}")
        if before.label_fields != after.label_fields:
            changes.append(
                f"{module}: label fields ({_show(before.label_fields)}) -> "
                f"({_show(after.label_fields)})"
            )
        for wire, field in after.fields.items():
            if wire not in before.fields:
                changes.append(f"{module}.{wire}: field added ({field.type})")
            else:
                changes.extend(_field_changes(f"{module}.{wire}", before.fields[wire], field))
        changes.extend(
            f"{module}.{wire}: field removed" for wire in before.fields if wire not in after.fields
        )
    return changes


def compare_text(text: str, path: str | Path, schema: Schema) -> list[str]:
    """Differences between the generated file ``text`` (read from ``path``) and ``schema``."""
    found = read_models(text, str(path))
    if not found:
        raise SchemaError(f"{path} declares no generated model class")
    return diff(found, summarize(schema))


def compare_file(path: str | Path, schema: Schema) -> list[str]:
    """Differences between the generated file at ``path`` and ``schema`` (empty: none).

    A missing file raises :class:`SchemaError`: there is nothing to compare.
    """
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"{target} does not exist, so there is nothing to check") from None
    return compare_text(text, target, schema)


_REGENERATE = "Regenerate: "


def recorded_modules(text: str) -> list[str] | None:
    """The ``--modules`` the header's ``Regenerate:`` line records (``None``: every module)."""
    for line in text.splitlines():
        if line == '"""':  # the end of the header
            break
        if line.startswith(_REGENERATE):
            try:
                words = shlex.split(line[len(_REGENERATE) :])
            except ValueError:
                return None
            for option, value in itertools.pairwise(words):
                if option == "--modules":
                    return [name.strip() for name in value.split(",") if name.strip()]
            break
    return None
