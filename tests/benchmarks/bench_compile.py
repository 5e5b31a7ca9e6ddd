"""Compile time of typical querysets (goal: a typical one under 20 microseconds).

Run: ``python tests/benchmarks/bench_compile.py``. Prints figures; asserts nothing.
"Compile" is everything between the user's call and the first statement's text:
building the queryset (names checked, values converted and quoted) and
writing the statement. Nothing is sent.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_models import Contacts

from vtorm import Q


def typical() -> str:
    return str(Contacts.objects.filter(lastname__like="Sm%").order_by("email")[:50].query)


def two_filters() -> str:
    qs = Contacts.objects.filter(lastname="O'Brien").exclude(firstname="Seán")
    return str(qs.order_by("lastname", "-firstname")[:10].query)


def boolean_tree() -> str:
    q = (Q(lastname="Smith") | Q(lastname__startswith="Sm")) & ~Q(title__in=["CTO", "CEO"])
    return str(Contacts.objects.filter(q).query)


def typed_values() -> str:
    qs = Contacts.objects.filter(birthday__gte="1980-01-01", account_id="11x2")
    return str(qs.query)


def in_100_ids() -> str:
    ids = [f"12x{n}" for n in range(1, 101)]
    return str(Contacts.objects.filter(id__in=ids).query)


def statement_only() -> str:
    # The filter is resolved already (names checked, values converted):
    # only the normal form, the ordering plan and the text are redone.
    query = _BUILT.query
    return str(query.with_where(query.where))


_BUILT = Contacts.objects.filter(lastname__like="Sm%").order_by("email")[:50]


def measure(name: str, func: Callable[[], str]) -> None:
    func()  # warm the per-model caches
    runs = 20000 if name != "in_100_ids" else 2000
    # CPU time of this process, so that other work on the machine counts less.
    best = min(timeit.repeat(func, number=runs, repeat=5, timer=time.process_time)) / runs
    print(f"{name:<15} {best * 1e6:8.2f} us   {func()[:80]}")


def main() -> None:
    print(f"Python {sys.version.split()[0]}; best of 5 runs of CPU time, per queryset")
    print("(building the queryset from Contacts.objects and writing its first statement)")
    for name, func in [
        ("typical", typical),
        ("two_filters", two_filters),
        ("boolean_tree", boolean_tree),
        ("typed_values", typed_values),
        ("in_100_ids", in_100_ids),
        ("statement_only", statement_only),
    ]:
        measure(name, func)


if __name__ == "__main__":
    # No options: --help shows what the script measures instead of running it.
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
