"""retrieve_inventory: an inventory record with its line items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import Context, Fatal, operation
from vtorm.testing.operations.lineitems import INVENTORY_MODULES, items_of

__all__ = ["INVENTORY_MODULES", "retrieve_inventory"]


@operation("retrieve_inventory", method="GET")
def retrieve_inventory(ctx: Context, params: Mapping[str, str]) -> Any:
    """The record as retrieve answers it plus ``LineItems`` (empty for other modules).

    Stock 8.4 on PHP 8 answers every call with HTTP 500 and an empty body
    (the handler's signature does not match its registered parameters).
    """
    if ctx.crm.quirks == "8.4":
        raise Fatal("retrieve_inventory on stock 8.4")
    store = ctx.crm.store
    module, crmid, row = store.locate(params.get("id"))
    record = store.render(module, row, retrieve=True)
    record["LineItems"] = items_of(store, module, crmid) if module in INVENTORY_MODULES else []
    return record
