"""A model of how the server's database orders and compares values, for the client.

A stock 8.4 database compares text with ``utf8_general_ci``: case and accents
do not count, nor do trailing spaces (``PAD SPACE``), so ``'Émile'``,
``'emile'`` and ``'EMILE  '`` are one value to ``=``, ``<`` and ``ORDER BY``.
Paging needs to know which rows of a page the server holds equal (a tie
group) and which values are empty; :func:`group_key` answers both.

The model is the collation's: one weight per character, its base letter in
upper case. Where it differs from the real server (letters outside the ones
Unicode decomposes), only the order of rows within a tie can differ, never
which rows are read: paging asks the server itself for every condition.
The emulator (:mod:`vtorm.testing.vtql.functions`) compares and sorts with
this same model.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Final

from vtorm.types import field_type as field_type_of

__all__ = ["fold", "fold_each", "group_key", "is_empty"]

# Letters utf8_general_ci weighs as another letter although Unicode does not decompose them.
_SPECIAL: Final = {"ß": "S", "ø": "O", "Ø": "O", "đ": "D", "Đ": "D", "ł": "L", "Ł": "L"}


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    base = unicodedata.normalize("NFD", char)[0]
    upper = base.upper()
    # One character for one, so that "_" in a LIKE pattern still stands for one.
    return upper if len(upper) == 1 else base


def fold_each(text: str) -> str:
    """Each character of ``text`` as the collation weighs it: upper case, accents dropped.

    Trailing spaces are kept, as ``LIKE`` keeps them. Upper case, not lower:
    the collation sorts ``_`` and ``^`` after the letters.
    """
    if text.isascii():
        return text.upper()
    return "".join(map(_fold_char, text))


def fold(text: str) -> str:
    """``text`` as ``=``, ``<`` and ``ORDER BY`` weigh it: :func:`fold_each`, trailing
    spaces dropped (``PAD SPACE``)."""
    if text.isascii():
        return text.upper().rstrip(" ")
    return "".join(map(_fold_char, text)).rstrip(" ")


def is_empty(value: Any) -> bool:
    """Whether a row's value is empty: ``null``, ``""`` or only spaces (equal to ``''``).

    Such a value cannot bound a page: the query language cannot write ``''``
    and a NULL column matches no comparison.
    """
    return value is None or (isinstance(value, str) and not value.strip(" "))


def group_key(kind: str, value: Any) -> str:
    """What the server compares of a row's ``value``: equal keys sort as one value.

    Every empty value has the key ``""``; other values of non-text columns
    (numbers, dates, ids) come back in one spelling per value, so they are
    their own key.
    """
    if is_empty(value):
        return ""
    text = str(value)
    return fold(text) if field_type_of(kind).query == "text" else text
