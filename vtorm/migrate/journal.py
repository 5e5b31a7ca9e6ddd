"""The journal: what a migration has written, kept in SQLite so a rerun resumes.

One row per input row (per key for ``import``, per source record for
``copy``), in a *scope* naming the job (``import:Contacts:email``,
``copy:Contacts``):

============  ===============================================================
``key``       the row's key as compared by the server (``keys.key_of``), or
              the source record's id for ``copy``
``state``     ``pending``: a create is about to be sent (recorded *before*
              sending); ``done``: the target record is known
``target``    the target record's id once known
``digest``    a hash of the values last confirmed written; a rerun skips a
              done row whose values have the same hash
``since``     when the state was recorded (Unix seconds)
``refs``      ``copy`` only: reference fields still to fill in a second pass
``source``    ``import`` only: a hash of the input file, and the ``line`` of
``line``      the row last confirmed; on a rerun of the same file a row that
              a later row of the same key has overwritten is skipped too
============  ===============================================================

Every change is committed at once (WAL mode, so a commit costs a log
append): killed at any moment, the journal holds each confirmed write, and
each create that may have been sent is ``pending``. A rerun resolves a
pending row by looking its key up on the target before anything is resent.

The journal is used by one thread, the one coordinating the writes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

from vtorm.errors import VtormError

__all__ = ["Entry", "Journal", "JournalError"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS entries (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    target TEXT,
    digest TEXT,
    since REAL NOT NULL,
    refs TEXT,
    source TEXT,
    line INTEGER,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS entries_by_key ON entries (key);
CREATE INDEX IF NOT EXISTS entries_by_target ON entries (target);
CREATE TABLE IF NOT EXISTS cursors (scope TEXT PRIMARY KEY, cursor TEXT NOT NULL);
"""
_SELECT: Final = "SELECT scope, key, state, target, digest, since, refs, source, line FROM entries "


class JournalError(VtormError, OSError):
    """A journal file that cannot be opened or is not a journal."""


@attrs.frozen
class Entry:
    """One journal row (see the module documentation)."""

    scope: str
    key: str
    state: str
    target: str | None
    digest: str | None
    since: float
    refs: str | None = None
    source: str | None = None
    line: int | None = None


