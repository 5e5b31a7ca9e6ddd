"""Rows into instances or values: compiled functions per model class, and the cattrs converter.

Reading a page of rows is the hot path of every query, so each model class
gets a function written for it: one dict display reading every field of a
row with its type's ``row_expr`` (:mod:`vtorm.types`), compiled once and
cached on the class. ``values()`` / ``values_list()`` rows get the same kind
of function for their fields, building a dict, a tuple or one value. A value
the fast expressions do not expect makes the whole row be read again field by
field through ``to_python``, which names the field in its error.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

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
    from vtorm.fields import FieldInfo
    from vtorm.model import Model

__all__ = ["RowBuilder", "ValuesBuilder", "converter", "row_builder", "values_builder"]

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

_VALUES_SOURCE: Final = """\
def values_{name}(row):
    get = row.get
    try:
        return {body}
    except _FALLBACK:
        return _careful(row)
"""

RowBuilder = Callable[[Mapping[str, Any], "Client | None"], Any]
ValuesBuilder = Callable[[Mapping[str, Any]], Any]
#: What a values builder makes of a row: a dict of attribute name -> value
#: (``values()``), a tuple (``values_list()``) or the one value (``flat=True``).
Shape = Literal["dict", "tuple", "flat"]
#: Distinct field lists kept per model class; a program choosing fields at
#: run time cannot grow the cache without bound.
_VALUES_CACHE_SIZE: Final = 64
_VALUES_LOCK: Final = threading.Lock()


def _expressions(infos: list[FieldInfo]) -> list[str]:
    """Per field, the expression reading its Python value from the row (``get``)."""
    return [
        info.kind.row_expr.format(w=repr(info.wire), i=index) for index, info in enumerate(infos)
    ]


def _compile(source: str, function: str, infos: list[FieldInfo], label: str,
             **names: Any) -> Any:
    """Compile ``source`` and return its ``function``, the generated source as its doc."""

    def slow(index: int, wire: Any) -> Any:
        return to_python(infos[index], wire)

    namespace: dict[str, Any] = {
        "_BOOL": BOOLEAN_WIRE,
        "_DATE": DATE_TEXT.fullmatch,
        "_DATETIME": DATETIME_TEXT.fullmatch,
        "_FALLBACK": _FALLBACK,
        "_SEP": MULTI_SEPARATOR,
        "_TIME": TIME_TEXT.fullmatch,
        "_date": datetime.date.fromisoformat,
        "_datetime": datetime.datetime.fromisoformat,
        "_decimal": _decimal,
        "_slow": slow,
        "_time": datetime.time.fromisoformat,
        **names,
    }
    code = compile(source, f"<vtorm {label}>", "exec")
    exec(code, namespace)
    made = namespace[function]
    made.__doc__ = source  # the generated source, for whoever debugs it
    return made


def _compile_builder(cls: type[Model]) -> RowBuilder:
    from vtorm.model import ModelState

    infos = list(cls._meta.fields.values())

    def careful(row: Mapping[str, Any]) -> dict[str, Any]:
        return {info.attr: to_python(info, row.get(info.wire)) for info in infos}

    exprs = _expressions(infos)
    items = "\n".join(
        f"            {info.attr!r}: {expr}," for info, expr in zip(infos, exprs, strict=True)
    )
    source = _BUILDER_SOURCE.format(name=cls.__name__, items=items)
    builder: RowBuilder = _compile(
        source, f"build_{cls.__name__}", infos, f"row builder {cls.__qualname__}",
        _State=ModelState, _careful=careful, _new=object.__new__, cls=cls,
    )
    return builder


def row_builder(cls: type[Model]) -> RowBuilder:
    """The compiled ``(row, client) -> instance`` function of model ``cls`` (made once)."""
    cached: RowBuilder | None = cls.__dict__.get("_vtorm_row_builder")
    if cached is None:
        cached = _compile_builder(cls)
        # Stored on the class itself, so a subclass compiles its own.
        type.__setattr__(cls, "_vtorm_row_builder", cached)
    return cached


def _compile_values(cls: type[Model], infos: list[FieldInfo], shape: Shape) -> ValuesBuilder:
    def careful(row: Mapping[str, Any]) -> Any:
        values = [to_python(info, row.get(info.wire)) for info in infos]
        if shape == "dict":
            return {info.attr: value for info, value in zip(infos, values, strict=True)}
        return tuple(values) if shape == "tuple" else values[0]

    exprs = _expressions(infos)
    if shape == "flat":
        (body,) = exprs
    elif shape == "dict":
        items = "".join(
            f"\n            {info.attr!r}: {expr}," for info, expr in zip(infos, exprs, strict=True)
        )
        body = f"{{{items}\n        }}"
    else:
        items = "".join(f"\n            {expr}," for expr in exprs)
        body = f"({items}\n        )"
    source = _VALUES_SOURCE.format(name=cls.__name__, body=body)
    builder: ValuesBuilder = _compile(
        source, f"values_{cls.__name__}", infos, f"values builder {cls.__qualname__}",
        _careful=careful,
    )
    return builder


def values_builder(cls: type[Model], infos: tuple[FieldInfo, ...], shape: Shape
                   ) -> ValuesBuilder:
    """The compiled ``row -> values`` function of these fields of ``cls`` (made once).

    ``shape`` says what it returns: a dict of attribute name -> Python value,
    a tuple of the values in the order of ``infos``, or the one field's value.
    """
    key = (shape, *(info.attr for info in infos))
    cache: dict[tuple[str, ...], ValuesBuilder] | None = cls.__dict__.get(
        "_vtorm_values_builders"
    )
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    if shape == "flat" and len(infos) != 1:
        raise ValueError(f"a flat values builder reads one field, not {len(infos)}")
    with _VALUES_LOCK:
        cache = cls.__dict__.get("_vtorm_values_builders")
        if cache is None:
            cache = {}
            # On the class itself, as the row builder: a subclass has its own.
            type.__setattr__(cls, "_vtorm_values_builders", cache)
        found = cache.get(key)
        if found is None:
            found = _compile_values(cls, list(infos), shape)
            if len(cache) >= _VALUES_CACHE_SIZE:
                del cache[next(iter(cache))]  # the oldest
            cache[key] = found
    return found


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
