"""The emulated web-service operations, one module per group.

Importing this package imports every module in it, and each registers its
operations into :data:`vtorm.testing.operations.base.OPERATIONS`.
"""

from __future__ import annotations

import importlib
import pkgutil

from vtorm.testing.operations.base import OPERATIONS, Operation

__all__ = ["OPERATIONS", "Operation", "load"]

_loaded = False


def load() -> dict[str, Operation]:
    """Import every operation module of this package (once) and return the registry."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if info.name != "base":
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return OPERATIONS
