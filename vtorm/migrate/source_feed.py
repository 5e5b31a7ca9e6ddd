"""Reading a module of the source CRM for ``copy``, through its change feed.

Every copy reads the source through ``Model.objects.changes()``
(:mod:`vtorm.changes`), so that each run ends on a point the next one can
start from:

* ``since=None`` (a full copy): every record, as ``created``; the feed's
  state file starts afresh, so that it knows every record copied;
* ``since="last"``: the changes since the point the journal saved for the
  module at the end of the last clean run — created, updated and, through
  the state file, deleted records. A module with no saved point is read whole;
* ``since=<aware datetime>``: the records modified since then; deletions
  cannot be seen, and the saved point is left as it was.

The point (the feed's cursor) is saved only when the module's pass ended with
nothing rejected or in doubt; otherwise the state file is put back as it was,
so the next run reads the same changes again. A dry run reads a copy of the
state file and saves nothing.
"""

from __future__ import annotations

import datetime
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtorm.migrate.rows import UsageError

if TYPE_CHECKING:
    from vtorm import Client, Model
    from vtorm.changes import ChangeFeed
    from vtorm.migrate.journal import Journal

__all__ = ["SourceFeed", "parse_since"]

LAST = "last"


def parse_since(text: str | None) -> str | datetime.datetime | None:
    """``--since``: ``last``, or an ISO date and time with its UTC offset."""
    if text is None or text == LAST:
        return text
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected 'last' or an ISO date and time with an offset "
            "(2024-06-01T00:00:00Z)"
        ) from None
    if moment.utcoffset() is None:
        raise UsageError(f"--since {text!r}: give the time's UTC offset (e.g. Z or +02:00)")
    return moment


class SourceFeed:
    """The change feed of one module of the source, and what to keep when it is read.

    ``scope`` names the module's journal entries; ``folder`` holds the
    feeds' state files (beside the journal).
    """

    def __init__(
        self,
        model: type[Model],
        client: Client,
        journal: Journal,
        scope: str,
        *,
        since: str | datetime.datetime | None,
        folder: Path,
        dry_run: bool,
    ) -> None:
        self.journal = journal
        self.scope = scope
        self.dry_run = dry_run
        self.note = ""
        module = model._meta.module
        self.state: Path | None = folder / f"{_file_name(scope)}.feed"
        self._saved = self.state.with_name(self.state.name + ".before")
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        start: Any = since
        if since == LAST:
            start = journal.cursor(scope)
            if start is None:
                self.note = f"{module}: no point saved by an earlier clean run; reading it whole"
        self.keeps_point = not isinstance(since, datetime.datetime)
        if isinstance(since, datetime.datetime):
            self.state = None  # a moment is no point of the state file
        elif start is None and not dry_run:
            for stale in (self.state, self._saved):
                stale.unlink(missing_ok=True)
        if dry_run and self.state is not None:
            self.state = self._scratch_copy(self.state if start is not None else None)
        elif self.state is not None and self.state.exists():
            shutil.copyfile(self.state, self._saved)
        queryset = model.objects.using(client)
        self.feed: ChangeFeed[Any] = queryset.changes(since=start, state=self.state)

    def _scratch_copy(self, state: Path | None) -> Path:
        self._scratch = tempfile.TemporaryDirectory(prefix="vtorm-feed-")
        copy = Path(self._scratch.name) / "state.feed"
        if state is not None and state.exists():
            shutil.copyfile(state, copy)
        return copy

    def finish(self, clean: bool) -> None:
        """Keep the point the feed reached (``clean``), or put the state file back."""
        if self._scratch is not None:
            self._scratch.cleanup()
            return
        if self.dry_run or not self.keeps_point:
            return
        if clean:
            self.journal.save_cursor(self.scope, self.feed.cursor)
            self._saved.unlink(missing_ok=True)
        elif self.state is not None and self._saved.exists():
            shutil.copyfile(self._saved, self.state)
            self._saved.unlink()
        elif self.state is not None:
            self.state.unlink(missing_ok=True)


def _file_name(scope: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in scope)
