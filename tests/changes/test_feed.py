"""Change feeds against the emulator, with sync working and with sync broken like stock 8.4."""

from __future__ import annotations

import datetime
import random
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import pytest
from conftest import Replica, crm_records, fields, frozen_clock, syncs
from crm_models import Accounts, Contacts, Leads
from recording import make_client

import vtorm
from vtorm.changes import Change, ChangeFeed
from vtorm.testing import Emulator, InProcessTransport
from vtorm.transport import BaseTransport, Request, Response

UTC = datetime.timezone.utc
SOURCES = ("Web Site", "Cold Call", "Partner", "Trade Show")


def contact(name: str, owner: str = "19x1", **values: Any) -> Contacts:
    """A new Contact on the server."""
    return Contacts.objects.create(lastname=name, assigned_user_id=owner, **values)


def many(prefix: str, count: int) -> list[str]:
    """Ids of ``count`` new Contacts (created concurrently), in id order."""
    made = Contacts.objects.bulk_create(
        [Contacts(lastname=f"{prefix} {i}", assigned_user_id="19x1") for i in range(count)]
    )
    made.raise_for_failures()
    return sorted((m.id or "" for m in made), key=lambda wsid: int(wsid.partition("x")[2]))


def kinds(changes: list[Change[Any]]) -> list[tuple[str, str]]:
    """(kind, id) of each change."""
    return [(change.kind, change.id) for change in changes]


def sent_since(crm: Emulator, mark: int) -> list[str]:
    """The operations ``crm`` received after the first ``mark`` calls."""
    return [operation for operation, _ in crm.calls[mark:]]


# ------------------------------------------------------------------ reading everything


def test_first_feed_reports_every_record_as_created(
    feed_crm: Emulator, feed_client: vtorm.Client
) -> None:
    made = [contact(f"First {i}", title=f"T{i}") for i in range(3)]
    feed = Contacts.objects.changes()
    assert isinstance(feed, ChangeFeed)
    changes = list(feed)
    assert kinds(changes) == [("created", m.id) for m in made]
    for change, record in zip(changes, made, strict=True):
        assert isinstance(change.record, Contacts)
        assert fields(change.record) == fields(Contacts.objects.get(id=record.id))
    assert feed.cursor.startswith("vtorm-feed-1:")
    assert list(Contacts.objects.changes(since=feed.cursor)) == []


def test_each_owners_records_are_in_the_feed(feed_crm: Emulator, feed_client: vtorm.Client
                                             ) -> None:
    # sync returns the caller's own records unless asked for every owner's.
    mine = contact("Mine")
    theirs = contact("Theirs", owner="19x5")
    group = contact("Group", owner="20x3")
    assert {c.id for c in Contacts.objects.changes()} == {mine.id, theirs.id, group.id}
    if syncs(feed_crm):
        assert any(p.get("syncType") == "application" for op, p in feed_crm.calls if op == "sync")


def test_since_a_datetime(feed_crm: Emulator, feed_client: vtorm.Client) -> None:
    old = contact("Old")
    untouched = contact("Untouched")
    feed_crm.state.advance(5)
    old.title = "Revised"
    old.save()
    new = contact("New")
    assert old.modifiedtime is not None
    since = old.modifiedtime.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    changes = list(Contacts.objects.changes(since=since))
    assert kinds(changes) == [("updated", old.id), ("created", new.id)]
    assert changes[0].record is not None and changes[0].record.title == "Revised"
    assert untouched.id not in {c.id for c in changes}


def test_a_page_of_one_second_may_exceed_100_records(
    feed_crm: Emulator, feed_client: vtorm.Client
) -> None:
    with frozen_clock(feed_crm):
        made = many("Burst", 130)
        feed = Contacts.objects.changes()
        changes = list(feed)
    assert [c.id for c in changes] == made
    assert {c.kind for c in changes} == {"created"}
    queries = [p["query"] for op, p in feed_crm.calls if op == "query"]
    if not syncs(feed_crm):
        # Keys, not offsets: the second page starts after the last id of the first.
        assert any("modifiedtime = '" in q and "AND id > '" in q for q in queries)
    assert list(Contacts.objects.changes(since=feed.cursor)) == []


