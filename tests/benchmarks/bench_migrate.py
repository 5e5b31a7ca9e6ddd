"""Data migrations: import speed with workers, lookups per row, and memory for 100k rows.

1. Speed. Imports the same Contacts (keyed by email) into a fresh embedded
   CRM whose creates answer 20 ms late (a remote CRM's latency), with one
   worker, then with eight. Prints both wall times, the speed-up (goal: 8
   workers at least 5x one), and the lookup queries per 100 rows (goal: at
   most one).
2. Memory. Runs ``vtorm import`` and ``vtorm export`` as child processes on
   10,000 and 100,000 rows and prints each one's peak resident memory (goal:
   flat in the number of rows).

Each CRM runs in a child process, as a remote CRM would: its work does not
share the client's interpreter lock.

Run: ``python tests/benchmarks/bench_migrate.py [--rows 10000] [--delay 0.02]
[--rss-rows 100000] [--skip-speed] [--skip-memory]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from crm_child import crm_in_child  # noqa: E402
from crm_models import Contacts  # noqa: E402

import vtorm  # noqa: E402
from vtorm.migrate import import_records  # noqa: E402

# Runs a command and prints the peak resident memory of its process tree's largest member.
_PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""


class Operations:
    """Counts the requests a client sends, per operation (a response hook)."""

    def __init__(self, client: vtorm.Client) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        client.session.hooks["response"].append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method == "GET":
            params = dict(parse_qsl(urlsplit(request.url or "").query))
        else:
            body = request.body or ""
            params = dict(parse_qsl(body.decode() if isinstance(body, bytes) else str(body)))
        name = params.get("operation", "?")
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1


def people(n: int) -> list[dict[str, Any]]:
    """``n`` distinct Contacts rows keyed by email."""
    return [
        {"firstname": f"First{i}", "lastname": f"Last{i}", "email": f"person{i}@example.com"}
        for i in range(n)
    ]


def timed_import(rows: int, delay: float, workers: int) -> tuple[float, float]:
    """(seconds, lookup queries per 100 rows) of one import into a fresh CRM."""
    with crm_in_child(create_delay=delay) as crm:
        client = vtorm.Client(*crm)
        client.login()  # outside the timing and the count
        sent = Operations(client)
        start = time.perf_counter()
        counts = import_records(Contacts, people(rows), key=["email"], client=client,
                                workers=workers)  # fmt: skip
        elapsed = time.perf_counter() - start
        client.close()
    if counts.created != rows:
        raise SystemExit(f"expected {rows} created, got {counts.as_dict()}")
    return elapsed, 100 * sent.counts.get("query", 0) / rows


def peak_mb(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak resident MB, seconds) of ``command`` run as a child process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, *command], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    kilobytes, status = done.stdout.split()
    if status != "0":
        raise SystemExit(f"{command} exited {status}")
    return int(kilobytes) / 1024, elapsed


def memory(rows: int, folder: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """Peak RSS and time of importing then exporting ``rows`` Contacts through the commands."""
    source = folder / f"people-{rows}.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for i in range(rows):
            handle.write(json.dumps({"lastname": f"Last{i}", "email": f"p{i}@example.com"}) + "\n")
    with crm_in_child() as (url, username, access_key):
        env = {**os.environ, "VTIGER_URL": url, "VTIGER_USERNAME": username,
               "VTIGER_ACCESS_KEY": access_key}  # fmt: skip
        vtorm_command = [sys.executable, "-m", "vtorm"]
        imported = peak_mb([*vtorm_command, "import", "Contacts", "--in", str(source),
                            "--key", "email", "--workers", "8", "--quiet"], env)  # fmt: skip
        exported = peak_mb([*vtorm_command, "export", "Contacts", "--out",
                            str(folder / f"out-{rows}.jsonl"), "--quiet"], env)  # fmt: skip
    written = sum(1 for _ in (folder / f"out-{rows}.jsonl").open(encoding="utf-8"))
    if written != rows:
        raise SystemExit(f"exported {written} of {rows} rows")
    return imported, exported


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="Contacts per speed run")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added to a create")
    parser.add_argument("--rss-rows", type=int, default=100_000, help="rows of the memory run")
    parser.add_argument("--skip-speed", action="store_true", help="only the memory figures")
    parser.add_argument("--skip-memory", action="store_true", help="only the speed figures")
    args = parser.parse_args()
    if not args.skip_speed:
        one, one_lookups = timed_import(args.rows, args.delay, 1)
        eight, eight_lookups = timed_import(args.rows, args.delay, 8)
        print(f"import of {args.rows} Contacts keyed by email, {args.delay * 1000:.0f} ms added "
              "per create, CRM in a child process")  # fmt: skip
        print(f"{'':28}{'1 worker':>12}{'8 workers':>12}")
        print(f"{'wall time (s)':28}{one:>12.1f}{eight:>12.1f}")
        print(f"{'rows per second':28}{args.rows / one:>12.1f}{args.rows / eight:>12.1f}")
        print(f"{'lookup queries per 100 rows':28}{one_lookups:>12.2f}{eight_lookups:>12.2f}")
        print(f"speed-up: {one / eight:.1f}x (goal: at least 5x; at most 1 query per 100 rows)")
    if not args.skip_memory:
        sizes = sorted({min(10_000, args.rss_rows), args.rss_rows})
        with tempfile.TemporaryDirectory() as folder:
            figures = {n: memory(n, Path(folder)) for n in sizes}
        print("peak resident memory of the commands (CRM in a child process, 8 workers)")
        print(f"{'rows':>10}{'import MB':>12}{'import s':>10}{'export MB':>12}{'export s':>10}")
        for n, ((imp_mb, imp_s), (exp_mb, exp_s)) in figures.items():
            print(f"{n:>10}{imp_mb:>12.1f}{imp_s:>10.1f}{exp_mb:>12.1f}{exp_s:>10.1f}")


if __name__ == "__main__":
    main()
