"""How a requested ordering is fetched, given the server's ORDER BY rule.

``ORDER BY a, b DESC`` sorts ``a`` ascending and ``b`` descending: one
direction, at the end, for the last column only. Paging through more than one
request needs a total order (rows would move between pages otherwise), so
``id`` ends every paged ordering, and pages follow each other by keyset: the
next page is the rows after the last one read (``id > '12x345'``), never an
offset, so a loop that deletes or changes the records it was given misses
nothing (see :mod:`vtorm.query.paging`). Each plan has a ``kind``:

``keyset``
    ascending columns, then ``id`` in either direction: the server sorts
    exactly as asked (``ORDER BY a, b, id DESC``).
``descending``
    one descending column, then ``id`` in either direction
    (``order_by("-lastname")``, ``order_by("-lastname", "id")``): pages are
    sent as ``ORDER BY lastname DESC`` and ties are put in id order by the
    client, with the tie group at a page boundary read on its own, in id order.
``single``
    at most one page (a slice of up to 100 rows) in an order the server can
    sort but not page (``order_by("a", "-b")[:20]``, or no ``id`` at the
    end): one statement orders its own ties consistently.
``reverse``
    the exact reverse of a ``keyset`` order (``order_by("-a", "-b")``): the
    whole result is read before the first row is returned, then reversed;
    allowed only when the whole result is wanted anyway.

Every other ordering is refused before anything is sent.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

from vtorm.errors import UnsupportedQueryError
from vtorm.query.compiler import PAGE

Ordering = tuple[tuple[str, bool], ...]
"""(wire name, descending) pairs."""

Kind = Literal["keyset", "descending", "single", "reverse"]

BY_ID: Final[Ordering] = (("id", False),)


class OrderPlan(NamedTuple):
    """How to fetch an ordering.

    ``server``: the ORDER BY to send; ``reverse``: read the full result
    backwards; ``unique``: the order is total, so pages are stable; ``kind``:
    see the module's docstring.
    """

    server: Ordering
    reverse: bool
    unique: bool
    kind: Kind = "keyset"
    #: descending plans: whether ties run from the highest id down
    ties_descending: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The ordering's columns other than ``id``, in order."""
        return tuple(wire for wire, _ in self.server if wire != "id")

    @property
    def id_descending(self) -> bool:
        """Whether rows of equal columns follow each other from the highest id down,
        in the order the server is asked for."""
        if self.kind == "descending":
            return self.ties_descending
        return any(wire == "id" and desc for wire, desc in self.server)


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
            return OrderPlan(order, False, False, "single")
        if not order[-1][1]:
            return OrderPlan((*order, ("id", False)), False, True)
        if len(order) == 1:
            # -a: ties in id order, from the highest id down (the reverse of a, id)
            return OrderPlan(order, False, True, "descending", True)
        raise UnsupportedQueryError(
            f"{describe}: order_by({_show(requested)}) over more than {PAGE} rows cannot "
            "be paged reliably: only the last column can be descending, so no 'id' "
            "tiebreaker can follow it and tied rows would move between pages; order by "
            f"one descending column alone (order_by('-b') pages), or take at most one "
            f"page (a slice of up to {PAGE} rows)"
        )
    if len(order) == 2 and order[0][1] and order[1][0] == "id":
        # -a, id / -a, -id: sent as ORDER BY a DESC, ties put in id order
        return OrderPlan(order[:1], False, True, "descending", order[1][1])
    flipped = _flip(order)
    if _sendable(flipped) and (unique or not flipped[-1][1]):
        if window is None:
            server = flipped if unique else (*flipped, ("id", False))
            return OrderPlan(server, True, True, "reverse")
        raise UnsupportedQueryError(
            f"{describe}: order_by({_show(requested)}) on a slice needs the whole result "
            "read backwards (the server's ORDER BY has one direction, for the last "
            "column only); iterate the unsliced queryset, or order by one descending "
            "column (with 'id' or '-id' after it at most)"
        )
    raise UnsupportedQueryError(
        f"{describe}: order_by({_show(requested)}) cannot be expressed: the server's "
        "ORDER BY has one direction, which applies to the last column only, so a "
        "descending column can only come last (order_by('a', '-b') works, "
        "order_by('-a', 'b') does not; order_by('-a') and order_by('-a', '-id') do)"
    )


def _show(order: Ordering) -> str:
    return ", ".join(repr(("-" if desc else "") + wire) for wire, desc in order)