# ------------------------------------------------------------------ the boundary second


def test_changes_in_the_cursors_own_second(feed_crm: Emulator, feed_client: vtorm.Client
                                           ) -> None:
    with frozen_clock(feed_crm):
        first, second = contact("First"), contact("Second")
        feed = Contacts.objects.changes()
        assert kinds(list(feed)) == [("created", first.id), ("created", second.id)]
        # Same second as the read that made the cursor.
        first.title = "Changed in the same second"
        first.save()
        third = contact("Third")
        again = Contacts.objects.changes(since=feed.cursor)
        changes = list(again)
        assert kinds(changes) == [("updated", first.id), ("created", third.id)]
        assert changes[0].record is not None
        assert changes[0].record.title == "Changed in the same second"
        # The same record changed twice in that second: the latest content, an update.
        first.title = "Twice"
        first.save()
        first.title = "Three times"
        first.save()
        changes = list(Contacts.objects.changes(since=again.cursor))
        assert kinds(changes) == [("updated", first.id)]
        assert changes[0].record is not None and changes[0].record.title == "Three times"
        cursor = Contacts.objects.changes(since=again.cursor)
        list(cursor)
        # A write that changes no value is no change.
        feed_client.revise({"id": first.id, "title": "Three times"})
        assert list(Contacts.objects.changes(since=cursor.cursor)) == []


