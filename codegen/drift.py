"""Drift between a generated models file and a CRM's current schema."""

from __future__ import annotations

from pathlib import Path

from codegen.schema import Schema

__all__ = ["compare_file"]


def compare_file(path: str | Path, schema: Schema) -> list[str]:
    """Differences between the file at ``path`` and ``schema`` (empty: none)."""
    raise NotImplementedError
