"""The connection policy: least recently used first, a new connection when waiting costs more.

No test here depends on timing: the policy's clock is replaced by a counter,
and the latencies it has measured are set by the test. Over HTTP, the
emulator's ``served`` view tells which connection carried each call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import vtorm
from vtorm import http_pool
from vtorm.http_pool import (
    COOL_AFTER,
    MAX_IDLE,
    OPENED,
    REUSED_COOL,
    REUSED_HOT,
    LeastRecentlyUsedQueue,
)
from vtorm.testing import Emulator


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(http_pool, "clock", fake)
    return fake


class Conn:
    """Stands for a urllib3 connection."""

    opened = 0

    def __init__(self, name: str | None = None) -> None:
        Conn.opened += 1
        self.name = name or f"new{Conn.opened}"
        self.closed = False

    def __repr__(self) -> str:
        return self.name

    def close(self) -> None:
        self.closed = True


def pool_queue(size: int = 4, *idle: Conn) -> LeastRecentlyUsedQueue:
    """A queue as urllib3 fills it (a placeholder per connection it may open), then ``idle``."""
    q = LeastRecentlyUsedQueue(size)
    for _ in range(size):
        q.put(None)
    # As urllib3 does: a connection is opened for a placeholder taken, then put back.
    assert [q.get(block=False) for _ in idle] == [None] * len(idle)
    for conn in idle:
        q.put(conn)
    return q


def request(q: LeastRecentlyUsedQueue, operation: str = "revise") -> tuple[Conn, str]:
    """One request as urllib3 makes it: the connection it went on, and how it was chosen.

    A placeholder taken means a new connection; it is put back after the answer.
    """
    http_pool.sending(operation)
    item = q.get(block=False)
    choice = http_pool._current.choice
    conn = item if item is not None else Conn()
    q.put(conn)
    http_pool.sent(None)
    return conn, choice


# -- the queue ----------------------------------------------------------------------


def test_idle_connections_are_handed_out_least_recently_used_first(clock: Clock) -> None:
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    q = pool_queue(4, a, b, c)
    clock.advance(COOL_AFTER)
    order = []
    for _ in range(6):
        conn, choice = request(q)
        assert choice == REUSED_COOL
        order.append(conn)
        clock.advance(COOL_AFTER)
    assert order == [a, b, c, a, b, c]


def test_with_nothing_idle_a_connection_is_opened(clock: Clock) -> None:
    q = pool_queue(2)
    assert q.get(block=False) is None
    # No request announced (urllib3 closing its pool, say): nothing noted.
    assert getattr(http_pool._current, "choice", None) is None
    http_pool.sending("listtypes")
    assert q.get(block=False) is None
    assert http_pool._current.choice == OPENED
    http_pool.sent(None)
    assert q.qsize() == 0


def test_a_hot_connection_is_reused_until_opening_one_is_measured_faster(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    # Never measured: reuse first, then try a new connection.
    assert request(q) == (a, REUSED_HOT)
    q.latencies.record("revise", REUSED_HOT, 0.050)
    opened, choice = request(q)
    assert (opened is a, choice) == (False, OPENED)
    q.latencies.record("revise", OPENED, 0.035)
    # A new connection answered faster: open one while the idle ones are hot.
    assert request(q)[1] == OPENED
    # Another operation has its own figures...
    q.latencies.record("retrieve", REUSED_HOT, 0.010)
    q.latencies.record("retrieve", OPENED, 0.012)
    assert request(q, "retrieve") == (a, REUSED_HOT)


def test_an_operation_not_measured_yet_follows_what_the_others_showed(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(64, a)
    q.latencies.record("create", REUSED_HOT, 0.050)
    q.latencies.record("create", OPENED, 0.020)
    # The server makes a hot connection wait: a first query does not wait to find out.
    assert request(q, "query")[1] == OPENED
    q.latencies.record("query", OPENED, 0.004)
    choices = [request(q, "query")[1] for _ in range(40)]
    # Reuse is tried now and then (its latency estimated at 0.004 / 0.4 until measured).
    assert choices.count(REUSED_HOT) == 1
    assert choices.index(REUSED_HOT) == 31


def test_with_nothing_measured_reuse_is_tried_first_then_opening(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    http_pool.sending("query")
    assert q.get(block=False) is a
    q.put(a)
    http_pool.sent(0.002)
    http_pool.sending("query")
    assert q.get(block=False) is None
    q.put(Conn())
    http_pool.sent(0.002)
    assert q.latencies.means("query") == (0.002, 0.002)


def test_reuse_wins_where_connecting_costs_more_than_waiting(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    q.latencies.record("create", REUSED_HOT, 0.060)
    q.latencies.record("create", OPENED, 0.250)  # a TLS handshake over a long round trip
    for _ in range(10):
        assert request(q, "create") == (a, REUSED_HOT)


def test_the_slower_choice_is_tried_again_now_and_then(clock: Clock) -> None:
    q = pool_queue(64, Conn("a"))
    q.latencies.record("revise", REUSED_HOT, 0.050)
    q.latencies.record("revise", OPENED, 0.035)
    choices = [request(q)[1] for _ in range(32)]
    assert choices.count(REUSED_HOT) == 2
    assert choices[15] == choices[31] == REUSED_HOT


def test_a_much_slower_choice_is_tried_more_rarely(clock: Clock) -> None:
    q = pool_queue(256, Conn("a"))
    q.latencies.record("create", REUSED_HOT, 0.030)  # five times slower: waits on the server
    q.latencies.record("create", OPENED, 0.006)
    choices = [request(q, "create")[1] for _ in range(160)]
    assert [i for i, choice in enumerate(choices) if choice == REUSED_HOT] == [79, 159]


def test_opening_is_preferred_only_when_clearly_faster(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    q.latencies.record("query", REUSED_HOT, 0.0010)
    q.latencies.record("query", OPENED, 0.0009)  # faster, but within the noise
    assert [request(q, "query")[1] for _ in range(10)] == [REUSED_HOT] * 10


def test_when_the_pool_is_full_a_hot_connection_makes_room_for_a_new_one(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(1, a)
    q.latencies.record("revise", REUSED_HOT, 0.050)
    q.latencies.record("revise", OPENED, 0.001)
    conn, choice = request(q)
    assert choice == OPENED
    assert a.closed
    assert q.qsize() == 1
    assert q.idle[0][1] is conn


def test_connections_opened_because_it_was_faster_are_kept(clock: Clock) -> None:
    q = pool_queue(32, Conn("a"))
    q.latencies.record("create", REUSED_HOT, 0.050)
    q.latencies.record("create", OPENED, 0.002)
    for _ in range(MAX_IDLE + 5):
        conn, _ = request(q, "create")
        assert not conn.closed
    # The rotation grew past MAX_IDLE: each one now rests longer between two calls.
    assert len(q.idle) > MAX_IDLE


def test_beyond_max_idle_a_connection_opened_otherwise_is_closed(clock: Clock) -> None:
    idle = [Conn(f"c{i}") for i in range(MAX_IDLE)]
    q = pool_queue(32, *idle)
    # Reuse measured faster: a new connection is only opened to measure it again.
    q.latencies.record("revise", REUSED_HOT, 0.010)
    q.latencies.record("revise", OPENED, 0.015)
    explored = [conn for conn, choice in (request(q) for _ in range(16)) if choice == OPENED]
    assert len(explored) == 1
    assert explored[0].closed  # the hottest one, put back beyond MAX_IDLE
    assert len(q.idle) == MAX_IDLE
    assert not any(conn.closed for conn in idle)


def test_connections_in_use_by_many_threads_are_all_kept(clock: Clock) -> None:
    q = pool_queue(32)
    http_pool.sending("create")
    taken = [q.get(block=False) for _ in range(12)]  # twelve requests at once
    assert taken == [None] * 12
    conns = [Conn() for _ in taken]
    for conn in conns:
        q.put(conn)
    http_pool.sent(None)
    # Put back while the others were still in use: kept until MAX_IDLE beyond the busy ones.
    assert sum(conn.closed for conn in conns) == 12 - MAX_IDLE


def test_a_latency_is_credited_to_the_choice_that_carried_the_request(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    http_pool.sending("revise")
    assert q.get(block=False) is a
    q.put(a)
    http_pool.sent(0.040)
    assert q.latencies.means("revise") == (0.040, None)
    http_pool.sending("revise")
    assert q.get(block=False) is None  # opening one was never measured
    q.put(Conn())
    http_pool.sent(0.020)
    assert q.latencies.means("revise") == (0.040, 0.020)
    # Later figures move the mean a quarter of the way; a failure counts for nothing.
    http_pool.sending("revise")
    assert q.get(block=False) is None
    q.put(Conn())
    http_pool.sent(0.060)
    assert q.latencies.means("revise") == (0.040, pytest.approx(0.030))
    http_pool.sending("revise")
    q.put(q.get(block=False) or Conn())
    http_pool.sent(None)
    assert q.latencies.means("revise") == (0.040, pytest.approx(0.030))


def _reuse(q: LeastRecentlyUsedQueue, seconds: float, operation: str = "create") -> str:
    """One request on an idle connection taking ``seconds``; how it was chosen."""
    http_pool.sending(operation)
    conn = q.get(block=False)
    choice = http_pool._current.choice
    q.put(conn or Conn())
    http_pool.sent(seconds)
    return str(choice)


def test_a_rest_after_which_reuse_is_as_fast_as_opening_is_learned(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    q.latencies.record("create", REUSED_HOT, 0.010)  # waited on the server
    q.latencies.record("create", OPENED, 0.006)
    assert q.latencies.rest == COOL_AFTER
    clock.advance(0.040)
    # Tried again after 40 ms of rest (every 16th decision), as fast as opening:
    q.latencies._by_operation["create"].decisions = 15
    assert _reuse(q, 0.003) == REUSED_HOT
    assert q.latencies.rest == pytest.approx(0.040)
    # From now on a connection that rested 40 ms is reused without question.
    clock.advance(0.040)
    assert _reuse(q, 0.003) == REUSED_COOL
    clock.advance(0.010)
    assert _reuse(q, 0.003) == OPENED  # not rested enough, opening is faster


def test_a_rested_connection_clearly_slower_than_opening_raises_the_rest(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    q.latencies.record("create", REUSED_HOT, 0.010)
    q.latencies.record("create", OPENED, 0.006)
    q.latencies.rest = 0.010
    clock.advance(0.015)
    assert _reuse(q, 0.020) == REUSED_COOL  # rested 15 ms, still waited
    assert q.latencies.rest == pytest.approx(0.035)
    clock.advance(0.100)
    assert _reuse(q, 0.500) == REUSED_COOL
    assert q.latencies.rest == COOL_AFTER  # never above the first guess


def test_a_hot_reuse_slower_than_opening_leaves_the_rest(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    q.latencies.record("create", REUSED_HOT, 0.010)
    q.latencies.record("create", OPENED, 0.006)
    clock.advance(0.020)
    q.latencies._by_operation["create"].decisions = 15
    assert _reuse(q, 0.014) == REUSED_HOT
    assert q.latencies.rest == COOL_AFTER


def test_a_cool_connection_teaches_nothing(clock: Clock) -> None:
    a = Conn("a")
    q = pool_queue(4, a)
    clock.advance(COOL_AFTER)
    http_pool.sending("revise")
    assert q.get(block=False) is a
    q.put(a)
    http_pool.sent(0.5)
    assert q.latencies.means("revise") == (None, None)


def test_closing_the_pool_takes_every_connection(clock: Clock) -> None:
    a, b = Conn("a"), Conn("b")
    q = pool_queue(3, a, b)
    drained = [q.get(block=False) for _ in range(3)]
    assert sorted(map(repr, drained)) == ["None", "a", "b"]
    assert q.empty()


# -- a client against the emulator ---------------------------------------------------


@pytest.fixture
def crm() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _queue(client: vtorm.Client) -> LeastRecentlyUsedQueue:
    """The queue of the client's one connection pool (it has sent a request)."""
    manager = client.session.get_adapter(client.url).poolmanager  # type: ignore[attr-defined]
    # A RecentlyUsedContainer cannot be iterated, only its keys.
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118
    assert len(pools) == 1
    q = pools[0].pool
    assert isinstance(q, LeastRecentlyUsedQueue)
    return q


