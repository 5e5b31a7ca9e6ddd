"""mypy --strict as the CI runs it: the project's settings and cache, on given files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mypy.api

ROOT = Path(__file__).resolve().parent.parent


def strict_mypy(*paths: Path | str, options: Sequence[str] = ()) -> tuple[str, str, int]:
    """``(stdout, stderr, status)`` of ``mypy --strict`` on ``paths``, with ``options``."""
    return mypy.api.run(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *options,
            *map(str, paths),
        ]
    )
