"""Owners by name: the users and groups of one CRM.

An owner written as an id the CRM does not have makes the server store the
bare number and answer an error page *after* writing (protocol.md, section
9), so every owner id is checked here before it is sent. Owners may also be
written by user name (``admin``) or group name (``Marketing Group``), which
is also how ``copy`` maps owners from one CRM to another.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from vtorm.errors import ValidationError
from vtorm.migrate.keys import fold

if TYPE_CHECKING:
    from vtorm import Client

__all__ = ["Owners"]

_PAGE = 100


class Owners:
    """The users and groups of ``client``'s CRM, read once on first use."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._names: dict[str, str] | None = None  # id -> name
        self._ids: dict[str, list[str]] = {}  # folded name -> active ids
        self._active: set[str] = set()

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._names is None:
                names: dict[str, str] = {}
                for module, columns in (("Users", "user_name, status"), ("Groups", "groupname")):
                    column = columns.partition(",")[0]
                    offset = 0
                    while True:
                        page = self.client.query(
                            f"SELECT {columns} FROM {module} LIMIT {offset}, {_PAGE};"
                        )
                        for row in page:
                            ident = str(row["id"])
                            names[ident] = str(row.get(column) or "")
                            # An inactive user owns nothing new: the server refuses it.
                            if row.get("status", "Active") == "Active":
                                self._active.add(ident)
                        if len(page) < _PAGE:
                            break
                        offset += _PAGE
                for ident, name in names.items():
                    if ident in self._active:
                        self._ids.setdefault(fold(name), []).append(ident)
                self._names = names
            return self._names

    def name_of(self, ident: str) -> str | None:
        """The user name or group name of an owner id (inactive users too), else None."""
        return self._load().get(ident)

    def resolve(self, value: str, where: str) -> str:
        """The owner id ``value`` names: an id, a user name or a group name (active owners).

        Raises :class:`~vtorm.errors.ValidationError` (naming ``where`` and the
        value) for a bare number, an unknown owner or a name both a user and a
        group carry.
        """
        names = self._load()
        text = value.strip()
        if text in self._active:
            return text
        if text in names:
            raise ValidationError(f"{where}: {value!r} ({names[text]}) is an inactive user")
        if text.isdigit():
            raise ValidationError(
                f"{where}: {value!r} is a bare number; the server would assign the record "
                "to the importing user instead. Write the owner's id (19x5) or user name"
            )
        ids = self._ids.get(fold(text), [])
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise ValidationError(
                f"{where}: {value!r} names several owners ({', '.join(ids)}); write the id"
            )
        raise ValidationError(f"{where}: {value!r} is no user or group of {self.client.url}")
