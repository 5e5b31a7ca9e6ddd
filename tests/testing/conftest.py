"""Fixtures of the emulator's own tests: a fresh emulator and a logged-in raw session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_wire import Wire

from vtorm.testing import Emulator


@pytest.fixture
def crm() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def wire(crm: Emulator) -> Iterator[Wire]:
    client = Wire(crm)
    assert client.login()["success"]
    yield client
    client.http.close()
