"""``QuerySet``: a lazy, immutable, chainable query over one model.

Nothing is sent until the queryset is iterated (or ``count()``, ``get()``...
is called), and it is sent again each time: results are streamed page by page
and not kept, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import contextlib
import importlib
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from vtorm.errors import VtormError
from vtorm.query import paging
from vtorm.query.compiler import FALSE, TRUE, combine, field_info, leaf, resolve
from vtorm.query.q import AND, Q
from vtorm.query.query import Query

if TYPE_CHECKING:
    from vtorm.changes import ChangeFeed
    from vtorm.client import Client
    from vtorm.model import FieldInfo, Model

M = TypeVar("M", bound="Model")

_MODEL, _VALUES, _TUPLES, _FLAT = "model", "values", "tuples", "flat"

# Clients that answered count(*) with an empty list (stock 8.4): asked once.
_NO_COUNT: weakref.WeakSet[Any] = weakref.WeakSet()


class QuerySet(Generic[M]):
    """Records of ``model`` matching a filter, in an order, within a slice.

    Every method returns a new QuerySet; ``str(qs.query)`` is the first
    statement it will send.
    """

    def __init__(
        self,
        model: type[M],
        query: Query | None = None,
        client: Client | None = None,
        *,
        kind: str = _MODEL,
        names: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self._query = query if query is not None else Query(model)
        self._client = client
        self._kind = kind
        self._names = names

    # ----------------------------------------------------------------- building

    @property
    def query(self) -> Query:
        """The compiled query; ``str()`` of it is the first statement sent."""
        return self._query

    def _clone(self, **query_changes: Any) -> QuerySet[M]:
        return self._with(self._query.clone(**query_changes) if query_changes else self._query)

    def _with(self, query: Query) -> QuerySet[M]:
        new: QuerySet[M] = QuerySet.__new__(QuerySet)
        new.model = self.model
        new._query = query
        new._client = self._client
        new._kind = self._kind
        new._names = self._names
        return new

    def _check_unsliced(self, action: str) -> None:
        if self._query.low or self._query.high is not None:
            raise TypeError(f"Cannot {action} a query once a slice has been taken.")

    def all(self) -> QuerySet[M]:
        """A copy of this queryset."""
        return self._clone()

    def none(self) -> QuerySet[M]:
        """A queryset that matches nothing and sends nothing."""
        return self._clone(where=FALSE)

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Records matching every argument (``field__lookup=value`` or ``Q``)."""
        return self._add(args, kwargs, negate=False)

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Records not matching the arguments taken together.

        Like every comparison on the server, a negated one is false on an empty
        field: ``exclude(title="CTO")`` returns the records whose title is set
        and is not "CTO". A negated ``like``/``contains``/``startswith``/
        ``endswith`` (the language has no NOT LIKE) is answered client-side: the
        ids matching the positive LIKE are read first and skipped.
        """
        return self._add(args, kwargs, negate=True)

    def _add(self, args: tuple[Q, ...], kwargs: dict[str, Any], negate: bool) -> QuerySet[M]:
        query = self._query
        if query.low or query.high is not None:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        if not args and not kwargs:
            return self._clone()
        if not args and len(kwargs) == 1:
            # The common case, without building a Q.
            ((key, value),) = kwargs.items()
            node = leaf(self.model, key, value, negate)
        else:
            node = resolve(self.model, Q(*args, **kwargs), negate)
        if query.where != TRUE:
            node = combine(AND, (query.where, node))
        return self._with(query.with_where(node))

    def order_by(self, *names: str) -> QuerySet[M]:
        """Order by these fields (``-name``: descending); no names: by id."""
        self._check_unsliced("reorder")
        ordering = []
        for name in names:
            desc = name.startswith("-")
            info = field_info(self.model, name[1:] if desc else name)
            ordering.append((info.wire, desc))
        return self._with(self._query.with_ordering(tuple(ordering)))

    def reverse(self) -> QuerySet[M]:
        """The same records in the opposite order."""
        self._check_unsliced("reverse")
        ordering = self._query.ordering or (("id", False),)
        return self._clone(ordering=tuple((w, not d) for w, d in ordering))

    def using(self, client: Client) -> QuerySet[M]:
        """Send this queryset's requests through ``client``."""
        return QuerySet(self.model, self._query, client, kind=self._kind, names=self._names)

    def _infos(self, names: Iterable[str]) -> tuple[FieldInfo, ...]:
        return tuple(field_info(self.model, name) for name in names)

    def only(self, *names: str) -> QuerySet[M]:
        """Load only these fields (and ``id``); the others stay None."""
        infos = self._infos(names)
        return self._clone(columns=tuple(dict.fromkeys(i.wire for i in infos)) or None)

    def values(self, *names: str) -> QuerySet[Any]:
        """Dicts of field name -> Python value instead of instances."""
        return self._as(_VALUES, names)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[Any]:
        """Tuples of Python values; with ``flat=True`` and one field, the values."""
        if flat and len(names) != 1:
            raise TypeError("values_list(flat=True) needs exactly one field")
        return self._as(_FLAT if flat else _TUPLES, names)

    def _as(self, kind: str, names: tuple[str, ...]) -> QuerySet[Any]:
        infos = self._infos(names)
        if not infos:
            infos = tuple(self.model._meta.fields.values())
        columns = tuple(dict.fromkeys(i.wire for i in infos)) if names else None
        query = self._query.clone(columns=columns)
        return QuerySet(
            self.model, query, self._client, kind=kind, names=tuple(i.attr for i in infos)
        )

    @overload
    def __getitem__(self, key: int) -> M: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[M]: ...

    def __getitem__(self, key: int | slice) -> M | QuerySet[M]:
        if isinstance(key, int):
            if key < 0:
                raise ValueError("Negative indexing is not supported.")
            for item in self._window(key, key + 1):
                return item
            raise IndexError(f"{self.model.__name__} queryset index {key} out of range")
        if not isinstance(key, slice):
            raise TypeError(f"QuerySet indices must be integers or slices, not {key!r}")
        if key.step not in (None, 1):
            raise ValueError("Slicing a QuerySet with a step is not supported.")
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError("Negative indexing is not supported.")
        return self._window(start, stop)

    def _window(self, start: int, stop: int | None) -> QuerySet[M]:
        low, high = self._query.low, self._query.high
        new_low = low + start
        new_high = high if stop is None else low + stop
        if high is not None and new_high is not None:
            new_high = min(new_high, high)
        if new_high is not None and new_high < new_low:
            new_high = new_low
        return self._with(self._query.with_window(new_low, new_high))

    # ----------------------------------------------------------------- running

    def _get_client(self) -> Client:
        if self._client is not None:
            return self._client
        from vtorm.connection import get_client

        return get_client()

    # No __len__ on purpose: list(qs) asks for len() first, which would send a
    # second pass of requests before the one that reads the rows. Use count().
    def __iter__(self) -> Iterator[M]:
        return self.iterator()

    def iterator(self, chunk_size: int | None = None) -> Iterator[M]:
        """Stream the results, one page of rows in memory at a time."""
        del chunk_size  # pages are the server's 100 rows
        client = self._get_client()
        rows = paging.rows(client, self._query)
        if self._kind == _MODEL:
            return self._instances(rows, client)
        return cast(Iterator[M], self._plain(rows))

    def _instances(self, rows: Iterator[paging.Row], client: Client) -> Iterator[M]:
        from_row = self.model._from_row
        uow = _active_unit_of_work()
        for row in rows:
            obj = from_row(row, client)
            yield uow._merge(obj) if uow is not None else obj

    def _plain(self, rows: Iterator[paging.Row]) -> Iterator[Any]:
        from vtorm.types import to_python

        infos = self._infos(self._names)
        kind = self._kind
        for row in rows:
            values = [to_python(i, row.get(i.wire)) for i in infos]
            if kind == _VALUES:
                yield dict(zip(self._names, values, strict=True))
            elif kind == _TUPLES:
                yield tuple(values)
            else:
                yield values[0]

    def __bool__(self) -> bool:
        return self.exists()

    def count(self) -> int:
        """How many records match (``count(*)``, or by paging ids where it is broken).

        A filter with a negated LIKE is answered client-side, so ``count(*)``
        cannot count it: its ids are paged.
        """
        query = self._query.clone(columns=("id",), ordering=())
        if not query.groups or (query.high is not None and query.high <= query.low):
            return 0
        client = self._get_client()
        sliced = query.low or query.high is not None
        if (len(query.groups) == 1 and not sliced and not query.client_side
                and not _count_broken(client)):
            answer = client.query(query.count_statement())
            if answer:
                return int(answer[0]["count"])
            _remember_no_count(client)
        return sum(1 for _ in paging.rows(client, query))

    def exists(self) -> bool:
        """Whether any record matches (one request for one id)."""
        probe = self._clone(columns=("id",))
        if not (probe._query.low or probe._query.high is not None):
            probe = probe._clone(ordering=())
        return any(True for _ in paging.rows(self._get_client(), probe._window(0, 1)._query))

    def first(self) -> M | None:
        """The first record in this order (by id when unordered), or None."""
        for obj in self[:1]:
            return obj
        return None

    def last(self) -> M | None:
        """The last record in this order (by id when unordered), or None."""
        for obj in self.reverse()[:1]:
            return obj
        return None

    def get(self, *args: Q, **kwargs: Any) -> M:
        """The one record matching; ``Model.DoesNotExist`` / ``MultipleObjectsReturned``."""
        qs = self.filter(*args, **kwargs) if args or kwargs else self
        if not (qs._query.low or qs._query.high is not None):
            qs = qs._clone(ordering=())
        found = list(qs[:2])
        if len(found) == 1:
            return found[0]
        where = str(qs._query) or "(nothing can match)"
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model.__name__} matching query does not exist: {where}"
            )
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {self.model.__name__}: {where}"
        )

    def in_bulk(self, id_list: Iterable[str] | None = None, *, field_name: str = "id"
                ) -> dict[Any, M]:
        """Records keyed by ``field_name`` (id): all of them, or those in ``id_list``."""
        info = field_info(self.model, field_name)
        qs = self
        if id_list is not None:
            ids = list(id_list)
            if not ids:
                return {}
            qs = self.filter(**{f"{field_name}__in": ids})
        return {getattr(obj, info.attr): obj for obj in qs}

    def changes(self, since: Any = None, state: Any = None) -> ChangeFeed[M]:
        """The changes of these records since ``since`` (see :mod:`vtorm.changes`).

        ``since``: None (every record, as created), a timezone-aware datetime,
        or the ``cursor`` of an earlier feed; ``state``: an optional local file
        the feed keeps between calls to see deletions.
        """
        if self._kind != _MODEL:
            raise TypeError("changes() yields records: call it before values()/values_list()")
        from vtorm.changes import ChangeFeed

        return ChangeFeed(self, since=since, state=state, client=self._client)

    def __repr__(self) -> str:
        try:
            text = str(self._query)
        except VtormError as exc:  # a repr never raises: say why it cannot run
            text = f"(cannot be sent: {exc})"
        return f"<QuerySet {self.model.__name__}: {text}>"


def _count_broken(client: Any) -> bool:
    try:
        return client in _NO_COUNT
    except TypeError:
        return False


def _remember_no_count(client: Any) -> None:
    with contextlib.suppress(TypeError):  # not weak-referenceable: ask again next time
        _NO_COUNT.add(client)


def _active_unit_of_work() -> Any:
    try:
        unit_of_work = importlib.import_module("vtorm.unit_of_work")
    except ImportError:
        return None
    active = getattr(unit_of_work, "active", None)
    return active() if active is not None else None


__all__ = ["QuerySet"]
