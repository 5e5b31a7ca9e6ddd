"""``Features``: what the server behind one client can do.

Vtiger servers differ in ways a client cannot see up front: stock 8.x under
PHP 8 answers every ``sync`` with an empty HTTP 500, ``count(*)`` with an
empty list, and some servers have no ``revise``. Like Django's
``connection.features``, each client carries one declared object that holds
what is known of its server, so no module keeps its own memory of it.
"""

from __future__ import annotations

import attrs

__all__ = ["BROKEN_ON_8", "Features"]

#: Operations stock Vtiger 8.x under PHP 8 answers with HTTP 500 and an empty
#: body at every call (their handlers take a parameter the server never
#: registers), each with what to do instead. Each is also a :class:`Features` flag.
BROKEN_ON_8: dict[str, str] = {
    "sync": "Model.objects.changes() reads what changed with queries on "
    "modifiedtime instead, and with state= sees deletions too (docs/changes.md)",
    "retrieve_inventory": "use retrieve instead",
}


@attrs.define
class Features:
    """Capabilities of one server, as far as they are known.

    Each flag is ``True`` (works), ``False`` (the server cannot do it) or
    ``None`` (not known yet: vtorm finds out on first use and records the
    answer here). Setting a flag before the first request skips finding out,
    e.g. ``Client(..., features=Features(sync=False))``.
    """

    #: ``revise`` (partial update) exists; without it saves go through retrieve + update.
    revise: bool | None = None
    #: ``SELECT count(*)`` answers its one row; stock 8.4 answers an empty list.
    count: bool | None = None
    #: ``sync`` runs; stock 8.x under PHP 8 answers HTTP 500 with an empty body.
    sync: bool | None = None
    #: ``retrieve_inventory`` runs; broken like ``sync`` on stock 8.x under PHP 8.
    retrieve_inventory: bool | None = None
    #: ``sync`` honours ``syncType=application`` (every owner's records) for this
    #: user; stock servers ignore it and answer the caller's own records only.
    sync_all_owners: bool | None = None
