"""The embedded CRM: a Vtiger-compatible web-service server for tests and offline work."""

from vtorm.testing.emulator import Emulator
from vtorm.testing.inprocess import InProcessTransport

__all__ = ["Emulator", "InProcessTransport"]
