"""How long building model instances from one page of rows takes.

Reads ``tests/fixtures/page-Contacts-100.json`` (100 Contacts rows in the
shape a ``SELECT * FROM Contacts`` answer has) and prints the median and best
times of ``json.loads`` of the page, of building the 100 instances from the
parsed rows and of ``_changes()`` on each, then the ratio of building to the
9.4 ms a real Vtiger 8.4 server took to answer such a page.

Run: ``python tests/benchmarks/bench_hydration.py``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_models import Contacts  # noqa: E402

SERVER_MS = 9.4
ROUNDS = 300


def timings_ms(work: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """The median and the best wall time of ``work()`` in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> None:
    """Print the figures."""
    text = (HERE.parent / "fixtures" / "page-Contacts-100.json").read_text(encoding="utf-8")
    rows = json.loads(text)["result"]
    from_row = Contacts._from_row
    from_row(rows[0], None)  # compile the class's row builder outside the timing

    parse = timings_ms(lambda: json.loads(text))
    build = timings_ms(lambda: [from_row(row, None) for row in rows])
    objs = [from_row(row, None) for row in rows]
    changes = timings_ms(lambda: [obj._changes() for obj in objs])
    print(f"rows: {len(rows)}, fields per row: {len(rows[0])}")
    print("                                 median      best")
    print(f"json.loads of the page:        {parse[0]:7.3f} ms {parse[1]:7.3f} ms")
    print(f"build {len(rows)} instances:           {build[0]:7.3f} ms {build[1]:7.3f} ms")
    print(f"_changes() of each (clean):    {changes[0]:7.3f} ms {changes[1]:7.3f} ms")
    print(f"build / json.loads:            {build[0] / parse[0]:7.2f}")
    print(f"build / server answer ({SERVER_MS} ms): {build[0] / SERVER_MS:5.3f}")


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
