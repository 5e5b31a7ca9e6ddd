"""``Query``: everything a QuerySet will send, compiled once and kept."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from vtorm.query.compiler import PAGE, TRUE, Node, UnsupportedQueryError, where_groups
from vtorm.query.ordering import BY_ID, Ordering, OrderPlan, order_sql, plan_order

if TYPE_CHECKING:
    from vtorm.model import Model


class Query:
    """The compiled form of a QuerySet; ``str(query)`` is the first statement sent.

    ``groups`` are the WHERE clauses of the requests whose union is the result
    (several when the filter is too large for one URL); ``plan`` says how they
    are ordered and paged; ``low``/``high`` are the slice bounds.
    """

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
        self.module: str = model.__module_name__
        self.where = where
        self.ordering = ordering
        self.low = low
        self.high = high
        self.columns = columns
        self._select = ", ".join(columns) if columns else "*"

    @cached_property
    def groups(self) -> tuple[str, ...]:
        """WHERE clauses, one per request stream; ``()`` when nothing can match."""
        return where_groups(self.where)

    @cached_property
    def plan(self) -> OrderPlan:
        """How the requested ordering is fetched (see :mod:`vtorm.query.ordering`)."""
        window = None if self.high is None else self.high - self.low
        if len(self.groups) > 1:
            window = None  # every stream is read from its start and merged
        plan = plan_order(self.ordering, window, self.model.__name__)
        if len(self.groups) > 1 and plan.server[0][0] != "id":
            raise UnsupportedQueryError(
                f"{self.model.__name__}: the filter needs {len(self.groups)} requests "
                "(it is too large for one URL), and their rows can only be merged in id "
                "order; drop order_by() or simplify the filter"
            )
        return plan

    @cached_property
    def _order(self) -> str:
        return order_sql(self.plan.server)

    def statement(self, where: str, offset: int, limit: int) -> str:
        """One page's statement: ``limit`` rows from ``offset`` in the plan's order."""
        parts = [f"SELECT {self._select} FROM {self.module}"]
        if where:
            parts.append(f" WHERE {where}")
        parts.append(f" ORDER BY {self._order}")
        parts.append(f" LIMIT {limit};" if offset == 0 else f" LIMIT {offset}, {limit};")
        return "".join(parts)

    def count_statement(self) -> str:
        """``SELECT count(*)`` with the (single) WHERE clause."""
        where = self.groups[0] if self.groups else ""
        return f"SELECT count(*) FROM {self.module}" + (f" WHERE {where};" if where else ";")

    def first_limit(self) -> int:
        """Rows asked for by the first request of the first stream."""
        if self.high is None or len(self.groups) > 1 or self.plan.reverse:
            return PAGE if self.high is None else min(PAGE, self.high)
        return min(PAGE, self.high - self.low)

    def first_offset(self) -> int:
        """Offset of the first request of the first stream."""
        if len(self.groups) > 1 or self.plan.reverse:
            return 0
        return self.low

    def __str__(self) -> str:
        if not self.groups or (self.high is not None and self.high <= self.low):
            return ""  # nothing will be sent
        return self.statement(self.groups[0], self.first_offset(), self.first_limit())

    def __repr__(self) -> str:
        return f"<Query {self}>"

    def clone(self, **changes: Any) -> Query:
        """A copy with some attributes replaced (compiled parts are recomputed)."""
        attrs: dict[str, Any] = {
            "where": self.where,
            "ordering": self.ordering,
            "low": self.low,
            "high": self.high,
            "columns": self.columns,
        }
        attrs.update(changes)
        return Query(self.model, **attrs)


__all__ = ["BY_ID", "Query"]
