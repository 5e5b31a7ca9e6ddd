"""Line items of the inventory records (Quotes, SalesOrder, Invoice, PurchaseOrder).

A stock 8.4 cannot create an inventory record through the web service at all
(every create with ``LineItems`` answers ``INVALID_ID_ATTRIBUTE``); without
the quirks the emulator does what Vtiger was designed to do: the
``LineItems`` of a create, update or revise are kept as records of the
``LineItem`` module (their own numbering, ids ``33x<n>``), in the order sent,
replacing the record's earlier ones; the answers of create, update, revise,
retrieve and ``retrieve_inventory`` list them under ``LineItems``; the
record's ``hdnSubTotal``, ``pre_tax_total`` and ``hdnGrandTotal`` are summed
from them (taxes are not computed).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from vtorm.testing.operations.base import WsError
from vtorm.testing.schema import ModuleSchema
from vtorm.testing.store import Store
from vtorm.testing.values import coerce, format_decimal, php_float, php_text

__all__ = ["INVENTORY_MODULES", "coerce_items", "items_of", "keep_items"]

INVENTORY_MODULES = frozenset({"Quotes", "SalesOrder", "Invoice", "PurchaseOrder"})

MODULE = "LineItem"
MISSING = "Mandatory Fields Missing.."
# Decimal places of the line-item columns the server keeps (quantity is DECIMAL(25,3)).
_PLACES = {"quantity": 3, "discount_percent": 3, "tax1": 3, "tax2": 3, "tax3": 3}


def coerce_items(
    store: Store, schemas: Mapping[str, ModuleSchema], items: Any
) -> list[dict[str, Any]]:
    """The line items sent, checked and in stored form; raises before anything is written.

    ``items`` must be a non-empty list of objects, each naming a product or
    service (``productid``) and a quantity; a missing list price is the
    product's unit price.
    """
    schema = schemas.get(MODULE)
    if not isinstance(items, list) or not items or schema is None:
        raise WsError("MANDATORY_FIELDS_MISSING", MISSING)
    out: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise WsError("MANDATORY_FIELDS_MISSING", MISSING)
        values: dict[str, Any] = {}
        for name in ("productid", "quantity"):
            if php_text(item.get(name)).strip() == "":
                raise WsError("MANDATORY_FIELDS_MISSING", f"{name} does not have a value")
        for name, raw in item.items():
            field = schema.fields.get(name)
            if field is None or not field.editable or name in ("id", "parent_id"):
                continue
            if name in _PLACES:
                values[name] = format_decimal(php_float(php_text(raw)), _PLACES[name])
            else:
                values[name] = coerce(field, raw, store.prefixes)
        if php_text(item.get("listprice")).strip() == "":
            values["listprice"] = _unit_price(store, values["productid"])
        out.append(values)
    return out


def _unit_price(store: Store, product: str) -> str:
    _, _, number = product.partition("x")
    found = store.get(int(number)) if number.isdigit() else None
    price = found[1].get("unit_price") if found is not None else None
    return format_decimal(php_float(price or "0"), 8)


def keep_items(
    store: Store,
    schema: ModuleSchema,
    crmid: int,
    items: Sequence[Mapping[str, Any]],
    user: str | None,
) -> None:
    """Replace the line items of the record ``crmid`` and sum its totals from them."""
    table = store.layouts[MODULE].table
    parent = store.wsid(schema.name, crmid)
    with store.lock:
        store.conn.execute(f'DELETE FROM {table} WHERE "parent_id" = ?', (parent,))
        last = store.conn.execute(f"SELECT max(crmid) FROM {table}").fetchone()[0] or 0
    subtotal = Decimal(0)
    for sequence, item in enumerate(items, start=1):
        row = {**item, "parent_id": parent, "sequence_no": str(sequence), "incrementondel": "0"}
        store.insert_plain(MODULE, last + sequence, row)
        gross = php_float(item.get("quantity") or "0") * php_float(item.get("listprice") or "0")
        discount = php_float(item.get("discount_amount") or "0")
        discount += gross * php_float(item.get("discount_percent") or "0") / 100
        subtotal += gross - discount
    store.update(schema.name, crmid, _totals(schema, store, crmid, subtotal), user)


def _totals(schema: ModuleSchema, store: Store, crmid: int, subtotal: Decimal) -> dict[str, str]:
    row = store.fetch(schema.name, crmid) or {}

    def number(name: str) -> Decimal:
        return php_float(row.get(name) or "0")

    pre_tax = subtotal - number("hdnDiscountAmount") - subtotal * number("hdnDiscountPercent") / 100
    grand = pre_tax + number("hdnS_H_Amount") + number("txtAdjustment")
    totals = {"hdnSubTotal": subtotal, "pre_tax_total": pre_tax, "hdnGrandTotal": grand}
    return {
        name: format_decimal(value, 8) for name, value in totals.items() if name in schema.fields
    }


def items_of(store: Store, module: str, crmid: int) -> list[dict[str, Any]]:
    """The line items of the record ``crmid``, in order, as the server answers them."""
    if MODULE not in store.layouts:
        return []
    layout = store.layouts[MODULE]
    columns = ", ".join('"' + name.replace('"', '""') + '"' for name in layout.names)
    names, rows = store.execute_raw(
        f'SELECT {columns} FROM {layout.table} WHERE "parent_id" = ?'
        ' ORDER BY CAST("sequence_no" AS INTEGER), crmid',
        (store.wsid(module, crmid),),
    )
    out: list[dict[str, Any]] = []
    for values in rows:
        row = dict(zip(names, values, strict=True))
        item = store.render(MODULE, row)
        product = str(row.get("productid") or "")
        _, _, number = product.partition("x")
        found = store.get(int(number)) if number.isdigit() else None
        if found is not None:
            item.update(
                product_name=html.unescape(store.label(found[0], found[1])),
                entity_type=found[0],
                deleted="0",
            )
        else:
            item.update(product_name="", entity_type="", deleted="1")
        out.append(item)
    return out
