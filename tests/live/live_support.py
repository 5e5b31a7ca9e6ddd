"""What the live tests share: where the CRM is, and the run's marked records."""

from __future__ import annotations

import os
import secrets
import string
from typing import Any

import pytest
import requests

import vtorm

ENV = ("VTIGER_TEST_URL", "VTIGER_TEST_USERNAME", "VTIGER_TEST_ACCESS_KEY")

# Where a marked record keeps the marker: module -> the field searched at the end.
SWEEP = {
    "Contacts": "lastname",
    "Leads": "lastname",
    "Accounts": "accountname",
    "Potentials": "potentialname",
    "Products": "productname",
    "Documents": "notes_title",
    "HelpDesk": "ticket_title",
    "Currency": "currency_name",
    "Services": "servicename",
    "Vendors": "vendorname",
    "Campaigns": "campaignname",
    "Project": "projectname",
    "ProjectTask": "projecttaskname",
    "ProjectMilestone": "projectmilestonename",
    "Assets": "assetname",
    "ServiceContracts": "subject",
    "Faq": "question",
    "PriceBooks": "bookname",
    "Calendar": "subject",
    "Events": "subject",
    "PBXManager": "customernumber",
}


class Crm:
    """Where the CRM under test is: what ``emulator_wire.Wire`` needs to call it raw."""

    def __init__(self, url: str, username: str, access_key: str) -> None:
        self.url = url.rstrip("/")
        if not self.url.endswith("webservice.php"):
            self.url += "/webservice.php"
        self.username = username
        self.access_key = access_key

    def __repr__(self) -> str:
        return f"<Crm {self.url} user={self.username!r}>"


class Marked:
    """The run's marker, and the records made with it, deleted by :meth:`clean`."""

    def __init__(self, client: vtorm.Client) -> None:
        alphabet = string.ascii_lowercase + string.digits
        self.marker = "vtlive" + "".join(secrets.choice(alphabet) for _ in range(10))
        self.client = client
        self.ids: list[str] = []
        client.login()
        # The user the tests log in as owns what they create.
        self.owner = str(client.user_id)

    def name(self, text: str) -> str:
        """``text`` with the marker: the name of a record this run makes."""
        return f"{text} {self.marker}"

    def track(self, wsid: str) -> str:
        """Remember a record to delete at the end; returns its id."""
        self.ids.append(wsid)
        return wsid

    def found(self) -> list[str]:
        """The ids of every record still holding the marker, by the sweep's fields."""
        out: list[str] = []
        for module, field in SWEEP.items():
            rows = self.client.query(
                f"SELECT id FROM {module} WHERE {field} LIKE '%{self.marker}%' LIMIT 100;"
            )
            out.extend(str(row["id"]) for row in rows)
        return out

    def clean(self) -> list[str]:
        """Delete every tracked and every marked record; returns what could not be deleted."""
        left: list[str] = []
        for wsid in dict.fromkeys([*reversed(self.ids), *self.found()]):
            try:
                self.client.delete(wsid)
            except vtorm.AccessDeniedError:
                continue  # deleted already (by the test, or earlier in this loop)
            except vtorm.VtormError as error:
                left.append(f"{wsid}: {error}")
        return left


def element(marked: Marked, **fields: Any) -> dict[str, Any]:
    """A Contacts element named with the marker, owned by the user logged in."""
    return {"lastname": marked.name("Contact"), "assigned_user_id": marked.owner, **fields}


def settings() -> tuple[str, str, str] | None:
    """(url, user name, access key) of the CRM under test, or None when not configured."""
    values = [os.environ.get(name, "") for name in ENV]
    return (values[0], values[1], values[2]) if all(values) else None


class Pair:
    """The same raw request to the CRM under test and to its emulated twin, answers compared.

    Ids in a request are the live CRM's; they are swapped for the twin's
    ones learnt from earlier answers (see ``answers.Aliases``).
    """

    def __init__(self, live: Any, twin: Any, marked: Marked) -> None:
        from answers import Aliases
        from emulator_wire import Wire

        self.live = Wire(live)
        self.twin = Wire(twin)
        assert self.live.login()["success"] and self.twin.login()["success"]
        self.aliases = Aliases()
        self.marked = marked

    def close(self) -> None:
        """Close both connections."""
        self.live.http.close()
        self.twin.http.close()

    def send(
        self, method: str, operation: str, files: Any = None, **params: str
    ) -> tuple[requests.Response, requests.Response]:
        """Send one request to both servers; returns (live answer, twin answer)."""
        answers = []
        for wire, swap in ((self.live, False), (self.twin, True)):
            fields = {"operation": operation, "sessionName": wire.session_name}
            fields.update({k: self.aliases.request(v) if swap else v for k, v in params.items()})
            if method == "GET":
                answers.append(wire.http.get(wire.crm.url, params=fields))
            else:
                answers.append(wire.http.post(wire.crm.url, data=fields, files=files))
        return answers[0], answers[1]

    def same(self, method: str, operation: str, files: Any = None, **params: str) -> Any:
        """Send to both and assert the twin answered as the CRM did; returns the live body."""
        from answers import differences

        live, twin = self.send(method, operation, files, **params)
        if operation == "create" and live.headers.get("Content-Type") == "application/json":
            made = live.json()
            if made.get("success"):
                # Tracked before any comparison: a record whose answers differ is deleted too.
                self.marked.track(str(made["result"]["id"]))
        where = f"{operation} {params}"
        assert twin.status_code == live.status_code, where
        assert twin.headers.get("Content-Type") == live.headers.get("Content-Type"), where
        try:
            body = live.json()
        except ValueError:
            assert twin.content == live.content, where
            return live.text
        if body.get("success") is False:
            # The key order inside "error" is not stable on the real server.
            assert twin.json() == body, where
            return body
        problems = differences(body, twin.json(), self.aliases)
        assert problems == [], f"{where}: {problems}"
        return body

    def live_described(self, module: str) -> Any:
        """The live CRM's describe of ``module`` (what the twin serves too)."""
        body = self.live.get("describe", elementType=module)
        assert body["success"], body
        return body["result"]

    def record(self, answer: Any) -> str:
        """The id of the record a successful create answered (the live one, tracked already)."""
        return str(answer["result"]["id"])


NO_CRM = "no live CRM: set " + ", ".join(ENV)


def require_crm() -> None:
    """Skip the calling test module, once, when no live CRM is configured."""
    if settings() is None:
        pytest.skip(NO_CRM, allow_module_level=True)
