"""How long building model instances from one page of rows takes.

Reads ``tests/fixtures/page-Contacts-100.json`` (100 Contacts rows in the
shape a ``SELECT * FROM Contacts`` answer has) and prints the median time of
``json.loads`` of the page, of building the 100 instances from the parsed rows,
and the ratio of the latter to the 9.4 ms a real Vtiger 8.4 server took to
answer such a page.

Run: ``python tests/benchmarks/bench_hydration.py``
"""

from __future__ import annotations

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


def median_ms(work: Callable[[], object], rounds: int = ROUNDS) -> float:
    """The median wall time of ``work()`` in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Print the figures."""
    text = (HERE.parent / "fixtures" / "page-Contacts-100.json").read_text(encoding="utf-8")
    rows = json.loads(text)["result"]
    from_row = Contacts._from_row
    from_row(rows[0], None)  # compile the class's row builder outside the timing

    parse = median_ms(lambda: json.loads(text))
    build = median_ms(lambda: [from_row(row, None) for row in rows])
    changes = median_ms(lambda: [obj._changes() for obj in [from_row(r, None) for r in rows]])
    print(f"rows: {len(rows)}, fields per row: {len(rows[0])}")
    print(f"json.loads of the page:          {parse:7.3f} ms")
    print(f"build {len(rows)} instances:             {build:7.3f} ms")
    print(f"build + _changes() of each:      {changes:7.3f} ms")
    print(f"build / json.loads:              {build / parse:7.2f}")
    print(f"build / server answer ({SERVER_MS} ms): {build / SERVER_MS:7.3f}")


if __name__ == "__main__":
    main()
