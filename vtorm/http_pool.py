"""Which kept-alive connection carries the next request: the connection policy of HTTPTransport.

A stock Vtiger runs under Apache prefork: each kept-alive connection belongs
to one Apache child, and after sending its answer that child goes on working
(PHP shuts the request down) for 15-35 ms. A request sent on the same
connection in that time waits for it; a request on another connection is
served at once by another child. A client that always reuses its last
connection (urllib3's pool is a LIFO stack) pays that wait on every
sequential write, about 30% of the call. Opening a connection per call
avoids it, but costs a TCP (and TLS) handshake, which is expensive over a
long round trip.

So the pool hands out its idle connections least recently used first
(round-robin over the few it keeps), which gives each server child time to
finish. A connection that has rested long enough is reused without
question: :data:`COOL_AFTER` at first, then the rest after which a reuse
proved as fast as opening (``Latencies.rest``, raised again should a rested
one prove clearly slower). When even the least recently used one has rested
less, it is "hot": the pool either reuses it anyway or opens a new
connection, whichever has answered this operation faster on this server so
far. Both choices are measured as they are used (exponentially weighted
mean latency per operation), the slower one being tried again every so
often, so the pool follows the server.

A connection opened because opening was measured faster is kept: the
rotation grows until its connections rest long enough between two calls
(then reusing them is as fast, and the growth stops). Otherwise at most
:data:`MAX_IDLE` idle connections are kept beyond those in use, and one
put back beyond them is closed. Against a lingering server on a cheap
network this gives a new connection, or a rested one, for each call; where
connecting costs more than waiting (TLS over a long round trip), or where
nothing lingers, it gives a few kept-alive connections taking turns.

:class:`LeastRecentlyUsedQueue` is the pool's queue (urllib3's
``HTTPConnectionPool.QueueCls``); :func:`pool_classes` gives the pool
classes using it; :func:`sending` and :func:`sent` bracket one request so
that its latency is credited to the choice that carried it.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from urllib3 import connectionpool

__all__ = [
    "COOL_AFTER",
    "MAX_IDLE",
    "OPENED",
    "REUSED_COOL",
    "REUSED_HOT",
    "HTTPConnectionPool",
    "HTTPSConnectionPool",
    "Latencies",
    "LeastRecentlyUsedQueue",
    "pool_classes",
    "sending",
    "sent",
]

#: Seconds after which an idle connection is reused without question, until
#: the server shows a shorter rest is enough: the longest time a recorded
#: Vtiger child kept working after its answer, with a margin.
COOL_AFTER = 0.1
#: Idle connections kept beyond those in use (see the module's docstring).
MAX_IDLE = 8
# Every so many decisions on a hot connection, the choice measured slower is
# tried again, so that a server that changes is followed...
_EXPLORE_EVERY = 16
# ... times how many times slower it was, up to this factor.
_EXPLORE_STRETCH = 16
# Added to twice the rest that proved too short when raising it again.
_REST_MARGIN = 0.005
# Opening is preferred only when it was clearly faster than reusing (recorded
# server: 0.70 for writes, 0.77 for retrieve), not on the noise of equal times;
# each connection opened for nothing costs a handshake and a server process.
_CLEAR_WIN = 0.85
# Weight of the newest latency in the running mean.
_WEIGHT = 0.25

#: The clock of release times and decisions (seconds; replaced in tests).
clock: Callable[[], float] = time.monotonic

#: How a request got its connection: an idle one released at least
#: COOL_AFTER ago, a hot one (released more recently), or a new one.
REUSED_COOL = "cool"
REUSED_HOT = "hot"
OPENED = "new"

# What the current thread is sending: set by sending(), written by the queue's
# _get and read by its _put in the same thread (urllib3 takes and puts back a
# connection in the thread that sends), read again by sent().
_current = threading.local()


class _Means:
    """Running mean latencies of one operation, and the decisions taken on them."""

    __slots__ = ("decisions", "hot", "new")

    def __init__(self) -> None:
        self.hot: float | None = None
        self.new: float | None = None
        self.decisions = 0


class Latencies:
    """Mean latency per operation of a request on a hot connection and on a new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_operation: dict[str, _Means] = {}
        # new / hot of the last operation that has both means: the server's
        # character, for operations that have not tried both choices yet.
        self._ratio: float | None = None
        #: Seconds of rest after which a connection is reused without question:
        #: COOL_AFTER at first, lowered to the rest after which a reuse proved as
        #: fast as opening, raised again when a rested one was clearly slower.
        self.rest = COOL_AFTER

    def choose(self, operation: str) -> tuple[bool, bool]:
        """(open a new connection rather than reuse a hot one, the choice measured faster).

        The faster choice is taken (opening only when clearly faster), the
        other one every so often. A choice this operation has not tried yet is
        estimated from what another operation showed (the ratio of its two
        means); with nothing measured at all, reuse is tried first, then opening.
        """
        with self._lock:
            means = self._by_operation.setdefault(operation, _Means())
            ratio = self._ratio
            if means.hot is None and means.new is None:
                if ratio is None:
                    return False, False
                return ratio < _CLEAR_WIN, ratio < _CLEAR_WIN
            if means.hot is not None and means.new is not None:
                hot, new = means.hot, means.new
            elif ratio is None:
                return means.new is None, False  # try the one not measured yet
            elif means.hot is not None:
                hot, new = means.hot, means.hot * ratio
            else:
                new = means.new or 0.0
                hot = new / ratio
            means.decisions += 1
            faster_new = new < hot * _CLEAR_WIN
            # Trying the slower choice costs what it is slower: the more, the rarer.
            slower = max(new, hot) / max(min(new, hot), 1e-9)
            every = _EXPLORE_EVERY * min(_EXPLORE_STRETCH, max(1, int(slower)))
            if means.decisions % every == 0:
                return not faster_new, False
            return faster_new, faster_new

    def record(
        self, operation: str, choice: str, seconds: float, idle_for: float | None = None
    ) -> None:
        """Count the latency of one request carried by ``choice``.

        ``idle_for`` is how long a reused connection had rested: it moves
        :attr:`rest` (see there).
        """
        with self._lock:
            means = self._by_operation.setdefault(operation, _Means())
            if idle_for is not None and choice in (REUSED_HOT, REUSED_COOL):
                self._learn_rest(means, choice, seconds, idle_for)
            if choice == REUSED_HOT:
                means.hot = seconds if means.hot is None else _mean(means.hot, seconds)
            elif choice == OPENED:
                means.new = seconds if means.new is None else _mean(means.new, seconds)
            if means.hot is not None and means.new is not None:
                self._ratio = means.new / max(means.hot, 1e-9)

    def _learn_rest(self, means: _Means, choice: str, seconds: float, idle_for: float) -> None:
        """Move :attr:`rest` by what a reuse after ``idle_for`` seconds of rest cost."""
        opening = means.new
        if opening is None and means.hot is not None and self._ratio is not None:
            opening = means.hot * self._ratio
        if opening is None:
            return
        if choice == REUSED_HOT and seconds <= opening and idle_for < self.rest:
            # That much rest was enough: no waiting, and no handshake either.
            self.rest = idle_for
        elif choice == REUSED_COOL and seconds * _CLEAR_WIN > opening:
            # Clearly slower than opening: the server was still busy after that rest.
            self.rest = min(COOL_AFTER, 2 * idle_for + _REST_MARGIN)

    def means(self, operation: str) -> tuple[float | None, float | None]:
        """(hot, new) mean latencies of ``operation`` in seconds; None where not measured."""
        with self._lock:
            means = self._by_operation.get(operation) or _Means()
            return means.hot, means.new


