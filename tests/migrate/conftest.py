"""Fixtures of the migration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import vtorm
from vtorm.testing import Emulator


@pytest.fixture
def target() -> Iterator[tuple[Emulator, vtorm.Client]]:
    """A second, empty emulator and a logged-in client of it."""
    with Emulator() as crm, vtorm.Client(crm.url, crm.username, crm.access_key) as client:
        client.login()
        yield crm, client
