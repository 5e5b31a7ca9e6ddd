"""A brute-force evaluator of ``Q`` trees over records held in Python.

It implements the semantics of a stock 8.4 independently of the compiler:
strings compare as the server's collation does (case, accents and trailing
spaces ignored). An empty text field is stored as the empty string and
compares as one (it matches ``!=``, ``<`` and ``LIKE '%'``); a field whose
empty value the database holds as NULL (a date: pass its name in
``null_fields``) matches no comparison, negated or not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from vtorm.query import Q

Record = Mapping[str, Any]


# utf8_general_ci: one weight per character -- its base letter in upper case
# (so "_" sorts after the letters); a few letters Unicode does not decompose
# sort as another one.
_SPECIAL = {"ß": "S", "ø": "O", "Ø": "O", "đ": "D", "Đ": "D", "ł": "L", "Ł": "L"}


def _char(c: str) -> str:
    if c in _SPECIAL:
        return _SPECIAL[c]
    base = unicodedata.normalize("NFD", c)[0]
    up = base.upper()
    return up if len(up) == 1 else base


def fold_no_strip(text: str) -> str:
    """The collation key of ``text`` as LIKE uses it (trailing spaces kept)."""
    return "".join(_char(c) for c in text)


def fold(text: str) -> str:
    """The collation key of ``text`` for comparisons: trailing spaces ignored."""
    return fold_no_strip(text).rstrip(" ")


def like_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a LIKE pattern (``\\`` escapes ``%``, ``_`` and itself)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


def _like(value: str, pattern: str) -> bool:
    decomposed = [part if part in "%_\\" else fold_no_strip(part) for part in pattern]
    return like_regex("".join(decomposed)).fullmatch(fold_no_strip(value)) is not None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def leaf(
    record: Record, key: str, value: Any, negate: bool, null_fields: Collection[str] = ()
) -> bool:
    """One ``field__lookup=value`` against a record, possibly negated."""
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    if lookup.startswith("i") and lookup != "in":
        lookup = lookup[1:]  # the server ignores case anyway
    current = record.get(name)
    if lookup == "in" and not value:
        return negate  # x IN () is false and its negation true, empty field or not
    if current is None or current == "":
        if name in null_fields:
            return False  # NULL: no comparison holds
        current = ""  # an empty text is the empty string
    if lookup == "in":
        hit = any(fold(str(current)) == fold(str(v)) for v in value)
        return not hit if negate else hit
    if lookup in ("like", "contains", "startswith", "endswith"):
        pattern = {
            "like": value,
            "contains": f"%{_escape(value)}%",
            "startswith": f"{_escape(value)}%",
            "endswith": f"%{_escape(value)}",
        }[lookup]
        hit = _like(str(current), pattern)
        return not hit if negate else hit
    a, b = fold(str(current)), fold(str(value))
    result = {
        "exact": a == b,
        "ne": a != b,
        "lt": a < b,
        "lte": a <= b,
        "gt": a > b,
        "gte": a >= b,
    }[lookup]
    return not result if negate else result


def matches(
    record: Record, q: Q, negate: bool = False, null_fields: Collection[str] = ()
) -> bool:
    """Whether ``record`` satisfies ``q`` (with negations pushed to the leaves)."""
    negate = negate != q.negated
    if not q.children:
        return True
    results = (
        matches(record, child, negate, null_fields)
        if isinstance(child, Q)
        else leaf(record, child[0], child[1], negate, null_fields)
        for child in q.children
    )
    conjunctive = (q.connector == "AND") != negate
    return all(results) if conjunctive else any(results)
