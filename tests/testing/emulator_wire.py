"""Raw web-service calls for the emulator's own tests, and the recorded answers they match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import requests

from vtorm.testing import Emulator

# The smallest valid Contacts element.
CONTACT_ELEMENT = {"lastname": "Minimal", "assigned_user_id": "19x1"}

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    """A recorded response body of a real Vtiger 8.4 (decoded JSON)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def recorded_raw(name: str) -> bytes:
    """A recorded response body that is not JSON (empty 500, plain text)."""
    return (FIXTURES / name).read_bytes()


def assert_recorded_error(body: Any, name: str) -> None:
    """``body`` fails exactly as the recorded response did (code and message)."""
    expected = recorded(name)
    assert expected["success"] is False
    assert body == expected, f"{body!r} != recorded {name}: {expected!r}"


def assert_recorded_shape(result: Any, name: str, without: tuple[str, ...] = ()) -> None:
    """``result`` has the keys, in order, of the recorded successful result (but ``without``)."""
    expected = recorded(name)
    assert expected["success"] is True
    assert list(result) == [k for k in expected["result"] if k not in without], name


class Wire:
    """Raw web-service calls over HTTP (no vtorm.Client), logged in as the admin."""

    def __init__(self, crm: Emulator) -> None:
        self.crm = crm
        self.http = requests.Session()
        self.session_name = ""

    def login(self, username: str | None = None, key: str | None = None) -> dict[str, Any]:
        username = username or self.crm.username
        token = self.get("getchallenge", username=username, session=False)["result"]["token"]
        digest = hashlib.md5((token + (key or self.crm.access_key)).encode()).hexdigest()
        body = self.post("login", username=username, accessKey=digest, session=False)
        if body.get("success"):
            self.session_name = body["result"]["sessionName"]
        return body

    def _params(self, operation: str, params: dict[str, Any], session: bool) -> dict[str, Any]:
        out = {"operation": operation}
        if session:
            out["sessionName"] = self.session_name
        for key, value in params.items():
            # Raw UTF-8, as vtorm.Client and the first batch of recordings send it.
            out[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return out

    def get(self, operation: str, *, session: bool = True, **params: Any) -> Any:
        response = self.http.get(self.crm.url, params=self._params(operation, params, session))
        return response.json()

    def post(self, operation: str, *, session: bool = True, **params: Any) -> Any:
        response = self.http.post(self.crm.url, data=self._params(operation, params, session))
        return response.json()

    def raw_get(self, **params: str) -> requests.Response:
        return self.http.get(self.crm.url, params=params)

    def raw_post(self, **params: str) -> requests.Response:
        return self.http.post(self.crm.url, data=params)

    def create(self, module: str, **fields: Any) -> dict[str, Any]:
        body = self.post("create", elementType=module, element=fields)
        assert body["success"], body
        result: dict[str, Any] = body["result"]
        return result