def _mean(mean: float, seconds: float) -> float:
    return mean + _WEIGHT * (seconds - mean)


class LeastRecentlyUsedQueue(queue.LifoQueue[Any]):
    """urllib3's pool queue, handing out the connection idle longest, or a new one.

    A ``LifoQueue`` by type only (urllib3 declares its queue so): every
    method of the order is replaced. urllib3 fills it with ``None``
    placeholders (each one lets the pool open a connection) and puts
    connections back after use. :meth:`_get` and :meth:`_put` run under the
    queue's lock and decide as the module's docstring says; ``latencies``
    holds what this pool's server has shown.
    """

    def _init(self, maxsize: int) -> None:
        # (released at, connection), least recently released first.
        self.idle: collections.deque[tuple[float, Any]] = collections.deque()
        self.slots = 0
        # Taken and not put back yet: connections (or placeholders) in use.
        self.out = 0
        self.latencies = Latencies()

    def _qsize(self) -> int:
        return len(self.idle) + self.slots

    def _put(self, item: Any) -> None:
        self.out = max(0, self.out - 1)
        if item is not None and len(self.idle) >= self._keep():
            item.close()  # enough idle ones already; this one was just used, the hottest
            item = None
        if item is None:
            self.slots += 1
        else:
            self.idle.append((clock(), item))

    def _keep(self) -> int:
        """How many idle connections may stay when one more is put back."""
        if getattr(_current, "queue", None) is self and getattr(_current, "grow", False):
            return int(self.maxsize)  # opened because opening was faster: let the rotation grow
        return max(MAX_IDLE, self.out)

    def _get(self) -> Any:
        self.out += 1
        choice, grow = self._choose()
        if getattr(_current, "operation", None) is not None:
            _current.queue = self
            _current.choice = choice
            _current.grow = grow
        if choice != OPENED:
            return self.idle.popleft()[1]
        if self.slots:
            self.slots -= 1
        else:
            # The pool is at its size: the hot connection makes room for a new one.
            self.idle.popleft()[1].close()
        return None

    def _choose(self) -> tuple[str, bool]:
        """How to serve the next request, and whether a new connection is to be kept."""
        if not self.idle:
            return OPENED, False
        idle_for = clock() - self.idle[0][0]
        _current.idle_for = idle_for
        if idle_for >= self.latencies.rest:
            return REUSED_COOL, False
        operation = getattr(_current, "operation", None) or ""
        open_new, measured_faster = self.latencies.choose(operation)
        if open_new:
            return OPENED, measured_faster
        return REUSED_HOT, False


