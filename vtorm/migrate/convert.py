"""Values between files and models: what a CSV cell or a JSON value means for a field.

Every value goes through the model's own types (:mod:`vtorm.types`, imported
here and nowhere else in this package), so what the CRM would store wrongly
is refused before anything is sent: impossible or partial dates, booleans
such as ``"yes"``, grouped numbers, owners written as bare numbers,
multipicklist items the field does not have. Refusals are
:class:`~vtorm.errors.ValidationError` naming the field and the value.

Going out (``vtorm export``), :func:`json_value` and :func:`csv_text` write
values so that :func:`input_value` reads them back unchanged.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs
from dateutil import parser as dateparser

from vtorm.errors import ValidationError
from vtorm.types import MULTI_SEPARATOR, to_python, to_wire

if TYPE_CHECKING:
    from vtorm import FieldInfo

__all__ = [
    "DateRule",
    "csv_text",
    "input_value",
    "json_value",
    "python_of",
    "same_value",
    "wire_of",
]

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_MULTI_SPLIT: Final = re.compile(r"\s*\|##\|\s*")
_UTC: Final = datetime.timezone.utc
# Two defaults that differ in every part: a part dateutil filled in from the
# default (a partial date such as "2021-02") shows as a difference.
_PROBES: Final = (datetime.datetime(1901, 1, 1), datetime.datetime(1902, 2, 2))


@attrs.frozen
class DateRule:
    """How to read dates that are not ``YYYY-MM-DD``.

    ``date_format`` is a :func:`~datetime.datetime.strptime` format;
    ``dayfirst`` tells dateutil's parser how to read ``01/02/2021`` (True: 1
    February, False: 2 January). With neither, only ISO dates are accepted:
    the reader never guesses the order of day and month.
    """

    date_format: str | None = None
    dayfirst: bool | None = None

    def parse(self, text: str) -> datetime.date | None:
        """The date ``text`` stands for; None when the rule does not read it."""
        if self.date_format is not None:
            try:
                return datetime.datetime.strptime(text, self.date_format).date()
            except ValueError:
                return None
        if self.dayfirst is None:
            return None
        try:
            first, second = (
                dateparser.parse(text, dayfirst=self.dayfirst, default=d) for d in _PROBES
            )
        except (ValueError, OverflowError):
            return None
        if first != second or first.time() != datetime.time(0):
            return None  # a part was missing, or it holds a time of day
        return first.date()

    def hint(self) -> str:
        """What the rule accepts, for a refusal."""
        if self.date_format is not None:
            return f"expected YYYY-MM-DD or the format {self.date_format!r}"
        if self.dayfirst is None:
            return (
                "expected YYYY-MM-DD (for other formats choose --dayfirst, --monthfirst "
                "or --date-format)"
            )
        order = "day before month" if self.dayfirst else "month before day"
        return f"expected a complete date ({order})"


ISO_ONLY: Final = DateRule()


def _refuse(module: str, info: FieldInfo, value: Any, why: str) -> ValidationError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ValidationError(f"{module}.{info.wire} ({info.type}): {shown} {why}")


def python_of(info: FieldInfo, wire: Any) -> Any:
    """The Python value of a wire value from the CRM."""
    return to_python(info, wire)


def wire_of(info: FieldInfo, value: Any, module: str) -> Any:
    """The wire form of a Python value (refusing what the server would store wrongly)."""
    return to_wire(info, value, module)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _date(module: str, info: FieldInfo, raw: Any, rule: DateRule) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        raise _refuse(module, info, raw, "is a date and time; this field holds a date")
    if isinstance(raw, datetime.date):
        return raw
    if not isinstance(raw, str):
        raise _refuse(module, info, raw, "is not a date")
    text = raw.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise _refuse(module, info, raw, "is not a real date") from None
    parsed = rule.parse(text)
    if parsed is None:
        raise _refuse(module, info, raw, f"is not a date: {rule.hint()}")
    return parsed


def _datetime(module: str, info: FieldInfo, raw: Any) -> datetime.datetime:
    value = raw
    if isinstance(raw, str):
        try:
            value = datetime.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _refuse(module, info, raw, "is not an ISO date and time") from None
    if not isinstance(value, datetime.datetime):
        raise _refuse(module, info, raw, "is not a date and time")
    if value.utcoffset() is None:
        raise _refuse(
            module, info, raw, "has no UTC offset; write it as 2024-05-01T09:30:00+02:00 or ...Z"
        )
    return value.astimezone(_UTC)


def _multi(module: str, info: FieldInfo, raw: Any) -> list[str]:
    if isinstance(raw, str):
        items = [item for item in _MULTI_SPLIT.split(raw.strip()) if item]
    elif isinstance(raw, (list, tuple)):
        items = [item.strip() if isinstance(item, str) else item for item in raw]
    else:
        raise _refuse(module, info, raw, "is not a list of values")
    return list(items)


def _text(module: str, info: FieldInfo, raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise _refuse(module, info, raw, "is not text")
    return raw if isinstance(raw, str) else str(raw)


def input_value(
    info: FieldInfo,
    raw: Any,
    module: str,
    *,
    dates: DateRule = ISO_ONLY,
    picklist: Sequence[str] | None = None,
) -> Any:
    """The Python value of field ``info`` that a file's value ``raw`` stands for.

    ``raw`` is a CSV cell (text) or a JSON value; an empty one is None. Dates
    are ``YYYY-MM-DD`` unless ``dates`` says how to read others; date-times
    need a UTC offset; multipicklists are JSON lists or ``"A |##| B"`` text;
    booleans, numbers, references and owners are what :func:`wire_of`
    accepts (``True``/``False``, ``0``/``1``; dot decimals; ``12x8`` ids).
    A picklist value must be one of ``picklist`` (default: the field's
    describe values) when that list is known.
    Raises :class:`~vtorm.errors.ValidationError` naming the field and value.
    """
    if _blank(raw) or (isinstance(raw, (list, tuple)) and not raw):
        return None
    if picklist is not None:
        # Checked against these values (the target's, when copying) by the types.
        info = attrs.evolve(info, picklist=tuple(picklist))
    kind = info.type
    if kind == "date":
        return _date(module, info, raw, dates)
    if kind == "datetime":
        value: Any = _datetime(module, info, raw)
    elif kind == "multipicklist":
        value = _multi(module, info, raw)
    elif kind in ("integer", "double", "currency"):
        if isinstance(raw, str):
            raw = raw.strip()
        value = raw
    elif kind in ("boolean", "reference", "owner", "time"):
        value = raw.strip() if isinstance(raw, str) else raw
    else:
        value = _text(module, info, raw)
    # The model's types decide what may be sent; their Python value is kept.
    return to_python(info, to_wire(info, value, module))


def same_value(info: FieldInfo, new: Any, old: Any) -> bool:
    """Whether two Python values of field ``info`` store the same (Decimal scale ignored)."""
    if new is None or old is None:
        return new is None and old is None
    if info.type == "multipicklist":
        return list(new) == list(old)
    return bool(new == old)


def json_value(info: FieldInfo, value: Any) -> Any:
    """A JSON value that :func:`input_value` reads back as ``value``."""
    if value is None or isinstance(value, (bool, int, str, list)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def csv_text(info: FieldInfo, value: Any) -> str:
    """The CSV cell that :func:`input_value` reads back as ``value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return MULTI_SEPARATOR.join(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)
