"""What the generator knows about a CRM: its modules, parsed by :mod:`vtorm.describe`.

Describe and listtypes answers are read by :func:`vtorm.describe.parse_describe`
and :func:`vtorm.describe.parse_listtypes` (re-exported here); a
:class:`Schema` is every module of one source plus what is known about that
source (for the header of the generated file).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from vtorm.describe import (
    ID_FIELD,
    FieldDescription,
    ListTypes,
    ModuleDescription,
    parse_describe,
    parse_listtypes,
    unwrap_envelope,
)
from vtorm.errors import SchemaError

__all__ = [
    "ID_FIELD",
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

#: One field as describe reports it (see :class:`vtorm.describe.FieldDescription`).
FieldSpec = FieldDescription
#: One module as describe reports it (see :class:`vtorm.describe.ModuleDescription`).
ModuleSpec = ModuleDescription


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


def sorted_modules(modules: Iterable[ModuleSpec]) -> tuple[ModuleSpec, ...]:
    """Modules in the generator's stable order (by name)."""
    return tuple(sorted(modules, key=lambda spec: spec.name))
