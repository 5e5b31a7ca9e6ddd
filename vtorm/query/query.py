"""``Query``: everything a QuerySet will send, compiled once and kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtorm.errors import UnsupportedQueryError
from vtorm.query.compiler import PAGE, TRUE, Group, Node, stream_groups
from vtorm.query.ordering import BY_ID, Ordering, OrderPlan, order_sql, plan_order
from vtorm.types import field_type

if TYPE_CHECKING:
    from vtorm.model import Model


class Query:
    """The compiled form of a QuerySet; ``str(query)`` is the first statement sent.

    ``streams`` are the request streams whose union is the result (several when
    the filter is too large for one URL or holds a negated LIKE); ``groups``
    their WHERE clauses; ``plan`` says how they are ordered and paged;
    ``low``/``high`` are the slice bounds.
    """

    __slots__ = ("_extra", "_groups", "_order", "_plan", "_select", "_streams", "columns",
                 "high", "low", "model", "module", "ordering", "where")

    def __init__(
        self,
        model: type[Model],
        where: Node = TRUE,
        ordering: Ordering = (),
        low: int = 0,
        high: int | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> None:
        self.model = model
        self.module: str = model._meta.module
        self.where = where
        self.ordering = ordering
        self.low = low
        self.high = high
        self.columns = columns
        self._select = ", ".join(columns) if columns else "*"
        self._streams: tuple[Group, ...] | None = None
        self._groups: tuple[str, ...] | None = None
        self._extra: tuple[str, ...] = ()
        self._plan: OrderPlan | None = None
        self._order = ""

    @property
    def streams(self) -> tuple[Group, ...]:
        """The request streams; ``()`` when nothing can match."""
        streams = self._streams
        if streams is None:
            streams = self._streams = stream_groups(self.where)
        return streams

    @property
    def groups(self) -> tuple[str, ...]:
        """WHERE clauses, one per request stream; ``()`` when nothing can match."""
        groups = self._groups
        if groups is None:
            groups = self._groups = tuple(g.where for g in self.streams)
        return groups

    @property
    def client_side(self) -> bool:
        """Whether a stream skips rows client-side (a negated LIKE), so that the
        server's offsets and ``count(*)`` do not count the result."""
        return any(g.minus for g in self.streams)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns fetched only for the client-side step, removed from the rows."""
        self.plan  # noqa: B018 (computes them with the SELECT list)
        return self._extra

    @property
    def plan(self) -> OrderPlan:
        """How the requested ordering is fetched (see :mod:`vtorm.query.ordering`)."""
        plan = self._plan
        if plan is None:
            plan = self._plan = self._make_plan()
            self._order = order_sql(plan.server)
        return plan

    def _make_plan(self) -> OrderPlan:
        groups = self.groups
        client_side = self.client_side
        window = None if self.high is None else self.high - self.low
        if len(groups) > 1:
            window = None  # every stream is read from its start and merged
        elif client_side and window is not None:
            # Skipped rows make the server's pages unrelated to the slice: any
            # slice may need several requests, so the order must be unique.
            window = max(window, PAGE + 1)
        try:
            plan = plan_order(self.ordering, window, self.model.__name__)
        except UnsupportedQueryError as exc:
            if not client_side:
                raise
            raise UnsupportedQueryError(
                f"{exc} (a negated LIKE is answered by skipping rows client-side, so "
                "even a short slice may need several requests)"
            ) from None
        if len(groups) > 1 and plan.server[0][0] != "id":
            why = (
                "it holds a negated LIKE, answered by a stream of its own"
                if client_side
                else "it is too large for one URL"
            )
            raise UnsupportedQueryError(
                f"{self.model.__name__}: the filter needs {len(groups)} request streams "
                f"({why}), and their rows can only be merged in id order; drop "
                "order_by() or simplify the filter"
            )
        if plan.kind == "descending" and field_type(self.field_type(plan.columns[0])).id_like:
            # A reference to a deleted record reads as empty wherever its number
            # sorts, so it cannot bound a page: read the whole result backwards.
            # (read backwards: ties from the highest id down are read lowest first)
            plan = OrderPlan(((plan.columns[0], False), ("id", not plan.id_descending)), True,
                             True, "reverse")
        self._select_columns(client_side, plan)
        return plan

    def _select_columns(self, client_side: bool, plan: OrderPlan) -> None:
        columns = self.columns
        self._extra = ()
        if columns:
            # Paging reads the ordering columns of every row (and 8.4 answers an
            # ORDER BY on a column of a table the statement does not join with
            # an empty success); the empty-field rule of a client-side step
            # is checked on the rows too.
            wanted = dict.fromkeys(plan.columns)
            if client_side:
                wanted.update(dict.fromkeys(sorted({c for g in self.streams for c in g.required})))
            self._extra = tuple(c for c in wanted if c not in columns and c != "id")
        self._select = ", ".join((*columns, *self._extra)) if columns else "*"

    @property
    def order_text(self) -> str:
        """The ORDER BY of the plan (``lastname, id``)."""
        if self._plan is None:
            self.plan  # noqa: B018 (computes the ORDER BY text)
        return self._order

    @property
    def select_text(self) -> str:
        """The SELECT list sent (``*``, or the columns with those paging needs)."""
        if self._plan is None:
            self.plan  # noqa: B018 (computes the SELECT list)
        return self._select

    def field_type(self, wire: str) -> str:
        """The Vtiger type of the column ``wire`` (``"id"`` for the id)."""
        if wire == "id":
            return "id"
        info = self.model._meta.by_wire.get(wire)
        return info.type if info is not None else "string"

    def sql(self, where: str, order: str, offset: int, limit: int,
            select: str | None = None) -> str:
        """One statement: ``limit`` rows from ``offset`` of ``where`` in ``order``."""
        head = f"SELECT {select or self.select_text} FROM {self.module}"
        if where:
            head = f"{head} WHERE {where}"
        if offset:
            return f"{head} ORDER BY {order} LIMIT {offset}, {limit};"
        return f"{head} ORDER BY {order} LIMIT {limit};"

    def statement(self, where: str, offset: int, limit: int) -> str:
        """One page's statement: ``limit`` rows from ``offset`` in the plan's order."""
        return self.sql(where, self.order_text, offset, limit)

    def count_statement(self) -> str:
        """``SELECT count(*)`` with the (single) WHERE clause."""
        where = self.groups[0] if self.groups else ""
        return f"SELECT count(*) FROM {self.module}" + (f" WHERE {where};" if where else ";")

    def first_request(self) -> tuple[int, int]:
        """(offset, limit) of the first request of the first stream."""
        high = self.high
        if self.streams[0].minus:
            return 0, PAGE  # rows are skipped client-side: read from the start, by pages
        plan = self.plan
        if plan.reverse:
            return 0, PAGE  # the whole result is read, then reversed
        if len(self.groups) > 1:
            return 0, (PAGE if high is None else min(PAGE, high))
        if plan.kind == "descending":
            # read from the start (ties are ordered by the client), one row more
            # than wanted: the last tie group of a page is read on its own
            return 0, (PAGE if high is None else min(PAGE, high + 1))
        return self.low, (PAGE if high is None else min(PAGE, high - self.low))

    def id_query(self) -> Query:
        """The query of the id pages a client-side step skips (all of them, by id)."""
        return Query(self.model, columns=("id",))

    def __str__(self) -> str:
        streams = self.streams
        if not streams or (self.high is not None and self.high <= self.low):
            return ""  # nothing will be sent
        first = streams[0]
        if first.minus:
            # The ids to skip are read first.
            return self.id_query().statement(first.minus[0], 0, PAGE)
        return self.statement(first.where, *self.first_request())

    def __repr__(self) -> str:
        return f"<Query {self}>"

    def _copy(self) -> Query:
        new = Query.__new__(Query)
        new.model = self.model
        new.module = self.module
        new.where = self.where
        new.ordering = self.ordering
        new.low = self.low
        new.high = self.high
        new.columns = self.columns
        new._select = self._select
        new._streams = self._streams
        new._groups = self._groups
        new._extra = ()
        new._plan = None
        new._order = ""
        return new

    def with_where(self, where: Node) -> Query:
        """A copy with another filter."""
        new = self._copy()
        new.where = where
        new._streams = None
        new._groups = None
        return new

    def with_ordering(self, ordering: Ordering) -> Query:
        """A copy with another ordering."""
        new = self._copy()
        new.ordering = ordering
        return new

    def with_window(self, low: int, high: int | None) -> Query:
        """A copy with other slice bounds."""
        new = self._copy()
        new.low = low
        new.high = high
        return new

    def clone(self, **changes: Any) -> Query:
        """A copy with some attributes replaced (compiled parts are recomputed)."""
        new = Query.__new__(Query)
        new.model = self.model
        new.module = self.module
        new.where = changes.get("where", self.where)
        new.ordering = changes.get("ordering", self.ordering)
        new.low = changes.get("low", self.low)
        new.high = changes.get("high", self.high)
        if "columns" in changes:
            new.columns = changes["columns"]
            new._select = ", ".join(new.columns) if new.columns else "*"
        else:
            new.columns = self.columns
            new._select = self._select
        kept = "where" not in changes
        new._streams = self._streams if kept else None
        new._groups = self._groups if kept else None
        new._extra = ()
        new._plan = None
        new._order = ""
        return new


__all__ = ["BY_ID", "Query"]
