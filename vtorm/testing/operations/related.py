"""relatedtypes, retrieve_related, query_related and add_related.

Relations come from two places, as on a real server: the reference fields
of the records (a Contact's ``account_id`` relates it to that Account) and
the explicit links made by ``add_related``, kept in a ``relations(source,
target, label)`` table of the store's database.
"""

from __future__ import annotations

import importlib
import re
import weakref
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import (
    DENIED,
    Context,
    Fatal,
    WsError,
    access_denied,
    internal_error,
    invalid_id,
    operation,
)
from vtorm.testing.store import Store

__all__ = ["RELATED", "related_ids", "relations_of"]

# Module -> its relations (target module, relation label), in the order a
# stock 8.4 relatedtypes lists them (read from one); the Calendar appears twice
# where it does there. Modules with none (Events, Users, PBXManager, ...) are absent.
RELATED: dict[str, tuple[tuple[str, str], ...]] = {
    "Campaigns": (
        ("Contacts", "Contacts"),
        ("Leads", "Leads"),
        ("Potentials", "Potentials"),
        ("Calendar", "Activities"),
        ("Accounts", "Accounts"),
    ),
    "Vendors": (
        ("Products", "Products"),
        ("PurchaseOrder", "Purchase Order"),
        ("Contacts", "Contacts"),
        ("Emails", "Emails"),
    ),
    "Faq": (
        ("Documents", "Documents"),
        ("ModComments", "ModComments"),
    ),
    "Quotes": (
        ("SalesOrder", "Sales Order"),
        ("Calendar", "Activities"),
        ("Documents", "Documents"),
        ("Calendar", "Activity History"),
        ("ModComments", "ModComments"),
    ),
    "PurchaseOrder": (
        ("Calendar", "Activities"),
        ("Documents", "Documents"),
        ("Calendar", "Activity History"),
        ("ModComments", "ModComments"),
    ),
    "SalesOrder": (
        ("Calendar", "Activities"),
        ("Documents", "Documents"),
        ("Invoice", "Invoice"),
        ("Calendar", "Activity History"),
        ("ModComments", "ModComments"),
    ),
    "Invoice": (
        ("Calendar", "Activities"),
        ("Documents", "Documents"),
        ("Calendar", "Activity History"),
        ("Assets", "Assets"),
        ("ModComments", "ModComments"),
    ),
    "PriceBooks": (
        ("Products", "Products"),
        ("Services", "Services"),
    ),
    "Calendar": (
        ("Contacts", "Contacts"),
    ),
    "Leads": (
        ("Calendar", "Activities"),
        ("Emails", "Emails"),
        ("Calendar", "Activity History"),
        ("Documents", "Documents"),
        ("Products", "Products"),
        ("Campaigns", "Campaigns"),
        ("PBXManager", "PBXManager"),
        ("Services", "Services"),
        ("ModComments", "ModComments"),
    ),
    "Accounts": (
        ("Contacts", "Contacts"),
        ("Potentials", "Potentials"),
        ("Quotes", "Quotes"),
        ("SalesOrder", "Sales Order"),
        ("Invoice", "Invoice"),
        ("Calendar", "Activities"),
        ("Emails", "Emails"),
        ("Calendar", "Activity History"),
        ("Documents", "Documents"),
        ("HelpDesk", "HelpDesk"),
        ("Products", "Products"),
        ("Campaigns", "Campaigns"),
        ("PBXManager", "PBXManager"),
        ("ServiceContracts", "Service Contracts"),
        ("Services", "Services"),
        ("Project", "Projects"),
        ("ModComments", "ModComments"),
        ("Assets", "Assets"),
    ),
    "Contacts": (
        ("Potentials", "Potentials"),
        ("Calendar", "Activities"),
        ("Emails", "Emails"),
        ("HelpDesk", "HelpDesk"),
        ("Quotes", "Quotes"),
        ("PurchaseOrder", "Purchase Order"),
        ("SalesOrder", "Sales Order"),
        ("Products", "Products"),
        ("Calendar", "Activity History"),
        ("Documents", "Documents"),
        ("Campaigns", "Campaigns"),
        ("Invoice", "Invoice"),
        ("PBXManager", "PBXManager"),
        ("ServiceContracts", "Service Contracts"),
        ("Services", "Services"),
        ("Project", "Projects"),
        ("ModComments", "ModComments"),
        ("Assets", "Assets"),
        ("Vendors", "Vendors"),
    ),
    "Potentials": (
        ("Calendar", "Activities"),
        ("Contacts", "Contacts"),
        ("Products", "Products"),
        ("Documents", "Documents"),
        ("Quotes", "Quotes"),
        ("SalesOrder", "Sales Order"),
        ("Calendar", "Activity History"),
        ("Services", "Services"),
        ("ModComments", "ModComments"),
        ("Invoice", "Invoice"),
        ("Emails", "Emails"),
    ),
    "Products": (
        ("HelpDesk", "HelpDesk"),
        ("Documents", "Documents"),
        ("Quotes", "Quotes"),
        ("PurchaseOrder", "Purchase Order"),
        ("SalesOrder", "Sales Order"),
        ("Invoice", "Invoice"),
        ("PriceBooks", "PriceBooks"),
        ("Leads", "Leads"),
        ("Accounts", "Accounts"),
        ("Contacts", "Contacts"),
        ("Potentials", "Potentials"),
        ("Products", "Product Bundles"),
        ("Products", "Parent Product"),
        ("Assets", "Assets"),
        ("PurchaseOrder", "PurchaseOrder"),
    ),
    "Documents": (
        ("Contacts", "Contacts"),
        ("Accounts", "Accounts"),
        ("Potentials", "Potentials"),
        ("Leads", "Leads"),
        ("Products", "Products"),
        ("Services", "Services"),
        ("Project", "Project"),
        ("Assets", "Assets"),
        ("ServiceContracts", "ServiceContracts"),
        ("Quotes", "Quotes"),
        ("Invoice", "Invoice"),
        ("SalesOrder", "SalesOrder"),
        ("PurchaseOrder", "PurchaseOrder"),
        ("HelpDesk", "HelpDesk"),
        ("Faq", "Faq"),
    ),
    "Emails": (
        ("Contacts", "Contacts"),
        ("Documents", "Documents"),
    ),
    "HelpDesk": (
        ("Calendar", "Activities"),
        ("Documents", "Documents"),
        ("Calendar", "Activity History"),
        ("ServiceContracts", "Service Contracts"),
        ("Services", "Services"),
        ("Project", "Projects"),
        ("ModComments", "ModComments"),
        ("Emails", "Emails"),
    ),
    "ServiceContracts": (
        ("HelpDesk", "Service Requests"),
        ("Documents", "Documents"),
    ),
    "Services": (
        ("HelpDesk", "HelpDesk"),
        ("Quotes", "Quotes"),
        ("PurchaseOrder", "Purchase Order"),
        ("SalesOrder", "Sales Order"),
        ("Invoice", "Invoice"),
        ("PriceBooks", "PriceBooks"),
        ("Leads", "Leads"),
        ("Accounts", "Accounts"),
        ("Contacts", "Contacts"),
        ("Potentials", "Potentials"),
        ("Documents", "Documents"),
    ),
    "ProjectTask": (
        ("Documents", "Documents"),
        ("ModComments", "ModComments"),
        ("Emails", "Emails"),
    ),
    "Project": (
        ("ProjectTask", "Project Tasks"),
        ("ProjectMilestone", "Project Milestones"),
        ("Documents", "Documents"),
        ("HelpDesk", "HelpDesk"),
        ("ModComments", "ModComments"),
        ("Emails", "Emails"),
        ("Calendar", "Activities"),
        ("Quotes", "Quotes"),
    ),
    "SMSNotifier": (
        ("Accounts", "Accounts"),
        ("Contacts", "Contacts"),
        ("Leads", "Leads"),
    ),
    "Assets": (
        ("HelpDesk", "HelpDesk"),
        ("Documents", "Documents"),
    ),
}

