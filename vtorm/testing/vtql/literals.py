"""What the server's database makes of the text pasted into its SQL.

The server copies values, ``LIMIT`` numbers and reference ids into the MySQL
statement unescaped. These functions read that text the way MySQL would,
and say ``None`` where MySQL would refuse the statement; such a statement is
answered by 8.4 with a successful, empty result.
"""

from __future__ import annotations

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


# MySQL reads a date in a text as year, month and day separated by any
# punctuation (or as eight digits in a row), optionally followed by a time;
# what follows is ignored. Anything else is no date at all: the zero date.
_MYSQL_DATE = re.compile(r"\s*(\d+)[^\w\s](\d+)[^\w\s](\d+)")
_MYSQL_COMPACT_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})(?!\d)")
_MYSQL_TIME = re.compile(r"[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
ZERO_DATE = "0000-00-00"


def _mysql_datetime(value: str | int) -> tuple[str, str | None]:
    """(date, time or None) as MySQL reads ``value`` against a date column."""
    text = str(value)
    found = _MYSQL_DATE.match(text) or _MYSQL_COMPACT_DATE.match(text)
    if found is None:
        return ZERO_DATE, None
    year, month, day = found.groups()
    if len(year) == 2:
        year = ("19" if int(year) >= 70 else "20") + year
    if len(year) != 4 or len(month) > 2 or len(day) > 2 or int(month) > 12 or int(day) > 31:
        return ZERO_DATE, None
    date = f"{year}-{int(month):02d}-{int(day):02d}"
    clock = _MYSQL_TIME.match(text, found.end())
    if clock is None:
        return date, None
    hour, minute, second = (int(part or 0) for part in clock.groups())
    return date, f"{hour:02d}:{minute:02d}:{second:02d}"


def normal_date(value: str | int | None) -> str | None:
    """A literal compared with a date column, as stored text compares with it.

    A date is ``YYYY-MM-DD``; a date with a time other than midnight keeps the
    time (the stored day is then before it); a text that is no date (``'1990'``,
    ``'2001-06'``, ``'31-12-1999'``) is the zero date, before every stored
    date; ``NULL`` is None (matches nothing).
    """
    if value is None:
        return None
    date, clock = _mysql_datetime(value)
    return date if clock in (None, "00:00:00") else f"{date} {clock}"


def normal_datetime(value: str | int | None) -> str | None:
    """A literal compared with a datetime column; a date alone is midnight of that day."""
    if value is None:
        return None
    date, clock = _mysql_datetime(value)
    return f"{date} {clock or '00:00:00'}"


def normal_time(value: str | int | None) -> str | None:
    """A time literal as stored (``HH:MM:SS``)."""
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"\d{2}:\d{2}:\d{2}", value):
        return value
    if re.fullmatch(r"\d{2}:\d{2}", value):
        return value + ":00"
    return None
