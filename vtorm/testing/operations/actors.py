"""Currency and Tax: records outside the entity modules that an administrator may write.

On 8.4 an administrator can create a Currency (it needs ``defaultid`` and
``deleted``) and a Tax (named ``tax<n>`` by the server, whatever is sent;
its label and percentage are kept although describe calls them read-only),
and delete both. Each has its own numbering (``21x2``, ``34x4``). A deleted
Currency is gone for retrieve and query; a deleted Tax is still retrieved,
with ``deleted`` "1", and no longer listed by query. Anyone else is refused,
as for every other module outside the entity ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from vtorm.testing.operations.base import Context, access_denied
from vtorm.testing.schema import ModuleSchema
from vtorm.testing.values import format_decimal, php_float, php_text

__all__ = ["WRITABLE", "create_actor", "delete_actor", "is_gone"]

WRITABLE = frozenset({"Currency", "Tax"})


def _allowed(ctx: Context, module: str) -> bool:
    return module in WRITABLE and ctx.user is not None and ctx.user.is_admin


def _next_number(ctx: Context, module: str) -> int:
    rows = ctx.crm.store.execute(f"SELECT max(crmid) AS last FROM {_table(ctx, module)}")
    return int(rows[0]["last"] or 0) + 1 if rows else 1


def _table(ctx: Context, module: str) -> str:
    return ctx.crm.store.layouts[module].table


def _text(element: Mapping[str, Any], name: str) -> str:
    return php_text(element.get(name)).strip()


def _decimal(element: Mapping[str, Any], name: str, places: int) -> str:
    text = _text(element, name)
    return format_decimal(php_float(text) if text else Decimal(0), places)


def create_actor(ctx: Context, schema: ModuleSchema, element: Mapping[str, Any]) -> int:
    """Create a Currency or a Tax for an administrator; returns its number."""
    module = schema.name
    if not _allowed(ctx, module):
        raise access_denied()
    number = _next_number(ctx, module)
    if module == "Currency":
        values: dict[str, Any] = {
            "currency_name": _text(element, "currency_name"),
            "currency_code": _text(element, "currency_code"),
            "currency_symbol": _text(element, "currency_symbol"),
            "conversion_rate": _decimal(element, "conversion_rate", 5),
            "currency_status": _text(element, "currency_status"),
            "defaultid": _text(element, "defaultid"),
            "deleted": _text(element, "deleted") or "0",
        }
    else:
        values = {
            "taxname": f"tax{number}",
            "taxlabel": _text(element, "taxlabel"),
            "percentage": _decimal(element, "percentage", 3),
            "deleted": "0",
            "method": "Simple",
            "type": "Fixed",
            "compoundon": "[]",
            "regions": "[]",
        }
    ctx.crm.store.insert_plain(module, number, values)
    return number


def delete_actor(ctx: Context, module: str, number: int) -> None:
    """Delete a Currency or a Tax (it is marked deleted) for an administrator."""
    if not _allowed(ctx, module):
        raise access_denied()
    ctx.crm.store.update(module, number, {"deleted": "1"}, None)


def is_gone(module: str, row: Mapping[str, Any]) -> bool:
    """Whether retrieve refuses this row: a deleted Currency."""
    return module == "Currency" and str(row.get("deleted") or "0") != "0"
