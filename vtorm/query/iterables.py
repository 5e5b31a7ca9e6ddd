"""What iterating a QuerySet yields: instances, dicts, tuples or single values.

A QuerySet's ``_iterable_class`` (as in Django) turns the rows that
:func:`vtorm.query.paging.rows` reads into the objects the caller asked for;
``values()`` and ``values_list()`` only choose another class. Each iterable
reads lazily, one page at a time, so ``QuerySet.iterator()`` streams with
flat memory; the QuerySet's result cache is a list made from one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from vtorm.context import active_unit_of_work
from vtorm.query import paging
from vtorm.types import to_python

if TYPE_CHECKING:
    from vtorm.query.queryset import QuerySet

__all__ = [
    "BaseIterable",
    "FlatValuesListIterable",
    "ModelIterable",
    "ValuesIterable",
    "ValuesListIterable",
]

T = TypeVar("T")


class BaseIterable(Generic[T]):
    """The results of ``queryset``, read when iterated (each iteration sends again)."""

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self.queryset = queryset

    def __iter__(self) -> Iterator[T]:
        raise NotImplementedError  # pragma: no cover - every subclass says what it yields

    def _rows(self) -> tuple[Any, paging.RowStream]:
        client = self.queryset._client_or_default()
        return client, paging.rows(client, self.queryset.query)

    def _values(self) -> Iterator[list[Any]]:
        """Per row, the Python values of the queryset's fields, in their order."""
        infos = self.queryset._field_infos()
        _, rows = self._rows()
        for row in rows:
            yield [to_python(info, row.get(info.wire)) for info in infos]


class ModelIterable(BaseIterable[Any]):
    """Model instances; inside a unit of work, the identity map's object of each record."""

    def __iter__(self) -> Iterator[Any]:
        client, rows = self._rows()
        from_row = self.queryset.model._from_row
        uow = active_unit_of_work()
        for row in rows:
            obj = from_row(row, client)
            if uow is not None:
                obj = uow._merge(obj)
            # A save() of this object that moves it in the order is noted by the stream.
            rows.watch(obj)
            yield obj


class ValuesIterable(BaseIterable[dict[str, Any]]):
    """A dict of attribute name -> Python value per record (``values()``)."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self.queryset._fields
        for values in self._values():
            yield dict(zip(names, values, strict=True))


class ValuesListIterable(BaseIterable[tuple[Any, ...]]):
    """A tuple of Python values per record (``values_list()``)."""

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for values in self._values():
            yield tuple(values)


class FlatValuesListIterable(BaseIterable[Any]):
    """The one field's Python value per record (``values_list(name, flat=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        for values in self._values():
            yield values[0]
