"""The emulator as an HTTP server: start/stop, envelope, operation dispatch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

from vtorm.testing import Emulator

if TYPE_CHECKING:
    from emulator_wire import Wire


def test_starts_on_a_free_port_and_stops() -> None:
    with Emulator() as crm:
        assert crm.url.startswith("http://127.0.0.1:")
        assert crm.url.endswith("/webservice.php")
        url = crm.url
        assert requests.get(url, params={"operation": "getchallenge", "username": "admin"}).ok
    try:
        requests.get(url, params={"operation": "getchallenge", "username": "admin"}, timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the stopped emulator still answers")


def test_access_key_never_in_repr() -> None:
    crm = Emulator(access_key="k" * 16)
    assert crm.access_key == "k" * 16
    assert "k" * 16 not in repr(crm)
    keys = {Emulator().access_key for _ in range(20)}
    assert len(keys) == 20
    # Alphanumeric like Vtiger's own: never read as a command-line option.
    assert all(len(k) == 16 and k.isalnum() for k in keys)


def test_login_then_retrieve_a_created_record(wire: Wire) -> None:
    created = wire.create("Contacts", lastname="Smith", assigned_user_id="19x1")
    body = wire.get("retrieve", id=created["id"])
    assert body["success"] is True
    assert body["result"] == created
