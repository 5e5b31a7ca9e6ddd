"""Keys: the fields that say which target record an input row is.

The server compares text the way MySQL's ``utf8_general_ci`` does: letter
case and accents do not count, nor do trailing spaces. A key found on the
server must be matched to its input row by the same rule, or a record the
server found would look absent and be created a second time. :func:`key_text`
is that rule, and :func:`key_of` the journal's spelling of a whole key.
"""

from __future__ import annotations

import datetime
import json
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from vtorm import FieldInfo

__all__ = ["fold", "key_of", "key_text"]

# Letters utf8_general_ci weighs as another letter although Unicode does not
# decompose them.
_SPECIAL: Final = {"ß": "S", "ø": "O", "Ø": "O", "đ": "D", "Đ": "D", "ł": "L", "Ł": "L"}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    base = unicodedata.normalize("NFD", char)[0]
    upper = base.upper()
    return upper if len(upper) == 1 else base


def fold(text: str) -> str:
    """``text`` as the server compares it: upper case, accents and trailing spaces dropped."""
    folded = text.upper() if text.isascii() else "".join(_fold_char(c) for c in text)
    return folded.rstrip(" ")


def key_text(info: FieldInfo, value: Any) -> str:
    """The comparable text of one key value (a Python value of field ``info``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        return format(number.normalize(), "f") if number else "0"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return fold(" |##| ".join(str(item) for item in value))
    text = str(value)
    if info.type in ("reference", "owner"):
        return text
    return fold(text)


def key_of(infos: Sequence[FieldInfo], values: Mapping[str, Any]) -> str:
    """The journal's text of the key ``infos`` in ``values`` (attribute -> Python value)."""
    return json.dumps([key_text(i, values.get(i.attr)) for i in infos], ensure_ascii=False)
