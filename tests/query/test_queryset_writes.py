"""QuerySet.update() and .delete() against the emulator: exact, checked first, concurrent."""

from __future__ import annotations

from typing import Any

import pytest
from crm_models import Accounts, Contacts
from recording import InFlight, Sent, make_client

import vtorm
from vtorm.testing import Emulator


def seed(client: vtorm.Client, count: int, **fields: Any) -> list[str]:
    """``count`` Contacts named N000..., created straight through the client."""
    return [
        client.create(
            "Contacts", {"lastname": f"N{n:03d}", "assigned_user_id": "19x1", **fields}
        )["id"]
        for n in range(count)
    ]


def num(ident: str) -> int:
    return int(ident.partition("x")[2])


def titles(client: vtorm.Client) -> dict[str, str]:
    rows = client.query("SELECT id, title FROM Contacts LIMIT 100;")
    rows += client.query("SELECT id, title FROM Contacts LIMIT 100, 100;")
    return {r["id"]: r["title"] for r in rows}


# --------------------------------------------------------------------------- update


def test_update_sends_one_revise_per_record_with_only_those_fields(
    client: vtorm.Client, sent: Sent
) -> None:
    ids = seed(client, 5, title="Old", department="Sales")
    seed(client, 2, title="Other")
    sent.clear()
    changed = Contacts.objects.filter(title="Old").update(title="New", donotcall=True)
    assert changed == 5
    assert sent.ops == ["query", "query", *["revise"] * 5]  # the ids, then the writes
    assert sent.requests[0][1]["query"] == (
        "SELECT id FROM Contacts WHERE title = 'Old' ORDER BY id LIMIT 100;"
    )
    revised = sent.elements("revise")
    assert sorted((e["id"] for e in revised), key=num) == ids
    assert all(set(e) == {"id", "title", "donotcall"} for e in revised)
    assert all((e["title"], e["donotcall"]) == ("New", "1") for e in revised)
    stored = titles(client)
    assert [stored[i] for i in ids] == ["New"] * 5
    assert sorted(stored.values()).count("Other") == 2
    assert client.retrieve(ids[0])["department"] == "Sales"  # untouched


def test_update_changing_the_filtered_field_misses_no_record(
    client: vtorm.Client, sent: Sent
) -> None:
    ids = seed(client, 130, title="Old")  # more than one page
    sent.clear()
    assert Contacts.objects.filter(title="Old").update(title="New", workers=4) == 130
    assert sent.ops.count("revise") == 130
    assert set(titles(client).values()) == {"New"}
    assert Contacts.objects.filter(title="Old").count() == 0
    assert list(Contacts.objects.filter(title="New").values_list("id", flat=True)) == ids


@pytest.mark.parametrize(
    ("fields", "error", "words"),
    [
        ({"nosuchfield": "x"}, vtorm.FieldError, ["Contacts", "nosuchfield"]),
        ({"contact_no": "CON9"}, vtorm.FieldError, ["contact_no", "read-only"]),
        ({"id": "12x1"}, vtorm.FieldError, ["id", "read-only"]),
        ({"birthday": "next week"}, vtorm.ValidationError, ["birthday", "next week"]),
        ({"title": "ok", "emailoptout": "maybe"}, vtorm.ValidationError,
         ["emailoptout", "maybe"]),
        ({"account_id": "99 or 1=1"}, vtorm.ValidationError, ["account_id"]),
        ({"lastname": None}, vtorm.ValidationError, ["lastname", "mandatory"]),
        ({"lastname": "  "}, vtorm.ValidationError, ["lastname", "mandatory"]),
        ({}, TypeError, ["at least one field"]),
    ],
)  # fmt: skip
def test_update_checks_every_field_before_any_request(
    client: vtorm.Client, sent: Sent, fields: dict[str, Any], error: type[Exception],
    words: list[str],
) -> None:
    seed(client, 2)
    sent.clear()
    with pytest.raises(error) as caught:
        Contacts.objects.all().update(**fields)
    assert all(word in str(caught.value) for word in words)
    assert sent.ops == []


def test_update_and_delete_refuse_slices_and_bad_workers(client: vtorm.Client, sent: Sent) -> None:
    with pytest.raises(TypeError, match="update a query once a slice"):
        Contacts.objects.all()[:5].update(title="x")
    with pytest.raises(TypeError, match="delete a query once a slice"):
        Contacts.objects.all()[2:].delete()
    with pytest.raises(ValueError, match="workers"):
        Contacts.objects.all().update(title="x", workers=0)
    with pytest.raises(ValueError, match="workers"):
        Contacts.objects.all().delete(workers=0)
    assert sent.ops == []


def test_update_of_nothing_sends_no_write(client: vtorm.Client, sent: Sent) -> None:
    assert Contacts.objects.none().update(title="x") == 0
    assert sent.ops == []
    assert Contacts.objects.filter(lastname="nobody").update(title="x") == 0
    assert "revise" not in sent.ops


