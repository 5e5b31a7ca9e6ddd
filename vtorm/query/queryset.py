"""``QuerySet``: a lazy, immutable, chainable query over one model, and its writes.

Nothing is sent until the queryset is evaluated. Evaluating it (iterating,
``len()``, ``bool()``, ``list()``, an index) reads every row once, in one
pass of requests, and keeps the results (``_result_cache``, as in Django):
iterating again, ``len()``, ``bool()``, ``count()``, ``exists()``,
``first()``, ``last()``, indexes and slices of it send nothing. Every method
that builds a queryset returns a new one, with no results yet.
``iterator()`` streams instead, one page of rows in memory at a time,
without keeping them.

Writes live here too (``create``, ``bulk_create``, ``bulk_update``,
``get_or_create``, ``update_or_create``, ``update``, ``delete``); the
Manager is built from this class (see :mod:`vtorm.query.manager`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from typing_extensions import Self
from typing_extensions import TypeVar as DefaultTypeVar

from vtorm import persistence
from vtorm.context import client_for
from vtorm.errors import VtormError
from vtorm.query import paging
from vtorm.query.compiler import FALSE, TRUE, combine, field_info, leaf, resolve
from vtorm.query.iterables import (
    BaseIterable,
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
)
from vtorm.query.q import AND, Q
from vtorm.query.query import Query

if TYPE_CHECKING:
    from vtorm.changes import ChangeFeed
    from vtorm.client import Client
    from vtorm.model import FieldInfo, Model
    from vtorm.persistence import BulkResult

__all__ = ["QuerySet", "queryset_only"]

M = TypeVar("M", bound="Model")
#: What iterating yields: the model's instances unless ``values()`` /
#: ``values_list()`` chose dicts, tuples or single values. It defaults to the
#: model, so ``QuerySet[Contacts]`` is a queryset of Contacts instances.
R = DefaultTypeVar("R", default=M)
F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("vtorm.query")

#: Records an evaluation reads before it warns that iterator() would hold fewer.
KEEP_WARNING = 10_000


def _ordinal(n: int) -> str:
    """``2`` -> ``"2nd"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def queryset_only(method: F) -> F:
    """Mark a QuerySet method that ``Manager.from_queryset`` leaves off the manager.

    As in Django: ``Model.objects.delete()`` would delete every record, so
    ``delete`` needs an explicit ``Model.objects.all().delete()``.
    """
    method.queryset_only = True  # type: ignore[attr-defined]
    return method


