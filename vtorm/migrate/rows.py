"""A row on its way to the target, and the errors that stop one row or the whole job."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from vtorm.errors import FieldError, VtormError, did_you_mean
from vtorm.migrate.convert import wire_of

if TYPE_CHECKING:
    from vtorm import FieldInfo, Model

__all__ = ["Rejected", "Row", "UsageError", "digest_of", "field_named"]


class UsageError(VtormError, ValueError):
    """The job cannot run as asked (an unknown key field, a column no field matches)."""


class Rejected(Exception):
    """A row that cannot be written, and why (its message)."""


@attrs.define
class Row:
    """One row on its way to the target.

    ``values`` maps attribute names to Python values of the fields to write,
    ``probe`` those of the key fields (for a lookup); ``key`` is the row's
    identity in the journal (its key as the server compares it, or for
    ``copy`` the source record's id); ``digest`` a hash of what it writes.
    ``line`` orders rows of one input; ``origin`` is what a reject says of
    the row (the line and the record read, or the source module and id).
    ``refs`` holds ``copy``'s references filled in a second pass.
    ``attempts`` counts sends whose outcome was lost; ``doubt`` names the
    write (``"create"``, ``"revise"``) that may have been carried out
    although its answer was lost. Rows with the same ``lock`` (by default
    the key) are never written at the same time.
    """

    line: int
    origin: dict[str, Any]
    values: dict[str, Any]
    probe: dict[str, Any]
    key: str
    digest: str
    refs: str | None = None
    attempts: int = 0
    doubt: str | None = None
    lock: str = attrs.field()

    @lock.default
    def _lock(self) -> str:
        return self.key


def field_named(model: type[Model], name: str) -> FieldInfo:
    """The field of ``model`` called ``name`` (wire or attribute name)."""
    meta = model._meta
    info = meta.by_wire.get(name) or meta.fields.get(name)
    if info is None:
        raise FieldError(
            f"{meta.module} has no field {name!r}{did_you_mean(name, meta.by_wire)}"
        )
    return info


def digest_of(model: type[Model], values: Mapping[str, Any], extra: Any = None) -> str:
    """A hash of the wire form of ``values`` (attribute -> Python value) and ``extra``."""
    meta = model._meta
    wire = {
        meta.fields[attr].wire: wire_of(meta.fields[attr], value, meta.module)
        for attr, value in values.items()
    }
    text = json.dumps([wire, extra], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
