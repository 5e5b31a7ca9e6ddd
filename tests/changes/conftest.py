"""Fixtures of the change-feed tests: an emulator in each sync mode, a frozen clock, a replica."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from recording import make_client

import vtorm
from vtorm import context
from vtorm.changes import Change
from vtorm.testing import Emulator

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the generated crm_models module lives there

# The emulator without quirks runs sync; like stock 8.4 it answers every sync with a 500.
MODES = {"sync": None, "stock-8.4": "8.4"}


@pytest.fixture(params=list(MODES), ids=list(MODES))
def feed_crm(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """An emulator whose sync works (``sync``) or fails like stock 8.4 (``stock-8.4``)."""
    with Emulator(quirks=MODES[request.param]) as crm:
        yield crm


@pytest.fixture
def feed_client(feed_crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[vtorm.Client]:
    """A logged-in client of ``feed_crm``, also the default client."""
    client = make_client(feed_crm)
    monkeypatch.setattr(context, "_default", client)
    yield client
    client.close()


@pytest.fixture
def sync_crm() -> Iterator[Emulator]:
    """An emulator whose sync works."""
    with Emulator(quirks=None) as crm:
        yield crm


@pytest.fixture
def stock_crm() -> Iterator[Emulator]:
    """An emulator whose sync fails like stock 8.4's."""
    with Emulator() as crm:
        yield crm


@pytest.fixture
def sync_client(sync_crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[vtorm.Client]:
    """A logged-in client of ``sync_crm``, also the default client."""
    client = make_client(sync_crm)
    monkeypatch.setattr(context, "_default", client)
    yield client
    client.close()


@pytest.fixture
def stock_client(stock_crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[vtorm.Client]:
    """A logged-in client of ``stock_crm``, also the default client."""
    client = make_client(stock_crm)
    monkeypatch.setattr(context, "_default", client)
    yield client
    client.close()


def syncs(crm: Emulator) -> bool:
    """Whether ``crm`` runs sync."""
    return crm.quirks is None


class FrozenClock:
    """The emulator's clock held at one second, moved on only by :meth:`tick`."""

    def __init__(self, crm: Emulator) -> None:
        self.crm = crm
        self.moment = float(int(crm.state.now()))

    def now(self) -> float:
        return self.moment

    def tick(self, seconds: int = 1) -> None:
        """Move the frozen clock on by ``seconds``."""
        self.moment += seconds


@contextmanager
def frozen_clock(crm: Emulator) -> Iterator[FrozenClock]:
    """Every write ``crm`` stamps inside the block gets the same second, until a tick."""
    store = crm.state.store
    clock = FrozenClock(crm)
    store.clock = clock.now
    try:
        yield clock
    finally:
        store.clock = crm.state.now
        crm.state.advance(clock.moment - crm.state.now())  # time never runs backwards


def fields(record: Any) -> dict[str, Any]:
    """Every field value of a record, by attribute name."""
    return {name: getattr(record, name) for name in type(record)._meta.fields}


class Replica:
    """A copy of a set of records kept up to date by applying change feeds."""

    def __init__(self, *, strict: bool = True) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.applied: list[tuple[str, str]] = []
        # A filtered feed reports a record that enters the filter as updated.
        self.strict = strict

    def apply(self, changes: Any) -> list[Change[Any]]:
        """Apply every change of ``changes`` (a feed or a list); returns them."""
        seen = []
        for change in changes:
            seen.append(change)
            self.applied.append((change.kind, change.id))
            if change.kind == "deleted":
                assert change.record is None
                self.records.pop(change.id, None)
            else:
                assert change.record is not None and change.record.id == change.id
                if change.kind == "created":
                    assert change.id not in self.records, f"{change.id} created twice"
                elif self.strict:
                    assert change.id in self.records, f"{change.id} updated, never created"
                self.records[change.id] = fields(change.record)
        return seen


def crm_records(queryset: Any) -> dict[str, dict[str, Any]]:
    """Every record ``queryset`` selects now, as the replica keeps them."""
    return {record.id: fields(record) for record in queryset.iterator()}

