"""What a migration did: counts, rejected rows and the exit status they mean.

``read`` counts the input rows (or source records); each ends in exactly one
of ``created``, ``updated``, ``unchanged``, ``rejected`` or ``in_doubt``.
Rows skipped because the journal shows them written with the same values
count as ``unchanged``. ``in_doubt`` rows are creates whose outcome could
not be settled (the server could not be asked); the journal keeps them
pending and the next run settles them first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Final

import attrs

__all__ = ["EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "Counts", "Rejects", "exit_status"]

#: Every row written or unchanged.
EXIT_OK: Final = 0
#: Some rows rejected or in doubt.
EXIT_PARTIAL: Final = 1
#: Bad usage or no connection: the job did not run (or stopped).
EXIT_USAGE: Final = 2

OUTCOMES: Final = ("created", "updated", "unchanged", "rejected", "in_doubt")


@attrs.define
class Counts:
    """How many rows were read, and how each ended."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    in_doubt: int = 0
    deleted: int = 0

    def add(self, outcome: str, n: int = 1) -> None:
        """Count ``n`` rows ending in ``outcome``."""
        setattr(self, outcome, getattr(self, outcome) + n)

    def as_dict(self) -> dict[str, int]:
        """The report's JSON object (``deleted`` only when a change feed deleted some)."""
        out = {"read": self.read, **{name: getattr(self, name) for name in OUTCOMES}}
        if self.deleted:
            out["deleted"] = self.deleted
        return out

    @property
    def clean(self) -> bool:
        """Whether every row was written or unchanged."""
        return not (self.rejected or self.in_doubt)

    def line(self) -> str:
        """A one-line summary."""
        parts = [f"{self.read} read"] + [
            f"{getattr(self, name)} {name.replace('_', ' ')}" for name in OUTCOMES
        ]
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        return ", ".join(parts)


def exit_status(counts: Counts | Mapping[str, Counts]) -> int:
    """0 when every row was written or unchanged, else 1."""
    every = counts.values() if isinstance(counts, Mapping) else [counts]
    return EXIT_OK if all(c.clean for c in every) else EXIT_PARTIAL


def write_report(path: str | Path, report: Mapping[str, Any]) -> None:
    """Write the ``--report`` JSON file."""
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")


class Rejects:
    """The rows that were not written, with their reasons: JSON Lines, one per row.

    Each line is ``{"line": n, "reason": "...", "row": {...}}`` for ``import``
    (the row as read from the input, so fixed rows can be loaded again) and
    ``{"module": M, "id": source id, "reason": "..."}`` for ``copy``. Safe to
    call from several threads.
    """

    def __init__(self, path: str | Path | None = None, *, keep: int = 1000) -> None:
        self.path = Path(path) if path is not None else None
        self._handle: IO[str] | None = (
            open(self.path, "w", encoding="utf-8") if self.path is not None else None  # noqa: SIM115
        )
        self._lock = threading.Lock()
        self.keep = keep
        #: The first ``keep`` rejects, for a summary or a test.
        self.first: list[dict[str, Any]] = []
        self.count = 0

    def add(self, reason: str, **fields: Any) -> None:
        """Record one rejected row."""
        entry = {**fields, "reason": reason}
        with self._lock:
            self.count += 1
            if len(self.first) < self.keep:
                self.first.append(entry)
            if self._handle is not None:
                self._handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
                self._handle.flush()

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
