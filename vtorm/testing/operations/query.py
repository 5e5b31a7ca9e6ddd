"""The query operation: VTQL translated to SQL by :mod:`vtorm.testing.vtql`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import (
    DENIED,
    Context,
    WsError,
    access_denied,
    internal_error,
    operation,
)

MAX_ROWS = 100


@operation("query", method="GET")
def query(ctx: Context, params: Mapping[str, str]) -> Any:
    """Run one VTQL statement: at most 100 rows, ``count(*)`` and silent empties as 8.4 does."""
    text = params.get("query")
    if not text:
        raise access_denied(f"{DENIED} for query")
    try:
        vtql: Any = importlib.import_module("vtorm.testing.vtql")
    except ImportError:
        raise internal_error() from None
    try:
        translation = vtql.translate(text, ctx.crm.schemas, quirks=ctx.crm.quirks)
    except vtql.VtqlError as exc:
        raise WsError(exc.code, exc.message) from None
    if translation.silent_empty:
        return []
    store = ctx.crm.store
    if translation.count:
        if ctx.crm.quirks == "8.4":
            # Stock 8.4 on PHP 8 answers every count(*) with an empty list.
            return []
        counted = store.execute(translation.sql, translation.params)
        count = next(iter(counted[0].values()), 0) if counted else 0
        return [{"count": str(count)}]
    names, rows = store.execute_raw(translation.sql, translation.params)
    return store.render_rows(translation.module, names, rows[:MAX_ROWS], translation.columns)
