"""The records a write names are checked before it is sent: its owners and its references.

Owners: 8.4 writes a missing owner, then answers HTML. A record's owner
(``assigned_user_id``, and any field of type ``owner``) must be a user or a
group. Stock 8.4 does not refuse a missing one: a create or revise naming
``19x424242`` is carried out, the owner stored as the bare number, and the
answer is the text ``Sorry! Attempt to access restricted file.`` (so the
write is in doubt, and a client that resends it makes a second record). An
owner written as a bare number (``"1"``) is worse: the record silently goes
to the logged-in user. The types refuse the bare number (it is not an id);
this module refuses, before anything is sent, an id that is no user or group
the client can see. Whether an id is one is asked once per client with
``retrieve`` of that id (on 8.4 a user's record holds ``user_name``, a
group's ``groupname``; any other id, or one of nobody, is refused), and kept
for the client's life; the logged-in user is known without asking.

References: 8.4 does not check that a referenced record exists. A create or
revise naming ``account_id="11x99999"`` succeeds, and the reference reads
back as empty (protocol.md, "What 8.4 does to values it should refuse"): a
typo in an id, or a record deleted meanwhile, would lose the link without a
word. So each reference id a write carries is looked up with ``retrieve``;
one answered ``ACCESS_DENIED`` (what 8.4 answers for a deleted or unknown id)
refuses the write. Ids found are remembered per client for
:data:`REMEMBER_SECONDS`, so that writing many records that refer to the same
few (a bulk create of an account's contacts) asks once; a record deleted by
someone else within that time is the one case not caught.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from vtorm.errors import AccessDeniedError, InvalidIdError, RecordNotFoundError, ValidationError
from vtorm.types import WSID

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import ModelMeta

__all__ = [
    "REMEMBER_SECONDS",
    "OwnerDirectory",
    "ReferenceDirectory",
    "check_owners",
    "check_references",
    "directory",
    "reference_directory",
]

#: How long a referenced record found is taken to still exist without asking again.
REMEMBER_SECONDS = 60.0


class OwnerDirectory:
    """The users and groups one client has asked about: id -> whether it may own records."""

    def __init__(self, client: Client) -> None:
        self._client = weakref.ref(client)
        self._known: dict[str, bool] = {}
        self._lock = threading.Lock()

    def exists(self, wsid: str) -> bool:
        """Whether ``wsid`` is a user or a group the client can see (asked once)."""
        with self._lock:
            known = self._known.get(wsid)
        if known is not None:
            return known
        client = self._client()
        if client is None:  # pragma: no cover - the directory lives as long as its client
            raise RuntimeError("the client of this owner directory is gone")
        if wsid == client.user_id:
            return True  # the user logged in: no need to ask
        try:
            row = client.retrieve(wsid)
        except (AccessDeniedError, RecordNotFoundError, InvalidIdError):
            found = False
        else:
            found = "user_name" in row or "groupname" in row
        with self._lock:
            self._known[wsid] = found
        return found

    def forget(self) -> None:
        """Ask again next time (users and groups changed on the server)."""
        with self._lock:
            self._known.clear()


# What a client has learned of its CRM's users, groups and records, kept beside
# it rather than on it (the client knows nothing of models); weak, so a client
# dropped is forgotten with what it learned.
_DIRECTORIES: weakref.WeakKeyDictionary[Any, dict[type[Any], Any]] = weakref.WeakKeyDictionary()
_DIRECTORIES_LOCK = threading.Lock()
D = TypeVar("D", "OwnerDirectory", "ReferenceDirectory")


def _of(client: Client, kind: type[D]) -> D:
    with _DIRECTORIES_LOCK:
        mine = _DIRECTORIES.setdefault(client, {})
        found: D | None = mine.get(kind)
        if found is None:
            found = mine[kind] = kind(client)
        return found


def directory(client: Client) -> OwnerDirectory:
    """The owner directory of ``client`` (one per client, made on first use)."""
    return _of(client, OwnerDirectory)


def check_owners(client: Client, meta: ModelMeta, element: Mapping[str, Any]) -> None:
    """Refuse ``element`` (wire values about to be sent) if an owner in it is no user or group.

    Raises :class:`~vtorm.errors.ValidationError` naming the model, the field
    and the value; nothing is sent then.
    """
    for wire, value in element.items():
        info = meta.by_wire.get(wire)
        if info is None or info.type != "owner" or value is None or value == "":
            continue
        text = str(value)
        if isinstance(value, bool) or WSID.fullmatch(text) is None:
            raise ValidationError(
                f"{meta.model.__name__}.{info.attr}: {value!r} is not an owner id; 8.4 gives "
                "a record whose owner is a bare number to the logged-in user. Write the id "
                "of a user ('19x1') or of a group ('20x3')"
            )
        if not directory(client).exists(text):
            raise ValidationError(
                f"{meta.model.__name__}.{info.attr}: {text!r} is no user or group this "
                "client can see; nothing was sent (8.4 would write the record with a broken "
                "owner and answer 'Sorry! Attempt to access restricted file.')"
            )


# --------------------------------------------------------------------------- references


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


def reference_directory(client: Client) -> ReferenceDirectory:
    """The reference directory of ``client`` (one per client, made on first use)."""
    return _of(client, ReferenceDirectory)


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
        if not reference_directory(client).exists(value):
            targets = " or ".join(info.refers_to) or "record"
            raise ValidationError(
                f"{meta.model.__name__}.{info.attr}: {value!r} is no {targets} record "
                "this client can see (deleted, or never existed); nothing was sent "
                "(8.4 would save the record with the reference empty, without an error)"
            )
