"""Fixtures of the query tests: a seeded emulator shared by a module, models on sys.path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the generated crm_models module lives there


class RequestCounter:
    """Counts the query requests a client sends (a ``requests`` response hook)."""

    def __init__(self, client: Any) -> None:
        self.statements: list[str] = []
        self.url_lengths: list[int] = []
        client.session.hooks.setdefault("response", []).append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import parse_qs, urlsplit

        params = parse_qs(urlsplit(response.request.url).query)
        if params.get("operation") == ["query"]:
            self.statements.append(params["query"][0])
            self.url_lengths.append(len(response.request.url))
        return response

    def __len__(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()
        self.url_lengths.clear()


@pytest.fixture
def counter() -> Iterator[Any]:
    """A factory: ``counter(client)`` starts counting that client's queries."""
    yield RequestCounter
