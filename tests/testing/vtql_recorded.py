"""The recorded queries of a real Vtiger 8.4 and a store holding the data they ran against."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vtorm.testing.schema import ModuleSchema, load_schemas
from vtorm.testing.store import Store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"

# The SELECT * answers that hold the records every other recorded query ran against.
_SEEDS = {
    "Accounts": "query-accounts-all",
    "Contacts": "query-select-star-contacts",
    "Potentials": "query-potentials-all",
    "Products": "query-products-all",
    "HelpDesk": "query-helpdesk-all",
    "Leads": "query-leads-star-no-limit",
}
# Leads 10x132..10x164 ("Bulk Lead 098".."Bulk Lead 130") are past the first 100
# rows of the recorded SELECT *; their status follows the crmid (mod 3) as the others'.
_BULK_STATUS = {0: "Cold", 1: "Hot", 2: "Warm"}


def body(name: str) -> Any:
    """A recorded response body (decoded JSON)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def recorded_queries() -> dict[str, str]:
    """File name -> VTQL text of every recorded GET query with a JSON answer."""
    index = json.loads((FIXTURES / "INDEX.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for name, entry in sorted(index.items()):
        request = entry["request"]
        if not name.startswith("query-") or request["method"] != "GET":
            continue
        if entry["file"].endswith(".json"):
            out[name] = request["params"].get("query", "")
    return out


def _rows(module: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = body(_SEEDS[module])["result"]
    if module == "Leads":
        last = rows[-1]
        for number in range(98, 131):
            crmid = number + 34
            rows.append(
                {
                    **last,
                    "id": f"10x{crmid}",
                    "lastname": f"Lead {number:03d}",
                    "leadstatus": _BULK_STATUS[crmid % 3],
                }
            )
    return rows


def seeded_store() -> tuple[Store, dict[str, ModuleSchema]]:
    """A store holding the recorded records under their recorded ids, values as answered."""
    schemas = load_schemas()
    store = Store(schemas, clock=lambda: 0.0)
    for module in _SEEDS:
        for row in _rows(module):
            crmid = int(row["id"].partition("x")[2])
            store.insert_plain(module, crmid, {k: v for k, v in row.items() if k != "id"})
            store.execute(
                "INSERT INTO crmentity (crmid, module, deleted) VALUES (?, ?, 0)", (crmid, module)
            )
    return store, schemas
