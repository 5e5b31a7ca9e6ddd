"""A brute-force evaluator of ``Q`` trees over records held in Python.

It implements the documented semantics independently of the compiler:
strings compare as the server's collation does (case, accents and trailing
spaces ignored), and every comparison -- negated or not -- is false on an
empty field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from vtorm.query import Q

Record = Mapping[str, Any]


def fold(text: str) -> str:
    """The collation key: no accents, no case, no trailing spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().rstrip(" ")


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


def fold_no_strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def leaf(record: Record, key: str, value: Any, negate: bool) -> bool:
    """One ``field__lookup=value`` against a record, possibly negated."""
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    current = record.get(name)
    if current is None or current == "":
        return False
    if lookup == "in":
        hit = any(fold(str(current)) == fold(str(v)) for v in value)
        return not hit if negate else hit
    if lookup in ("like", "contains", "startswith", "endswith"):
        assert not negate
        pattern = {
            "like": value,
            "contains": f"%{_escape(value)}%",
            "startswith": f"{_escape(value)}%",
            "endswith": f"%{_escape(value)}",
        }[lookup]
        return _like(str(current), pattern)
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


def matches(record: Record, q: Q, negate: bool = False) -> bool:
    """Whether ``record`` satisfies ``q`` (with negations pushed to the leaves)."""
    negate = negate != q.negated
    if not q.children:
        return True
    results = (
        matches(record, child, negate)
        if isinstance(child, Q)
        else leaf(record, child[0], child[1], negate)
        for child in q.children
    )
    conjunctive = (q.connector == "AND") != negate
    return all(results) if conjunctive else any(results)
