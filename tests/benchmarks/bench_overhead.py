"""vtorm's own cost per call: ``vtorm.Client`` next to bare ``http.client`` on the same server.

Starts the embedded CRM in a child process and sends the same requests (the
same bytes: vtorm builds them) two ways, alternating call by call so that both
see the same machine: over one kept-alive ``http.client`` connection, decoding
the JSON and nothing else, and through ``vtorm.Client`` (envelope checks,
retries, session handling, logging, the connection pool). Prints the median
of each, the difference (goal: at most 0.3 ms) and the ratio.

Run: ``python tests/benchmarks/bench_overhead.py [--rounds 3000]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crm_child import crm_in_child  # noqa: E402

import vtorm  # noqa: E402
from vtorm.operations import encode_params, spec_for  # noqa: E402
from vtorm.transport import build_request  # noqa: E402

GOAL_MS = 0.3


class Bare:
    """One kept-alive ``http.client`` connection sending vtorm's request bytes."""

    def __init__(self, url: str, session_name: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.session_name = session_name
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port)

    def prepare(self, operation: str, params: dict[str, Any]) -> Callable[[], Any]:
        """A function sending this one request and returning its decoded result."""
        spec = spec_for(operation)
        fields = {
            "operation": operation,
            **encode_params(operation, params),
            "sessionName": self.session_name,
        }
        request = build_request(spec.method, self.url, fields, timeout=30, operation=operation)
        parts = urllib.parse.urlsplit(request.url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        body = request.content or None
        headers = dict(request.headers)
        connection = self.connection

        def send() -> Any:
            connection.request(request.method, target, body, headers)
            return json.loads(connection.getresponse().read())["result"]

        return send


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000, help="calls of each kind per way")
    args = parser.parse_args()
    with crm_in_child() as (url, username, access_key):
        client = vtorm.Client(url, username, access_key)
        login = client.login()
        bare = Bare(client.url, login.session_name)
        record = client.create("Contacts", {"lastname": "Overhead", "assigned_user_id": "19x1"})
        element = {"lastname": "Overhead", "assigned_user_id": "19x1"}
        statement = "SELECT lastname FROM Contacts LIMIT 1;"
        jobs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "retrieve",
                bare.prepare("retrieve", {"id": record["id"]}),
                lambda: client.retrieve(record["id"]),
            ),
            (
                "query, 1 row",
                bare.prepare("query", {"query": statement}),
                lambda: client.query(statement),
            ),
            (
                "revise",
                bare.prepare("revise", {"element": {"id": record["id"], "title": "T"}}),
                lambda: client.revise({"id": record["id"], "title": "T"}),
            ),
            (
                "create",
                bare.prepare("create", {"elementType": "Contacts", "element": element}),
                lambda: client.create("Contacts", element),
            ),
        ]
        print(f"{'call':<14}{'http.client ms':>16}{'vtorm ms':>10}{'difference':>12}{'ratio':>7}")
        for name, plain, ours in jobs:
            bare_times: list[float] = []
            vtorm_times: list[float] = []
            for _ in range(args.rounds // 10):  # warm up both
                plain()
                ours()
            for _ in range(args.rounds):
                start = time.perf_counter()
                plain()
                middle = time.perf_counter()
                ours()
                bare_times.append(middle - start)
                vtorm_times.append(time.perf_counter() - middle)
            b = statistics.median(bare_times) * 1000
            v = statistics.median(vtorm_times) * 1000
            print(f"{name:<14}{b:>16.3f}{v:>10.3f}{v - b:>+12.3f}{v / b:>7.2f}")
        print(f"goal: at most {GOAL_MS} ms more than http.client per call")
        client.close()


if __name__ == "__main__":
    main()