UNKNOWN_RELATION = "Relation specified is incorrect"
# The stock server's spelling of the code.
UNKNOWN_ENTITY = "UNKOWN_ENTITY"

_MODULE_AFTER_FROM = re.compile(r"\bFROM\s+(\S+)", re.IGNORECASE)

_READY: weakref.WeakSet[Store] = weakref.WeakSet()


def _table(store: Store) -> None:
    """Create the ``relations`` table in the store's database once."""
    if store in _READY:
        return
    with store.lock:
        store.conn.execute(
            "CREATE TABLE IF NOT EXISTS relations (source INTEGER NOT NULL,"
            " target INTEGER NOT NULL, label TEXT, UNIQUE (source, target, label))"
        )
    _READY.add(store)


def relations_of(module: str) -> tuple[tuple[str, str], ...]:
    """The relations (target module, label) of ``module``; none for unknown modules."""
    return RELATED.get(module, ())


def _relation(module: str, label: str | None, target: str | None) -> str:
    """The target module of ``module``'s relation ``label``, or ``UNKOWN_ENTITY``."""
    for related, name in relations_of(module):
        if name == label and (target is None or related == target):
            return related
    raise WsError(UNKNOWN_ENTITY, UNKNOWN_RELATION)


def _source(ctx: Context, wsid: str | None) -> tuple[str, int]:
    """The live source record: a malformed id fails as retrieve does, a missing one by name."""
    store = ctx.crm.store
    module, crmid = store.parse_id(wsid)
    if store.fetch(module, crmid) is None:
        raise access_denied(f"{DENIED} for name : ")
    return module, crmid


