"""The embedded CRM: a Vtiger-compatible web-service server for tests and offline work."""

from vtorm.testing.emulator import Emulator

__all__ = ["Emulator"]
