"""In which order modules are copied, and which references wait for a second pass.

A record can only refer to a record that exists, so a module is copied after
the modules its reference fields point to (describe's ``refersTo``). A
reference to the module itself (Accounts "Member Of", Contacts "Reports To")
and one edge of each cycle between modules cannot be ordered: those fields
are left empty when records are created and filled in a second pass, once
every module is copied. A cycle is broken at a field that is not mandatory.
"""

from __future__ import annotations

import graphlib
import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from vtorm.migrate.rows import UsageError

if TYPE_CHECKING:
    from vtorm import FieldInfo, Model

__all__ = ["CopyPlan", "plan_copy"]


@attrs.frozen
class CopyPlan:
    """Modules in copy order; per module, the wire names of the fields filled later."""

    order: tuple[str, ...]
    deferred: Mapping[str, frozenset[str]]


def _references(model: type[Model]) -> list[FieldInfo]:
    return [
        info
        for info in model._meta.fields.values()
        if info.type == "reference" and info.editable and info.wire != "id"
    ]


def plan_copy(models: Mapping[str, type[Model]], modules: Sequence[str]) -> CopyPlan:
    """The order of ``modules`` and their deferred fields, from the models' references."""
    chosen = set(modules)
    deferred: dict[str, set[str]] = {m: set() for m in modules}
    # edges[m][r]: the fields of m that refer to r
    edges: dict[str, dict[str, list[FieldInfo]]] = {m: {} for m in modules}
    for module in modules:
        for info in _references(models[module]):
            targets = set(info.refers_to) & chosen
            if module in targets:
                deferred[module].add(info.wire)
                continue
            for target in targets:
                edges[module].setdefault(target, []).append(info)
    while True:
        sorter = graphlib.TopologicalSorter({m: set(edges[m]) for m in modules})
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            cycle: list[str] = exc.args[1]
            _break(cycle, edges, deferred)
            continue
        order: list[str] = []
        while sorter.is_active():
            # Among the modules ready, the user's order.
            for module in sorted(sorter.get_ready(), key=modules.index):
                order.append(module)
                sorter.done(module)
        return CopyPlan(tuple(order), {m: frozenset(f) for m, f in deferred.items()})


def _break(
    cycle: list[str], edges: dict[str, dict[str, list[FieldInfo]]], deferred: dict[str, set[str]]
) -> None:
    """Defer the fields of one edge of ``cycle`` (given as ``[a, b, ..., a]``)."""
    pairs = list(itertools.pairwise(cycle))
    # graphlib lists a cycle as dependency -> dependent, or the reverse: try both.
    candidates = [(a, b) for a, b in pairs if b in edges[a]] + [
        (b, a) for a, b in pairs if a in edges[b]
    ]
    for module, target in candidates:
        fields = edges[module][target]
        if not any(info.mandatory for info in fields):
            deferred[module].update(info.wire for info in fields)
            del edges[module][target]
            return
    raise UsageError(
        "the modules " + ", ".join(dict.fromkeys(cycle))
        + " refer to each other through mandatory fields only; they cannot be copied in "
        "any order"
    )
