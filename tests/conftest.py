"""Fixtures shared by the whole suite (the emulator's own come from vtorm's pytest plugin)."""

from __future__ import annotations

import pytest

from vtorm.testing import Emulator


@pytest.fixture
def crm(vtiger_emulator: Emulator) -> Emulator:
    """A fresh embedded CRM, under the short name the tests use."""
    return vtiger_emulator
