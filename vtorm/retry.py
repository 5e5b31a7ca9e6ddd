"""When a failed request is sent again, and how long to wait before it."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.frozen
class Backoff:
    """Jittered exponential back-off: short, bounded.

    Attempt ``n`` (0 for the first retry) waits between half and all of
    ``min(cap, base * 2**n)`` seconds; the jitter keeps threads that failed
    together from retrying together.
    """

    base: float = 0.2
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.cap, self.base * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)