def related_ids(store: Store, module: str, crmid: int, target: str) -> list[int]:
    """The crmids of the live ``target`` records related to record ``crmid`` of ``module``.

    Links come from ``target``'s reference fields naming the source, from the
    source's reference fields naming a ``target`` record, and from
    ``add_related`` (either direction). Converted leads are left out.
    """
    _table(store)
    wsid = store.wsid(module, crmid)
    schemas = store.schemas
    found: set[int] = set()
    target_schema = schemas[target]
    target_table = store.layouts[target].table
    for field in target_schema.fields.values():
        if field.type == "reference" and module in field.refers_to:
            column = '"' + field.name.replace('"', '""') + '"'
            for row in store.execute(
                f"SELECT crmid FROM {target_table} WHERE {column} = ? AND _hidden = 0", (wsid,)
            ):
                found.add(int(row["crmid"]))
    source = store.fetch(module, crmid)
    if source is not None:
        for field in schemas[module].fields.values():
            value = source.get(field.name)
            if field.type == "reference" and target in field.refers_to and value:
                prefix, _, number = str(value).partition("x")
                if store.prefixes.get(prefix) == target and number.isdigit():
                    found.add(int(number))
    for row in store.execute(
        "SELECT target AS other FROM relations WHERE source = ?"
        " UNION SELECT source FROM relations WHERE target = ?",
        (crmid, crmid),
    ):
        found.add(int(row["other"]))
    if module == target:
        found.discard(crmid)
    alive = store.alive
    ids = sorted(i for i in found if alive.get(i) == target)
    if not ids:
        return ids
    marks = ", ".join("?" for _ in ids)
    visible = store.execute(
        f"SELECT crmid FROM {target_table} WHERE _hidden = 0 AND crmid IN ({marks})", ids
    )
    return sorted(int(row["crmid"]) for row in visible)


def _render_related(store: Store, module: str, crmid: int) -> dict[str, Any] | None:
    row = store.fetch(module, crmid)
    if row is None:
        return None
    out = store.render(module, row)
    if module == "HelpDesk" and "update_log" not in out:
        # The ticket history column is answered here too, though describe omits it.
        items = list(out.items())
        position = list(out).index("hours") if "hours" in out else len(items)
        items.insert(position, ("update_log", None))
        out = dict(items)
    return out


