"""Values on their way in: what a stock 8.4 server stores for what a client sends.

The server validates little and coerces much (protocol notes, section 4):
booleans accept ``1``/``"on"``/``true`` and turn anything else into 0,
currency is rounded to two decimals, integers are rounded, dates are read in
a few layouts (a time after the date is dropped, an ISO ``T`` date is
emptied), empty numbers are zero, a multipicklist sent as a list keeps its
first value, and the utf8mb3 database keeps no 4-byte character: one sent as
UTF-8 becomes ``????``, one sent as a JSON ``\\ud83d\\ude00`` escape ``??``.
Everything is stored as the text the server would answer.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from vtorm.testing.operations.base import WsError, internal_error, invalid_id
from vtorm.testing.schema import FieldSchema
from vtorm.types import ASTRAL, NUMERIC_TYPES

__all__ = [
    "NUMERIC_TYPES",
    "coerce",
    "double_scale",
    "format_decimal",
    "parse_element",
    "php_float",
    "php_text",
    "reference",
    "utf8mb3",
    "zero",
]

_NUMBER_PREFIX = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# Decimal places of the database columns behind double fields (currency is 8
# everywhere); fields not listed here are DECIMAL(25,8) like currency.
_DOUBLE_SCALE: dict[str, int] = {
    "probability": 3,
    "commissionrate": 3,
    "qty_per_unit": 2,
    "qtyinstock": 3,
    "conversion_rate": 3,
    "percentage": 3,
    "discount_percent": 3,
    "pre_tax_total": 8,
    "numsent": 0,
    "total_units": 2,
    "used_units": 2,
}


def php_text(value: Any) -> str:
    """The string PHP makes of a decoded JSON value (``true`` -> "1", ``null`` -> "")."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, (list, dict)):
        return "Array"
    return str(value)


def utf8mb3(text: str) -> str:
    """What a utf8mb3 column keeps of ``text``: every 4-byte character becomes ``????``."""
    return text if text.isascii() else ASTRAL.sub("????", text)


def php_float(text: str) -> Decimal:
    """PHP's ``(float)`` of a string: the leading number, 0 when there is none."""
    match = _NUMBER_PREFIX.match(text)
    if not match:
        return Decimal(0)
    try:
        return Decimal(match.group(0).strip())
    except InvalidOperation:
        return Decimal(0)


def double_scale(field: FieldSchema) -> int:
    """Decimal places the server keeps for a double or currency field."""
    if field.type == "currency":
        return 8
    return _DOUBLE_SCALE.get(field.name, 8)


def format_decimal(value: Decimal, places: int) -> str:
    """``value`` as MySQL prints a DECIMAL column of ``places`` decimals."""
    quantum = Decimal(1).scaleb(-places)
    result = value.quantize(quantum, rounding=ROUND_HALF_UP)
    if result == 0:
        result = abs(result)
    return f"{result:f}"


def zero(field: FieldSchema) -> str:
    """What a numeric field holds when nothing was sent on create."""
    if field.type == "integer":
        return "0"
    return format_decimal(Decimal(0), double_scale(field))


def _number(field: FieldSchema, value: Any) -> str | None:
    text = php_text(value).strip()
    if text == "":
        # 8.4 stores an empty number as zero, not as NULL.
        return zero(field)
    number = php_float(text)
    if field.type == "integer":
        return str(int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    if field.type == "currency":
        # Rounded to the user's currency decimals (2), stored in a DECIMAL(25,8).
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format_decimal(number, double_scale(field))


def _boolean(value: Any) -> str:
    if value is True:
        return "1"
    if isinstance(value, (int, float)):
        return "1" if value == 1 else "0"
    text = php_text(value).strip()
    # 8.4 stores "true"/"yes" as 0: only 1 and the checkbox's "on" mean set.
    return "1" if text in ("1", "on") else "0"


_DATE_LAYOUTS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$"),
)


