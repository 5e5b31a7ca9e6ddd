"""Owners are checked before a write: 8.4 writes a missing owner, then answers HTML.

A record's owner (``assigned_user_id``, and any field of type ``owner``) must
be a user or a group. Stock 8.4 does not refuse a missing one: a create or
revise naming ``19x424242`` is carried out, the owner stored as the bare
number, and the answer is the text ``Sorry! Attempt to access restricted
file.`` (so the write is in doubt, and a client that resends it makes a
second record). An owner written as a bare number (``"1"``) is worse: the
record silently goes to the logged-in user. The types refuse the bare number
(it is not an id); this module refuses, before anything is sent, an id that
is no user or group the client can see.

Whether an id is one is asked once per client with ``retrieve`` of that id
(on 8.4 a user's record holds ``user_name``, a group's ``groupname``; any
other id, or one of nobody, is refused), and kept for the client's life; the
logged-in user is known without asking.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vtorm.errors import AccessDeniedError, InvalidIdError, RecordNotFoundError, ValidationError
from vtorm.types import WSID

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import ModelMeta

__all__ = ["OwnerDirectory", "check_owners", "directory"]


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


_DIRECTORIES: weakref.WeakKeyDictionary[Any, OwnerDirectory] = weakref.WeakKeyDictionary()
_DIRECTORIES_LOCK = threading.Lock()


def directory(client: Client) -> OwnerDirectory:
    """The owner directory of ``client`` (one per client, made on first use)."""
    with _DIRECTORIES_LOCK:
        found = _DIRECTORIES.get(client)
        if found is None:
            found = _DIRECTORIES[client] = OwnerDirectory(client)
        return found


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

