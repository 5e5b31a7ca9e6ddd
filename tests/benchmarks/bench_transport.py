"""What one client call costs over HTTP and through the in-process transport.

Starts an emulator, logs in one client over HTTP and one through
``InProcessTransport`` (same dispatcher, no socket), and prints the median
and best wall time of a ``retrieve``, a one-row ``query``, a ``revise`` and
a 100-row ``query`` on each, with the ratio.

Run: ``python tests/benchmarks/bench_transport.py``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import vtorm
from vtorm.testing import Emulator, InProcessTransport

ROUNDS = 500


def timings_ms(work: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """The median and the best wall time of ``work()`` in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    with Emulator() as crm:
        http = vtorm.Client(crm.url, crm.username, crm.access_key)
        local = vtorm.Client(
            "http://crm.invalid", crm.username, crm.access_key, transport=InProcessTransport(crm)
        )
        for i in range(100):
            http.create("Contacts", {"lastname": f"Bench {i:03}", "assigned_user_id": "19x1"})
        record = http.query("SELECT id FROM Contacts LIMIT 1;")[0]["id"]
        calls: dict[str, Callable[[vtorm.Client], object]] = {
            "retrieve": lambda c: c.retrieve(record),
            "query, 1 row": lambda c: c.query("SELECT lastname FROM Contacts LIMIT 1;"),
            "revise": lambda c: c.revise({"id": record, "title": "T"}),
            "query, 100 rows": lambda c: c.query("SELECT * FROM Contacts;"),
        }
        print(f"{'call':<16} {'HTTP ms (best)':>16} {'in-process ms (best)':>22} {'ratio':>6}")
        for name, call in calls.items():
            over_http = timings_ms(lambda: call(http))  # noqa: B023 - used at once
            in_proc = timings_ms(lambda: call(local))  # noqa: B023 - used at once
            print(
                f"{name:<16} {over_http[0]:>8.3f} ({over_http[1]:.3f}) "
                f"{in_proc[0]:>12.3f} ({in_proc[1]:.3f}) {over_http[0] / in_proc[0]:>6.1f}"
            )
        http.close()
        local.close()


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
