"""Rows into instances: one compiled function per model class, and the cattrs converter.

Reading a page of rows is the hot path of every query, so each model class
gets a function written for it: one dict display reading every field of a
row with its type's ``row_expr`` (:mod:`vtorm.types`), compiled once and
cached on the class. A value the fast expressions do not expect makes the
whole row be read again field by field through ``to_python``, which names the
field in its error.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import cattrs

from vtorm.types import (
    BOOLEAN_WIRE,
    DATE_TEXT,
    DATETIME_TEXT,
    MULTI_SEPARATOR,
    TIME_TEXT,
    to_python,
)

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import Model

__all__ = ["RowBuilder", "converter", "row_builder"]

_FALLBACK: Final = (ValueError, TypeError, AttributeError, ArithmeticError)


def _decimal(text: str) -> Decimal:
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


_BUILDER_SOURCE: Final = """\
def build_{name}(row, client):
    get = row.get
    try:
        values = {{
{items}
        }}
    except _FALLBACK:
        values = _careful(row)
    values["_state"] = _State(client, row, False)
    obj = _new(cls)
    obj.__dict__ = values
    return obj
"""

RowBuilder = Callable[[Mapping[str, Any], "Client | None"], Any]


def _compile_builder(cls: type[Model]) -> RowBuilder:
    from vtorm.model import ModelState

    infos = list(cls._meta.fields.values())

    def careful(row: Mapping[str, Any]) -> dict[str, Any]:
        return {info.attr: to_python(info, row.get(info.wire)) for info in infos}

    def slow(index: int, wire: Any) -> Any:
        return to_python(infos[index], wire)

    items = []
    for index, info in enumerate(infos):
        expr = info.kind.row_expr.format(w=repr(info.wire), i=index)
        items.append(f"            {info.attr!r}: {expr},")
    source = _BUILDER_SOURCE.format(name=cls.__name__, items="\n".join(items))
    namespace: dict[str, Any] = {
        "_BOOL": BOOLEAN_WIRE,
        "_DATE": DATE_TEXT.fullmatch,
        "_DATETIME": DATETIME_TEXT.fullmatch,
        "_FALLBACK": _FALLBACK,
        "_SEP": MULTI_SEPARATOR,
        "_State": ModelState,
        "_TIME": TIME_TEXT.fullmatch,
        "_careful": careful,
        "_date": datetime.date.fromisoformat,
        "_datetime": datetime.datetime.fromisoformat,
        "_decimal": _decimal,
        "_new": object.__new__,
        "_slow": slow,
        "_time": datetime.time.fromisoformat,
        "cls": cls,
    }
    code = compile(source, f"<vtorm row builder {cls.__qualname__}>", "exec")
    exec(code, namespace)
    builder: RowBuilder = namespace[f"build_{cls.__name__}"]
    builder.__doc__ = source  # the generated source, for whoever debugs it
    return builder


def row_builder(cls: type[Model]) -> RowBuilder:
    """The compiled ``(row, client) -> instance`` function of model ``cls`` (made once)."""
    cached: RowBuilder | None = cls.__dict__.get("_vtorm_row_builder")
    if cached is None:
        cached = _compile_builder(cls)
        # Stored on the class itself, so a subclass compiles its own.
        type.__setattr__(cls, "_vtorm_row_builder", cached)
    return cached


def _is_model(cls: Any) -> bool:
    from vtorm.model import Model

    return isinstance(cls, type) and issubclass(cls, Model)


def _structure_factory(cls: type[Model]) -> Callable[[Any, Any], Any]:
    build = row_builder(cls)

    def structure(row: Any, _type: Any) -> Any:
        return build(row, None)

    return structure


def _unstructure_factory(cls: type[Model]) -> Callable[[Any], Any]:
    def unstructure(obj: Any) -> Any:
        return obj._to_wire()

    return unstructure


def _make_converter() -> cattrs.Converter:
    made = cattrs.Converter()
    made.register_structure_hook_factory(_is_model, _structure_factory)
    made.register_unstructure_hook_factory(_is_model, _unstructure_factory)
    return made


#: The one converter: ``converter.structure(row, Contacts)`` builds a clean
#: instance from a wire row, ``converter.unstructure(obj)`` gives the wire
#: form of its set fields.
converter: Final = _make_converter()
