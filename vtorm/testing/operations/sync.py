"""sync: the caller's records changed since a time, and the ids deleted since then.

Stock 8.4 on PHP 8 cannot run it at all (HTTP 500, empty body, for every
call); with ``quirks=None`` it answers as Vtiger designed it, which is what a
patched 8.4 server was recorded answering.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import Context, Fatal, access_denied, operation
from vtorm.testing.store import Store

__all__ = ["PAGE_TIMES", "sync"]

# A page holds the records of the first 100 distinct modified times.
PAGE_TIMES = 100

_FORMAT = "%Y-%m-%d %H:%M:%S"


def _owners(ctx: Context, sync_type: str | None) -> list[str] | None:
    """The owner ids whose records the caller syncs; None for every owner."""
    user = ctx.crm.admin if ctx.user is None else ctx.user
    if sync_type == "application":
        if not user.is_admin:
            raise access_denied("Only admin users can perform application sync")
        return None
    owners = [user.wsid]
    if sync_type == "userandgroup":
        groups = ctx.crm.schemas.get("Groups")
        prefix = groups.id_prefix if groups is not None else "20"
        owners.extend(f"{prefix}x{gid}" for gid in ctx.crm.groups)
    return owners


def _hidden(store: Store, module: str, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    rows = store.execute(
        f"SELECT crmid FROM {store.layouts[module].table} WHERE _hidden = 1 AND crmid IN ({marks})",
        ids,
    )
    return {int(row["crmid"]) for row in rows}


@operation("sync", method="GET")
def sync(ctx: Context, params: Mapping[str, str]) -> Any:
    """Records of ``elementType`` modified after ``modifiedTime`` (Unix seconds), one page."""
    if ctx.crm.quirks == "8.4":
        # vtws_sync() takes a parameter the server never registers: PHP 8 dies.
        raise Fatal("sync on stock 8.4")
    since_text = params.get("modifiedTime") or ""
    module = params.get("elementType") or ""
    # "0" is falsy to PHP and a non-number breaks date(): both end in a fatal error,
    # as does a missing module (a database error).
    if not since_text.isdigit() or int(since_text) == 0 or not module:
        raise Fatal("sync with a bad modifiedTime or no elementType")
    schema = ctx.crm.schemas.get(module)
    if schema is None:
        raise access_denied()
    if module == "Users":
        # Users live outside the record table: nothing, and the time echoed as given.
        return {"updated": [], "deleted": [], "lastModifiedTime": since_text, "more": False}
    store = ctx.crm.store
    if not store.layouts[module].entity:
        raise access_denied()
    since = time.strftime(_FORMAT, time.gmtime(int(since_text)))
    owners = _owners(ctx, params.get("syncType"))
    owner_sql = ""
    owner_params: tuple[str, ...] = ()
    if owners is not None:
        owner_sql = f" AND ownerid IN ({', '.join('?' for _ in owners)})"
        owner_params = tuple(owners)
    times = store.execute(
        "SELECT DISTINCT modifiedtime FROM crmentity WHERE module = ? AND modifiedtime > ?"
        f"{owner_sql} ORDER BY modifiedtime LIMIT ?",
        (module, since, *owner_params, PAGE_TIMES + 1),
    )
    if not times:
        return {"updated": [], "deleted": [], "more": False, "lastModifiedTime": int(since_text)}
    last = str(times[:PAGE_TIMES][-1]["modifiedtime"])
    changed = store.execute(
        "SELECT crmid, deleted FROM crmentity WHERE module = ? AND modifiedtime > ?"
        f" AND modifiedtime <= ?{owner_sql} ORDER BY modifiedtime, crmid",
        (module, since, last, *owner_params),
    )
    live = [int(row["crmid"]) for row in changed if not row["deleted"]]
    converted = _hidden(store, module, live)
    updated: list[dict[str, Any]] = []
    deleted: list[str] = []
    for row in changed:
        crmid = int(row["crmid"])
        found = None if row["deleted"] or crmid in converted else store.fetch(module, crmid)
        if found is None:
            # Converted leads count as deleted, as the server reports them.
            deleted.append(store.wsid(module, crmid))
        else:
            updated.append(store.render(module, found))
    return {
        "updated": updated,
        "deleted": deleted,
        "more": len(times) > PAGE_TIMES,
        "lastModifiedTime": calendar.timegm(time.strptime(last, _FORMAT)),
    }
