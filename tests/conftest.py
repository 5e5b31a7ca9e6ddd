"""Fixtures shared by the whole suite (the emulator's own come from vtorm's pytest plugin)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from vtorm.testing import Emulator

# The machines that run the suite are shared and noisy: a property is judged by
# what it checks, never by how long one example took.
settings.register_profile("vtorm", deadline=None)
settings.load_profile("vtorm")


@pytest.fixture
def crm(vtiger_emulator: Emulator) -> Emulator:
    """A fresh embedded CRM, under the short name the tests use."""
    return vtiger_emulator
