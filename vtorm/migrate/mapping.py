"""The map file: how the columns of an input file become the fields of a module.

A JSON or TOML file (by extension) with these tables, each optional::

    rename  = {"E-mail" = "email", "Surname" = "lastname"}   # column -> field
    ignore  = ["Internal notes"]                              # columns to leave out
    set     = {leadsource = "Web Site"}                       # field -> constant, every row
    default = {assigned_user_id = "admin"}                    # field -> value when empty
    values  = {leadsource = {web = "Web Site"}}               # field -> {input: value}
    hook    = "mypackage.cleaning:fix_row"                    # a Python function

Fields are named by their wire name (or attribute name). The ``values`` of
a field translate input values before they are checked (picklist labels of
the old system, ``yes``/``no`` to ``true``/``false``...); a value not in the
table passes unchanged. ``hook`` names a function ``fix_row(row) -> row``
called with each row (field -> value, after renaming, before ``set``); it
may return a changed dict, or raise ``ValueError`` to reject the row with its
message. Owners may be given as user names or group names anywhere.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from vtorm.errors import VtormError

__all__ = ["FieldMap", "MapError", "RowHook", "load_map"]

RowHook = Callable[[dict[str, Any]], "dict[str, Any] | None"]

_KNOWN: Final = frozenset({"rename", "ignore", "set", "default", "values", "hook"})


class MapError(VtormError, ValueError):
    """A map file that cannot be used: unreadable, or naming what does not exist."""


@attrs.frozen
class FieldMap:
    """A parsed map (see the module documentation); the empty map changes nothing.

    ``constants`` is the map's ``set`` table.
    """

    rename: Mapping[str, str] = attrs.field(factory=dict)
    ignore: frozenset[str] = frozenset()
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    default: Mapping[str, Any] = attrs.field(factory=dict)
    values: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    hook: RowHook | None = None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], where: str = "map") -> FieldMap:
        """Check and build a map from its parsed document."""
        if not isinstance(doc, Mapping):
            raise MapError(f"{where}: the map must be an object/table")
        unknown = sorted(set(doc) - _KNOWN)
        if unknown:
            raise MapError(
                f"{where}: unknown section(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(_KNOWN))}"
            )
        rename = _table(doc, "rename", where)
        for column, target in rename.items():
            if not isinstance(target, str) or not target:
                raise MapError(f"{where}: rename.{column} must name a field, not {target!r}")
        ignore = doc.get("ignore", [])
        if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
            raise MapError(f"{where}: ignore must be a list of column names")
        values = _table(doc, "values", where)
        for name, table in values.items():
            if not isinstance(table, Mapping):
                raise MapError(f"{where}: values.{name} must be a table of input -> value")
        hook = doc.get("hook")
        if hook is not None and not isinstance(hook, str):
            raise MapError(f"{where}: hook must be 'module:function', not {hook!r}")
        return cls(
            rename=dict(rename),
            ignore=frozenset(ignore),
            constants=dict(_table(doc, "set", where)),
            default=dict(_table(doc, "default", where)),
            values={k: dict(v) for k, v in values.items()},
            hook=_import_hook(hook, where) if hook else None,
        )

    def fields(self) -> set[str]:
        """Every field name the map mentions (to check them against the model)."""
        return {*self.rename.values(), *self.constants, *self.default, *self.values}

    def apply(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row with columns renamed, ignored ones dropped, the hook run, constants set.

        Raises ``ValueError`` from the hook to reject the row.
        """
        out: dict[str, Any] = {}
        for column, value in row.items():
            if column in self.ignore:
                continue
            out[self.rename.get(column, column)] = value
        for name, table in self.values.items():
            value = out.get(name)
            if isinstance(value, str) and value in table:
                out[name] = table[value]
            elif isinstance(value, list):
                out[name] = [table.get(v, v) if isinstance(v, str) else v for v in value]
        if self.hook is not None:
            changed = self.hook(out)
            if changed is not None:
                out = dict(changed)
        out.update(self.constants)
        for name, value in self.default.items():
            current = out.get(name)
            if current is None or (isinstance(current, str) and not current.strip()):
                out[name] = value
        return out


def _table(doc: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    table = doc.get(name, {})
    if not isinstance(table, Mapping):
        raise MapError(f"{where}: {name} must be a table/object")
    return table


def _import_hook(spec: str, where: str) -> RowHook:
    module_name, _, function = spec.partition(":")
    if not module_name or not function:
        raise MapError(f"{where}: hook {spec!r} is not 'module:function'")
    # A hook module beside the map or in the working directory is found as a user expects.
    for folder in (str(Path(where).resolve().parent), "."):
        if folder not in sys.path:
            sys.path.append(folder)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MapError(f"{where}: cannot import the hook's module {module_name!r}: {exc}") from exc
    hook = getattr(module, function, None)
    if not callable(hook):
        raise MapError(f"{where}: {module_name} has no function {function!r}")
    result: RowHook = hook
    return result


def load_map(path: str | Path) -> FieldMap:
    """Read a JSON (``.json``) or TOML (``.toml``) map file."""
    where = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in (".json", ".toml"):
        raise MapError(f"{where}: a map is a .json or .toml file")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MapError(f"cannot read the map {where}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
        doc = _toml().loads(text) if suffix == ".toml" else json.loads(text)
    except ValueError as exc:
        raise MapError(f"{where} cannot be read: {exc}") from exc
    return FieldMap.from_dict(doc, where)


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    return importlib.import_module("tomli")
