"""pytest fixtures that give each test a fresh embedded CRM.

Installing vtorm registers this plugin: ``vtiger_emulator`` is a started
:class:`~vtorm.testing.Emulator` (stopped after the test) and
``vtiger_client`` a ``vtorm.Client`` logged in to it, which is also the
default client (``vtorm.connect``) for the test: models used without
``using()`` reach the test's own CRM. The previous default is restored after.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# Nothing of vtorm is imported until a test asks for a fixture: installing
# vtorm must not slow down every pytest run of its user.
if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.testing.emulator import Emulator


@pytest.fixture
def vtiger_emulator() -> Iterator[Emulator]:
    """A fresh, started emulator for one test (empty but for its users and groups)."""
    from vtorm.testing.emulator import Emulator

    crm = Emulator()
    crm.start()
    try:
        yield crm
    finally:
        crm.stop()


@pytest.fixture
def vtiger_client(vtiger_emulator: Emulator) -> Iterator[Client]:
    """A ``vtorm.Client`` logged in to the test's emulator, the default client for the test."""
    from vtorm.client import Client
    from vtorm.context import default_client

    client = Client(vtiger_emulator.url, vtiger_emulator.username, vtiger_emulator.access_key)
    try:
        client.login()
        with default_client(client):
            yield client
    finally:
        client.close()
