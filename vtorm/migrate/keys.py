"""Keys: the fields that say which target record an input row is.

The server compares text the way MySQL's ``utf8_general_ci`` does: letter
case and accents do not count, nor do trailing spaces. A key found on the
server must be matched to its input row by the same rule, or a record the
server found would look absent and be created a second time. :func:`key_text`
is that rule (text folded by :func:`vtorm.query.collation.fold`, the one
model of the collation), and :func:`key_of` the journal's spelling of a whole
key.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtorm.query.collation import fold

if TYPE_CHECKING:
    from vtorm import FieldInfo

__all__ = ["fold", "key_of", "key_text"]

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