def test_update_takes_python_values_and_instances(client: vtorm.Client, sent: Sent) -> None:
    acme = Accounts.objects.create(accountname="Acme", assigned_user_id="19x1")
    ids = seed(client, 2)
    sent.clear()
    assert Contacts.objects.all().update(account_id=acme, title=None) == 2
    assert all(e["account_id"] == acme.id and e["title"] == "" for e in sent.elements("revise"))
    assert [client.retrieve(i)["account_id"] for i in ids] == [acme.id] * 2
    unsaved = Accounts(accountname="New", assigned_user_id="19x1")
    with pytest.raises(vtorm.ValidationError, match="not saved yet"):
        Contacts.objects.all().update(account_id=unsaved)


def test_update_reports_each_failed_record_after_the_others(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    ids = seed(client, 4)
    crm.inject("http500", operation="revise", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        Contacts.objects.using(client).all().update(title="Done", workers=1)
    ((failed, error),) = caught.value.failures
    assert isinstance(failed, Contacts) and failed.id == ids[0]
    assert isinstance(error, vtorm.ProtocolError)
    assert ids[0] in str(caught.value)
    stored = titles(client)
    assert stored[ids[0]] == "" and [stored[i] for i in ids[1:]] == ["Done"] * 3
    assert Contacts.objects.using(client).filter(title="Done").count() == 3
    client.close()


def test_update_works_without_revise(crm: Emulator) -> None:
    client = make_client(crm)
    client.features.revise = False
    ids = seed(client, 3, department="Sales")
    sent = Sent(client)
    assert Contacts.objects.using(client).all().update(title="Boss") == 3
    assert sorted(sent.ops) == ["query", "query", *["retrieve"] * 3, *["update"] * 3]
    assert all(client.retrieve(i)["department"] == "Sales" for i in ids)
    assert set(titles(client).values()) == {"Boss"}
    client.close()


def test_update_runs_workers_requests_at_a_time(client: vtorm.Client, crm: Emulator) -> None:
    seed(client, 6)
    crm.inject("delay", operation="revise", times=None, delay=0.1)
    flight = InFlight(client)
    assert Contacts.objects.all().update(title="x", workers=3) == 6
    assert 2 <= flight.most <= 3
    crm.clear_faults()
    flight.most = 0
    crm.inject("delay", operation="delete", times=None, delay=0.05)
    assert Contacts.objects.all().delete(workers=1) == 6
    assert flight.most == 1


def test_update_clears_the_result_cache(client: vtorm.Client, sent: Sent) -> None:
    seed(client, 2, title="Old")
    qs = Contacts.objects.filter(title="Old")
    assert len(qs) == 2
    assert qs.update(title="New") == 2
    assert qs._result_cache is None
    assert len(qs) == 0  # read again


def test_update_inside_a_unit_of_work_reaches_its_objects(client: vtorm.Client) -> None:
    first, second = seed(client, 2, title="Old")
    with vtorm.UnitOfWork(client) as uow:
        one = uow.get(Contacts, first)
        two = uow.get(Contacts, second)
        two.department = "Mine"  # pending, and kept
        assert Contacts.objects.all().update(title="New") == 2
        assert one.title == two.title == "New" and not one.is_dirty()
        assert two.dirty_fields == ["department"]
        assert Contacts.objects.get(id=first) is one and one.title == "New"
    assert client.retrieve(second)["department"] == "Mine"
    assert client.retrieve(second)["title"] == "New"


# --------------------------------------------------------------------------- delete


def test_delete_removes_every_matching_record(client: vtorm.Client, sent: Sent) -> None:
    doomed = seed(client, 130, title="Old")  # more than one page
    kept = seed(client, 3, title="Keep")
    sent.clear()
    assert Contacts.objects.filter(title="Old").delete(workers=4) == 130
    assert sent.ops.count("delete") == 130
    assert sorted(p["id"] for op, p in sent.requests if op == "delete") == sorted(doomed)
    assert list(Contacts.objects.values_list("id", flat=True)) == kept
    assert Contacts.objects.filter(title="Old").delete() == 0


def test_delete_is_not_on_the_manager(client: vtorm.Client) -> None:
    seed(client, 2)
    assert not hasattr(Contacts.objects, "delete")
    assert Contacts.objects.all().delete() == 2
    assert Contacts.objects.count() == 0


def test_delete_reports_each_failed_record_after_the_others(crm: Emulator) -> None:
    client = make_client(crm, max_retries=0)
    ids = seed(client, 3)
    crm.inject("http500", operation="delete", times=1)
    with pytest.raises(vtorm.FlushError) as caught:
        Contacts.objects.using(client).all().delete(workers=1)
    ((failed, error),) = caught.value.failures
    assert failed.id == ids[0] and isinstance(error, vtorm.ProtocolError)
    assert list(Contacts.objects.using(client).values_list("id", flat=True)) == [ids[0]]
    client.close()


def test_delete_inside_a_unit_of_work_forgets_its_objects(client: vtorm.Client) -> None:
    first, second = seed(client, 2)
    with vtorm.UnitOfWork(client) as uow:
        one = uow.get(Contacts, first)
        one.title = "pending"
        uow.delete(uow.get(Contacts, second))
        assert Contacts.objects.all().delete() == 2
        assert one.id is None and one._state.adding  # unsaved, like obj.delete()
        assert uow.deleted == [] and uow.dirty == []
    assert Contacts.objects.count() == 0  # leaving the block sent nothing more
