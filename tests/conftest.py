"""Fixtures shared by the whole suite (the emulator's own come from vtorm's pytest plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from recording import Sent, make_client

import vtorm
from vtorm import context
from vtorm.testing import Emulator

# The machines that run the suite are shared and noisy: a property is judged by
# what it checks, never by how long one example took.
settings.register_profile("vtorm", deadline=None)
settings.load_profile("vtorm")


@pytest.fixture
def crm(vtiger_emulator: Emulator) -> Emulator:
    """A fresh embedded CRM, under the short name the tests use."""
    return vtiger_emulator


@pytest.fixture
def client(crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[vtorm.Client]:
    """A logged-in client of ``crm`` (in-process, no socket), the default client for the test."""
    c = make_client(crm)
    monkeypatch.setattr(context, "_default", c)  # restored after the test
    yield c
    c.close()


@pytest.fixture
def sent(client: vtorm.Client) -> Sent:
    """The requests ``client`` sends during the test."""
    return Sent(client)
