"""Injected faults: the ways a real CRM and the network between misbehave."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS = frozenset({"drop", "drop_after", "http500", "html", "notice", "delay"})


@dataclass
class Fault:
    """One injected fault: ``remaining`` matching requests left (None: unlimited)."""

    kind: str
    operation: str | None
    remaining: int | None
    delay: float


class FaultPlan:
    """The faults waiting for requests, consumed in the order they were injected."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, operation: str | None, times: int | None, delay: float) -> None:
        """Queue a fault; see :meth:`vtorm.testing.Emulator.inject`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        if delay < 0:
            raise ValueError("delay must not be negative")
        op = operation.lower() if operation else None
        with self._lock:
            self._faults.append(Fault(kind, op, times, delay))

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, operation: str | None) -> Fault | None:
        """The fault the request for ``operation`` meets, if any (consuming one use)."""
        if not self._faults:
            return None
        op = operation.lower() if operation else None
        with self._lock:
            for fault in self._faults:
                if fault.operation is None or fault.operation == op:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None
