"""The emulator answers recorded Vtiger 8.4 requests as the real server did.

Each recorded request in ``tests/fixtures/recorded/conformance.json`` is replayed
against the emulator and the answer compared with the recorded one: HTTP
status, success flag, error code and message, and the result's shape (keys
in order, list-ness, emptiness, the keys of the first row). Records standing
for the recorded data (:data:`WORLD`) are created first and the recorded ids
in the request swapped for the new ones. Reads (GET) share one emulator per
quirks mode holding every such record; each write gets a fresh emulator
holding only the records its request names. Requests
recorded on the server patched so that ``sync`` runs (their INDEX note says
``PATCHED server``) are replayed against ``Emulator(quirks=None)``.

Recorded files left out, by reason:

The request cannot be replayed (a secret or a live session of the recording in it):
    login-GET, login-reused-token, login-success, login-unknown-user,
    login-uppercase-md5, login-username-uppercase, login-wrong-accesskey,
    login-plain-accesskey (access-key placeholders; replayed with real keys
    in test_auth.py), extendsession-with-ui-cookie,
    extendsession-with-PHPSESSID-param (a web-UI PHP session),
    post-json-body, post-with-query-string-params, logout-success,
    logout-GET, retrieve-with-extended-session (a session id of the
    recording in the body, URL or parameters), session-idle-31min-retrieve
    (needs 31 idle minutes).

The answer depends on the recorded server's history, not on the request:
    retrieve-after-logout, retrieve-after-logout-GET, logout-again,
    extendsession-after-logout (a session ended earlier in the recording),
    delete-again, retrieve-after-delete, retrieve-after-GET-delete-attempt,
    revise-deleted, update-deleted, query-deleted-id (records deleted
    earlier in the recording), retrieve-converted-lead,
    query-converted-lead-by-id, convertlead-error-already-converted (a lead
    converted earlier; replayed in test_convert.py), sync-Accounts-no-changes,
    sync-Accounts-after-update-delete, sync-Leads-page1-more,
    sync-Leads-page2, sync-syncType-application (times and changes of the
    recording; sync paging is tested in test_sync.py), delete-error-user-id
    (deactivates the admin the replay is logged in as), query-calendar-empty,
    query-calendar-after-task, query-events-empty, query-modcomments (asked
    before any such record existed).

Data-dependent answers (row counts and pages of the recorded data set: 130
bulk leads, 20 contacts): query-contacts-page2-offset, query-limit-100-50,
query-limit-m-200, query-paging-page2, query-long-url-1040-ids (the 414
itself is tested in test_server.py).

The custom multipicklist field ``cf_interests`` (added to the recorded server
late; the emulator ships the stock schemas): create-multipicklist-array,
create-multipicklist-invalid-value, create-multipicklist-string,
query-multipicklist-eq, query-multipicklist-eq-single,
query-multipicklist-like, retrieve-multipicklist,
retrieve-multipicklist-array-created, revise-boolean-on,
revise-boolean-true-json, revise-change-owner-back,
revise-change-owner-group, revise-clear-reference-empty-string,
revise-clear-reference-null, revise-date-clear, revise-id-wrong-module-field,
revise-set-reference, revise-set-reference-again.

Operations the emulator does not provide (the recorded answers are stock
errors the client never relies on): changePassword-wrong-old,
deleteUser-bad-newowner, mobile.*, wsapp_register*.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from emulator_wire import Wire

from vtorm.testing import Emulator

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
INDEX: dict[str, dict[str, Any]] = json.loads((RECORDED / "conformance.json").read_text("utf-8"))


SESSION = "<valid sessionName>"
_ID = re.compile(r"\b(\d+)x(\d+)\b")

# The records the recorded requests name, created before a replay, in order:
# recorded id -> (module, fields); field values naming a recorded id are mapped.
WORLD: dict[str, tuple[str, dict[str, Any]]] = {
    "11x2": (
        "Accounts",
        {
            "accountname": "Acme Corporation",
            "industry": "Technology",
            "annual_revenue": "1250000.5",
        },
    ),
    "11x3": ("Accounts", {"accountname": "O'Reilly & Sons"}),
    "11x4": ("Accounts", {"accountname": "Société Générale d'Électricité"}),
    "11x5": ("Accounts", {"accountname": "株式会社テスト"}),
    "11x6": ("Accounts", {"accountname": 'Back\\Slash "Quoted" Ltd'}),
    "11x7": ("Accounts", {"accountname": "100% Discount_Store"}),
    "12x8": (
        "Contacts",
        {
            "firstname": "John",
            "lastname": "Smith",
            "account_id": "11x2",
            "birthday": "1980-05-17",
            "leadsource": "Web Site",
        },
    ),
    "12x9": (
        "Contacts",
        {"firstname": "Mary", "lastname": "Smith", "account_id": "11x2", "emailoptout": "1"},
    ),
    "12x10": ("Contacts", {"firstname": "Seán", "lastname": "O'Brien"}),
    "12x11": ("Contacts", {"firstname": "José", "lastname": "Müller-Ñúñez"}),
    "12x12": ("Contacts", {"firstname": "Zoë", "lastname": "Ångström", "title": " "}),
    "12x13": ("Contacts", {"firstname": "太郎", "lastname": "山田"}),
    "12x14": ("Contacts", {"firstname": "小明", "lastname": "王"}),
    "12x15": ("Contacts", {"firstname": 'Dwayne "The Rock"', "lastname": "Johnson"}),
    "12x16": ("Contacts", {"firstname": "Back", "lastname": "Slash\\Name"}),
    "12x17": ("Contacts", {"firstname": "Percent", "lastname": "100% Real"}),
    "12x18": ("Contacts", {"firstname": "Under", "lastname": "under_score"}),
    "12x19": ("Contacts", {"firstname": "Emoji", "lastname": "Smile 😀"}),
    "12x165": ("Contacts", {"lastname": "Minimal"}),
    "12x177": ("Contacts", {"lastname": "To delete"}),
    "12x189": ("Contacts", {"lastname": "MethodProbe"}),
    "14x21": ("Products", {"productname": "Widget", "unit_price": "10.5"}),
    "14x22": (
        "Products",
        {"productname": "Widget Pro", "discontinued": "1", "unit_price": "19.99"},
    ),
    "13x24": (
        "Potentials",
        {
            "potentialname": "Acme renewal 2027",
            "closingdate": "2027-03-31",
            "sales_stage": "Negotiation or Review",
            "related_to": "11x2",
            "contact_id": "12x8",
            "amount": "50000",
            "probability": "80",
        },
    ),
    "13x25": (
        "Potentials",
        {"potentialname": "Second", "closingdate": "2027-01-01", "sales_stage": "Prospecting"},
    ),
    "17x28": (
        "HelpDesk",
        {
            "ticket_title": "Widget broken",
            "ticketstatus": "Open",
            "ticketpriorities": "High",
            "parent_id": "11x2",
            "contact_id": "12x8",
            "product_id": "14x21",
        },
    ),
    "10x32": (
        "Leads",
        {"firstname": "Lena", "lastname": "Lead", "company": "Lead Co", "leadstatus": "Hot"},
    ),
    "10x33": ("Leads", {"firstname": "Dan", "lastname": "D'Angelo", "company": "Dee Co"}),
    "10x34": ("Leads", {"lastname": "Third", "company": "Third Co"}),
    "10x35": ("Leads", {"firstname": "Bulk", "lastname": "Lead 001", "leadstatus": "Hot"}),
    "10x36": ("Leads", {"firstname": "Bulk", "lastname": "Lead 002"}),
    "10x37": ("Leads", {"firstname": "Bulk", "lastname": "Lead 003"}),
    "10x38": ("Leads", {"firstname": "Bulk", "lastname": "Lead 004"}),
    "10x39": ("Leads", {"firstname": "Bulk", "lastname": "Lead 005"}),
    "10x40": ("Leads", {"firstname": "Bulk", "lastname": "Lead 006"}),
    "10x41": ("Leads", {"firstname": "Bulk", "lastname": "Lead 007"}),
    "15x182": (
        "Documents",
        {
            "notes_title": "Spec sheet",
            "filelocationtype": "E",
            "filename": "https://example.com/spec.pdf",
        },
    ),
    "15x194": ("Documents", {"notes_title": "Uploaded spec", "filelocationtype": "I"}),
    "9x179": (
        "Calendar",
        {
            "subject": "Follow-up task",
            "date_start": "2026-12-01",
            "time_start": "09:00:00",
            "due_date": "2026-12-02",
            "taskstatus": "Not Started",
        },
    ),
    # Not a recorded id: a task with its activity type, which Calendar queries show.
    "9x900": (
        "Calendar",
        {
            "subject": "Call back",
            "date_start": "2026-12-01",
            "time_start": "10:00:00",
            "due_date": "2026-12-01",
            "taskstatus": "Not Started",
            "activitytype": "Task",
        },
    ),
    "18x180": (
        "Events",
        {
            "subject": "Meeting with Acme",
            "date_start": "2026-12-03",
            "time_start": "14:00:00",
            "due_date": "2026-12-03",
            "time_end": "15:00:00",
            "duration_hours": "1",
            "eventstatus": "Planned",
            "activitytype": "Meeting",
        },
    ),
    "30x181": ("ModComments", {"commentcontent": "Called — left a message", "related_to": "12x8"}),
    "29x183": ("Project", {"projectname": "Rollout"}),
    "26x184": ("Services", {"servicename": "Installation"}),
}
_PREFIXES = frozenset(wsid.partition("x")[0] for wsid in WORLD)

# Documents 15x194 is created with a file; its attachment is the recorded 15x195.
_UPLOAD = ("spec.txt", b"Hello, Vtiger!\n", "text/plain")


def _excluded() -> set[str]:
    names: set[str] = set()
    for line in (__doc__ or "").splitlines():
        names.update(re.findall(r"\b[\w.]+(?:-[\w.]+)+\b", line))
    return names


def _excluded_prefixes() -> tuple[str, ...]:
    return tuple(re.findall(r"([\w.]+)\*", __doc__ or ""))


def _replayed() -> list[str]:
    skip = _excluded()
    prefixes = _excluded_prefixes()
    return sorted(name for name in INDEX if name not in skip and not name.startswith(prefixes))


class World:
    """Records of the recording re-created in an emulator; recorded id -> new id."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.ids: dict[str, str] = {}

    def map(self, text: str) -> str:
        """``text`` with every recorded id of a created record replaced by its new id."""
        return _ID.sub(self._swap, text)

    def _swap(self, match: re.Match[str]) -> str:
        found = self.ids.get(match.group(0))
        if found is not None:
            return found
        # A recorded record number under another module's prefix (``11x8`` names
        # the Contact ``12x8``) keeps the prefix and takes the new number.
        prefix, number = match.group(1), match.group(2)
        if prefix not in _PREFIXES:
            return match.group(0)
        for old, new in self.ids.items():
            if old.partition("x")[2] == number:
                return f"{prefix}x{new.partition('x')[2]}"
        return match.group(0)

    def build(self, needed: set[str]) -> None:
        """Create the records in ``needed`` and those they refer to."""
        for wsid, (module, fields) in WORLD.items():
            if wsid not in needed:
                continue
            element = {k: self.map(v) if isinstance(v, str) else v for k, v in fields.items()}
            element.setdefault("assigned_user_id", "19x1")
            if wsid == "15x194":
                self._upload(element)
                continue
            self.ids[wsid] = self.wire.create(module, **element)["id"]

    def _upload(self, element: dict[str, Any]) -> None:
        response = self.wire.http.post(
            self.wire.crm.url,
            data={
                "operation": "create",
                "sessionName": self.wire.session_name,
                "elementType": "Documents",
                "element": json.dumps(element),
            },
            files={"filename": _UPLOAD},
        )
        result = response.json()["result"]
        self.ids["15x194"] = result["id"]
        self.ids["15x195"] = result["imageattachmentids"]


