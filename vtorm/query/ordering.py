"""How a requested ordering is fetched, given the server's ORDER BY rule.

``ORDER BY a, b DESC`` sorts ``a`` ascending and ``b`` descending: one
direction, at the end, for the last column only. So the server can sort by
ascending columns followed by at most one descending column. Paging through
more than one request also needs a unique order, or rows would move between
pages: ``id`` is appended as a tiebreaker when that keeps the rule.

Every other ordering is either the exact reverse of one the server can page
(``-a, -b`` is ``a, b, id`` read backwards), answered by fetching the whole
result and reversing it -- allowed only when the whole result is wanted
anyway -- or refused.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from vtorm.errors import UnsupportedQueryError
from vtorm.query.compiler import PAGE

Ordering = tuple[tuple[str, bool], ...]
"""(wire name, descending) pairs."""

BY_ID: Final[Ordering] = (("id", False),)


class OrderPlan(NamedTuple):
    """``server``: the ORDER BY to send; ``reverse``: read the full result backwards;
    ``unique``: the order is total, so pages are stable."""

    server: Ordering
    reverse: bool
    unique: bool


def _sendable(order: Ordering) -> bool:
    return not any(desc for _, desc in order[:-1])


def _flip(order: Ordering) -> Ordering:
    return tuple((wire, not desc) for wire, desc in order)


def order_sql(order: Ordering) -> str:
    """``a, b DESC`` for ``(("a", False), ("b", True))``."""
    text = ", ".join(wire for wire, _ in order)
    return text + " DESC" if order[-1][1] else text


_PLANS: dict[tuple[Ordering, int], OrderPlan] = {}


def plan_order(requested: Ordering, window: int | None, describe: str) -> OrderPlan:
    """Choose how to fetch ``requested`` (empty: by id).

    ``window`` is the number of rows wanted when bounded (a slice with a stop),
    else None (everything from the start offset on).
    """
    # Plans depend only on the ordering and on the kind of window: kept.
    kind = 0 if window is None else (1 if window <= PAGE else 2)
    plan = _PLANS.get((requested, kind))
    if plan is None:
        plan = _plan(requested, window, describe)
        if len(_PLANS) < 4096:
            _PLANS[(requested, kind)] = plan
    return plan


def _plan(requested: Ordering, window: int | None, describe: str) -> OrderPlan:
    order = requested or BY_ID
    for i, (wire, _) in enumerate(order):
        if wire == "id":
            order = order[: i + 1]  # nothing after a unique column matters
            break
    unique = order[-1][0] == "id"
    one_request = window is not None and window <= PAGE
    if _sendable(order):
        if unique:
            return OrderPlan(order, False, True)
        if one_request:
            # One statement orders its own ties consistently: keep the user's order as is.
            return OrderPlan(order, False, False)
        if not order[-1][1]:
            return OrderPlan((*order, ("id", False)), False, True)
        if len(order) == 1 and window is None:
            return OrderPlan(((order[0][0], False), ("id", False)), True, True)
        raise UnsupportedQueryError(
            f"{describe}: order_by({_show(requested)}) over more than {PAGE} rows cannot "
            "be paged reliably: only the last column can be descending, so no 'id' "
            "tiebreaker can follow it and tied rows would move between pages; end the "
            "ordering with '-id', or take at most one page (a slice of up to "
            f"{PAGE} rows)"
        )
    flipped = _flip(order)
    if _sendable(flipped) and (unique or not flipped[-1][1]):
        if window is None:
            server = flipped if unique else (*flipped, ("id", False))
            return OrderPlan(server, True, True)
        raise UnsupportedQueryError(
            f"{describe}: order_by({_show(requested)}) on a slice needs the whole result "
            "read backwards (the server's ORDER BY has one direction, for the last "
            "column only); iterate the unsliced queryset, or order ascending"
        )
    raise UnsupportedQueryError(
        f"{describe}: order_by({_show(requested)}) cannot be expressed: the server's "
        "ORDER BY has one direction, which applies to the last column only, so a "
        "descending column can only come last (order_by('a', '-b') works, "
        "order_by('-a', 'b') does not)"
    )


def _show(order: Ordering) -> str:
    return ", ".join(repr(("-" if desc else "") + wire) for wire, desc in order)
