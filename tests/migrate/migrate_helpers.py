"""Helpers of the migration tests: records on an emulator, operations it received."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import vtorm
from vtorm.testing import Emulator


def ops(crm: Emulator, *names: str) -> list[str]:
    """The operations ``crm`` received so far, only those in ``names`` when given."""
    return [op for op, _ in crm.calls if not names or op in names]


def rows(client: vtorm.Client, module: str, columns: str = "*") -> list[dict[str, Any]]:
    """Every record of ``module``, by id (paged past the 100-row cap)."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = client.query(f"SELECT {columns} FROM {module} ORDER BY id LIMIT {offset}, 100;")
        if not page:
            return found
        found += page
        offset += 100


def people(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct Contacts rows keyed by email."""
    return [
        {"firstname": f"First{i}", "lastname": f"Last{i}", "email": f"person{i}@example.com"}
        for i in range(start, start + n)
    ]


def create_all(client: vtorm.Client, module: str, records: Iterable[dict[str, Any]]) -> list[str]:
    """Create the records directly (owner: the admin); return their ids."""
    return [
        client.create(module, {"assigned_user_id": "19x1", **record})["id"] for record in records
    ]
