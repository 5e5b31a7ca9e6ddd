"""Injected faults: dropped connections, 500s, HTML pages, PHP notices, delays."""

from __future__ import annotations

import json

import pytest
import requests
from emulator_wire import CONTACT_ELEMENT, Wire

from vtorm.testing import Emulator


def _records(crm: Emulator) -> int:
    return len(crm.state.store.alive)


def _create(wire: Wire) -> requests.Response:
    return wire.http.post(
        wire.crm.url,
        data={
            "operation": "create",
            "sessionName": wire.session_name,
            "elementType": "Contacts",
            "element": json.dumps(CONTACT_ELEMENT),
        },
        timeout=5,
    )


def test_drop_closes_without_acting(wire: Wire) -> None:
    wire.crm.inject("drop", operation="create")
    with pytest.raises(requests.ConnectionError):
        _create(wire)
    assert _records(wire.crm) == 0
    assert _create(wire).json()["success"] is True
    assert _records(wire.crm) == 1


def test_drop_after_acts_then_closes(wire: Wire) -> None:
    wire.crm.inject("drop_after", operation="create")
    with pytest.raises(requests.ConnectionError):
        _create(wire)
    assert _records(wire.crm) == 1


def test_http500_is_empty_and_does_not_act(wire: Wire) -> None:
    wire.crm.inject("http500", operation="create")
    response = _create(wire)
    assert response.status_code == 500
    assert response.content == b""
    assert _records(wire.crm) == 0


def test_html_page(wire: Wire) -> None:
    wire.crm.inject("html")
    response = wire.raw_get(operation="listtypes", sessionName=wire.session_name)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    with pytest.raises(ValueError):
        response.json()


def test_notice_before_the_json(wire: Wire) -> None:
    wire.crm.inject("notice", operation="create")
    response = _create(wire)
    assert response.status_code == 200
    text = response.text
    assert text.startswith("<br />") and "Notice" in text
    body = json.loads(text[text.index("{") :])
    assert body["success"] is True
    assert _records(wire.crm) == 1


def test_delay_answers_late(wire: Wire) -> None:
    wire.crm.inject("delay", operation="listtypes", delay=1.5)
    with pytest.raises(requests.Timeout):
        wire.http.get(
            wire.crm.url,
            params={"operation": "listtypes", "sessionName": wire.session_name},
            timeout=0.3,
        )
    assert wire.get("listtypes")["success"] is True


def test_operation_filter_and_times(wire: Wire) -> None:
    wire.crm.inject("http500", operation="QUERY", times=2)
    assert wire.get("listtypes")["success"] is True
    for _ in range(2):
        response = wire.raw_get(operation="query", sessionName=wire.session_name, query="x")
        assert response.status_code == 500
    response = wire.raw_get(operation="query", sessionName=wire.session_name, query="")
    assert response.status_code == 200


def test_times_none_until_cleared(wire: Wire) -> None:
    wire.crm.inject("http500", times=None)
    for _ in range(3):
        assert wire.raw_get(operation="listtypes", sessionName=wire.session_name).status_code == 500
    wire.crm.clear_faults()
    assert wire.get("listtypes")["success"] is True


def test_faults_consumed_in_order(wire: Wire) -> None:
    wire.crm.inject("http500")
    wire.crm.inject("html")
    assert wire.raw_get(operation="listtypes", sessionName=wire.session_name).status_code == 500
    assert wire.raw_get(operation="listtypes", sessionName=wire.session_name).text.startswith(
        "<!DOCTYPE html>"
    )
    assert wire.get("listtypes")["success"] is True


def test_faulted_requests_are_still_recorded(wire: Wire) -> None:
    wire.crm.inject("drop")
    with pytest.raises(requests.ConnectionError):
        wire.raw_get(operation="listtypes", sessionName=wire.session_name)
    assert wire.crm.calls[-1] == ("listtypes", {})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "drop", "times": 0}, "times"),
        ({"kind": "delay", "delay": -1.0}, "delay"),
    ],
)
def test_bad_injections_are_refused(crm: Emulator, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        crm.inject(**kwargs)  # type: ignore[arg-type]


def test_inject_before_start_and_read_calls_after_stop() -> None:
    crm = Emulator()
    crm.inject("http500", operation="listtypes")
    with crm:
        response = requests.get(crm.url, params={"operation": "listtypes"}, timeout=5)
        assert response.status_code == 500
    assert crm.calls == [("listtypes", {})]
