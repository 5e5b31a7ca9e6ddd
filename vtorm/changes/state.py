"""The local file a change feed keeps between calls: the records it has reported.

Where the server cannot list deletions (the query fallback), a feed finds
them by comparison: a record it reported once and that a later scan of the
current ids no longer finds is gone. :class:`KnownIds` is that memory, a
SQLite file holding one row per record number, tagged with the feed it
belongs to so that a file cannot be shared by two feeds by mistake.

Changes are written as the feed delivers them and committed whenever the
feed's cursor is read and when iteration stops: a caller can only keep a
cursor by reading it, so the file never lags behind a kept cursor, and a
process killed mid-feed resumes from its last kept cursor, delivering (and
writing) again what came after it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

from vtorm.errors import ValidationError

__all__ = ["KnownIds"]

_FORMAT = "1"
_CHUNK = 1000


class KnownIds:
    """The record numbers a feed has reported and not yet reported deleted."""

    def __init__(self, path: str | os.PathLike[str], module: str, scope: str,
                 describe: str) -> None:
        self.path = os.fspath(path)
        try:
            self._conn = sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            raise ValidationError(f"state={self.path!r}: cannot open the file ({exc})") from None
        try:
            problem = self._check(module, scope, describe)
        except sqlite3.DatabaseError as exc:
            problem = f"not a change-feed state file ({exc})"
        if problem is not None:
            self._conn.close()
            raise ValidationError(f"state={self.path!r}: {problem}")

    def _check(self, module: str, scope: str, describe: str) -> str | None:
        """Tag a new file with its feed; the problem with an existing one, if any."""
        conn = self._conn
        conn.execute("CREATE TABLE IF NOT EXISTS feed (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("CREATE TABLE IF NOT EXISTS known (number INTEGER PRIMARY KEY)")
        found = dict(conn.execute("SELECT key, value FROM feed").fetchall())
        wanted = {"format": _FORMAT, "module": module, "scope": scope}
        if not found:
            conn.executemany("INSERT INTO feed (key, value) VALUES (?, ?)", wanted.items())
            conn.commit()
            return None
        if found.get("format") != _FORMAT:
            return (
                f"written by another version of the feed (format {found.get('format')!r}); "
                "use a new file"
            )
        if found.get("module") != module:
            return (
                f"the file belongs to a feed of {found.get('module')}, not of {describe}; "
                "give each feed its own file"
            )
        if found.get("scope") != scope:
            return (
                f"the file belongs to a feed of {module} with another filter, not of "
                f"{describe}; give each feed its own file"
            )
        return None

    def __contains__(self, number: object) -> bool:
        row = self._conn.execute("SELECT 1 FROM known WHERE number = ?", (number,)).fetchone()
        return row is not None

    def add(self, number: int) -> None:
        """Remember a reported record."""
        self._conn.execute("INSERT OR IGNORE INTO known (number) VALUES (?)", (number,))

    def discard(self, number: int) -> None:
        """Forget a record reported deleted."""
        self._conn.execute("DELETE FROM known WHERE number = ?", (number,))

    def numbers(self) -> Iterator[int]:
        """The known record numbers in ascending order, read in chunks."""
        after = -1
        while True:
            chunk = [
                row[0]
                for row in self._conn.execute(
                    "SELECT number FROM known WHERE number > ? ORDER BY number LIMIT ?",
                    (after, _CHUNK),
                )
            ]
            if not chunk:
                return
            yield from chunk
            after = chunk[-1]

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM known").fetchone()[0])

    def commit(self) -> None:
        """Make what was written so far durable."""
        self._conn.commit()

    def close(self) -> None:
        """Commit and close the file."""
        self._conn.commit()
        self._conn.close()

    def __repr__(self) -> str:
        return f"<KnownIds {self.path!r}>"
