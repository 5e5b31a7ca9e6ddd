"""The embedded CRM: a Vtiger-compatible web-service server for tests and offline work."""

import importlib as _importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtorm.testing.emulator import Emulator
    from vtorm.testing.inprocess import InProcessTransport

__all__ = ["Emulator", "InProcessTransport"]

# Imported on first use, like the names of ``vtorm`` itself: the pytest plugin
# lives in this package and must stay cheap to load.
_EXPORTS = {"Emulator": "vtorm.testing.emulator", "InProcessTransport": "vtorm.testing.inprocess"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vtorm.testing' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
