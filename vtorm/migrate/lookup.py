"""Finding target records by key, many keys per request.

One statement asks for up to 100 keys at once: ``key IN (...)`` for one key
field, ``a = .. AND b = .. OR a = .. AND b = ..`` for a composite key (the
language has no brackets; AND binds tighter than OR). The statement is
built with :class:`~vtorm.Q` by the query compiler, which quotes every
value and says when a batch no longer fits one request; such a batch is
halved.

A batch is paged while pages come back full (100 rows): a short page ends
it. The columns read are the key and the fields being written, so the
server's query touches only the tables those live in.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from vtorm.migrate.convert import python_of
from vtorm.migrate.keys import key_of
from vtorm.query import Q

if TYPE_CHECKING:
    from vtorm import Client, FieldInfo, Model

__all__ = ["BATCH", "KeyLookup"]

#: Keys asked per statement, and rows the server answers at most per page.
BATCH: Final = 100
# A column list longer than this is not worth its length in the URL.
_MAX_COLUMN_CHARS: Final = 1000

Row = dict[str, Any]


class KeyLookup:
    """Looks up records of ``model`` by the key fields ``key`` through ``client``.

    ``requests`` counts the queries sent.
    """

    def __init__(self, model: type[Model], client: Client, key: Sequence[FieldInfo]) -> None:
        self.model = model
        self.client = client
        self.key = tuple(key)
        self.requests = 0

    def find(
        self, values: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None
    ) -> dict[str, list[Row]]:
        """Journal key -> the wire rows matching it, for the keys in ``values``.

        ``values`` are attribute -> Python value mappings holding the key
        fields; a key no record matches is absent from the result.
        ``columns`` are the wire names to read besides the key and ``id``
        (None: every field).
        """
        only: tuple[str, ...] = ()
        if columns is not None:
            by_wire = self.model._meta.by_wire
            wanted = [*(i.wire for i in self.key), *columns]
            only = tuple(dict.fromkeys(by_wire[w].attr for w in wanted))
            if sum(len(name) + 2 for name in only) > _MAX_COLUMN_CHARS:
                only = ()  # SELECT * is shorter, and the URL has a limit
        found: dict[str, list[Row]] = {}
        distinct = list({key_of(self.key, v): v for v in values}.values())
        for start in range(0, len(distinct), BATCH):
            for row in self._batch(distinct[start : start + BATCH], only):
                python = {i.attr: python_of(i, row.get(i.wire)) for i in self.key}
                found.setdefault(key_of(self.key, python), []).append(row)
        for rows in found.values():
            # A record read twice (a page boundary moved) is still one record.
            unique = {row.get("id"): row for row in rows}
            rows[:] = list(unique.values())
        return found

    def _filter(self, values: Sequence[Mapping[str, Any]]) -> Q:
        if len(self.key) == 1:
            attr = self.key[0].attr
            listed: dict[str, Any] = {f"{attr}__in": [v[attr] for v in values]}
            return Q(**listed)
        terms = (Q(**_fields(self.key, v)) for v in values)
        return functools.reduce(operator.or_, terms)

    def _batch(self, values: Sequence[Mapping[str, Any]], only: tuple[str, ...]) -> Iterator[Row]:
        qs = self.model.objects.using(self.client).filter(self._filter(values))
        if only:
            qs = qs.only(*only)
        if len(qs.query.groups) > 1 and len(values) > 1:
            # Too long for one request: two halves, each one statement.
            half = len(values) // 2
            yield from self._batch(values[:half], only)
            yield from self._batch(values[half:], only)
            return
        offset = 0
        while True:
            statement = str(qs[offset : offset + BATCH].query)
            page = self.client.query(statement)
            self.requests += 1
            yield from page
            if len(page) < BATCH:
                return
            offset += BATCH


def _fields(key: Sequence[FieldInfo], values: Mapping[str, Any]) -> dict[str, Any]:
    return {info.attr: values[info.attr] for info in key}