def _connections(crm: Emulator, operation: str) -> list[int]:
    return [number for number, name in crm.served if name == operation]


def test_sequential_calls_take_turns_on_the_connections_least_recently_used(
    crm: Emulator, clock: Clock
) -> None:
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    client.login()
    q = _queue(client)
    # Every connection hot, and a new one measured faster: each call opens one.
    q.latencies.record("listtypes", REUSED_HOT, 1.0)
    q.latencies.record("listtypes", OPENED, 0.001)
    for _ in range(3):
        client.list_types()
    opened = _connections(crm, "listtypes")
    assert len(set(opened)) == 3
    assert crm.served[0][0] not in opened  # the login's connection was idle, and hot
    # Now each connection has rested when its turn comes: they take turns, oldest first.
    for _ in range(8):
        clock.advance(COOL_AFTER)
        client.retrieve("19x1")
    used = _connections(crm, "retrieve")
    rotation = [crm.served[0][0], *opened]
    assert used == [*rotation, *rotation]
    client.close()


def test_one_connection_carries_every_call_where_reuse_is_faster(
    crm: Emulator, clock: Clock
) -> None:
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    client.login()
    q = _queue(client)
    q.latencies.record("revise", REUSED_HOT, 0.001)
    q.latencies.record("revise", OPENED, 1.0)
    contact = client.create("Contacts", {"lastname": "Pool", "assigned_user_id": "19x1"})
    for i in range(10):
        client.revise({"id": contact["id"], "title": f"T{i}"})
    assert len(set(_connections(crm, "revise"))) == 1
    client.close()


def test_a_new_connection_for_each_write_against_a_lingering_server(
    clock: Clock,
) -> None:
    with Emulator(linger=60) as crm:
        client = vtorm.Client(crm.url, crm.username, crm.access_key)
        client.login()
        q = _queue(client)
        # What a lingering server teaches: waiting on a hot connection costs more.
        q.latencies.record("create", REUSED_HOT, 0.060)
        q.latencies.record("create", OPENED, 0.002)
        q.latencies.record("retrieve", REUSED_HOT, 0.060)
        q.latencies.record("retrieve", OPENED, 0.002)
        created = [
            client.create("Contacts", {"lastname": f"L{i}", "assigned_user_id": "19x1"})
            for i in range(5)
        ]
        # No call ever waited for a lingering worker (that would take a minute):
        # each one went on a connection whose worker was free.
        assert client.retrieve(created[-1]["id"])["lastname"] == "L4"
        writers = _connections(crm, "create")
        assert len(set(writers)) == 5
        assert not set(_connections(crm, "retrieve")) & set(writers)
        crm.stop()
        client.close()
