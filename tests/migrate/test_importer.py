"""The upsert engine against the embedded CRM: what it sends, what the CRM ends up holding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from crm_models import Accounts, Contacts
from migrate_helpers import create_all, ops, people, rows
from recording import make_client

import vtorm
from vtorm.migrate import import_records, lookup
from vtorm.migrate.journal import Journal
from vtorm.migrate.report import Rejects
from vtorm.testing import Emulator
from vtorm.transport import Response


def emails(client: vtorm.Client) -> list[str]:
    return sorted(r["email"] for r in rows(client, "Contacts", "email"))


def test_creates_then_a_rerun_writes_nothing(crm: Emulator, client: vtorm.Client) -> None:
    counts = import_records(Contacts, people(5), key=["email"], client=client)
    assert counts.as_dict() == {
        "read": 5, "created": 5, "updated": 0, "unchanged": 0, "rejected": 0, "in_doubt": 0
    }  # fmt: skip
    crm.calls.clear()
    again = import_records(Contacts, people(5), key=["email"], client=client)
    assert again.unchanged == 5 and again.created == again.updated == 0
    assert ops(crm, "create", "revise", "update") == []
    assert len(rows(client, "Contacts")) == 5


def test_revise_sends_only_the_fields_that_differ(crm: Emulator, client: vtorm.Client) -> None:
    (ident,) = create_all(
        client, "Contacts", [{"firstname": "Ann", "lastname": "Old", "email": "ann@example.com"}]
    )
    crm.calls.clear()
    counts = import_records(
        Contacts,
        [{"firstname": "Ann", "lastname": "New", "email": "ann@example.com"}],
        key=["email"],
        client=client,
    )
    assert counts.updated == 1
    (revise,) = [params for op, params in crm.calls if op == "revise"]
    assert json.loads(revise["element"]) == {"id": ident, "lastname": "New"}
    assert client.retrieve(ident)["lastname"] == "New"


def test_keys_match_as_the_server_compares(crm: Emulator, client: vtorm.Client) -> None:
    (ident,) = create_all(
        client, "Contacts", [{"lastname": "Hélène", "email": "helene@example.com"}]
    )
    counts = import_records(
        Contacts,
        [{"lastname": "HELENE ", "email": "x@example.com"}],
        key=["lastname"],
        client=client,
    )
    # Same record to the server (case, accents, trailing spaces): revised, not duplicated.
    assert counts.updated == 1
    assert len(rows(client, "Contacts")) == 1
    assert client.retrieve(ident)["email"] == "x@example.com"


def test_lookups_cost_one_query_per_100_rows(crm: Emulator, client: vtorm.Client) -> None:
    create_all(client, "Contacts", people(150))
    crm.calls.clear()
    counts = import_records(Contacts, people(300), key=["email"], client=client, workers=8)
    assert (counts.created, counts.unchanged) == (150, 150)
    assert len(ops(crm, "query")) <= 300 // 100 + 1  # + the owners list
    assert len(rows(client, "Contacts")) == 300


def test_composite_keys(crm: Emulator, client: vtorm.Client) -> None:
    create_all(client, "Contacts", [{"firstname": "Ann", "lastname": "Lee", "email": "a@x.org"}])
    records = [
        {"firstname": "Ann", "lastname": "Lee", "email": "b@x.org"},  # same person: update
        {"firstname": "Bob", "lastname": "Lee", "email": "c@x.org"},  # new
    ]
    counts = import_records(Contacts, records, key=["firstname", "lastname"], client=client)
    assert (counts.updated, counts.created) == (1, 1)
    assert emails(client) == ["b@x.org", "c@x.org"]


def test_rows_with_one_key_are_serialized(crm: Emulator, client: vtorm.Client) -> None:
    records = [
        {"lastname": "First", "email": "same@example.com"},
        {"lastname": "Other", "email": "other@example.com"},
        {"lastname": "Second", "email": "SAME@example.com"},
        {"lastname": "Third", "email": "same@example.com"},
    ]
    counts = import_records(Contacts, records, key=["email"], client=client, workers=8)
    assert (counts.created, counts.updated) == (2, 2)
    assert len(ops(crm, "create")) == 2
    found = {r["email"].lower(): r["lastname"] for r in rows(client, "Contacts")}
    assert found == {"same@example.com": "Third", "other@example.com": "Other"}


def test_a_key_two_records_share_is_rejected_as_ambiguous(
    crm: Emulator, client: vtorm.Client
) -> None:
    create_all(client, "Contacts", [{"lastname": "Twin", "email": "t@x.org"}] * 2)
    crm.calls.clear()
    rejects = Rejects()
    counts = import_records(
        Contacts, [{"lastname": "Twin", "email": "new@x.org"}], key=["lastname"],
        client=client, rejects=rejects,
    )  # fmt: skip
    assert counts.rejected == 1
    assert rejects.first[0]["reason"].startswith("ambiguous: the key matches 2 records")
    assert ops(crm, "create", "revise") == []


def test_bad_values_are_rejected_before_sending(crm: Emulator, client: vtorm.Client) -> None:
    rejects = Rejects()
    records: list[dict[str, Any]] = [
        {"lastname": "A", "email": "a@x.org", "birthday": "2021-02-30"},
        {"lastname": "B", "email": "b@x.org", "emailoptout": "yes"},
        {"lastname": "C", "email": "c@x.org", "birthday": "2021-02"},
        {"lastname": "D", "email": "d@x.org", "assigned_user_id": "5"},
        {"lastname": "E", "email": "e@x.org", "assigned_user_id": "19x999"},
        {"lastname": "", "email": "f@x.org"},
        {"lastname": "G", "email": ""},
        {"lastname": "H", "email": "h@x.org", "leadsource": "Carrier pigeon"},
        {"lastname": "I", "email": "i@x.org", "birthday": "1990-05-06", "emailoptout": True},
    ]
    counts = import_records(Contacts, records, key=["email"], client=client, rejects=rejects)
    assert (counts.read, counts.rejected, counts.created) == (9, 8, 1)
    reasons = [r["reason"] for r in sorted(rejects.first, key=lambda r: r["line"])]
    assert "birthday" in reasons[0] and "'2021-02-30'" in reasons[0]
    assert "emailoptout" in reasons[1] and "'yes'" in reasons[1]
    assert "'2021-02'" in reasons[2]
    assert "bare number" in reasons[3]
    assert "'19x999' is no user or group" in reasons[4]
    assert "lastname" in reasons[5] and "mandatory" in reasons[5]
    assert "email" in reasons[6] and "no value" in reasons[6]
    assert "'Carrier pigeon' is not one of the field's values" in reasons[7]
    assert len(ops(crm, "create")) == 1
    (made,) = rows(client, "Contacts")
    assert (made["birthday"], made["emailoptout"]) == ("1990-05-06", "1")


def test_owners_by_user_or_group_name(crm: Emulator, client: vtorm.Client) -> None:
    records = [
        {"lastname": "U", "email": "u@x.org", "assigned_user_id": "jdoe"},
        {"lastname": "G", "email": "g@x.org", "assigned_user_id": "Marketing Group"},
        {"lastname": "D", "email": "d@x.org"},
    ]
    counts = import_records(Contacts, records, key=["email"], client=client)
    assert counts.created == 3
    owners = {r["lastname"]: r["assigned_user_id"] for r in rows(client, "Contacts")}
    assert owners == {"U": "19x5", "G": "20x3", "D": "19x1"}


def test_dry_run_sends_no_write(crm: Emulator, client: vtorm.Client) -> None:
    create_all(client, "Contacts", people(2))
    changed = {"firstname": "Changed", "lastname": "Last0", "email": "person0@example.com"}
    records = [*people(3), changed]
    crm.calls.clear()
    counts = import_records(Contacts, records, key=["email"], client=client, dry_run=True)
    assert (counts.unchanged, counts.created, counts.updated) == (2, 1, 1)
    assert ops(crm, "create", "revise", "update", "delete") == []
    assert len(rows(client, "Contacts")) == 2


def test_a_create_whose_answer_was_dropped_is_found_not_resent(
    crm: Emulator, client: vtorm.Client
) -> None:
    crm.inject("drop_after", operation="create", times=3)
    counts = import_records(Contacts, people(20), key=["email"], client=client, workers=4)
    assert (counts.created, counts.in_doubt, counts.rejected) == (20, 0, 0)
    assert len(rows(client, "Contacts")) == 20
    assert len(ops(crm, "create")) == 20


def test_a_create_dropped_before_the_server_acted_is_sent_again(
    crm: Emulator, client: vtorm.Client
) -> None:
    # "drop" closes before acting, after the request was sent: in doubt, looked up, resent.
    crm.inject("drop", operation="create", times=2)
    counts = import_records(Contacts, people(5), key=["email"], client=client, workers=1)
    assert counts.created == 5
    assert len(rows(client, "Contacts")) == 5


def test_a_create_answered_with_the_restricted_file_page_is_in_doubt_not_resent(
    crm: Emulator, client: vtorm.Client
) -> None:
    # The owner is removed after the import checked it (an administrator, in the
    # CRM's own pages): 8.4 stores each record with the bare number as owner and
    # answers the restricted-file page instead of it.
    def owners_checked(response: Response) -> None:
        if "FROM+Groups" in response.request.url:
            crm.state.groups.pop(3, None)

    client.event_hooks["response"].append(owners_checked)
    rejects = Rejects()
    records = [dict(person, assigned_user_id="20x3") for person in people(4)]
    counts = import_records(
        Contacts, records, key=["email"], client=client, workers=2, rejects=rejects
    )
    stored = rows(client, "Contacts")
    assert len(stored) == 4 and {r["assigned_user_id"] for r in stored} == {"3"}
    assert len(ops(crm, "create")) == 4  # each found again, none created twice
    # Each found record is revised towards its owner, answered the same way: in doubt.
    assert (counts.in_doubt, counts.created, counts.rejected) == (4, 0, 0)
    assert all("restricted file" in r["reason"] for r in rejects.first)


def test_a_create_that_stays_unanswered_is_left_in_doubt(
    crm: Emulator, client: vtorm.Client, tmp_path: Any
) -> None:
    crm.inject("drop", operation="create", times=None)
    journal = Journal(tmp_path / "j.sqlite")
    rejects = Rejects()
    counts = import_records(
        Contacts, people(2), key=["email"], client=client, journal=journal, rejects=rejects
    )
    assert (counts.in_doubt, counts.created) == (2, 0)
    assert all("not confirmed" in r["reason"] for r in rejects.first)
    assert journal.count("import:Contacts:email", "pending") == 2
    crm.clear_faults()
    counts = import_records(Contacts, people(2), key=["email"], client=client, journal=journal)
    assert counts.created == 2 and counts.in_doubt == 0
    assert journal.count("import:Contacts:email", "pending") == 0
    assert len(rows(client, "Contacts")) == 2


def test_duplicate_prevention_with_the_name_as_key_updates(
    crm: Emulator, client: vtorm.Client
) -> None:
    # Another process creates "Acme" between the lookup and the create: the
    # CRM refuses the create as a duplicate of it, and the row updates it.
    other = make_client(crm)

    def other_process(response: Response) -> None:
        if "FROM+Accounts" in response.request.url and not ops(crm, "create"):
            create_all(other, "Accounts", [{"accountname": "Acme", "website": "old.example"}])

    client.event_hooks["response"].append(other_process)
    counts = import_records(
        Accounts, [{"accountname": "ACME ", "website": "new.example"}],
        key=["accountname"], client=client,
    )  # fmt: skip
    other.close()
    assert counts.as_dict()["updated"] == 1
    assert ops(crm, "create") == ["create", "create"]  # the other process's, then refused
    (only,) = rows(client, "Accounts")
    assert (only["accountname"], only["website"]) == ("Acme", "new.example")


def test_duplicate_prevention_on_another_key_rejects_with_the_reason(
    crm: Emulator, client: vtorm.Client
) -> None:
    (acme,) = create_all(client, "Accounts", [{"accountname": "Acme", "email1": "a@acme.example"}])
    rejects = Rejects()
    counts = import_records(
        Accounts, [{"accountname": "acme", "email1": "b@acme.example"}],
        key=["email1"], client=client, rejects=rejects,
    )  # fmt: skip
    assert counts.rejected == 1
    reason = rejects.first[0]["reason"]
    assert "duplicate" in reason and "accountname" in reason
    assert "Duplicate(s) detected!" in reason
    assert reason.endswith(
        "to update the records of that name instead, import with --key accountname"
    )
    assert [r["id"] for r in rows(client, "Accounts")] == [acme]


def test_journal_skips_done_rows_and_follows_changes(
    crm: Emulator, client: vtorm.Client, tmp_path: Any
) -> None:
    path = tmp_path / "journal.sqlite"
    import_records(Contacts, people(3), key=["email"], client=client, journal=path)
    crm.calls.clear()
    changed = people(3)
    changed[1]["firstname"] = "Renamed"
    counts = import_records(Contacts, changed, key=["email"], client=client, journal=path)
    assert (counts.unchanged, counts.updated) == (2, 1)
    # Only the changed row was looked up, and only its field was sent.
    assert len(ops(crm, "query")) == 1
    assert ops(crm, "revise") == ["revise"]


def test_a_read_only_key_only_updates(crm: Emulator, client: vtorm.Client) -> None:
    (ident,) = create_all(client, "Contacts", [{"lastname": "Kept"}])
    rejects = Rejects()
    counts = import_records(
        Contacts, [{"id": ident, "lastname": "ById"}, {"id": "12x999999", "lastname": "Gone"}],
        key=["id"], client=client, rejects=rejects,
    )  # fmt: skip
    assert (counts.updated, counts.rejected) == (1, 1)
    assert "only updated" in rejects.first[0]["reason"]
    assert client.retrieve(ident)["lastname"] == "ById"
    assert ops(crm, "create") == [] or len(rows(client, "Contacts")) == 1


def test_the_map_renames_sets_and_translates(crm: Emulator, client: vtorm.Client) -> None:
    field_map = {
        "rename": {"Surname": "lastname", "Mail": "email", "Opt out": "emailoptout"},
        "ignore": ["Notes"],
        "set": {"leadsource": "Web Site"},
        "default": {"assigned_user_id": "jdoe"},
        "values": {"emailoptout": {"yes": True, "no": False}},
    }
    records = [
        {"Surname": "Ray", "Mail": "r@x.org", "Opt out": "yes", "Notes": "vip"},
        {"Surname": "Sue", "Mail": "s@x.org", "Opt out": "no", "Notes": ""},
    ]
    counts = import_records(Contacts, records, key=["email"], client=client, field_map=field_map)
    assert counts.created == 2
    got = {r["lastname"]: r for r in rows(client, "Contacts")}
    assert got["Ray"]["emailoptout"] == "1" and got["Sue"]["emailoptout"] == "0"
    assert {r["leadsource"] for r in got.values()} == {"Web Site"}
    assert {r["assigned_user_id"] for r in got.values()} == {"19x5"}


def test_lookups_read_only_the_key_and_the_written_fields(
    crm: Emulator, client: vtorm.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_all(client, "Contacts", people(2))
    crm.calls.clear()
    import_records(Contacts, people(2), key=["email"], client=client)
    (statement,) = [params["query"] for op, params in crm.calls if op == "query"]
    assert statement.startswith("SELECT email, firstname, lastname FROM Contacts WHERE email IN")
    # A column list longer than the URL can afford becomes SELECT *.
    monkeypatch.setattr(lookup, "_MAX_COLUMN_CHARS", 20)
    crm.calls.clear()
    import_records(Contacts, people(2), key=["email"], client=client)
    (statement,) = [params["query"] for op, params in crm.calls if op == "query"]
    assert statement.startswith("SELECT * FROM Contacts WHERE email IN")


def test_references_to_missing_records_are_rejected(crm: Emulator, client: vtorm.Client) -> None:
    (account,) = create_all(client, "Accounts", [{"accountname": "Real"}])
    gone = create_all(client, "Accounts", [{"accountname": "Gone"}])[0]
    client.delete(gone)
    rejects = Rejects()
    crm.calls.clear()
    counts = import_records(
        Contacts,
        [{"lastname": "A", "email": "a@x.org", "account_id": account},
         {"lastname": "B", "email": "b@x.org", "account_id": gone},
         {"lastname": "C", "email": "c@x.org", "account_id": "11x999999"}],
        key=["email"], client=client, rejects=rejects,
    )  # fmt: skip
    assert (counts.created, counts.rejected) == (1, 2)
    reasons = sorted(r["reason"] for r in rejects.first)
    assert reasons[0].startswith(f"account_id refers to {gone}, which does not exist")
    assert "11x999999" in reasons[1]
    # One query checked the three ids.
    checks = [p["query"] for op, p in crm.calls if op == "query" and "FROM Accounts" in p["query"]]
    assert len(checks) == 1 and checks[0].startswith("SELECT id FROM Accounts WHERE id IN")
