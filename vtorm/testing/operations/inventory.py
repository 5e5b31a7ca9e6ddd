"""retrieve_inventory: an inventory record with its line items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import Context, Fatal, operation

__all__ = ["INVENTORY_MODULES", "retrieve_inventory"]

INVENTORY_MODULES = frozenset({"Quotes", "SalesOrder", "Invoice", "PurchaseOrder"})


@operation("retrieve_inventory", method="GET")
def retrieve_inventory(ctx: Context, params: Mapping[str, str]) -> Any:
    """The record as retrieve answers it plus ``LineItems``.

    Stock 8.4 on PHP 8 answers every call with HTTP 500 and an empty body
    (the handler's signature does not match its registered parameters).
    The store keeps no line items, so ``LineItems`` is an empty list.
    """
    if ctx.crm.quirks == "8.4":
        raise Fatal("retrieve_inventory on stock 8.4")
    store = ctx.crm.store
    module, _, row = store.locate(params.get("id"))
    record = store.render(module, row, retrieve=True)
    record["LineItems"] = []
    return record
