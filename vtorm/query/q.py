"""``Q``: a boolean expression of filters, combined with ``&``, ``|`` and ``~``."""

from __future__ import annotations

from typing import Any, Final

AND: Final = "AND"
OR: Final = "OR"


class Q:
    """A filter expression: ``Q(lastname="Smith") | ~Q(email__contains="@acme")``.

    Keyword arguments are ANDed in the order given. A ``Q`` knows nothing of
    models; fields and values are checked when it is given to a QuerySet.
    """

    __slots__ = ("children", "connector", "negated")

    def __init__(
        self,
        *args: Q,
        _connector: str = AND,
        _negated: bool = False,
        **kwargs: Any,
    ) -> None:
        self.children: tuple[Q | tuple[str, Any], ...] = (*args, *kwargs.items())
        self.connector = _connector
        self.negated = _negated

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"cannot combine a Q with {other!r}")
        if not other.children:
            return self
        if not self.children:
            return other
        return Q(self, other, _connector=connector)

    def __and__(self, other: Q) -> Q:
        return self._combine(other, AND)

    def __or__(self, other: Q) -> Q:
        return self._combine(other, OR)

    def __invert__(self) -> Q:
        clone = Q(_connector=self.connector, _negated=not self.negated)
        clone.children = self.children
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        return (self.children, self.connector, self.negated) == (
            other.children,
            other.connector,
            other.negated,
        )

    def __hash__(self) -> int:
        return hash((self.connector, self.negated, len(self.children)))

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(
            repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" for c in self.children
        )
        return f"<Q{' NOT' if self.negated else ''}: ({inner})>"
