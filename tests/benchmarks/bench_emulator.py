"""The emulator's latency and throughput next to a real Vtiger 8.4 (goal: at least 10x faster).

Run: ``python tests/benchmarks/bench_emulator.py``. Prints figures; asserts nothing.
Every request goes over HTTP with a keep-alive ``requests.Session``, as a
client's would: the median of N ``retrieve`` calls and of N 100-row
``SELECT * FROM Leads;`` queries (demo data), each set next to the real
server's recorded median, then the same over a bare ``http.client``
connection, the query once more with a write ahead of each call (repeated
reads are answered from memory until the next write), then the throughput
of 8 concurrent clients (a thread and a session each) sending a mix of
operations.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import requests

from vtorm.testing import Emulator

N = 200
CLIENTS = 8
MIX_SECONDS = 3.0
GOAL = 10.0

# Medians of 20 sequential calls to a real Vtiger 8.4.0 (PHP 8.2, MariaDB
# 10.11, same machine), from the recorded data set's timing.json:
# "retrieve" (one Contact) and "query_100_rows_star" (SELECT * FROM Leads;).
REAL_RETRIEVE_MS = 8.29
REAL_QUERY_100_MS = 9.41

QUERY_100 = "SELECT * FROM Leads;"


def login(crm: Emulator) -> tuple[requests.Session, str]:
    """A keep-alive session logged in as the administrator; (http, sessionName)."""
    http = requests.Session()
    token = http.get(crm.url, params={"operation": "getchallenge", "username": crm.username})
    key = hashlib.md5((token.json()["result"]["token"] + crm.access_key).encode()).hexdigest()
    body = http.post(
        crm.url, data={"operation": "login", "username": crm.username, "accessKey": key}
    ).json()
    return http, body["result"]["sessionName"]


def call(http: requests.Session, url: str, params: dict[str, str]) -> bytes:
    """One GET; the raw body (the recorded figures were taken with curl: bytes, no parsing)."""
    content = http.get(url, params=params).content
    if not content.startswith(b'{"success":true'):
        raise RuntimeError(f"{params.get('operation')} failed: {content[:200]!r}")
    return content


def result(http: requests.Session, url: str, params: dict[str, str]) -> Any:
    """One GET; the decoded result."""
    return json.loads(call(http, url, params))["result"]


def bare_caller(url: str, params: dict[str, str]) -> Callable[[], bytes]:
    """The same GET over one bare ``http.client`` connection: the cost of ``requests`` removed."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    path = f"{parts.path}?{urllib.parse.urlencode(params)}"

    def send() -> bytes:
        connection.request("GET", path)
        content = connection.getresponse().read()
        if not content.startswith(b'{"success":true'):
            raise RuntimeError(content[:200].decode("utf-8", "replace"))
        return content

    return send


def median_ms(
    action: Callable[[], Any], n: int = N, before: Callable[[], Any] | None = None
) -> float:
    """The median time of ``action``; ``before`` (untimed) runs ahead of each call."""
    for _ in range(10):
        if before is not None:
            before()
        action()
    samples = []
    for _ in range(n):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(name: str, emulator_ms: float, real_ms: float) -> None:
    ratio = real_ms / emulator_ms
    verdict = "goal met" if ratio >= GOAL else f"below the {GOAL:.0f}x goal"
    print(
        f"{name:<26} emulator {emulator_ms:7.3f} ms   real 8.4 {real_ms:5.2f} ms"
        f"   {ratio:6.1f}x faster ({verdict})"
    )


def throughput(crm: Emulator, contact: str) -> tuple[int, float]:
    """Requests answered by CLIENTS concurrent clients in MIX_SECONDS: (count, per second)."""
    mix: list[dict[str, str]] = [
        {"operation": "retrieve", "id": contact},
        {"operation": "query", "query": QUERY_100},
        {"operation": "query", "query": "SELECT firstname, lastname FROM Contacts LIMIT 20;"},
        {"operation": "describe", "elementType": "Contacts"},
        {"operation": "retrieve", "id": contact},
    ]
    counts = [0] * CLIENTS
    ready = threading.Barrier(CLIENTS + 1)
    stop = threading.Event()

    # One login at a time: a new challenge invalidates the user's previous token.
    sessions = [login(crm) for _ in range(CLIENTS)]

    def client(index: int) -> None:
        http, session = sessions[index]
        ready.wait()
        n = 0
        while not stop.is_set():
            params = dict(mix[n % len(mix)], sessionName=session)
            call(http, crm.url, params)
            n += 1
        counts[index] = n
        http.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    time.sleep(MIX_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    total = sum(counts)
    return total, total / elapsed


def main() -> None:
    """Measure and print."""
    with Emulator(demo=True) as crm:
        http, session = login(crm)
        contact = result(
            http,
            crm.url,
            {
                "operation": "query",
                "query": "SELECT id FROM Contacts LIMIT 1;",
                "sessionName": session,
            },
        )[0]["id"]
        rows = result(
            http, crm.url, {"operation": "query", "query": QUERY_100, "sessionName": session}
        )
        assert len(rows) == 100, len(rows)
        retrieve = {"operation": "retrieve", "id": contact, "sessionName": session}
        query = {"operation": "query", "query": QUERY_100, "sessionName": session}
        print(f"N = {N} sequential calls each, keep-alive session, medians")
        report("retrieve", median_ms(lambda: call(http, crm.url, retrieve)), REAL_RETRIEVE_MS)
        report(
            "query, 100 rows (SELECT *)",
            median_ms(lambda: call(http, crm.url, query)),
            REAL_QUERY_100_MS,
        )
        report(
            "retrieve, bare http.client",
            median_ms(bare_caller(crm.url, retrieve)),
            REAL_RETRIEVE_MS,
        )
        report("query, bare http.client", median_ms(bare_caller(crm.url, query)), REAL_QUERY_100_MS)
        # The emulator answers a repeated read from memory until the next write;
        # a write to another record ahead of each query shows the uncached cost.
        touch = {
            "operation": "revise",
            "element": json.dumps({"id": contact, "description": "touched"}),
            "sessionName": session,
        }
        report(
            "query, after a write",
            median_ms(bare_caller(crm.url, query), before=lambda: http.post(crm.url, data=touch)),
            REAL_QUERY_100_MS,
        )
        http.close()
        total, rate = throughput(crm, contact)
        print(
            f"throughput, {CLIENTS} clients, mix of retrieve/query/describe: "
            f"{rate:,.0f} requests/s ({total} in {MIX_SECONDS:.0f} s)"
        )


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
