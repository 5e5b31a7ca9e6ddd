"""What iterating a QuerySet yields: instances, dicts, tuples or single values.

A QuerySet's ``_iterable_class`` (as in Django) turns the rows that
:func:`vtorm.query.paging.rows` reads into the objects the caller asked for;
``values()`` and ``values_list()`` only choose another class. Each iterable
reads lazily, one page at a time, so ``QuerySet.iterator()`` streams with
flat memory; the QuerySet's result cache is a list made from one. Rows become
instances or values through the compiled builders of :mod:`vtorm.rows`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from vtorm.context import active_unit_of_work
from vtorm.query import paging
from vtorm.rows import Shape, values_builder

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


class _ValuesIterable(BaseIterable[T]):
    """Per row, the Python values of the queryset's fields, shaped by ``shape``."""

    shape: ClassVar[Shape]

    def __iter__(self) -> Iterator[T]:
        queryset = self.queryset
        build = values_builder(queryset.model, queryset._fields, self.shape)
        _, rows = self._rows()
        # A generator, as every iterable: nothing is resolved before the first item.
        yield from map(build, rows)


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


class ValuesIterable(_ValuesIterable[dict[str, Any]]):
    """A dict of attribute name -> Python value per record (``values()``)."""

    shape = "dict"


class ValuesListIterable(_ValuesIterable[tuple[Any, ...]]):
    """A tuple of Python values per record (``values_list()``)."""

    shape = "tuple"


class FlatValuesListIterable(_ValuesIterable[Any]):
    """The one field's Python value per record (``values_list(name, flat=True)``)."""

    shape = "flat"
