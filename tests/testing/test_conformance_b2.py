"""The emulator replays the second batch of recorded 8.4 answers (``b2-*``) exactly.

The recordings were made in one session, each request depending on what the
earlier ones did (a duplicate name is refused because the first Account
exists; a retrieve shows what the revises before it stored). They are
replayed here in that order against one emulator whose Contacts carry the
recorded server's custom field ``cf_interests``.

Each answer must equal the recorded one: HTTP status, content type, and the
body -- byte for byte when it is not JSON, value for value and key for key
(in order) when it is. Only what differs by nature between two servers is
normalised: record ids (``12x1754`` there is some ``12x<n>`` here; the
mapping is learnt from the answers and applied to later requests), record
numbers (``ACC15``) and the creation and modification times.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from answers import Aliases, differences
from emulator_wire import FIXTURES, Wire

from vtorm.testing import Emulator
from vtorm.testing.schema import DEFAULT_SCHEMA_DIR

INDEX: dict[str, dict[str, Any]] = json.loads((FIXTURES / "INDEX.json").read_text("utf-8"))
SESSION = "<valid sessionName>"

# The order of the recording session, read from the record ids and times in the answers.
ORDER = (
    "b2-create-Accounts-first",
    "b2-create-Accounts-second",
    "b2-retrieve-Accounts-second",
    "b2-create-Accounts-duplicate-name",
    "b2-create-Accounts-duplicate-name-other-case",
    "b2-create-Accounts-duplicate-name-trailing-space",
    "b2-revise-Accounts-to-duplicate-name",
    "b2-update-Accounts-to-duplicate-name",
    "b2-revise-Accounts-same-name-unchanged",
    "b2-delete-Accounts-first",
    "b2-create-Accounts-name-of-deleted",
    "b2-create-Contacts-same-name-twice-1",
    "b2-create-Contacts-same-name-twice-2",
    "b2-create-Potentials-forecast-0",
    "b2-create-Potentials-forecast-1",
    "b2-create-Potentials-forecast-2",
    "b2-create-Potentials-forecast-3",
    "b2-create-Potentials-forecast-4",
    "b2-create-Potentials-forecast-5",
    "b2-create-Leads-for-convert",
    "b2-convertlead",
    "b2-retrieve-converted-Accounts",
    "b2-retrieve-converted-Contacts",
    "b2-retrieve-converted-Potentials",
    "b2-query-converted-Contacts",
    "b2-create-Contacts-not-converted",
    "b2-create-Contacts-birthday-0",
    "b2-create-Contacts-birthday-1",
    "b2-create-Contacts-birthday-2",
    "b2-create-Contacts-birthday-3",
    "b2-create-Contacts-birthday-4",
    "b2-create-owner-nonexistent-user",
    "b2-create-Potentials-amount",
    "b2-revise-Potentials-amount-empty",
    "b2-create-Contacts-create-lastname-one",
    "b2-create-Contacts-create-lastname-two",
    "b2-query-string-ne-with-empty",
    "b2-query-ref-ne",
    "b2-query-ref-eq-empty-string",
    "b2-query-date-ne-with-empty",
    "b2-query-date-ne-date",
    "b2-query-date-ge-date",
    "b2-query-date-gt-year",
    "b2-query-date-gt-year-month",
    "b2-query-date-lt-year",
    "b2-query-date-eq-year",
    "b2-query-date-like-year",
    "b2-query-date-gt-createdtime-year",
    "b2-revise-Accounts-annual_revenue-empty",
    "b2-revise-Accounts-employees-empty",
    "b2-revise-owner-nonexistent-user",
    "b2-retrieve-after-owner-nonexistent",
    "b2-revise-owner-group-id",
    "b2-retrieve-after-owner-group",
    "b2-revise-Contacts-birthday-date-only",
    "b2-revise-Contacts-birthday-datetime",
    "b2-revise-Contacts-birthday-dmy",
    "b2-revise-Contacts-birthday-iso-T",
    "b2-revise-Contacts-birthday-slashes",
    "b2-revise-Contacts-revise-title-one",
    "b2-revise-Contacts-revise-title-two",
    "b2-revise-Contacts-revise-lastname-one",
    "b2-revise-Contacts-revise-description",
    "b2-retrieve-after-emoji-revises",
    "b2-listtypes-fieldTypeList-email",
    "b2-listtypes-fieldTypeList-phone",
    "b2-listtypes-fieldTypeList-picklist",
    "b2-listtypes-fieldTypeList-reference",
    "b2-listtypes-fieldTypeList-owner",
    "b2-listtypes-fieldTypeList-date-datetime",
)

def test_every_b2_recording_is_replayed() -> None:
    recorded = {name for name in INDEX if name.startswith("b2-")}
    assert set(ORDER) == recorded
    assert len(ORDER) == len(recorded)


def _send(crm: Emulator, wire: Wire, params: dict[str, str], method: str) -> requests.Response:
    if method == "GET":
        return wire.http.get(crm.url, params=params)
    return wire.http.post(crm.url, data=params)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Every recording replayed in order: name -> the differences found (none when equal)."""
    schema = tmp_path_factory.mktemp("schema-with-custom-field")
    for path in DEFAULT_SCHEMA_DIR.iterdir():
        shutil.copy(path, schema / path.name)
    shutil.copy(
        FIXTURES / "describe-Contacts-with-custom-multipicklist.json",
        schema / "describe-Contacts.json",
    )
    aliases = Aliases()
    found: dict[str, list[str]] = {}
    with Emulator(schema_dir=schema) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        for name in ORDER:
            entry = INDEX[name]
            request = entry["request"]
            params = {
                key: wire.session_name if value == SESSION else aliases.request(value)
                for key, value in request["params"].items()
            }
            response = _send(crm, wire, params, request["method"])
            expected = (FIXTURES / entry["file"]).read_bytes()
            problems: list[str] = []
            if response.status_code != entry["http_status"]:
                problems.append(f"HTTP {response.status_code} != {entry['http_status']}")
            if response.headers.get("Content-Type") != entry["content_type"]:
                problems.append(
                    f"{response.headers.get('Content-Type')} != {entry['content_type']}"
                )
            if entry["file"].endswith(".raw") or json.loads(expected).get("success") is False:
                if response.content != expected:
                    problems.append(f"body {response.content!r} != recorded {expected!r}")
            else:
                problems.extend(differences(json.loads(expected), response.json(), aliases))
            found[name] = problems
        wire.http.close()
    yield found


@pytest.mark.parametrize("name", ORDER)
def test_b2_answer_as_recorded(replayed: dict[str, list[str]], name: str) -> None:
    assert replayed[name] == []


def test_the_comparison_sets_aside_only_ids_numbers_and_times() -> None:
    aliases = Aliases()
    first = {"id": "12x1754", "contact_no": "CON1331", "modifiedtime": "2026-11-30 04:44:45"}
    same = {"id": "12x9", "contact_no": "CON1", "modifiedtime": "2027-01-01 00:00:00"}
    assert differences(first, same, aliases) == []
    assert aliases.request('{"id": "12x1754"}') == '{"id": "12x9"}'
    # The same recorded id must stand for the same id each time.
    assert differences({"id": "12x1754"}, {"id": "12x10"}, aliases)
    assert differences({"id": "12x1755"}, {"id": "11x10"}, aliases)  # another module
    assert differences({"a": "1", "b": "2"}, {"b": "2", "a": "1"}, aliases)  # key order
    assert differences({"a": None}, {"a": ""}, aliases)  # null is not ""
    assert differences({"a": ["x"]}, {"a": ["x", "y"]}, aliases)
    assert differences({"modifiedtime": "2026-11-30 04:44:45"}, {"modifiedtime": ""}, aliases)
