"""The lookups a filter may use, and how their values are written as literals.

Every lookup is one comparison the query language can say, and each has an
exact complement, so a negation can always be pushed down to a leaf -- all but
the LIKE family, whose complement (NOT LIKE) the language lacks: a negated LIKE
is answered with a client-side step (see :mod:`vtorm.query.compiler`).

The server compares strings case-insensitively, so the ``i``-variants are
aliases of the plain lookups.
"""

from __future__ import annotations

from typing import Final

# lookup name -> (operator, operator of the negation); None: cannot be negated.
OPERATORS: Final[dict[str, tuple[str, str | None]]] = {
    "exact": ("=", "!="),
    "ne": ("!=", "="),
    "lt": ("<", ">="),
    "lte": ("<=", ">"),
    "gt": (">", "<="),
    "gte": (">=", "<"),
    "in": ("IN", None),
    "like": ("LIKE", None),
    "contains": ("LIKE", None),
    "startswith": ("LIKE", None),
    "endswith": ("LIKE", None),
}

ALIASES: Final[dict[str, str]] = {
    "iexact": "exact",
    "ilike": "like",
    "icontains": "contains",
    "istartswith": "startswith",
    "iendswith": "endswith",
    "eq": "exact",
}

LIKE_FAMILY: Final[frozenset[str]] = frozenset({"like", "contains", "startswith", "endswith"})


def canonical(name: str) -> str | None:
    """The lookup ``name`` stands for, or None when there is no such lookup."""
    name = ALIASES.get(name, name)
    return name if name in OPERATORS else None


def quote(text: str) -> str:
    """A string literal for ``text`` that MySQL reads back as exactly ``text``.

    The server pastes literals into SQL unescaped: quotes are doubled (the only
    escape its lexer knows) and backslashes doubled (MySQL's escape character).
    """
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "'" in text:
        text = text.replace("'", "''")
    return f"'{text}'"


def like_literal(text: str) -> str:
    """Escape ``text`` so that LIKE matches it literally (before :func:`quote`)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "%" in text:
        text = text.replace("%", "\\%")
    if "_" in text:
        text = text.replace("_", "\\_")
    return text


def like_pattern(lookup: str, text: str) -> str:
    """The LIKE pattern of a ``like``/``contains``/``startswith``/``endswith`` lookup."""
    if lookup == "like":
        return text
    text = like_literal(text)
    if lookup == "contains":
        return f"%{text}%"
    if lookup == "startswith":
        return f"{text}%"
    return f"%{text}"