def _date(text: str) -> str | None:
    """A date as 8.4 stores what was sent (checked against a real 8.4).

    One word is read in the layouts the server knows; a word that is none
    (``"abc"``, ``"tomorrow"``, ``"19991231"``, an ISO ``T`` date) is stored
    empty, an impossible ``YYYY-MM-DD`` as the zero date. Several words go
    to PHP's date parser: a day and a time is the day, a relative date
    (``"next week"``, ``"+3 days"``) counts from today, anything else is the
    server's generic error.
    """
    text = text.strip()
    if text == "":
        return None
    word, _, rest = text.partition(" ")
    if rest.strip():
        return _date_and_more(word, rest.strip(), text)
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}T", word) or word.isdigit():
        return None
    # Year first with dots ("1999.12.31") reads as year first with dashes.
    word = re.sub(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$", r"\1-\2-\3", word)
    for index, layout in enumerate(_DATE_LAYOUTS):
        match = layout.match(word)
        if match:
            year, month, day = (int(match.group(k)) for k in ("y", "m", "d"))
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                if index != 0:
                    return None
                if (month == 0 or day == 0) and month <= 12 and day <= 31:
                    return f"{year:04d}-{month:02d}-{day:02d}"
                return "0000-00-00"
    return None


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_RELATIVE = re.compile(
    r"^(?:(?P<word>next|last)|(?P<count>[+-]?\d+))\s+(?P<unit>day|week|month|year)s?$"
)
_DAYS = {"today": 0, "now": 0, "tomorrow": 1, "yesterday": -1}


def _date_and_more(word: str, rest: str, text: str) -> str:
    clock = _CLOCK.match(rest)
    if clock is not None:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        second = int(clock.group(3) or 0)
        day = _date(word)
        if hour < 24 and minute < 60 and second < 60 and day is not None:
            return day
        raise internal_error()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    if word.lower() in _DAYS and rest.lower() in ("noon", "midnight"):
        return (today + datetime.timedelta(days=_DAYS[word.lower()])).isoformat()
    relative = _RELATIVE.match(text.lower())
    if relative is None:
        raise internal_error()
    count = {"next": 1, "last": -1}.get(relative.group("word") or "", 0)
    count = count or int(relative.group("count"))
    unit = relative.group("unit")
    if unit in ("day", "week"):
        return (today + datetime.timedelta(days=count * (7 if unit == "week" else 1))).isoformat()
    months = today.month - 1 + count * (12 if unit == "year" else 1)
    year, month = today.year + months // 12, months % 12 + 1
    # PHP lets the day run over into the next month (January 31st + 1 month: March 3rd).
    first = datetime.date(year, month, 1)
    return (first + datetime.timedelta(days=today.day - 1)).isoformat()


def _time(text: str) -> str | None:
    text = text.strip()
    if text == "":
        return None
    match = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if not match:
        raise internal_error()
    hour, minute, second = match.group(1), match.group(2), match.group(3) or "00"
    return f"{int(hour):02d}:{minute}:{second}"


def _datetime(text: str) -> str | None:
    text = text.strip().replace("T", " ")
    if text == "":
        return None
    date_part, _, time_part = text.partition(" ")
    day = _date(date_part)
    if day is None:
        return None
    clock = _time(time_part) if time_part else "00:00:00"
    return f"{day} {clock}"


# What the server takes for an id, anywhere in a text.
_ANY_WSID = re.compile(r"[0-9]+x[0-9]+")
# One JSON escape: a doubled backslash, or a \\u escape of a surrogate.
_ESCAPE = re.compile(r"\\\\|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def id_parts(text: str) -> tuple[str, str] | None:
    """(prefix, number) the server reads in an id: ``None`` when it holds no ``<n>x<n>``.

    The server looks for ``<digits>x<digits>`` anywhere in the text and then
    splits it at the ``x``: the prefix is what comes before the first ``x``
    (``" 11"`` of ``" 11x2"``), the number the leading digits after it
    (``"14x2600 (UPDATED)"`` is ``14x2600``).
    """
    if not _ANY_WSID.search(text):
        return None
    prefix, _, rest = text.partition("x")
    digits = re.match(r"\d+", rest)
    if digits is None:
        return None
    return prefix.strip(), str(int(digits.group(0)))


def reference(field: FieldSchema, value: Any, prefixes: Mapping[str, str]) -> str | None:
    """A reference as stored: ``None`` when empty; errors as the server raises them."""
    text = php_text(value).strip()
    if text == "":
        return None
    if text.isdigit():
        raise WsError("REFERENCE_INVALID", f"Invalid reference specified for {field.name}")
    parts = id_parts(text)
    if parts is None:
        raise invalid_id()
    prefix, number = parts
    if not prefix.isdigit():
        # Not a module number at all: the server cannot even look the type up.
        raise WsError("ACCESS_DENIED", "Permission to perform the operation is denied for id")
    # A field that refers to no module (Users.roleid) takes no id at all.
    if prefixes.get(prefix) not in field.refers_to:
        raise WsError("REFERENCE_INVALID", f"Invalid reference specified for {field.name}")
    return f"{prefix}x{number}"


def coerce(field: FieldSchema, value: Any, prefixes: Mapping[str, str]) -> str | None:
    """The stored (wire) form of ``value`` sent for ``field``; ``None`` stores NULL.

    Owners are not checked here (that needs the users); references are checked
    for their form and target module, not for the target's existence.
    """
    kind = field.type
    if kind == "reference":
        return reference(field, value, prefixes)
    if kind == "owner":
        text = php_text(value).strip()
        return text or None
    if kind == "boolean":
        return _boolean(value)
    if kind in NUMERIC_TYPES:
        return _number(field, value)
    if kind == "multipicklist":
        if isinstance(value, list):
            # 8.4 keeps only the first element of a JSON list.
            value = value[0] if value else ""
        return utf8mb3(php_text(value))
    if kind == "date":
        return _date(php_text(value))
    if kind == "datetime":
        return _datetime(php_text(value))
    if kind == "time":
        return _time(php_text(value))
    return utf8mb3(php_text(value))


def parse_element(text: str | None) -> Any:
    """Decode an ``element``-type parameter; bad JSON is the server's generic error.

    The server's own JSON decoder turns each ``\\uD8xx``/``\\uDCxx`` escape (half
    of a 4-byte character) into ``?``: ``"\\ud83d\\ude00"`` arrives as ``"??"``.
    """
    if text is None:
        return None
    if "\\" in text:
        text = _ESCAPE.sub(_surrogate_as_mark, text)
    try:
        return json.loads(text)
    except ValueError:
        raise internal_error() from None


def _surrogate_as_mark(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if found == "\\\\" else "?"
