"""References are checked before a write: 8.4 stores a missing target as empty, silently.

Vtiger 8.4 does not check that a referenced record exists: a create or revise
naming ``account_id="11x99999"`` succeeds, and the reference reads back as
empty (protocol.md, "What 8.4 does to values it should refuse"). A typo in an
id, or a record deleted meanwhile, would lose the link without a word. So,
before anything is sent, each reference id a write carries is looked up with
``retrieve``; one that answers ``ACCESS_DENIED`` (what 8.4 answers for a
deleted or unknown id) refuses the write with a ValidationError naming the
field and the id.

Ids found are remembered per client for a short while
(:data:`REMEMBER_SECONDS`), so that writing many records that refer to the
same few (a bulk create of an account's contacts) asks once; a record deleted
within that time is the only case not caught.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vtorm.errors import AccessDeniedError, InvalidIdError, RecordNotFoundError, ValidationError
from vtorm.types import WSID

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import ModelMeta

__all__ = ["REMEMBER_SECONDS", "ReferenceDirectory", "check_references", "directory"]

#: How long a record found is taken to still exist without asking again.
REMEMBER_SECONDS = 60.0


class ReferenceDirectory:
    """The records one client has found to exist recently: id -> when it was seen."""

    def __init__(self, client: Client) -> None:
        self._client = weakref.ref(client)
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def exists(self, wsid: str) -> bool:
        """Whether a record ``wsid`` exists for the client (asked unless seen lately)."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(wsid)
        if seen is not None and now - seen < REMEMBER_SECONDS:
            return True
        client = self._client()
        if client is None:  # pragma: no cover - the directory lives as long as its client
            raise RuntimeError("the client of this reference directory is gone")
        try:
            client.retrieve(wsid)
        except (AccessDeniedError, RecordNotFoundError, InvalidIdError):
            with self._lock:
                self._seen.pop(wsid, None)
            return False
        with self._lock:
            self._seen[wsid] = time.monotonic()
        return True

    def seen(self, wsid: str) -> None:
        """Note that ``wsid`` exists (the client just created or read it)."""
        with self._lock:
            self._seen[wsid] = time.monotonic()

    def gone(self, wsid: str) -> None:
        """Note that ``wsid`` may no longer exist (the client is deleting it)."""
        with self._lock:
            self._seen.pop(wsid, None)

    def forget(self) -> None:
        """Ask again for every id."""
        with self._lock:
            self._seen.clear()


_DIRECTORIES: weakref.WeakKeyDictionary[Any, ReferenceDirectory] = weakref.WeakKeyDictionary()
_DIRECTORIES_LOCK = threading.Lock()


def directory(client: Client) -> ReferenceDirectory:
    """The reference directory of ``client`` (one per client, made on first use)."""
    with _DIRECTORIES_LOCK:
        found = _DIRECTORIES.get(client)
        if found is None:
            found = _DIRECTORIES[client] = ReferenceDirectory(client)
        return found


def check_references(client: Client, meta: ModelMeta, element: Mapping[str, Any]) -> None:
    """Refuse ``element`` (wire values about to be sent) if a reference names no record.

    Raises :class:`~vtorm.errors.ValidationError` naming the model, the field
    and the id; nothing is sent then. Empty references (clearing) pass.
    """
    for wire, value in element.items():
        info = meta.by_wire.get(wire)
        if info is None or info.type != "reference" or not isinstance(value, str):
            continue
        if WSID.fullmatch(value) is None:
            continue  # the types let only ids through; anything else is the server's to judge
        if not directory(client).exists(value):
            targets = " or ".join(info.refers_to) or "record"
            raise ValidationError(
                f"{meta.model.__name__}.{info.attr}: {value!r} is no {targets} record "
                "this client can see (deleted, or never existed); nothing was sent "
                "(8.4 would save the record with the reference empty, without an error)"
            )
