"""vtorm.context: the default client (vtorm.connect, vtorm.get_client) and the client rule."""

from __future__ import annotations

import pytest

import vtorm
import vtorm.context
from vtorm.testing import Emulator

VARIABLES = ("VTIGER_URL", "VTIGER_USERNAME", "VTIGER_ACCESS_KEY")


@pytest.fixture(autouse=True)
def no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts without a default client and leaves the process as it was."""
    monkeypatch.setattr(vtorm.context, "_default", None)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_get_client_before_connect() -> None:
    with pytest.raises(vtorm.VtormError, match=r"call vtorm\.connect\(\) first"):
        vtorm.get_client()


def test_connect_with_a_client(vtiger_emulator: Emulator) -> None:
    crm = vtiger_emulator
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    assert vtorm.connect(client) is client
    assert vtorm.get_client() is client
    other = vtorm.Client(crm.url, crm.username, crm.access_key)
    vtorm.connect(other)
    assert vtorm.get_client() is other


def test_connect_from_environment(
    vtiger_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = vtiger_emulator
    monkeypatch.setenv("VTIGER_URL", crm.url.removesuffix("/webservice.php"))
    monkeypatch.setenv("VTIGER_USERNAME", crm.username)
    monkeypatch.setenv("VTIGER_ACCESS_KEY", crm.access_key)
    client = vtorm.connect()
    assert vtorm.get_client() is client
    assert client.url == crm.url
    assert crm.calls == []  # nothing is sent before the first call
    assert "Contacts" in client.list_types()
    assert crm.access_key not in repr(client)


@pytest.mark.parametrize("missing", VARIABLES)
def test_connect_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name in VARIABLES:
        if name != missing:
            monkeypatch.setenv(name, "http://crm.example" if name == "VTIGER_URL" else "x")
    with pytest.raises(vtorm.VtormError, match=missing) as caught:
        vtorm.connect()
    others = [name for name in VARIABLES if name != missing]
    assert not any(f"variable {name}" in str(caught.value) for name in others)
    with pytest.raises(vtorm.VtormError):
        vtorm.get_client()


def test_connect_names_every_missing_variable() -> None:
    with pytest.raises(vtorm.VtormError) as caught:
        vtorm.connect()
    assert "environment variables VTIGER_URL, VTIGER_USERNAME, VTIGER_ACCESS_KEY are not set" in (
        str(caught.value)
    )


def test_empty_variable_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTIGER_URL", "http://crm.example")
    monkeypatch.setenv("VTIGER_USERNAME", "admin")
    monkeypatch.setenv("VTIGER_ACCESS_KEY", "")
    with pytest.raises(vtorm.VtormError, match="environment variable VTIGER_ACCESS_KEY is not set"):
        vtorm.connect()


def test_default_client_is_set_for_a_block_and_restored(vtiger_emulator: Emulator) -> None:
    crm = vtiger_emulator
    outer, inner = (vtorm.Client(crm.url, crm.username, crm.access_key) for _ in "ab")
    vtorm.connect(outer)
    with vtorm.context.default_client(inner) as chosen:
        assert chosen is inner
        assert vtorm.get_client() is inner
    assert vtorm.get_client() is outer
    with pytest.raises(RuntimeError), vtorm.context.default_client(inner):
        raise RuntimeError("the block failed")
    assert vtorm.get_client() is outer
    refused = vtorm.context.default_client("http://crm.example")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"vtorm\.Client"), refused:
        pass


def test_connect_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match=r"vtorm\.Client"):
        vtorm.connect("http://crm.example")  # type: ignore[arg-type]


def test_client_for_prefers_the_given_then_the_instances_then_the_default(
    vtiger_emulator: Emulator,
) -> None:
    from crm_models import Contacts

    crm = vtiger_emulator
    default, own, given = (vtorm.Client(crm.url, crm.username, crm.access_key) for _ in "abc")
    contact = Contacts(lastname="x")
    with pytest.raises(vtorm.VtormError, match="connect"):
        vtorm.context.client_for(None, contact)
    vtorm.connect(default)
    assert vtorm.context.client_for() is default
    assert vtorm.context.client_for(None, contact) is default
    contact._state.client = own
    assert vtorm.context.client_for(None, contact) is own
    assert vtorm.context.client_for(given, contact) is given
    assert crm.calls == []


def test_the_active_unit_of_work_is_set_and_restored() -> None:
    assert vtorm.context.active_unit_of_work() is None
    outer, inner = vtorm.UnitOfWork(), vtorm.UnitOfWork()
    token = vtorm.context.activate(outer)
    try:
        assert vtorm.context.active_unit_of_work() is outer
        second = vtorm.context.activate(inner)
        assert vtorm.context.active_unit_of_work() is inner
        vtorm.context.deactivate(second)
        assert vtorm.context.active_unit_of_work() is outer
    finally:
        vtorm.context.deactivate(token)
    assert vtorm.context.active_unit_of_work() is None
