"""Progress of a migration: a bar with rate and ETA on a terminal, quiet lines otherwise.

On a terminal the bar is tqdm's. Written to a file or a pipe (a CI log, a
cron job), a bar would be a screenful of carriage returns: one line every
``every`` rows instead, with the rate so far.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from tqdm import tqdm

__all__ = ["Progress"]


class Progress:
    """Counts rows of one job (``label``): ``total`` when known, for the ETA.

    ``enabled=False`` shows nothing (the Python API's default).
    """

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        stream: IO[str] | None = None,
        enabled: bool = True,
        every: int = 1000,
        unit: str = "row",
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.every = every
        self.unit = unit
        self.done = 0
        self._started = time.monotonic()
        self._bar: Any = None
        if enabled and _is_terminal(self.stream):
            self._bar = tqdm(
                total=total, desc=label, unit=unit, file=self.stream, dynamic_ncols=True
            )

    @property
    def is_bar(self) -> bool:
        """Whether a bar is shown (a total, when known, gives it an ETA)."""
        return self._bar is not None

    def set_total(self, total: int | None) -> None:
        """Give the bar its total (for the time left)."""
        if self._bar is not None and total is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, n: int = 1) -> None:
        """``n`` more rows are finished."""
        before = self.done
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and self.done // self.every != before // self.every:
            self._line()

    def note(self, text: str) -> None:
        """Show a line of text without breaking the bar."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        print(
            f"{self.label}: {self.done} {self.unit}s ({self.done / elapsed:.0f}/s)",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        """Finish the bar (or print the last line)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.done % self.every:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
