"""The write engine's reading of a failed write: in doubt (look again) or not sent (stop)."""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Contacts
from migrate_helpers import ops, people, rows

import vtorm
from vtorm import errors
from vtorm.migrate import import_records
from vtorm.migrate.journal import Journal
from vtorm.migrate.upsert import ConnectionLost, _in_doubt
from vtorm.testing import Emulator
from vtorm.transport import Response

SENT = {"element": {"lastname": "A"}}


def test_what_the_client_reports_in_doubt_is_in_doubt() -> None:
    lost = errors.in_doubt(errors.ConnectionLost("hung up", sent=True), SENT, "lost", "create")
    page = errors.in_doubt(
        errors.ProtocolError("not JSON", status=200, excerpt="Sorry!"), SENT, "page", "create"
    )
    assert isinstance(lost, errors.InDoubtError) and isinstance(lost, errors.TransportError)
    assert isinstance(page, errors.InDoubtError) and isinstance(page, errors.ProtocolError)
    assert _in_doubt(lost) and _in_doubt(page)


def test_a_transport_error_the_client_left_alone_sent_nothing_of_the_write() -> None:
    # The client wraps every write that may have reached the server; what is left
    # failed before (no connection, or the session's login before the write).
    assert not _in_doubt(errors.ConnectError("refused"))
    assert not _in_doubt(errors.ReadTimeout("login took too long", sent=True))


def test_a_plain_protocol_error_is_looked_for_again_as_before() -> None:
    # A success envelope without a record came after the write ran.
    assert _in_doubt(errors.ProtocolError("not a record", status=200, excerpt="[]"))
    assert _in_doubt(errors.ProtocolError("refused", status=403, excerpt="<html>"))


def test_a_login_lost_before_a_write_stops_the_job_without_sending_it(
    crm: Emulator, client: vtorm.Client, tmp_path: Any
) -> None:
    # The session dies after the lookup; renewing it loses every login answer.
    def after_lookup(response: Response) -> None:
        if "FROM+Contacts" in response.request.url and not ops(crm, "create"):
            crm.expire_sessions()
            crm.inject("drop", operation="login", times=None)

    client.event_hooks["response"].append(after_lookup)
    journal = Journal(tmp_path / "j.sqlite")
    with pytest.raises(ConnectionLost, match="not reachable"):
        import_records(Contacts, people(3), key=["email"], client=client, journal=journal,
                       workers=1)  # fmt: skip
    client.event_hooks["response"].remove(after_lookup)
    crm.clear_faults()
    assert rows(client, "Contacts") == []  # the creates met the dead session, none ran
    crm.calls.clear()
    counts = import_records(Contacts, people(3), key=["email"], client=client, journal=journal)
    assert counts.created == 3
    assert len(rows(client, "Contacts")) == 3
    assert len(ops(crm, "create")) == 3