@operation("relatedtypes", method="GET")
def relatedtypes(ctx: Context, params: Mapping[str, str]) -> Any:
    """The modules related to ``elementType`` and the labels of those relations."""
    name = params.get("elementType") or ""
    schema = ctx.crm.schemas.get(name)
    if schema is None:
        raise access_denied(f"{DENIED} for name : {name}")
    if not schema.is_entity:
        # The stock server dies on a module that has no relations table entry.
        raise Fatal("relatedtypes of a non-entity module")
    relations = relations_of(name)
    types = [module for module, _ in relations if module in ctx.crm.schemas]
    information = {
        label: {"name": module, "label": label, "isEntity": "1"}
        for module, label in relations
        if module in ctx.crm.schemas
    }
    # PHP's json_encode of an empty array is [] even where an object is meant.
    return {"types": types, "information": information or []}


@operation("retrieve_related", method="GET")
def retrieve_related(ctx: Context, params: Mapping[str, str]) -> Any:
    """The records related to ``id`` through the relation ``relatedLabel`` of ``relatedType``."""
    module, crmid = _source(ctx, params.get("id"))
    target = _relation(module, params.get("relatedLabel"), params.get("relatedType"))
    store = ctx.crm.store
    rows = (_render_related(store, target, i) for i in related_ids(store, module, crmid, target))
    return [row for row in rows if row is not None]


def _related_statement(query: str, wsids: list[str]) -> str:
    """The statement the stock server builds: its id filter pasted around the first ``WHERE``."""
    ids = ", ".join(f"'{w}'" for w in wsids)
    if "where" in query.lower():
        # The server finds WHERE in any case but splits only on upper-case WHERE.
        head, sep, tail = query.partition("WHERE")
        if sep:
            return f"{head} WHERE id IN ({ids}) AND {tail};"
    return f"{query} WHERE id IN ({ids});"


@operation("query_related", method="GET")
def query_related(ctx: Context, params: Mapping[str, str]) -> Any:
    """A VTQL statement (no trailing ``;``) restricted to the records related to ``id``."""
    module, crmid = _source(ctx, params.get("id"))
    text = params.get("query") or ""
    found = _MODULE_AFTER_FROM.search(text)
    target = _relation(module, params.get("relatedLabel"), found.group(1) if found else "")
    store = ctx.crm.store
    ids = related_ids(store, module, crmid, target)
    # With nothing related the statement still goes through the parser (its
    # syntax errors stand), with an id that matches no record.
    wsids = [store.wsid(target, i) for i in ids] or [store.wsid(target, 0)]
    statement = _related_statement(text, wsids)
    try:
        vtql: Any = importlib.import_module("vtorm.testing.vtql")
    except ImportError:
        raise internal_error() from None
    try:
        translation = vtql.translate(statement, ctx.crm.schemas, quirks=ctx.crm.quirks)
    except vtql.VtqlError as exc:
        raise WsError(exc.code, exc.message) from None
    if not ids or translation.silent_empty:
        return []
    if translation.count:
        if ctx.crm.quirks == "8.4":
            return []
        rows = store.execute(translation.sql, translation.params)
        return [{"count": str(next(iter(rows[0].values()), 0) if rows else 0)}]
    rows = store.execute(translation.sql, translation.params)
    return [store.render(translation.module, row, translation.columns) for row in rows[:100]]


@operation("add_related", method="POST")
def add_related(ctx: Context, params: Mapping[str, str]) -> Any:
    """Link two records. The stock server answers success even for pairs it cannot link."""
    store = ctx.crm.store
    source = params.get("sourceRecordId") or ""
    if not source:
        raise invalid_id()
    try:
        _, source_id, _ = store.locate(source)
    except WsError:
        raise internal_error() from None
    try:
        _, target_id, _ = store.locate(params.get("relatedRecordId"))
    except WsError:
        return {"message": "successfull"}
    _table(store)
    with store.lock:
        store.conn.execute(
            "INSERT OR IGNORE INTO relations (source, target, label) VALUES (?, ?, ?)",
            (source_id, target_id, params.get("relationIdLabel") or ""),
        )
    return {"message": "successfull"}
