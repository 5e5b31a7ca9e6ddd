"""The query operation: VTQL translated to SQL by :mod:`vtorm.testing.vtql`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import (
    DENIED,
    Context,
    RawJson,
    WsError,
    access_denied,
    internal_error,
    operation,
)
from vtorm.testing.server import encode
from vtorm.testing.state import CrmState

MAX_ROWS = 100


@operation("query", method="GET")
def query(ctx: Context, params: Mapping[str, str]) -> Any:
    """Run one VTQL statement: at most 100 rows, ``count(*)`` and silent empties as 8.4 does."""
    text = params.get("query")
    if not text:
        raise access_denied(f"{DENIED} for query")
    crm = ctx.crm
    # The answer depends only on the text and the stored records: the same
    # statement again before any write is answered from the store's memory.
    return RawJson(crm.store.remembered(("query", text, crm.quirks), lambda: _answer(crm, text)))


def _answer(crm: CrmState, text: str) -> str:
    """The statement's result as JSON text (errors raised as the server answers them)."""
    try:
        vtql: Any = importlib.import_module("vtorm.testing.vtql")
    except ImportError:
        raise internal_error() from None
    try:
        translation = vtql.translate(text, crm.schemas, quirks=crm.quirks)
    except vtql.VtqlError as exc:
        raise WsError(exc.code, exc.message) from None
    if translation.silent_empty:
        return "[]"
    store = crm.store
    if translation.count:
        if crm.quirks == "8.4":
            # Stock 8.4 on PHP 8 answers every count(*) with an empty list.
            return "[]"
        counted = store.execute(translation.sql, translation.params)
        count = next(iter(counted[0].values()), 0) if counted else 0
        return encode([{"count": str(count)}])
    names, rows = store.window(
        translation.window, translation.offset, min(translation.limit, MAX_ROWS)
    )
    return store.render_rows_json(translation.module, names, rows, translation.columns, encode)
