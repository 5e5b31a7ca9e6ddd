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
the client can see. Whether an id is one is asked with ``retrieve`` of that
id (on 8.4 a user's record holds ``user_name``, a group's ``groupname``; any
other id, or one of nobody, is refused); the logged-in user is known without
asking.

References: 8.4 does not check that a referenced record exists. A create or
revise naming ``account_id="11x99999"`` succeeds, and the reference reads
back as empty (protocol.md, "What 8.4 does to values it should refuse"): a
typo in an id, or a record deleted meanwhile, would lose the link without a
word. So each reference id a write carries is looked up with ``retrieve``;
one answered ``ACCESS_DENIED`` (what 8.4 answers for a deleted or unknown id)
refuses the write. Both checks share one :class:`RecordDirectory` per
client: ids found are remembered for :data:`REMEMBER_SECONDS`, so that
writing many records that refer to the same few (a bulk create of an
account's contacts) asks once; a record deleted by someone else within that
time is the one case not caught.
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
    from vtorm.fields import FieldInfo
    from vtorm.model import ModelMeta

__all__ = [
    "REMEMBER_SECONDS",
    "RecordDirectory",
    "check_element",
    "directory",
]

#: How long a record found (an owner or a referenced record) is taken to still
#: exist without asking again.
REMEMBER_SECONDS = 60.0


class RecordDirectory:
    """The records one client has looked up lately: id -> when, and whether it may own records.

    One ``retrieve`` answers both questions a write asks of an id: does the
    record exist, and is it a user or a group (8.4 answers a user's record
    with ``user_name``, a group's with ``groupname``; queries on ``Users``
    are not relied on). Ids not found are not kept: they are asked again.
    """

    def __init__(self, client: Client) -> None:
        self._client = weakref.ref(client)
        self._found: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def _get_client(self) -> Client:
        client = self._client()
        if client is None:  # pragma: no cover - the directory lives as long as its client
            raise RuntimeError("the client of this directory is gone")
        return client

    def _lookup(self, wsid: str) -> tuple[float, bool] | None:
        with self._lock:
            entry = self._found.get(wsid)
        if entry is not None and time.monotonic() - entry[0] < REMEMBER_SECONDS:
            return entry
        try:
            row = self._get_client().retrieve(wsid)
        except (AccessDeniedError, RecordNotFoundError, InvalidIdError):
            self.gone(wsid)
            return None
        entry = (time.monotonic(), "user_name" in row or "groupname" in row)
        with self._lock:
            self._found[wsid] = entry
        return entry

    def exists(self, wsid: str) -> bool:
        """Whether a record ``wsid`` exists for the client (asked unless seen lately)."""
        return self._lookup(wsid) is not None

    def may_own(self, wsid: str) -> bool:
        """Whether ``wsid`` is a user or a group the client can see (the logged-in user is)."""
        if wsid == self._get_client().user_id:
            return True
        entry = self._lookup(wsid)
        return entry is not None and entry[1]

    def seen(self, wsid: str) -> None:
        """Note that ``wsid`` exists (the client just created it: a record, not a user)."""
        with self._lock:
            self._found[wsid] = (time.monotonic(), False)

    def gone(self, wsid: str) -> None:
        """Note that ``wsid`` may no longer exist (the client is deleting it)."""
        with self._lock:
            self._found.pop(wsid, None)

    def forget(self) -> None:
        """Ask again for every id."""
        with self._lock:
            self._found.clear()


# What a client has learned of its CRM's records, kept beside it rather than on
# it (the client knows nothing of models); weak, so a client dropped is
# forgotten with what it learned.
_DIRECTORIES: weakref.WeakKeyDictionary[Any, RecordDirectory] = weakref.WeakKeyDictionary()
_DIRECTORIES_LOCK = threading.Lock()


def directory(client: Client) -> RecordDirectory:
    """The record directory of ``client`` (one per client, made on first use)."""
    with _DIRECTORIES_LOCK:
        found = _DIRECTORIES.get(client)
        if found is None:
            found = _DIRECTORIES[client] = RecordDirectory(client)
        return found


def check_element(client: Client, meta: ModelMeta, element: Mapping[str, Any]) -> None:
    """Refuse ``element`` (wire values about to be sent) if an owner in it is no user or
    group, or a reference in it names no record.

    Raises :class:`~vtorm.errors.ValidationError` naming the model, the field
    and the value; nothing is sent then. Empty values (clearing) pass.
    """
    for wire, value in element.items():
        info = meta.by_wire.get(wire)
        if info is None or value is None or value == "":
            continue
        if info.type == "owner":
            _check_owner(client, meta, info, value)
        elif info.type == "reference":
            _check_reference(client, meta, info, value)


def _check_reference(client: Client, meta: ModelMeta, info: FieldInfo, value: Any) -> None:
    # The types let only ids through; anything else is the server's to judge.
    if not isinstance(value, str) or WSID.fullmatch(value) is None:
        return
    if not directory(client).exists(value):
        targets = " or ".join(info.refers_to) or "record"
        raise ValidationError(
            f"{meta.model.__name__}.{info.attr}: {value!r} is no {targets} record "
            "this client can see (deleted, or never existed); nothing was sent "
            "(8.4 would save the record with the reference empty, without an error)"
        )


def _check_owner(client: Client, meta: ModelMeta, info: FieldInfo, value: Any) -> None:
    text = str(value)
    if isinstance(value, bool) or WSID.fullmatch(text) is None:
        raise ValidationError(
            f"{meta.model.__name__}.{info.attr}: {value!r} is not an owner id; 8.4 gives "
            "a record whose owner is a bare number to the logged-in user. Write the id "
            "of a user ('19x1') or of a group ('20x3')"
        )
    if not directory(client).may_own(text):
        raise ValidationError(
            f"{meta.model.__name__}.{info.attr}: {text!r} is no user or group this "
            "client can see; nothing was sent (8.4 would write the record with a broken "
            "owner and answer 'Sorry! Attempt to access restricted file.')"
        )
