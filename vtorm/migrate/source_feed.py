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

The point (the feed's cursor) and the state file go together: a run reads
with a working copy of the state file, and both are kept only when the
module's pass ended with nothing rejected or in doubt. Otherwise the working
copy is dropped, and the next run reads the same changes again from the same
point. A dry run keeps nothing.
"""

from __future__ import annotations

import datetime
import shutil
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

    ``scope`` names the module's journal entries; the state file is named
    after ``beside`` (the journal's path) and the scope.
    """

    def __init__(
        self,
        model: type[Model],
        client: Client,
        journal: Journal,
        scope: str,
        *,
        since: str | datetime.datetime | None,
        beside: Path,
        dry_run: bool,
    ) -> None:
        self.journal = journal
        self.scope = scope
        self.dry_run = dry_run
        self.note = ""
        module = model._meta.module
        self.kept = beside.with_name(f"{beside.name}.{_file_name(scope)}.feed")
        self.keeps_point = not isinstance(since, datetime.datetime) and not dry_run
        start: Any = since
        if since == LAST:
            start = journal.cursor(scope)
            if start is None:
                self.note = f"{module}: no point saved by an earlier clean run; reading it whole"
        self.working: Path | None = None
        if not isinstance(since, datetime.datetime):  # a moment is no point of a state file
            suffix = "dry-run" if dry_run else "new"
            self.working = self.kept.with_name(f"{self.kept.name}.{suffix}")
            self.working.unlink(missing_ok=True)
            if start is not None and self.kept.exists():
                shutil.copyfile(self.kept, self.working)
        queryset = model.objects.using(client)
        self.feed: ChangeFeed[Any] = queryset.changes(since=start, state=self.working)

    def finish(self, clean: bool) -> None:
        """Keep the point the feed reached and its state (``clean``), or drop them."""
        if self.keeps_point and clean:
            cursor = self.feed.cursor
            if self.working is not None:
                self.working.replace(self.kept)
            self.journal.save_cursor(self.scope, cursor)
        elif self.working is not None:
            self.working.unlink(missing_ok=True)


def _file_name(scope: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in scope)
