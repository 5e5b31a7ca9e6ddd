"""Where a change feed stands, and the opaque cursor string that carries it.

``modifiedtime`` has one-second resolution and changes keep arriving while a
feed reads, so a point in time alone cannot say where to resume: a record may
change again in the very second the last read ended. A :class:`Position` is
therefore a second ``time`` plus the changes already delivered at or after it
(``seen``: record number -> the second the entry covers and a fingerprint of
the row delivered). Resuming reads every record modified at or after ``time``
and skips those whose row is exactly the one already delivered; a record that
changed again, even within the same second, has another fingerprint and is
delivered again.

The cursor is this position, tagged with the module and the filter it belongs
to, as versioned, compressed JSON: ``vtorm-feed-1:`` followed by URL-safe
base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

import attrs

from vtorm.errors import ValidationError

__all__ = ["DELETED", "PREFIX", "Position", "fingerprint"]

#: The version tag every cursor starts with; another version is refused.
PREFIX = "vtorm-feed-1:"
#: The fingerprint of a deletion.
DELETED = "-"
_SHOWN = 40  # characters of a bad cursor quoted in an error


def fingerprint(row: Mapping[str, Any]) -> str:
    """A short digest of a record's row: equal rows, equal fingerprints."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@attrs.define
class Position:
    """Every change before ``time`` is delivered; of those at or after it, the ones in ``seen``.

    ``time`` is Unix seconds (``None``: from the beginning). Each ``seen`` entry
    maps a record number to ``(second, fingerprint)``; it is kept while its
    second is not before ``time``.
    """

    module: str
    scope: str
    time: int | None = None
    seen: dict[int, tuple[int, str]] = attrs.field(factory=dict)

    def delivered(self, number: int, mark: str) -> bool:
        """Whether the record's change with fingerprint ``mark`` was delivered."""
        entry = self.seen.get(number)
        return entry is not None and entry[1] == mark

    def mark(self, number: int, second: int, mark: str) -> None:
        """Remember a delivered change, covering reads from ``second`` on."""
        self.seen[number] = (second, mark)

    def advance(self, second: int) -> None:
        """Everything before ``second`` is delivered: move there, forget older entries."""
        if self.time is not None and second <= self.time:
            return
        self.time = second
        self.seen = {n: e for n, e in self.seen.items() if e[0] >= second}

    def copy(self) -> Position:
        """An independent copy."""
        return Position(self.module, self.scope, self.time, dict(self.seen))

    # -------------------------------------------------------------- the string

    def encode(self) -> str:
        """The cursor string of this position."""
        by_second: dict[str, list[list[Any]]] = {}
        for number, (second, mark) in sorted(self.seen.items()):
            by_second.setdefault(str(second), []).append([number, mark])
        payload = {"m": self.module, "f": self.scope, "t": self.time, "s": by_second}
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str, module: str, scope: str, describe: str) -> Position:
        """The position in cursor ``text``, checked to belong to this feed.

        ``describe`` names the feed in errors (``"Contacts"`` or
        ``"Contacts filtered by ..."``). Raises :class:`ValidationError`.
        """
        shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
        if not text.startswith(PREFIX):
            other = text.partition(":")[0]
            why = (
                f"it comes from another version of the cursor format ({other!r}); "
                "start again with since=None or a datetime"
                if other.startswith("vtorm-feed-") and ":" in text
                else "it is not a change-feed cursor (pass feed.cursor of an earlier feed, "
                "a timezone-aware datetime or None)"
            )
            raise ValidationError(f"since={shown!r}: {why}")
        body = text[len(PREFIX):]
        try:
            raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            payload = json.loads(raw)
            position = cls._from_payload(payload)
        except (binascii.Error, zlib.error, ValueError, TypeError, KeyError,
                AttributeError) as exc:
            raise ValidationError(
                f"since={shown!r}: the cursor is damaged ({type(exc).__name__}); pass "
                "feed.cursor exactly as an earlier feed gave it"
            ) from None
        if position.module != module:
            raise ValidationError(
                f"since={shown!r}: the cursor belongs to a feed of {position.module}, "
                f"not of {describe}"
            )
        if position.scope != scope:
            raise ValidationError(
                f"since={shown!r}: the cursor belongs to a feed of {module} with another "
                f"filter, not of {describe}; each filter keeps its own cursor"
            )
        return position

    @classmethod
    def _from_payload(cls, payload: Any) -> Position:
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        module, scope, time = payload["m"], payload["f"], payload["t"]
        if not isinstance(module, str) or not isinstance(scope, str):
            raise TypeError("module or filter is not text")
        if time is not None and (not isinstance(time, int) or isinstance(time, bool)):
            raise TypeError("time is not an integer")
        seen: dict[int, tuple[int, str]] = {}
        for second, entries in payload["s"].items():
            for number, mark in entries:
                if not isinstance(number, int) or not isinstance(mark, str):
                    raise TypeError("bad entry")
                seen[number] = (int(second), mark)
        return cls(module, scope, time, seen)