def _needed(params: dict[str, str]) -> set[str]:
    """The records a request names (or names by another prefix), with those they refer to."""
    numbers = {m.group(2) for value in params.values() for m in _ID.finditer(str(value))}
    if "195" in numbers:
        numbers.add("194")
    found = {wsid for wsid in WORLD if wsid.partition("x")[2] in numbers}
    pending = list(found)
    while pending:
        for value in WORLD[pending.pop()][1].values():
            if isinstance(value, str) and value in WORLD and value not in found:
                found.add(value)
                pending.append(value)
    return found


def _shape(value: Any) -> Any:
    """What the comparison keeps of a result: keys in order, list-ness, emptiness, first row."""
    if isinstance(value, dict):
        return ("dict", list(value))
    if isinstance(value, list):
        return ("list", bool(value), _shape(value[0]) if value else None)
    return type(value).__name__


class Replayer:
    """An emulator with the recorded records created and a logged-in session."""

    def __init__(self, quirks: str | None, needed: set[str]) -> None:
        self.crm = Emulator(quirks=quirks).start()
        self.wire = Wire(self.crm)
        assert self.wire.login()["success"]
        self.world = World(self.wire)
        self.world.build(needed)

    def close(self) -> None:
        self.wire.http.close()
        self.crm.stop()

    def send(self, name: str) -> requests.Response:
        """Replay the recorded request ``name`` (session and ids swapped for live ones)."""
        request = INDEX[name]["request"]
        params = {
            k: self.wire.session_name if v == SESSION else self.world.map(v)
            for k, v in (request["params"] or {}).items()
        }
        http = self.wire.http if SESSION in params.values() else requests.Session()
        upload = request.get("multipart_file")
        if upload is not None:
            files = {upload["field"]: (upload["name"], upload["content"].encode(), upload["type"])}
            return http.post(self.crm.url, data=params, files=files)
        if request["method"] == "GET":
            return http.get(self.crm.url, params=params)
        return http.post(self.crm.url, data=params)


