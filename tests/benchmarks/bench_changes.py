"""What a change feed costs: requests (and time) over 10,000 records with 1% changed.

Run: ``python tests/benchmarks/bench_changes.py``. Prints figures; asserts nothing.

For each emulator mode -- sync working (``quirks=None``, as on servers where it
runs) and sync broken like stock 8.4 (the query fallback) -- it seeds 10,000
Contacts, one per second over the last 10,000 seconds (so sync pages hold 100
records, as on a real server), reads them all with a feed, revises 100 of them
(1%), then reads the changes with and without a state file, and prints the
requests each feed sent, by operation, and its wall time.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_models import Contacts  # noqa: E402

import vtorm  # noqa: E402
from vtorm.testing import Emulator  # noqa: E402

RECORDS = 10_000
CHANGED = 100
_WIRE = "%Y-%m-%d %H:%M:%S"


def seed(crm: Emulator) -> None:
    """10,000 Contacts, one per second, the newest a minute ago."""
    store = crm.state.store
    start = int(time.time()) - 60 - RECORDS
    for i in range(RECORDS):
        stamp = time.strftime(_WIRE, time.gmtime(start + i))
        store.insert(
            "Contacts",
            {"lastname": f"Bench {i}", "assigned_user_id": "19x1", "createdtime": stamp,
             "modifiedtime": stamp},
            "19x1",
        )


def measure(crm: Emulator, label: str, feed: object) -> tuple[str, int]:
    """Read ``feed`` and print what it cost; returns its cursor and change count."""
    mark = len(crm.calls)
    started = time.perf_counter()
    changes = list(feed)  # type: ignore[call-overload]
    elapsed = time.perf_counter() - started
    sent = Counter(operation for operation, _ in crm.calls[mark:])
    detail = ", ".join(f"{op} {n}" for op, n in sorted(sent.items()))
    print(f"  {label:<34} {len(changes):>6} changes {sum(sent.values()):>5} requests "
          f"({detail}) {elapsed:6.2f} s")
    return feed.cursor, len(changes)  # type: ignore[attr-defined]


def run(quirks: str | None) -> None:
    """The figures for one mode."""
    name = "sync works (quirks=None)" if quirks is None else "stock 8.4 (query fallback)"
    print(f"{name}: {RECORDS} Contacts, {CHANGED} revised")
    with Emulator(quirks=quirks) as crm, tempfile.TemporaryDirectory() as tmp:
        seed(crm)
        client = vtorm.Client(crm.url, crm.username, crm.access_key)
        client.login()
        contacts = Contacts.objects.using(client)
        state = Path(tmp) / "feed.sqlite"
        cursor, _ = measure(crm, "first feed, with state", contacts.changes(state=state))
        ids = [c.id for c in contacts.only("id")]
        for wsid in random.Random(1).sample(ids, CHANGED):
            client.revise({"id": wsid, "title": "changed"})
        measure(crm, "1% changed, with state", contacts.changes(since=cursor, state=state))
        measure(crm, "1% changed, without state", contacts.changes(since=cursor))
        again, _ = measure(crm, "(the same, read again)", contacts.changes(since=cursor))
        measure(crm, "nothing changed, without state", contacts.changes(since=again))
        client.close()
    print()


def main() -> None:
    """Print the figures of both modes."""
    for quirks in (None, "8.4"):
        run(quirks)


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