class QuerySet(Generic[M, R]):
    """Records of ``model`` matching a filter, in an order, within a slice.

    Every method that narrows, orders or slices returns a new QuerySet;
    ``str(qs.query)`` is the first statement it will send. ``QuerySet[M]``
    yields ``M`` instances; ``values()`` gives a ``QuerySet[M, dict[str, Any]]``,
    ``values_list()`` a ``QuerySet[M, tuple[Any, ...]]`` (``flat=True``:
    ``QuerySet[M, Any]``).
    """

    def __init__(
        self, model: type[M], query: Query | None = None, client: Client | None = None
    ) -> None:
        self.model = model
        self._query = query if query is not None else Query(model)
        self._client = client
        self._iterable_class: type[BaseIterable[Any]] = ModelIterable
        #: The fields values() / values_list() read, in order.
        self._fields: tuple[FieldInfo, ...] = ()
        self._result_cache: list[R] | None = None

    # ----------------------------------------------------------------- building

    @property
    def query(self) -> Query:
        """The compiled query; ``str()`` of it is the first statement sent."""
        return self._query

    def _clone(self, **query_changes: Any) -> Self:
        return self._with(self._query.clone(**query_changes) if query_changes else self._query)

    def _with(self, query: Query) -> Self:
        """A copy of this queryset (of its class) with ``query``, and no results yet."""
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__dict__)
        new._query = query
        new._result_cache = None
        return new

    def _check_unsliced(self, action: str) -> None:
        if self._query.low or self._query.high is not None:
            raise TypeError(f"Cannot {action} a query once a slice has been taken.")

    def all(self) -> Self:
        """A copy of this queryset (evaluated again when used)."""
        return self._clone()

    def none(self) -> Self:
        """A queryset that matches nothing and sends nothing."""
        return self._clone(where=FALSE)

    def filter(self, *args: Q, **kwargs: Any) -> Self:
        """Records matching every argument (``field__lookup=value`` or ``Q``)."""
        return self._add(args, kwargs, negate=False)

    def exclude(self, *args: Q, **kwargs: Any) -> Self:
        """Records not matching the arguments taken together.

        Like every comparison on the server, a negated one is false on an empty
        field: ``exclude(title="CTO")`` returns the records whose title is set
        and is not "CTO". A negated ``like``/``contains``/``startswith``/
        ``endswith`` (the language has no NOT LIKE) is answered client-side: the
        ids matching the positive LIKE are read first and skipped.
        """
        return self._add(args, kwargs, negate=True)

    def _add(self, args: tuple[Q, ...], kwargs: dict[str, Any], negate: bool) -> Self:
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

    def order_by(self, *names: str) -> Self:
        """Order by these fields (``-name``: descending); no names: by id."""
        self._check_unsliced("reorder")
        ordering = []
        for name in names:
            desc = name.startswith("-")
            info = field_info(self.model, name[1:] if desc else name)
            ordering.append((info.wire, desc))
        return self._with(self._query.with_ordering(tuple(ordering)))

    def reverse(self) -> Self:
        """The same records in the opposite order."""
        self._check_unsliced("reverse")
        ordering = self._query.ordering or (("id", False),)
        return self._clone(ordering=tuple((w, not d) for w, d in ordering))

    def using(self, client: Client) -> Self:
        """Send this queryset's requests through ``client``."""
        if not callable(getattr(client, "query", None)):
            # Django's using() takes a database alias: say what vtorm's takes, at once.
            raise TypeError(f"using() takes a vtorm.Client, not {client!r}")
        new = self._clone()
        new._client = client
        return new

    def only(self, *names: str) -> Self:
        """Load only these fields (and ``id``); the others stay None."""
        infos = tuple(field_info(self.model, name) for name in names)
        return self._clone(columns=tuple(dict.fromkeys(i.wire for i in infos)) or None)

    def values(self, *names: str) -> QuerySet[M, dict[str, Any]]:
        """Dicts of field name -> Python value instead of instances (every field by default)."""
        return self._values(ValuesIterable, names)

    @overload
    def values_list(
        self, *names: str, flat: Literal[False] = False
    ) -> QuerySet[M, tuple[Any, ...]]: ...

    @overload
    def values_list(self, *names: str, flat: Literal[True]) -> QuerySet[M, Any]: ...

    @overload
    def values_list(self, *names: str, flat: bool) -> QuerySet[M, Any]: ...

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[M, Any]:
        """Tuples of Python values; with ``flat=True`` and one field, the values."""
        if flat and len(names) != 1:
            raise TypeError("values_list(flat=True) needs exactly one field")
        return self._values(FlatValuesListIterable if flat else ValuesListIterable, names)

    def _values(
        self, iterable: type[BaseIterable[Any]], names: tuple[str, ...]
    ) -> QuerySet[M, Any]:
        infos = tuple(field_info(self.model, name) for name in names)
        columns = tuple(dict.fromkeys(i.wire for i in infos)) if names else None
        new: QuerySet[M, Any] = self._clone(columns=columns)
        new._iterable_class = iterable
        new._fields = infos or tuple(self.model._meta.fields.values())
        return new

    def _records(self, method: str) -> QuerySet[M]:
        """This queryset as one of instances; ``method`` needs them, so values() is refused."""
        if self._iterable_class is not ModelIterable:
            raise TypeError(
                f"{method}() works on records: call it before values()/values_list()"
            )
        return cast("QuerySet[M]", self)

    @overload
    def __getitem__(self, key: int) -> R: ...

    @overload
    def __getitem__(self, key: slice) -> Self: ...

    def __getitem__(self, key: int | slice) -> R | Self:
        """``qs[i]``: one result; ``qs[m:n]``: a sliced queryset (from the results, if read)."""
        cache = self._result_cache
        if isinstance(key, int):
            if key < 0:
                instead = (
                    "use qs.last() for the last record"
                    if key == -1
                    else f"qs.reverse()[{-key - 1}] is the {_ordinal(-key)} record from the "
                    "end (and qs.last() the last one)"
                )
                raise ValueError(
                    f"Negative indexing is not supported: qs[{key}] would need the whole "
                    f"result first; {instead}."
                )
            if cache is not None:
                if key >= len(cache):
                    raise IndexError(f"{self.model.__name__} queryset index {key} out of range")
                return cache[key]
            for item in self._window(key, key + 1):
                return item
            raise IndexError(f"{self.model.__name__} queryset index {key} out of range")
        if not isinstance(key, slice):
            raise TypeError(f"QuerySet indices must be integers or slices, not {key!r}")
        if key.step not in (None, 1):
            raise ValueError("Slicing a QuerySet with a step is not supported.")
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            raise ValueError(
                "Negative indexing is not supported: a slice from the end would need the "
                "whole result first; reverse the order instead (qs.reverse()[:n] holds the "
                "last n records, last first)."
            )
        window = self._window(start, stop)
        if cache is not None:
            window._result_cache = cache[start:stop]
        return window

    def _window(self, start: int, stop: int | None) -> Self:
        low, high = self._query.low, self._query.high
        new_low = low + start
        new_high = high if stop is None else low + stop
        if high is not None and new_high is not None:
            new_high = min(new_high, high)
        if new_high is not None and new_high < new_low:
            new_high = new_low
        return self._with(self._query.with_window(new_low, new_high))

    # ----------------------------------------------------------------- reading

    def _client_or_default(self) -> Client:
        return client_for(self._client)

    def _fetch_all(self) -> list[R]:
        """The results, read in one pass the first time and kept."""
        if self._result_cache is None:
            rows = iter(self._iterable_class(self))
            kept = list(itertools.islice(rows, KEEP_WARNING))
            if len(kept) == KEEP_WARNING:
                # A loop over a whole large module holds it all (about 4 KB a
                # record) before its first turn: say so while it still reads.
                log.warning(
                    "%s: evaluating a QuerySet keeps every record in memory (%d read so "
                    "far, and more coming); to walk many records, loop over "
                    "qs.iterator(), which holds 100 at a time",
                    self.model.__name__,
                    KEEP_WARNING,
                )
                kept.extend(rows)
            self._result_cache = kept
        return self._result_cache

    def __iter__(self) -> Iterator[R]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        # list(qs) asks for the length first: this reads the rows, then
        # __iter__ walks what was read, so list() is still one pass.
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    def iterator(self, chunk_size: int | None = None) -> Iterator[R]:
        """Stream the results, one page of rows in memory at a time, keeping none.

        Sends the requests again each time, even if the queryset was evaluated.
        Pages follow each other by keyset, so the loop may delete or change the
        records it is given: each record matching when it starts is yielded
        once (see :mod:`vtorm.query.paging`).
        """
        del chunk_size  # pages are the server's 100 rows
        return iter(self._iterable_class(self))

    def count(self) -> int:
        """How many records match (``count(*)``, or by paging ids where it is broken).

        An evaluated queryset answers from its results. A filter with a
        negated LIKE is answered client-side, so ``count(*)`` cannot count
        it: its ids are paged.
        """
        if self._result_cache is not None:
            return len(self._result_cache)
        query = self._query.clone(columns=("id",), ordering=())
        if not query.groups or (query.high is not None and query.high <= query.low):
            return 0
        client = self._client_or_default()
        sliced = query.low or query.high is not None
        features = client.features
        if (len(query.groups) == 1 and not sliced and not query.client_side
                and features.count is not False):
            answer = client.query(query.count_statement())
            # A working count(*) always answers one row; stock 8.4 answers none.
            features.count = bool(answer)
            if answer:
                return int(answer[0]["count"])
        return sum(1 for _ in paging.rows(client, query))

    def exists(self) -> bool:
        """Whether any record matches (one request for one id, unless evaluated)."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        probe = self._clone(columns=("id",))
        if not (probe._query.low or probe._query.high is not None):
            probe = probe._clone(ordering=())
        client = self._client_or_default()
        return any(True for _ in paging.rows(client, probe._window(0, 1)._query))

    def first(self) -> R | None:
        """The first record in this order (by id when unordered), or None."""
        if self._result_cache is not None:
            return self._result_cache[0] if self._result_cache else None
        for obj in self[:1]:
            return obj
        return None

    def last(self) -> R | None:
        """The last record in this order (by id when unordered), or None."""
        if self._result_cache is not None:
            return self._result_cache[-1] if self._result_cache else None
        for obj in self.reverse()[:1]:
            return obj
        return None

    def get(self, *args: Q, **kwargs: Any) -> R:
        """The one record matching; ``Model.DoesNotExist`` / ``MultipleObjectsReturned``."""
        qs = self.filter(*args, **kwargs) if args or kwargs else self._clone()
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
        records = self._records("in_bulk")
        info = field_info(self.model, field_name)
        qs = records._clone()
        if id_list is not None:
            ids = list(id_list)
            if not ids:
                return {}
            qs = records.filter(**{f"{field_name}__in": ids})
        return {getattr(obj, info.attr): obj for obj in qs.iterator()}

    def _ids(self, client: Client) -> list[str]:
        """The ids of every matching record, read before a write changes what matches."""
        query = self._query.clone(columns=("id",), ordering=())
        return [row["id"] for row in paging.rows(client, query)]

    # ----------------------------------------------------------------- writing

    def create(self, **fields: Any) -> M:
        """Create a record from ``fields`` and return it as the server stored it."""
        return persistence.create(self.model, self._client, fields)

    def bulk_create(self, objs: Iterable[M], *, workers: int = 8) -> BulkResult[M]:
        """Create many records, ``workers`` requests at a time (see vtorm.persistence)."""
        return persistence.bulk_create(objs, client=self._client, workers=workers)

    def bulk_update(self, objs: Iterable[M], fields: Iterable[str] | None = None, *,
                    workers: int = 8) -> BulkResult[M]:
        """Send the changes of many records (only ``fields`` when given)."""
        return persistence.bulk_update(objs, fields, client=self._client, workers=workers)

    def get_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any
                      ) -> tuple[M, bool]:
        """The record matching ``lookups``, or a new one made from the exact
        lookups and ``defaults``; the flag tells whether it was created."""
        records = self._records("get_or_create")
        try:
            return records.get(**lookups), False
        except self.model.DoesNotExist:
            return self.create(**_create_params(lookups, defaults)), True

    def update_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any
                         ) -> tuple[M, bool]:
        """Set ``defaults`` on the record matching ``lookups`` and save it, or
        create it; the flag tells whether it was created."""
        records = self._records("update_or_create")
        try:
            obj = records.get(**lookups)
        except self.model.DoesNotExist:
            return self.create(**_create_params(lookups, defaults)), True
        for name, value in (defaults or {}).items():
            setattr(obj, name, value)
        obj.save()
        return obj, False

    def update(self, *, workers: int = 8, **fields: Any) -> int:
        """Set ``fields`` on every matching record; how many records were changed.

        The values are converted and checked once, before any request; then
        the matching ids are read (id-only pages), so a filter on a field being
        changed misses nothing; then one ``revise`` per record carries only
        these fields, ``workers`` at a time. Records that fail are named in a
        :class:`~vtorm.errors.FlushError`, raised after the others were done.
        """
        self._check_unsliced("update")
        _check_workers(workers)
        element = persistence.plan_update(self.model, fields)
        client = self._client_or_default()
        ids = self._ids(client)
        self._result_cache = None
        return persistence.revise_each(self.model, client, ids, element, workers)

    @queryset_only
    def delete(self, *, workers: int = 8) -> int:
        """Delete every matching record; how many were deleted.

        The matching ids are read first (id-only pages), then deleted,
        ``workers`` at a time. Records that fail are named in a
        :class:`~vtorm.errors.FlushError`, raised after the others were done.
        """
        self._check_unsliced("delete")
        _check_workers(workers)
        client = self._client_or_default()
        ids = self._ids(client)
        self._result_cache = None
        return persistence.delete_each(self.model, client, ids, workers)

    def changes(self, since: Any = None, state: Any = None) -> ChangeFeed[M]:
        """The changes of these records since ``since`` (see :mod:`vtorm.changes`).

        ``since``: None (every record, as created), a timezone-aware datetime,
        or the ``cursor`` of an earlier feed; ``state``: an optional local file
        the feed keeps between calls to see deletions.
        """
        records = self._records("changes")
        from vtorm.changes import ChangeFeed

        return ChangeFeed(records, since=since, state=state, client=self._client)

    def __repr__(self) -> str:
        # Never sends anything: shows the statement instead of the results.
        try:
            text = str(self._query)
        except VtormError as exc:  # a repr never raises: say why it cannot run
            text = f"(cannot be sent: {exc})"
        return f"<{type(self).__name__} {self.model.__name__}: {text}>"


def _check_workers(workers: int) -> None:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers!r}")


def _create_params(lookups: dict[str, Any], defaults: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in lookups.items():
        name, _, lookup = key.partition("__")
        if lookup in ("", "exact", "iexact") and name not in ("id", "pk"):
            params[name] = value
    params.update(defaults or {})
    return params