def _quirks(name: str) -> str | None:
    return None if INDEX[name].get("note", "").startswith("PATCHED server") else "8.4"


@pytest.fixture(scope="module")
def readers() -> Iterator[dict[str | None, Replayer]]:
    """One shared replayer per quirks mode, for requests that change nothing (GET)."""
    shared: dict[str | None, Replayer] = {}
    yield shared
    for replayer in shared.values():
        replayer.close()


@pytest.fixture
def replayer(
    request: pytest.FixtureRequest, readers: dict[str | None, Replayer]
) -> Iterator[Replayer]:
    name: str = request.param
    quirks = _quirks(name)
    if INDEX[name]["request"]["method"] == "GET":
        if quirks not in readers:
            readers[quirks] = Replayer(quirks, set(WORLD))
        yield readers[quirks]
        return
    # Writes get an emulator of their own, so no replay sees another's changes.
    fresh = Replayer(quirks, _needed(INDEX[name]["request"]["params"] or {}))
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.mark.parametrize("replayer", _replayed(), indirect=True, ids=str)
def test_replay_matches_recording(replayer: Replayer, request: pytest.FixtureRequest) -> None:
    """Status, success, error and result shape as recorded."""
    name: str = request.node.callspec.params["replayer"]
    entry = INDEX[name]
    response = replayer.send(name)
    assert response.status_code == entry["http_status"]
    expected_bytes = (RECORDED / entry["file"]).read_bytes()
    if entry["file"].endswith(".raw"):
        assert response.content == expected_bytes
        return
    expected = json.loads(expected_bytes)
    body = response.json()
    assert body["success"] is expected["success"], body
    if not expected["success"]:
        assert body["error"] == expected["error"]
        return
    assert _shape(body.get("result")) == _shape(expected.get("result")), body