def test_writes_while_a_feed_reads_are_not_lost(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    state = tmp_path / "feed.sqlite"
    replica = Replica()
    with frozen_clock(feed_crm) as clock:
        made = many("Busy", 150)
        feed = Contacts.objects.changes(state=state)
        for change in feed:
            replica.apply([change])
            if change.id == made[50]:
                # In the second being read, behind the reader: this feed cannot see it.
                feed_client.revise({"id": made[0], "title": "Behind"})
                feed_client.delete(made[10])
                # Then time moves on and the reader sees later seconds.
                clock.tick()
                feed_client.revise({"id": made[140], "title": "Ahead"})
                contact("Late")
        if not syncs(feed_crm):
            # Pages are read as the loop goes: a change ahead of the reader comes now.
            assert replica.records[made[140]]["title"] == "Ahead"
        replica.apply(Contacts.objects.changes(since=feed.cursor, state=state))
    assert replica.records == crm_records(Contacts.objects.all())
    assert replica.records[made[0]]["title"] == "Behind"


@pytest.mark.parametrize("seed", [7, 11])
def test_random_rounds_keep_a_replica_equal_to_the_crm(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    state = tmp_path / "feed.sqlite"
    replica = Replica()
    cursor: str | None = None
    alive: list[str] = []

    def write() -> None:
        roll = rng.random()
        if roll < 0.4 or not alive:
            owner = rng.choice(["19x1", "19x1", "19x5", "20x3"])
            alive.append(contact(f"R{rng.randrange(10**6)}", owner=owner,
                                 leadsource=rng.choice(SOURCES)).id or "")
        elif roll < 0.8:
            wsid = rng.choice(alive)
            values = rng.choice([{"title": f"t{rng.randrange(3)}"},
                                 {"leadsource": rng.choice(SOURCES)},
                                 {"phone": f"+1 555 {rng.randrange(10**4):04d}", "title": "x"}])
            feed_client.revise({"id": wsid, **values})
        else:
            wsid = alive.pop(rng.randrange(len(alive)))
            feed_client.delete(wsid)

    for _ in range(8):
        frozen = rng.random() < 0.5
        with frozen_clock(feed_crm) if frozen else nullcontext():
            feed = Contacts.objects.changes(since=cursor, state=state)
            busy = False
            for change in feed:
                replica.apply([change])
                if rng.random() < 0.05:
                    write()  # while the feed reads
                    busy = True
            cursor = feed.cursor
            if busy:
                # What was written while a feed read comes with the next one, if not with it.
                catch_up = Contacts.objects.changes(since=cursor, state=state)
                replica.apply(catch_up)
                cursor = catch_up.cursor
            assert replica.records == crm_records(Contacts.objects.all())
            for _ in range(rng.randrange(3, 12)):
                write()  # right after the read, mostly in its second
        if rng.random() < 0.3:
            feed_crm.state.advance(1)
    replica.apply(Contacts.objects.changes(since=cursor, state=state))
    assert replica.records == crm_records(Contacts.objects.all())


# ------------------------------------------------------------------ deletions


def test_deletions_with_state(feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
                              ) -> None:
    state = tmp_path / "contacts-feed.sqlite"
    contact("Kept")
    gone = contact("Gone").id
    feed = Contacts.objects.changes(since=None, state=str(state))
    assert len(list(feed)) == 2
    feed_client.delete(gone)
    changes = list(Contacts.objects.changes(since=feed.cursor, state=state))
    assert [(c.kind, c.id, c.record) for c in changes] == [("deleted", gone, None)]


def test_deletions_without_state(feed_crm: Emulator, feed_client: vtorm.Client) -> None:
    contact("Kept")
    gone = contact("Gone").id
    feed = Contacts.objects.changes()
    list(feed)
    feed_client.delete(gone)
    changes = list(Contacts.objects.changes(since=feed.cursor))
    if syncs(feed_crm):
        assert kinds(changes) == [("deleted", gone)]
    else:
        # Documented: without state, the query fallback cannot see deletions.
        assert changes == []


def test_state_from_the_start_reports_deletions_when_reading_everything_again(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    state = tmp_path / "feed.sqlite"
    first, second = contact("One").id, contact("Two").id
    list(Contacts.objects.changes(state=state))
    feed_client.delete(second)
    changes = list(Contacts.objects.changes(state=state))
    assert sorted(kinds(changes)) == [("created", first), ("deleted", second)]


def test_a_converted_lead_counts_as_deleted(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    state = tmp_path / "leads.sqlite"
    lead = Leads.objects.create(lastname="Lead", company="Lead Co", assigned_user_id="19x1")
    feed = Leads.objects.changes(state=state)
    assert kinds(list(feed)) == [("created", lead.id)]
    feed_client.convert_lead(lead.id or "", {"Contacts": {"lastname": "Lead"}})
    assert kinds(list(Leads.objects.changes(since=feed.cursor, state=state))) == [
        ("deleted", lead.id)
    ]


# ------------------------------------------------------------------ filtered feeds


def test_a_filtered_feed_follows_its_records(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    web = Contacts.objects.filter(leadsource="Web Site")
    state = tmp_path / "web.sqlite"
    outside = contact("Outside", leadsource="Partner")
    feed_crm.state.advance(5)
    inside = contact("Inside", leadsource="Web Site")
    leaving = contact("Leaving", leadsource="Web Site")
    feed = web.changes(state=state)
    assert kinds(list(feed)) == [("created", inside.id), ("created", leaving.id)]
    feed_client.revise({"id": leaving.id, "leadsource": "Partner"})
    feed_client.revise({"id": outside.id, "leadsource": "Web Site"})
    changes = list(web.changes(since=feed.cursor, state=state))
    # A record that enters the filter is an update (it was created before);
    # one that leaves it is reported deleted from the filtered set.
    assert kinds(changes) == [("updated", outside.id), ("deleted", leaving.id)]
    plain = web.changes(since=feed.cursor)
    assert kinds(list(plain)) == [("updated", outside.id)]


def test_random_rounds_keep_a_filtered_replica_equal(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    rng = random.Random(3)
    web = Contacts.objects.filter(leadsource__in=["Web Site", "Partner"], title__ne="skip")
    state = tmp_path / "web.sqlite"
    replica = Replica(strict=False)
    cursor: str | None = None
    alive = [contact(f"S{i}", leadsource=rng.choice(SOURCES)).id or "" for i in range(12)]
    for _ in range(6):
        with frozen_clock(feed_crm):
            feed = web.changes(since=cursor, state=state)
            replica.apply(feed)
            cursor = feed.cursor
            assert replica.records == crm_records(web)
            for wsid in rng.sample(alive, 5):
                feed_client.revise({"id": wsid, "leadsource": rng.choice(SOURCES),
                                    "title": rng.choice(["skip", "keep", "other"])})
            gone = alive.pop(rng.randrange(len(alive)))
            feed_client.delete(gone)
            alive.append(contact("Fresh", leadsource=rng.choice(SOURCES)).id or "")
        feed_crm.state.advance(1)
    replica.apply(web.changes(since=cursor, state=state))
    assert replica.records == crm_records(web)


def test_cursor_and_state_belong_to_one_feed(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    contact("Someone", leadsource="Web Site")
    web = Contacts.objects.filter(leadsource="Web Site")
    feed = web.changes(state=tmp_path / "web.sqlite")
    list(feed)
    before = len(feed_crm.calls)
    with pytest.raises(vtorm.ValidationError, match="another filter"):
        Contacts.objects.changes(since=feed.cursor)
    with pytest.raises(vtorm.ValidationError, match="feed of Contacts, not of Accounts"):
        Accounts.objects.changes(since=feed.cursor)
    with pytest.raises(vtorm.ValidationError, match="another filter"):
        Contacts.objects.changes(state=tmp_path / "web.sqlite")
    with pytest.raises(vtorm.ValidationError, match="belongs to a feed of Contacts"):
        Accounts.objects.changes(state=tmp_path / "web.sqlite")
    assert web.changes(since=feed.cursor, state=tmp_path / "web.sqlite") is not None
    assert len(feed_crm.calls) == before


# ------------------------------------------------------------------ faults


def _resume_after_fault(crm: Emulator, client: vtorm.Client, tmp_path: Path, kind: str,
                        operation: str, expected: type[Exception]) -> None:
    state = tmp_path / "feed.sqlite"
    made = []
    # 150 distinct modified times: two sync pages.
    for i in range(150):
        made.append(contact(f"Fault {i}").id)
        crm.state.advance(1)
    feed = Contacts.objects.changes(state=state)
    got: list[Change[Any]] = []
    with pytest.raises(expected):
        for change in feed:
            got.append(change)
            if len(got) == 40:
                crm.inject(kind, operation=operation, times=client.max_retries + 1)
    assert 40 <= len(got) < 150
    crm.clear_faults()  # the server is well again
    cursor = feed.cursor
    rest = list(Contacts.objects.changes(since=cursor, state=state))
    ids = [c.id for c in got + rest]
    assert sorted(ids) == sorted(made)  # nothing lost, nothing twice
    assert {c.kind for c in got + rest} == {"created"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("drop", vtorm.TransportError), ("http500", vtorm.ProtocolError)],
)
def test_a_fault_mid_feed_resumes_from_the_cursor(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path, kind: str,
    expected: type[Exception],
) -> None:
    operation = "sync" if syncs(feed_crm) else "query"
    _resume_after_fault(feed_crm, feed_client, tmp_path, kind, operation, expected)


def test_iterating_again_continues_from_the_cursor(
    feed_crm: Emulator, feed_client: vtorm.Client
) -> None:
    first = contact("First")
    feed = Contacts.objects.changes()
    assert kinds(list(feed)) == [("created", first.id)]
    second = contact("Second")
    assert kinds(list(feed)) == [("created", second.id)]
    contact("Third")
    contact("Fourth")
    iterator, other = iter(feed), iter(feed)
    assert next(iterator).kind == "created"
    with pytest.raises(RuntimeError, match="one loop at a time"):
        iter(feed)
    with pytest.raises(RuntimeError, match="one loop at a time"):
        next(other)
    assert [c.kind for c in iterator] == ["created"]


def test_stopping_early_resumes_after_the_last_change_taken(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    made = [contact(f"Early {i}").id for i in range(5)]
    feed = Contacts.objects.changes(state=tmp_path / "s.sqlite")
    taken = []
    for change in feed:
        taken.append(change.id)
        if len(taken) == 2:
            break
    rest = [c.id for c in Contacts.objects.changes(since=feed.cursor,
                                                   state=tmp_path / "s.sqlite")]
    assert taken + rest == made


# ------------------------------------------------------------------ requests per feed


def _counted(crm: Emulator, feed: ChangeFeed[Any]) -> tuple[list[Change[Any]], dict[str, int]]:
    mark = len(crm.calls)
    changes = list(feed)
    counts: dict[str, int] = {}
    for operation in sent_since(crm, mark):
        counts[operation] = counts.get(operation, 0) + 1
    return changes, counts


def test_requests_per_feed(feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
                           ) -> None:
    """The figures docs/changes.md gives, for 251 records."""
    state = tmp_path / "feed.sqlite"
    with frozen_clock(feed_crm) as clock:
        made = many("Counted", 250)
        clock.tick()
        newest = contact("Newest").id or ""
        first, counts = _counted(feed_crm, Contacts.objects.changes(state=state))
        assert len(first) == 251
        if syncs(feed_crm):
            # latest modifiedtime, one sync page, one owner check
            assert counts == {"query": 2, "sync": 1}
        else:
            # latest, the sync that fails once, 3 pages + the empty one, 3 id pages
            assert counts == {"query": 1 + 4 + 3, "sync": 1}
        cursor = Contacts.objects.changes(since=None)  # another feed, for the no-state figures
        list(cursor)
        clock.tick()
        idle, counts = _counted(feed_crm, Contacts.objects.changes(since=cursor.cursor,
                                                                   state=state))
        assert idle == []
        # Nothing changed: latest + (sync | the boundary page + the empty one) [+ 3 id pages]
        assert counts == ({"query": 2, "sync": 1} if syncs(feed_crm) else {"query": 1 + 2 + 3})
        idle, counts = _counted(feed_crm, Contacts.objects.changes(since=cursor.cursor))
        assert counts == ({"query": 2, "sync": 1} if syncs(feed_crm) else {"query": 3})
        for wsid in made[:3]:
            feed_client.revise({"id": wsid, "title": "changed"})
        changes, counts = _counted(feed_crm, Contacts.objects.changes(since=cursor.cursor))
        assert kinds(changes) == [("updated", wsid) for wsid in made[:3]]
        assert counts == ({"query": 2, "sync": 1} if syncs(feed_crm) else {"query": 3})
        assert newest


def test_sync_is_checked_once_for_every_owner(sync_crm: Emulator, sync_client: vtorm.Client
                                              ) -> None:
    contact("Mine")
    theirs = contact("Theirs", owner="19x5")
    changes, counts = _counted(sync_crm, Contacts.objects.changes())
    assert theirs.id in {c.id for c in changes}
    # latest + first page, then the owner check: a query and a sync from that record's time
    assert counts == {"query": 2, "sync": 2}
    _, counts = _counted(sync_crm, Contacts.objects.changes())
    assert counts == {"query": 1, "sync": 1}


def test_stock_sync_is_tried_once_per_client(stock_crm: Emulator, stock_client: vtorm.Client
                                             ) -> None:
    contact("Someone")
    assert stock_client.features.sync is None
    list(Contacts.objects.changes())
    assert stock_client.features.sync is False
    mark = len(stock_crm.calls)
    list(Contacts.objects.changes())
    assert "sync" not in sent_since(stock_crm, mark)


def test_features_sync_false_skips_sync(sync_crm: Emulator) -> None:
    feed_crm = sync_crm
    client = make_client(feed_crm, features=vtorm.Features(sync=False))
    one = Contacts.objects.using(client).create(lastname="One", assigned_user_id="19x1")
    mark = len(feed_crm.calls)
    assert kinds(list(Contacts.objects.using(client).changes())) == [("created", one.id)]
    assert "sync" not in sent_since(feed_crm, mark)
    client.close()


class _DropsSyncType(BaseTransport):
    """Sends every request without ``syncType``: a server that never registered it."""

    def __init__(self, inner: BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        kept = [(k, v) for k, v in parse_qsl(parts.query) if k != "syncType"]
        url = urlunsplit(parts._replace(query=urlencode(kept)))
        return self.inner.handle_request(attrs.evolve(request, url=url))


def test_a_server_ignoring_sync_type_is_read_with_queries(
    sync_crm: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sync_client = make_client(sync_crm, transport=_DropsSyncType(InProcessTransport(sync_crm)))
    monkeypatch.setattr(vtorm.context, "_default", sync_client)
    mine, theirs = contact("Mine"), contact("Theirs", owner="19x5")
    with caplog.at_level("WARNING", logger="vtorm.changes"):
        changes = list(Contacts.objects.changes())
    assert kinds(changes) == [("created", mine.id), ("created", theirs.id)]
    assert "ignores syncType=application" in caplog.text
    mark = len(sync_crm.calls)
    list(Contacts.objects.changes())
    assert "sync" not in sent_since(sync_crm, mark)
    sync_client.close()


def test_a_user_who_may_not_sync_every_owner_reads_with_queries(sync_crm: Emulator) -> None:
    feed_crm = sync_crm
    jdoe = feed_crm.state.users[5]
    admin = make_client(feed_crm)
    mine = Contacts.objects.using(admin).create(lastname="Admin's", assigned_user_id="19x1")
    client = vtorm.Client(feed_crm.url, jdoe.user_name, jdoe.access_key, backoff=0.001)
    theirs = Contacts.objects.using(client).create(lastname="Jane's", assigned_user_id="19x5")
    feed = Contacts.objects.using(client).changes()
    assert kinds(list(feed)) == [("created", mine.id), ("created", theirs.id)]
    mark = len(feed_crm.calls)
    list(Contacts.objects.using(client).changes(since=feed.cursor))
    assert "sync" not in sent_since(feed_crm, mark)
    client.close()
    admin.close()


# ------------------------------------------------------------------ refused before sending


def test_bad_arguments_are_refused_before_any_request(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    mark = len(feed_crm.calls)
    with pytest.raises(vtorm.ValidationError, match="naive datetime"):
        Contacts.objects.changes(since=datetime.datetime(2026, 1, 1))
    with pytest.raises(vtorm.ValidationError, match="not a change-feed cursor"):
        Contacts.objects.changes(since="2026-01-01")
    with pytest.raises(vtorm.ValidationError, match="expected None, a timezone-aware"):
        Contacts.objects.changes(since=datetime.date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(vtorm.ValidationError, match="state="):
        Contacts.objects.changes(state=12)  # type: ignore[arg-type]
    with pytest.raises(vtorm.UnsupportedQueryError, match="sliced"):
        Contacts.objects.all()[:10].changes()
    with pytest.raises(vtorm.UnsupportedQueryError, match="negated LIKE"):
        Contacts.objects.exclude(lastname__startswith="A").changes()
    with pytest.raises(TypeError, match="values"):
        Contacts.objects.values("lastname").changes()
    assert len(feed_crm.calls) == mark


def test_a_filter_matching_nothing_sends_nothing(
    feed_crm: Emulator, feed_client: vtorm.Client, tmp_path: Path
) -> None:
    state = tmp_path / "none.sqlite"
    mark = len(feed_crm.calls)
    assert list(Contacts.objects.none().changes(state=state)) == []
    assert len(feed_crm.calls) == mark
    everything = Contacts.objects.changes(state=tmp_path / "all.sqlite")
    with pytest.raises(vtorm.ValidationError, match="another filter"):
        Contacts.objects.none().changes(since=everything.cursor)
    with pytest.raises(vtorm.ValidationError, match="another filter"):
        Contacts.objects.none().changes(state=tmp_path / "all.sqlite")


def test_ordering_and_only_do_not_change_the_feed(
    feed_crm: Emulator, feed_client: vtorm.Client
) -> None:
    a, b = contact("B side"), contact("A side")
    changes = list(Contacts.objects.order_by("-lastname").only("lastname").changes())
    assert kinds(changes) == [("created", a.id), ("created", b.id)]
    assert changes[0].record is not None
    assert fields(changes[0].record) == fields(Contacts.objects.get(id=a.id))
