"""``(did you mean 'lastname'?)``: the closest known name to a mistyped one.

Every error about an unknown module, field or lookup names what was given;
this adds the name that was most likely meant, so a typo costs one glance.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most likely meant: the same but for letter case, else a close one."""
    options = list(dict.fromkeys(choices))
    folded = [choice for choice in options if choice.casefold() == name.casefold()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when none is close."""
    found = closest(name, choices)
    return f" (did you mean {found!r}?)" if found is not None and found != name else ""
