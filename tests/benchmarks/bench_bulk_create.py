"""bulk_create of many Contacts over a slow network: sequential against concurrent.

Starts the embedded CRM, makes every ``create`` answer 20 ms late (a remote
CRM's latency), and creates the same number of Contacts twice: with one
worker, then with eight. Prints both wall times side by side, the speed-up,
and the requests sent per object (counted with a response hook on the
client's session). The goal: eight workers at least 5x faster than one, and
exactly one request per object.

The CRM runs in a child process, as a remote CRM would: its work does not
share the client's interpreter lock. ``--in-process`` runs it in a thread of
the benchmark instead (then the server's own CPU time caps the speed-up).

Run: ``python tests/benchmarks/bench_bulk_create.py [--count 1000] [--delay 0.02]``
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_child import crm_in_child  # noqa: E402
from crm_models import Contacts  # noqa: E402

import vtorm  # noqa: E402
from vtorm.testing import Emulator  # noqa: E402


class Counter:
    """Counts the responses the client receives (one per request sent)."""

    def __init__(self, client: vtorm.Client) -> None:
        self.count = 0
        self._lock = threading.Lock()
        client.session.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.count += 1


@contextlib.contextmanager
def crm_at(delay: float, in_process: bool) -> Iterator[tuple[str, str, str]]:
    """``(url, username, access_key)`` of a CRM whose creates answer ``delay`` s late."""
    if in_process:
        with Emulator() as crm:
            crm.inject("delay", operation="create", times=None, delay=delay)
            yield crm.url, crm.username, crm.access_key
        return
    with crm_in_child(create_delay=delay) as crm:
        yield crm


def run(crm: tuple[str, str, str], count: int, workers: int) -> tuple[float, float, int]:
    """(seconds, requests per object, objects created) of one bulk_create."""
    client = vtorm.Client(*crm)
    client.login()  # outside the timing and the count
    counter = Counter(client)
    objs = [
        Contacts(lastname=f"Bench{workers}-{i}", assigned_user_id="19x1") for i in range(count)
    ]
    start = time.perf_counter()
    result = Contacts.objects.using(client).bulk_create(objs, workers=workers)
    elapsed = time.perf_counter() - start
    sent = counter.count
    client.close()
    if not result.ok:
        raise SystemExit(f"{len(result.failed)} objects failed: {result.failed[0][1]}")
    return elapsed, sent / count, len(result.succeeded)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="Contacts per run")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added to a create")
    parser.add_argument("--workers", type=int, default=8, help="workers of the concurrent run")
    parser.add_argument(
        "--in-process", action="store_true", help="run the CRM in this process (a thread)"
    )
    args = parser.parse_args()
    with crm_at(args.delay, args.in_process) as crm:
        seq, seq_rate, seq_made = run(crm, args.count, 1)
        par, par_rate, par_made = run(crm, args.count, args.workers)
    where = "in this process" if args.in_process else "in a child process"
    print(
        f"bulk_create of {args.count} Contacts, {args.delay * 1000:.0f} ms added per create, "
        f"CRM {where}"
    )
    print(f"{'':24}{'1 worker':>14}{f'{args.workers} workers':>14}")
    print(f"{'wall time (s)':24}{seq:>14.2f}{par:>14.2f}")
    print(f"{'objects per second':24}{seq_made / seq:>14.1f}{par_made / par:>14.1f}")
    print(f"{'requests per object':24}{seq_rate:>14.3f}{par_rate:>14.3f}")
    print(f"speed-up: {seq / par:.1f}x (goal: at least 5x; exactly 1 request per object)")


if __name__ == "__main__":
    main()
