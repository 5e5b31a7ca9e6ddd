"""Code generator figures: generation time, and import time of the generated module.

Run: ``python tests/benchmarks/bench_codegen.py``. Prints figures; asserts nothing.

- rendering the 35 stock modules from the parsed schema (median of 20);
- reading the stock dump and rendering it (median of 20);
- ``vtorm codegen`` against the embedded CRM over HTTP, login and 35 describes included;
- importing the generated module in a fresh interpreter, ``vtorm`` already imported
  (the cost the models add to a program), median of 5 (goal: well under a second).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vtorm.codegen.render import render
from vtorm.codegen.schema import SourceInfo
from vtorm.codegen.source import fetch_raw, from_dump, from_raw

from vtorm.client import Client
from vtorm.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
STOCK = ROOT / "vtorm" / "testing" / "schema"
DATE = datetime.date(2026, 11, 29)

IMPORT_TIMER = """
import sys, time
import vtorm, vtorm.model
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
import crm_models
print(time.perf_counter() - start)
"""


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    schema = from_dump(STOCK)
    fields = sum(len(module.fields) for module in schema.modules)
    print(f"stock schema: {len(schema.modules)} modules, {fields} fields")
    print(f"render:                 {median_ms(lambda: render(schema, date=DATE), 20):8.1f} ms")
    read_and_render = median_ms(lambda: render(from_dump(STOCK), date=DATE), 20)
    print(f"read dump + render:     {read_and_render:8.1f} ms")

    with Emulator() as crm:

        def live() -> str:
            with Client(crm.url, crm.username, crm.access_key) as client:
                raw = fetch_raw(client)
            return render(from_raw(raw, SourceInfo(crm.url)), date=DATE)

        print(f"live (emulator) + render: {median_ms(live, 5):6.1f} ms")

    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "crm_models.py").write_text(render(schema, date=DATE), "utf-8")
        imports = []
        for _ in range(5):
            out = subprocess.run(
                [sys.executable, "-c", IMPORT_TIMER, directory],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            imports.append(float(out) * 1000)
        print(f"import generated module: {statistics.median(imports):7.1f} ms (35 classes)")


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