class Journal:
    """A journal file (``":memory:"`` for one that lives as long as the object)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL survives a killed process (only a power cut may lose the last commits).
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot use {self.path} as a journal: {exc}") from exc

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._conn.close()

    def __repr__(self) -> str:
        return f"<Journal {self.path}>"

    # ----------------------------------------------------------------- reading

    def get(self, scope: str, key: str) -> Entry | None:
        """The entry of ``key`` in ``scope``, if any."""
        row = self._conn.execute(
            _SELECT + "WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        return Entry(*row) if row is not None else None

    def many(self, scope: str, keys: list[str]) -> dict[str, Entry]:
        """The entries of ``keys`` in ``scope`` (absent keys are left out)."""
        found: dict[str, Entry] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._conn.execute(
                _SELECT + f"WHERE scope = ? AND key IN ({marks})",
                (scope, *chunk),
            ):
                found[row[1]] = Entry(*row)
        return found

    def target_of(self, source_id: str) -> str | None:
        """The target id recorded for a source record id in any ``copy`` scope."""
        row = self._conn.execute(
            "SELECT target FROM entries WHERE key = ? AND state = 'done' AND scope LIKE 'copy:%'",
            (source_id,),
        ).fetchone()
        return str(row[0]) if row is not None and row[0] is not None else None

    def claimed(self, target: str) -> bool:
        """Whether any entry (of any scope) names ``target`` as its record."""
        row = self._conn.execute("SELECT 1 FROM entries WHERE target = ? LIMIT 1", (target,))
        return row.fetchone() is not None

    def pending(self, scope: str) -> Iterator[Entry]:
        """The entries of ``scope`` still pending."""
        rows = self._conn.execute(
            _SELECT + "WHERE scope = ? AND state = 'pending' ORDER BY rowid",
            (scope,),
        ).fetchall()
        return (Entry(*row) for row in rows)

    def with_refs(self, scope: str, batch: int = 100) -> Iterator[list[Entry]]:
        """The done entries of ``scope`` whose references are still to be filled, in batches.

        Read a batch at a time (memory stays flat); entries filled meanwhile
        are not read again.
        """
        after = 0
        while True:
            rows = self._conn.execute(
                "SELECT rowid, scope, key, state, target, digest, since, refs, source, line "
                "FROM entries WHERE scope = ? AND state = 'done' AND refs IS NOT NULL "
                "AND rowid > ? ORDER BY rowid LIMIT ?",
                (scope, after, batch),
            ).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield [Entry(*row[1:]) for row in rows]

    def count(self, scope: str, state: str | None = None) -> int:
        """How many entries ``scope`` holds (in ``state``, when given)."""
        sql = "SELECT count(*) FROM entries WHERE scope = ?"
        args: tuple[str, ...] = (scope,)
        if state is not None:
            sql += " AND state = ?"
            args = (scope, state)
        return int(self._conn.execute(sql, args).fetchone()[0])

    def cursor(self, scope: str) -> str | None:
        """The change-feed cursor saved for ``scope``."""
        row = self._conn.execute("SELECT cursor FROM cursors WHERE scope = ?", (scope,)).fetchone()
        return str(row[0]) if row is not None else None

    # ----------------------------------------------------------------- writing

    def intend(self, scope: str, key: str, target: str | None = None) -> None:
        """Record that a create for ``key`` is about to be sent (committed before sending)."""
        self._conn.execute(
            "INSERT INTO entries (scope, key, state, target, digest, since) "
            "VALUES (?, ?, 'pending', ?, NULL, ?) "
            "ON CONFLICT (scope, key) DO UPDATE SET state = 'pending', target = excluded.target, "
            "digest = NULL, since = excluded.since",
            (scope, key, target, time.time()),
        )

    def done(
        self,
        scope: str,
        key: str,
        target: str,
        digest: str | None,
        refs: str | None = None,
        *,
        source: str | None = None,
        line: int | None = None,
    ) -> None:
        """Record the target record of ``key``, written with values hashing to ``digest``.

        ``source`` and ``line`` say which input row it was (``import``).
        """
        self._conn.execute(
            "INSERT INTO entries (scope, key, state, target, digest, since, refs, source, line) "
            "VALUES (?, ?, 'done', ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, key) DO UPDATE SET state = 'done', target = excluded.target, "
            "digest = excluded.digest, since = excluded.since, refs = excluded.refs, "
            "source = excluded.source, line = excluded.line",
            (scope, key, target, digest, time.time(), refs, source, line),
        )

    def refs_done(self, scope: str, key: str) -> None:
        """Record that the second pass filled the references of ``key``."""
        self._conn.execute(
            "UPDATE entries SET refs = NULL WHERE scope = ? AND key = ?", (scope, key)
        )

    def forget(self, scope: str, key: str) -> None:
        """Drop the entry of ``key`` (its target record is gone)."""
        self._conn.execute("DELETE FROM entries WHERE scope = ? AND key = ?", (scope, key))

    def save_cursor(self, scope: str, cursor: str) -> None:
        """Keep the change-feed cursor of ``scope`` for the next run."""
        self._conn.execute(
            "INSERT INTO cursors (scope, cursor) VALUES (?, ?) "
            "ON CONFLICT (scope) DO UPDATE SET cursor = excluded.cursor",
            (scope, cursor),
        )

    def stats(self) -> dict[str, Any]:
        """Entries per scope and state, for a summary."""
        out: dict[str, Any] = {}
        for scope, state, n in self._conn.execute(
            "SELECT scope, state, count(*) FROM entries GROUP BY scope, state"
        ):
            out.setdefault(scope, {})[state] = n
        return out
