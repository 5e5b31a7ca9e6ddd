"""``copy`` between two embedded CRMs: order, references, owners, picklists, reruns, doubts."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from migrate_helpers import ops, rows

import vtorm
from vtorm.migrate import copy_modules
from vtorm.migrate.copier import Copier
from vtorm.migrate.journal import Journal
from vtorm.migrate.report import Rejects
from vtorm.testing import Emulator
from vtorm.testing.state import User, new_access_key


def add_user(crm: Emulator, number: int, name: str) -> str:
    """Give the emulated CRM one more user (setup, as an administrator would)."""
    user = User(number, name, new_access_key(), first_name=name.title())
    crm.state.users[number] = user
    crm.state.store.insert_plain("Users", number, crm.state._user_row(user))
    return user.wsid


@pytest.fixture
def source(crm: Emulator, client: vtorm.Client) -> tuple[Emulator, vtorm.Client]:
    return crm, client


@pytest.fixture
def journal() -> Iterator[Journal]:
    with Journal(":memory:") as made:
        yield made


def copy(
    source: vtorm.Client, target: vtorm.Client, modules: list[str], journal: Journal, **kw: Any
) -> tuple[dict[str, dict[str, int]], Rejects]:
    rejects = Rejects()
    copier = Copier(source, target, modules, journal=journal, rejects=rejects, **kw)
    counts = copier.run()
    return {m: c.as_dict() for m, c in counts.items()}, rejects


def by(client: vtorm.Client, module: str, field: str) -> dict[str, dict[str, Any]]:
    return {r[field]: r for r in rows(client, module)}


def seed(client: vtorm.Client) -> dict[str, str]:
    """Accounts in a Member Of chain (and a cycle), Contacts reporting to each other."""
    ids: dict[str, str] = {}

    def make(module: str, name: str, **values: Any) -> str:
        ids[name] = client.create(module, {"assigned_user_id": "19x1", **values})["id"]
        return ids[name]

    make("Accounts", "Holding", accountname="Holding")
    make("Accounts", "Branch", accountname="Branch", account_id=ids["Holding"])
    make("Accounts", "Shop", accountname="Shop", account_id=ids["Branch"])
    make("Contacts", "Boss", lastname="Boss", account_id=ids["Holding"])
    make("Contacts", "Clerk", lastname="Clerk", account_id=ids["Shop"], contact_id=ids["Boss"])
    # A cycle: the Holding is a member of the Shop (created later).
    client.revise({"id": ids["Holding"], "account_id": ids["Shop"]})
    return ids


def test_references_are_rewritten_and_cycles_filled(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    dst.create("Contacts", {"lastname": "Already there", "assigned_user_id": "19x1"})  # shifts ids
    ids = seed(src)
    counts, rejects = copy(src, dst, ["Contacts", "Accounts"], journal)
    assert rejects.first == []
    assert counts["Accounts"]["created"] == 3 and counts["Contacts"]["created"] == 2
    assert list(counts) == ["Accounts", "Contacts"]  # reference order, whatever was asked
    accounts = by(dst, "Accounts", "accountname")
    contacts = by(dst, "Contacts", "lastname")
    assert accounts["Branch"]["account_id"] == accounts["Holding"]["id"]
    assert accounts["Shop"]["account_id"] == accounts["Branch"]["id"]
    assert accounts["Holding"]["account_id"] == accounts["Shop"]["id"]
    assert contacts["Clerk"]["account_id"] == accounts["Shop"]["id"]
    assert contacts["Clerk"]["contact_id"] == contacts["Boss"]["id"]
    assert contacts["Boss"]["account_id"] == accounts["Holding"]["id"]
    # The journal maps source ids to the target's own, which differ here.
    assert journal.target_of(ids["Boss"]) == contacts["Boss"]["id"] != ids["Boss"]
    assert len(contacts) == 3


def test_a_rerun_writes_nothing_and_a_change_is_revised(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    dst_crm, dst = target
    ids = seed(src)
    copy(src, dst, ["Accounts", "Contacts"], journal)
    dst_crm.calls.clear()
    counts, _ = copy(src, dst, ["Accounts", "Contacts"], journal)
    assert counts["Accounts"]["unchanged"] == 3 and counts["Contacts"]["unchanged"] == 2
    assert ops(dst_crm, "create", "revise", "update") == []
    src.revise({"id": ids["Clerk"], "title": "Head clerk", "contact_id": ""})
    counts, _ = copy(src, dst, ["Accounts", "Contacts"], journal)
    assert counts["Contacts"]["updated"] == 1 and counts["Contacts"]["unchanged"] == 1
    clerk = by(dst, "Contacts", "lastname")["Clerk"]
    assert clerk["title"] == "Head clerk"
    assert clerk["contact_id"] in ("", None)
    assert len(rows(dst, "Contacts")) == 2


def test_owners_are_mapped_by_name(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    src_crm, src = source
    dst_crm, dst = target
    on_source = add_user(src_crm, 7, "rsmith")
    on_target = add_user(dst_crm, 9, "rsmith")
    add_user(src_crm, 8, "nobody")
    src.create("Contacts", {"lastname": "Mine", "assigned_user_id": on_source})
    src.create("Contacts", {"lastname": "Team", "assigned_user_id": "20x3"})
    src.create("Contacts", {"lastname": "Lost", "assigned_user_id": "19x8"})
    counts, rejects = copy(src, dst, ["Contacts"], journal)
    assert (counts["Contacts"]["created"], counts["Contacts"]["rejected"]) == (2, 1)
    owners = {r["lastname"]: r["assigned_user_id"] for r in rows(dst, "Contacts")}
    assert owners == {"Mine": on_target, "Team": "20x3"}
    assert "'nobody'" in rejects.first[0]["reason"]
    assert rejects.first[0]["module"] == "Contacts"


def test_references_to_modules_not_copied_are_rejected_with_the_reason(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    seed(src)
    counts, rejects = copy(src, dst, ["Contacts"], journal)
    assert counts["Contacts"]["rejected"] == 2
    assert all("account_id refers to" in r["reason"] for r in rejects.first)
    # Copying the Accounts later makes the same command succeed.
    counts, rejects = copy(src, dst, ["Accounts", "Contacts"], journal)
    assert counts["Contacts"]["created"] == 2 and rejects.first == []


def test_picklist_values_are_checked_against_the_target(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    src.create("Contacts", {"lastname": "Odd", "assigned_user_id": "19x1", "leadsource": "Fax"})
    src.create("Contacts", {"lastname": "Fine", "assigned_user_id": "19x1",
                            "leadsource": "Web Site"})  # fmt: skip
    counts, rejects = copy(src, dst, ["Contacts"], journal)
    assert (counts["Contacts"]["created"], counts["Contacts"]["rejected"]) == (1, 1)
    assert "leadsource" in rejects.first[0]["reason"] and "'Fax'" in rejects.first[0]["reason"]


def test_dry_run_sends_no_write(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    dst_crm, dst = target
    seed(src)
    counts, _ = copy(src, dst, ["Accounts", "Contacts"], journal, dry_run=True)
    assert counts["Accounts"]["created"] == 3 and counts["Contacts"]["created"] == 2
    assert ops(dst_crm, "create", "revise", "update", "delete") == []


def test_a_dropped_create_is_found_by_its_values_not_copied_twice(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    dst_crm, dst = target
    seed(src)
    dst_crm.inject("drop_after", operation="create", times=2)
    counts, rejects = copy(src, dst, ["Accounts", "Contacts"], journal)
    assert rejects.first == []
    assert counts["Accounts"]["created"] == 3 and counts["Contacts"]["created"] == 2
    assert len(rows(dst, "Accounts")) == 3 and len(rows(dst, "Contacts")) == 2


def test_a_key_matches_records_the_target_already_has(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    seed(src)
    dst.create("Accounts", {"accountname": "BRANCH", "assigned_user_id": "19x1"})
    counts, _ = copy(src, dst, ["Accounts"], journal, keys={"Accounts": ["accountname"]})
    assert (counts["Accounts"]["created"], counts["Accounts"]["unchanged"]) == (2, 1)
    accounts = by(dst, "Accounts", "accountname")
    assert set(accounts) == {"Holding", "BRANCH", "Shop"}
    # Its Member Of, filled in the second pass, points to the copied Holding.
    assert accounts["BRANCH"]["account_id"] == accounts["Holding"]["id"]


def test_without_a_key_a_name_the_target_has_is_rejected_with_the_key_to_give(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    seed(src)
    dst.create("Accounts", {"accountname": "BRANCH", "assigned_user_id": "19x1"})
    counts, rejects = copy(src, dst, ["Accounts"], journal)
    # (Shop, a member of the refused Branch, waits for it: rejected as well.)
    assert counts["Accounts"]["rejected"] >= 1
    (reason,) = [e["reason"] for e in rejects.first if "Duplicate(s) detected!" in e["reason"]]
    assert reason.endswith(
        "to update the target's records instead of creating new ones, copy with "
        "--key Accounts=accountname"
    )


def test_since_last_copies_changes_and_deletions(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], tmp_path: Any
) -> None:
    src_crm, src = source
    _, dst = target
    ids = seed(src)
    with Journal(tmp_path / "copy.journal") as journal:
        copy(src, dst, ["Accounts", "Contacts"], journal)
        assert journal.cursor("copy:Contacts") is not None
        src.revise({"id": ids["Clerk"], "title": "Head clerk"})
        src.delete(ids["Boss"])
        src.create("Contacts", {"lastname": "New", "assigned_user_id": "19x1"})
        point = journal.cursor("copy:Contacts")
        dry, _ = copy(src, dst, ["Accounts", "Contacts"], journal, since="last", dry_run=True)
        assert (dry["Contacts"]["created"], dry["Contacts"]["deleted"]) == (1, 1)
        assert journal.cursor("copy:Contacts") == point
        assert len(rows(dst, "Contacts")) == 2
        src_crm.calls.clear()
        counts, rejects = copy(src, dst, ["Accounts", "Contacts"], journal, since="last")
    assert rejects.first == []
    assert counts["Contacts"] == {"read": 2, "created": 1, "updated": 1, "unchanged": 0,
                                  "rejected": 0, "in_doubt": 0, "deleted": 1}  # fmt: skip
    assert counts["Accounts"]["read"] == 0  # nothing changed there
    contacts = by(dst, "Contacts", "lastname")
    assert set(contacts) == {"Clerk", "New"}
    assert contacts["Clerk"]["title"] == "Head clerk"
    # Changed records were read, not the whole module (a page of changes, an id scan).
    assert len(ops(src_crm, "query")) < 20


def test_since_last_keeps_the_point_while_a_change_fails(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], tmp_path: Any
) -> None:
    _, src = source
    _, dst = target
    with Journal(tmp_path / "copy.journal") as journal:
        copy(src, dst, ["Contacts"], journal)
        point = journal.cursor("copy:Contacts")
        src.create("Contacts", {"lastname": "Odd", "assigned_user_id": "19x1",
                                "leadsource": "Fax"})  # fmt: skip
        counts, _ = copy(src, dst, ["Contacts"], journal, since="last")
        assert counts["Contacts"]["rejected"] == 1
        assert journal.cursor("copy:Contacts") == point
        # Still there next time; fixed at the source, it is copied and the point moves.
        odd = src.query("SELECT id FROM Contacts WHERE lastname = 'Odd';")[0]["id"]
        src.revise({"id": odd, "leadsource": "Web Site"})
        counts, _ = copy(src, dst, ["Contacts"], journal, since="last")
        assert counts["Contacts"]["created"] == 1
        assert journal.cursor("copy:Contacts") != point


def test_since_a_moment(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], journal: Journal
) -> None:
    _, src = source
    _, dst = target
    src.create("Contacts", {"lastname": "Only", "assigned_user_id": "19x1"})
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    counts, _ = copy(src, dst, ["Contacts"], journal, since=later)
    assert counts["Contacts"]["read"] == 0
    assert rows(dst, "Contacts") == []
    counts, _ = copy(src, dst, ["Contacts"], journal,
                     since=later - datetime.timedelta(days=3))  # fmt: skip
    assert counts["Contacts"]["created"] == 1


def test_copy_modules_from_python(
    source: tuple[Emulator, vtorm.Client], target: tuple[Emulator, vtorm.Client], tmp_path: Any
) -> None:
    _, src = source
    _, dst = target
    seed(src)
    path = tmp_path / "move.journal"
    counts = copy_modules(src, dst, ["Contacts", "Accounts"], journal=path)
    assert list(counts) == ["Accounts", "Contacts"]
    assert counts["Contacts"].created == 2
    again = copy_modules(src, dst, ["Contacts", "Accounts"], journal=path, since="last")
    assert again["Contacts"].read == again["Accounts"].read == 0
    assert len(rows(dst, "Contacts")) == 2
