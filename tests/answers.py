"""Comparing two servers' answers to the same request, ids, record numbers and times aside.

Two CRMs number their records differently (``12x1754`` on one is ``12x9`` on
the other, ``ACC15`` is ``ACC2``) and stamp other times. :class:`Aliases`
learns which id or number of one stands for which of the other from the
answers, in order, and swaps them into later requests; :func:`differences`
lists what is left once those are set aside.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Aliases", "differences"]

_ID = re.compile(r"(?<!\d)\d+x\d+(?!\d)")
_WSID = re.compile(r"^\d+x\d+$")
_NUMBER = re.compile(r"^[A-Z]+\d+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIMES = frozenset({"createdtime", "modifiedtime", "CreatedTime", "ModifiedTime"})
# Keys holding a record number without its module prefix (files_retrieve's "fileid").
_BARE_NUMBERS = frozenset({"fileid"})
# Keys whose value each server makes up itself: only that there is one is compared.
_OPAQUE = frozenset({"sessionName"})


class Aliases:
    """Value of the first server -> the second's, for ids and record numbers, learnt as met."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def request(self, text: str) -> str:
        """A request parameter of the first server with every learnt id swapped for the second's."""
        return _ID.sub(lambda m: self.known.get(m.group(0), m.group(0)), text)

    def same(self, first: str, second: str, kind: str) -> str | None:
        """None when ``second`` stands for ``first``; else why not."""
        if kind == "id" and first.partition("x")[0] != second.partition("x")[0]:
            return f"{second!r} is not an id of the module of {first!r}"
        if kind == "number" and first.rstrip("0123456789") != second.rstrip("0123456789"):
            return f"{second!r} is not numbered like {first!r}"
        found = self.known.setdefault(first, second)
        if found != second:
            return f"{second!r} where {first!r} (= {found!r}) was expected"
        return None


def differences(first: Any, second: Any, aliases: Aliases, where: str = "") -> list[str]:
    """What ``second`` has that ``first`` does not, keys in order, after normalising."""
    if isinstance(first, dict):
        if not isinstance(second, dict):
            return [f"{where}: {second!r} is not an object"]
        if list(first) != list(second):
            return [f"{where}: keys {list(second)} != {list(first)}"]
        out: list[str] = []
        for key, value in first.items():
            if key in _TIMES and isinstance(value, str) and _TIME.match(value):
                if not (isinstance(second[key], str) and _TIME.match(second[key])):
                    out.append(f"{where}.{key}: {second[key]!r} is not a time")
                continue
            if key in _OPAQUE:
                if not (isinstance(second[key], str) and second[key]) or not value:
                    out.append(f"{where}.{key}: {second[key]!r} where {value!r} was answered")
                continue
            if key in _BARE_NUMBERS and isinstance(value, str) and value.isdigit():
                problem = aliases.same("x" + value, "x" + str(second[key]), "id")
                out.extend([f"{where}.{key}: {problem}"] if problem else [])
                continue
            if key.endswith("_no") and isinstance(value, str) and _NUMBER.match(value):
                problem = aliases.same(value, str(second[key]), "number")
                out.extend([f"{where}.{key}: {problem}"] if problem else [])
                continue
            out.extend(differences(value, second[key], aliases, f"{where}.{key}"))
        return out
    if isinstance(first, list):
        if not isinstance(second, list) or len(second) != len(first):
            return [f"{where}: {second!r} != {first!r}"]
        out = []
        for index, (one, other) in enumerate(zip(first, second, strict=True)):
            out.extend(differences(one, other, aliases, f"{where}[{index}]"))
        return out
    if isinstance(first, str) and _WSID.match(first) and isinstance(second, str):
        problem = aliases.same(first, second, "id")
        return [f"{where}: {problem}"] if problem else []
    if first != second or type(first) is not type(second):
        return [f"{where}: {second!r} != {first!r}"]
    return []
