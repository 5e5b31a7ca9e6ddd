"""MySQL's comparison rules as SQLite functions and a collation, registered by :func:`install`.

A stock 8.4 database compares strings with ``utf8_general_ci``: case and
accents do not count, nor do trailing spaces (``PAD SPACE``). ``LIKE`` uses
the same folding but keeps trailing spaces, and reads a backslash as its
escape character. The folding is vtorm's own model of the collation
(:mod:`vtorm.query.collation`), so client and emulator agree on it. A
string compared with a number is read as MySQL reads it: its leading
number, 0 when there is none. The emulator stores every value as text,
references as ``"11x5"``; these functions give those texts the meaning the
server's typed columns have.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from vtorm.query.collation import fold, fold_each

__all__ = [
    "COLLATION",
    "install",
    "like",
    "mysql_number",
    "reference_number",
]

COLLATION = "vtci"

_LEADING_NUMBER = re.compile(r"[ \t\n\r]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")
_REFERENCE = re.compile(r"^(?:\d+x)?(\d+)$")


def _collate(left: str, right: str) -> int:
    a = fold(left)
    b = fold(right)
    return (a > b) - (a < b)


@lru_cache(maxsize=1024)
def _like_pattern(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(fold_each(pattern))
    for char in chars:
        if char == "\\":
            # a trailing escape character stands for itself, as in MySQL
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def like(value: object, pattern: object) -> int | None:
    """MySQL ``value LIKE pattern`` under utf8_general_ci; NULL when either side is NULL."""
    if value is None or pattern is None:
        return None
    return int(_like_pattern(str(pattern)).fullmatch(fold_each(str(value))) is not None)


def mysql_number(value: object) -> float | None:
    """The number MySQL reads in a value: the leading number of a text, 0 when there is none."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = _LEADING_NUMBER.match(str(value))
    if match is None:
        return 0.0
    try:
        return float(Decimal(match.group(1)))
    except (InvalidOperation, ValueError):
        return 0.0


def reference_number(value: object) -> int | None:
    """The record number of a stored reference or owner (``"11x5"`` -> 5); NULL when unset."""
    if value is None:
        return None
    match = _REFERENCE.match(str(value))
    return int(match.group(1)) if match else None


def install(conn: sqlite3.Connection) -> None:
    """Register the collation and functions the translated statements use on ``conn``."""
    conn.create_collation(COLLATION, _collate)
    conn.create_function("vt_like", 2, like, deterministic=True)
    conn.create_function("vt_num", 1, mysql_number, deterministic=True)
    conn.create_function("vt_ref", 1, reference_number, deterministic=True)
