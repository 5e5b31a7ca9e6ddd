"""What the server's database makes of the text pasted into its SQL.

The server copies values, ``LIMIT`` numbers and reference ids into the MySQL
statement unescaped. These functions read that text the way MySQL would,
and say ``None`` where MySQL would refuse the statement; such a statement is
answered by 8.4 with a successful, empty result.
"""

from __future__ import annotations

import datetime
import re

from vtorm.testing.vtql.functions import mysql_number
from vtorm.testing.vtql.lexer import Token

__all__ = [
    "Broken",
    "id_number",
    "id_part",
    "limit_bounds",
    "literal",
    "mysql_string",
    "normal_date",
    "normal_datetime",
    "normal_time",
]

MAX_ROWS = 100

_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_NUMBER = re.compile(r"[+-]?\d+")
_ROW_COUNT = re.compile(r"\d+")
# MySQL reads ASCII digits and blanks only: a Unicode digit or separator breaks the SQL.
_ID_NUMBER = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)
_PHP_NUMERIC = re.compile(
    r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\r\v\f]*"
)
# Keywords MySQL reads as values where the server pastes an unquoted word.
_KEYWORD_VALUES: dict[str, object] = {"null": None, "true": 1, "false": 0}


class Broken(Exception):
    """The text would make the server's SQL invalid: 8.4 answers an empty success."""


def mysql_string(inner: str) -> str:
    """The string MySQL reads from a single-quoted literal's inner text.

    Backslash escapes are read (``\\\\`` is one backslash; ``\\%`` and ``\\_``
    keep their backslash, for LIKE) and a doubled quote is one quote. A
    literal whose closing quote a backslash escapes, or that a lone quote
    ends early, breaks the statement.
    """
    out: list[str] = []
    pos = 0
    size = len(inner)
    while pos < size:
        char = inner[pos]
        if char == "\\":
            if pos + 1 >= size:
                raise Broken
            nxt = inner[pos + 1]
            out.append("\\" + nxt if nxt in "%_" else _ESCAPES.get(nxt, nxt))
            pos += 2
        elif char == "'":
            if pos + 1 < size and inner[pos + 1] == "'":
                out.append("'")
                pos += 2
            else:
                raise Broken
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def literal(token: Token) -> str | int | None:
    """The value of a value token: a string, an integer, or None for ``NULL``.

    An unquoted word other than a number or one of MySQL's value keywords is
    read by MySQL as a column name: :class:`Broken`.
    """
    text = token.text
    if token.quoted:
        return mysql_string(text[1:-1])
    if _NUMBER.fullmatch(text):
        return int(text)
    low = text.lower()
    if low in _KEYWORD_VALUES:
        value = _KEYWORD_VALUES[low]
        return value if value is None else int(str(value))
    raise Broken


def id_part(text: str) -> str:
    """The part the server keeps of an id, reference or owner value: between the first two x."""
    return text.strip("'\"").split("x")[1]


def id_number(part: str) -> int:
    """The record number pasted unquoted into SQL; anything but a number breaks or bends it."""
    if not _ID_NUMBER.fullmatch(part):
        raise Broken
    return int(part)


def _php_greater_than_100(text: str) -> bool:
    # PHP 8 compares a numeric string as a number, any other string as text.
    if _PHP_NUMERIC.fullmatch(text):
        return (mysql_number(text) or 0.0) > MAX_ROWS
    return text.encode() > b"100"


def _row_count(text: str) -> int:
    if not _ROW_COUNT.fullmatch(text):
        raise Broken
    return int(text)


def limit_bounds(values: tuple[Token, ...]) -> tuple[int, int]:
    """(offset, row count) of a LIMIT clause, with the server's cap of 100 rows."""
    if not values:
        return 0, MAX_ROWS
    texts = [token.text for token in values]
    count_text = texts[-1]
    if _php_greater_than_100(count_text):
        count_text = str(MAX_ROWS)
    count = _row_count(count_text)
    offset = _row_count(texts[0]) if len(texts) > 1 else 0
    return offset, count


def normal_date(value: str | int | None) -> str | None:
    """A date literal as stored (``YYYY-MM-DD``), or None when MySQL would match nothing."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return value


def normal_datetime(value: str | int | None) -> str | None:
    """A datetime literal as stored; a date alone is midnight of that day."""
    if not isinstance(value, str):
        return None
    date = normal_date(value[:10])
    rest = value[10:]
    if date is None:
        return None
    if not rest:
        return date + " 00:00:00"
    if re.fullmatch(r" \d{2}:\d{2}:\d{2}", rest):
        return date + rest
    return None


def normal_time(value: str | int | None) -> str | None:
    """A time literal as stored (``HH:MM:SS``)."""
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"\d{2}:\d{2}:\d{2}", value):
        return value
    if re.fullmatch(r"\d{2}:\d{2}", value):
        return value + ":00"
    return None
