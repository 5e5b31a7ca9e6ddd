"""Reading N records: a QuerySet next to a hand-written LIMIT loop, and the emulator's page times.

Part 1 starts the embedded CRM in a child process with N Contacts and reads
all of them that match ``lastname LIKE 'Reader%'`` four ways (best of
``--runs``, answers already computed by the emulator, so that only the
client's side differs). The hand-written loop runs its rounds first, then
the QuerySets take turns: the emulator keeps the answers of 256 statements,
fewer than the two kinds of paging send together, and whichever way ran
after the other would pay for computing them again.

* a hand-written loop: one ``requests.Session``, ``LIMIT offset, 100`` until
  a page comes back short, each row the dict ``json.loads`` made;
* ``Contacts.objects.filter(lastname__startswith="Reader").values()``: dicts
  of Python values;
* the same with ``values_list()``: tuples of Python values;
* the same QuerySet iterated: typed ``Contacts`` instances (a fresh
  ``.all()`` each run, as a QuerySet keeps what it read).

Part 2 times the emulator itself, in this process, without HTTP: one page of
100 rows of a 100,000-record table at the first and at the last offset, cold
(the first read after a write) and within an iteration (every page before it
read already), and a cold iteration of 20,000 records through a client.

Run: ``python tests/benchmarks/bench_reads.py [--count 20000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from crm_child import crm_in_child  # noqa: E402
from crm_models import Contacts  # noqa: E402

import vtorm  # noqa: E402
from vtorm.testing import Emulator  # noqa: E402
from vtorm.testing.store import Store  # noqa: E402
from vtorm.testing.vtql import translate  # noqa: E402

PAGE = 100
FILTER = "lastname LIKE 'Reader%'"


def hand_written(url: str, username: str, access_key: str) -> Callable[[], int]:
    """A LIMIT loop as one would write it with requests: the rows as dicts."""
    http = requests.Session()
    token = http.get(url, params={"operation": "getchallenge", "username": username})
    key = hashlib.md5((token.json()["result"]["token"] + access_key).encode()).hexdigest()
    login = http.post(url, data={"operation": "login", "username": username, "accessKey": key})
    session_name = login.json()["result"]["sessionName"]

    def read_all() -> int:
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            query = f"SELECT * FROM Contacts WHERE {FILTER} ORDER BY id LIMIT {offset}, {PAGE};"
            params = {"operation": "query", "sessionName": session_name, "query": query}
            page = http.get(url, params=params).json()["result"]
            rows.extend(dict(row) for row in page)
            if len(page) < PAGE:
                return len(rows)
            offset += PAGE

    return read_all


def best_seconds(jobs: dict[str, Callable[[], int]], runs: int) -> dict[str, tuple[float, int]]:
    """Per job, the best wall time over ``runs`` rounds of every job in turn, and its count."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(runs):
        for name, work in jobs.items():
            start = time.perf_counter()
            count = work()
            seconds = time.perf_counter() - start
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, count)
    return best


def client_side(count: int, runs: int) -> None:
    """Part 1: the same rows read by hand and through QuerySets."""
    with crm_in_child(contacts=count) as crm:
        client = vtorm.Client(*crm)
        matching = Contacts.objects.using(client).filter(lastname__startswith="Reader")
        by_hand: dict[str, Callable[[], int]] = {
            "hand-written LIMIT loop (dicts)": hand_written(*crm),
        }
        querysets: dict[str, Callable[[], int]] = {
            "QuerySet.values() (dicts)": lambda: sum(1 for _ in matching.values()),
            "QuerySet.values_list() (tuples)": lambda: sum(1 for _ in matching.values_list()),
            "QuerySet (typed instances)": lambda: sum(1 for _ in matching.all()),
        }
        results = {}
        for jobs in (by_hand, querysets):
            for job in jobs.values():  # the emulator computes each page once
                job()
            results.update(best_seconds(jobs, runs))
        client.close()
    base = results["hand-written LIMIT loop (dicts)"][0]
    print(f"Reading {count} Contacts ({FILTER}), best of {runs}, CRM in a child process")
    print(f"{'':34}{'seconds':>9}{'rows':>8}{'µs/row':>9}{'vs hand':>9}")
    for name, (seconds, rows) in results.items():
        per_row = seconds / max(rows, 1) * 1e6
        print(f"{name:34}{seconds:>9.3f}{rows:>8}{per_row:>9.1f}{seconds / base:>9.2f}")


def _fill(store: Store, count: int) -> None:
    with store.lock:
        store.conn.execute("BEGIN")
        for i in range(count):
            values = {"lastname": f"Reader {i:06}", "firstname": "Ann", "assigned_user_id": "19x1"}
            store.insert("Contacts", values, "19x1")
        store.conn.execute("COMMIT")


def _page_ms(crm: Emulator, offset: int) -> float:
    text = f"SELECT * FROM Contacts WHERE {FILTER} LIMIT {offset}, {PAGE};"
    translation = translate(text, crm.state.schemas, quirks="8.4")
    assert translation.window is not None
    start = time.perf_counter()
    crm.state.store.window(translation.window, translation.offset, translation.limit)
    return (time.perf_counter() - start) * 1000


def _touch(crm: Emulator) -> None:
    """Count as a write (hiding no record): every kept answer and match is forgotten."""
    crm.state.store.hide(-1)


def emulator_side(big: int, iterated: int) -> None:
    """Part 2: the emulator's own time per page, and a cold iteration over HTTP."""
    crm = Emulator()
    _fill(crm.state.store, big)
    last = big - PAGE
    _touch(crm)
    cold_first = _page_ms(crm, 0)
    _touch(crm)
    cold_last = _page_ms(crm, last)
    _touch(crm)
    times = [_page_ms(crm, offset) for offset in range(0, big, PAGE)]
    print(f"\nThe emulator, one page of {PAGE} of {big} Contacts ({FILTER}), no HTTP:")
    print(f"{'':28}{'first page ms':>15}{'last page ms':>14}")
    print(f"{'cold (after a write)':28}{cold_first:>15.2f}{cold_last:>14.2f}")
    print(f"{'within an iteration':28}{times[0]:>15.2f}{times[-1]:>14.2f}")
    print(f"  median page within the iteration: {statistics.median(times):.2f} ms")

    with Emulator() as small:
        _fill(small.state.store, iterated)
        _touch(small)
        client = vtorm.Client(small.url, small.username, small.access_key)
        matching = Contacts.objects.using(client).filter(lastname__startswith="Reader")
        start = time.perf_counter()
        cold = sum(1 for _ in matching)
        cold_seconds = time.perf_counter() - start
        start = time.perf_counter()
        sum(1 for _ in matching)
        warm_seconds = time.perf_counter() - start
        client.close()
    print(
        f"\nIterating {cold} Contacts (typed instances, emulator in this process): "
        f"cold {cold_seconds:.2f} s, again with every page remembered {warm_seconds:.2f} s"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="Contacts read in part 1")
    parser.add_argument("--runs", type=int, default=3, help="runs of each way in part 1")
    parser.add_argument("--big", type=int, default=100_000, help="Contacts of part 2's table")
    args = parser.parse_args()
    client_side(args.count, args.runs)
    emulator_side(args.big, args.count)


if __name__ == "__main__":
    main()