def sending(operation: str) -> None:
    """The current thread is about to send a request of ``operation``."""
    _current.operation = operation
    _current.queue = None
    _current.choice = None
    _current.grow = False
    _current.idle_for = None


def sent(seconds: float | None) -> None:
    """The request announced by :func:`sending` ended: its latency, or None if it failed."""
    operation = getattr(_current, "operation", None)
    pool_queue: LeastRecentlyUsedQueue | None = getattr(_current, "queue", None)
    choice = getattr(_current, "choice", None)
    idle_for = getattr(_current, "idle_for", None) if choice != OPENED else None
    _forget()
    if seconds is None or pool_queue is None or operation is None or choice is None:
        return
    pool_queue.latencies.record(operation, choice, seconds, idle_for)


def _forget() -> None:
    """Forget what :func:`sending` said (the request is over)."""
    _current.operation = _current.queue = _current.choice = _current.idle_for = None
    _current.grow = False


# urllib3's names, so that messages naming a pool read as they always did.
class HTTPConnectionPool(connectionpool.HTTPConnectionPool):
    """urllib3's pool of HTTP connections, with :class:`LeastRecentlyUsedQueue`."""

    QueueCls = LeastRecentlyUsedQueue


class HTTPSConnectionPool(connectionpool.HTTPSConnectionPool):
    """urllib3's pool of HTTPS connections, with :class:`LeastRecentlyUsedQueue`."""

    QueueCls = LeastRecentlyUsedQueue


def pool_classes() -> dict[str, type[connectionpool.HTTPConnectionPool]]:
    """The pool classes by scheme, for ``PoolManager.pool_classes_by_scheme``."""
    return {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}
