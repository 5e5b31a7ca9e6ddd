"""The query fallback against a real Vtiger (``pytest -m live``, skipped without a server).

Set ``VTIGER_TEST_URL``, ``VTIGER_TEST_USERNAME`` and ``VTIGER_TEST_ACCESS_KEY``.
The test creates only Contacts whose last name carries a unique marker, follows
them with a feed filtered on that marker, and deletes them at the end.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import pytest
from crm_models import Contacts

import vtorm
from vtorm.changes.cursor import Position
from vtorm.changes.reading import seconds

pytestmark = pytest.mark.live

def test_fallback_on_a_real_server(live_client: vtorm.Client, tmp_path: Path) -> None:
    live = live_client
    marker = f"vtorm-feed-{uuid.uuid4().hex[:10]}"
    contacts = Contacts.objects.using(live)
    mine = contacts.filter(lastname__startswith=marker)
    state = tmp_path / "live.sqlite"
    statements: list[str] = []

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        if "operation=query" in (response.request.url or ""):
            statements.append(response.request.url)

    live.session.hooks["response"].append(hook)
    made: list[str] = []
    try:
        made = [contacts.create(lastname=f"{marker} {i}", assigned_user_id=live.user_id or "19x1"
                                ).id or "" for i in range(3)]
        first = mine.changes(state=state)
        assert sorted((c.kind, c.id) for c in first) == sorted(("created", m) for m in made)
        # Unfiltered, the feed tries sync first; stock 8.4 answers the empty 500.
        since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
        recent = {c.id: c.kind for c in contacts.changes(since=since)}
        assert {recent.get(m) for m in made} == {"created"}
        if live.vtiger_version == "8.4.0":
            assert live.features.sync is False

        # A revise right after the read lands in the cursor's second (retried
        # until it does: the read may end just before a second turns).
        cursor = first.cursor
        for attempt in range(5):
            boundary = Position.decode(cursor, "Contacts", first._position.scope, "").time
            revised = live.revise({"id": made[0], "title": f"same second {attempt}"})
            changes = list(feed := mine.changes(since=cursor, state=state))
            assert [(c.kind, c.id) for c in changes] == [("updated", made[0])]
            assert changes[0].record is not None
            assert changes[0].record.title == f"same second {attempt}"
            cursor = feed.cursor
            if seconds(revised["modifiedtime"]) == boundary:
                break
        else:
            pytest.fail("no revise landed in the cursor's second in 5 attempts")

        # Twice in one second, a creation and a deletion.
        live.revise({"id": made[1], "title": "once"})
        live.revise({"id": made[1], "title": "twice"})
        made.append(contacts.create(lastname=f"{marker} late", assigned_user_id="19x1").id or "")
        live.delete(made[2])
        changes = list(feed := mine.changes(since=cursor, state=state))
        assert [(c.kind, c.id) for c in changes] == [
            ("updated", made[1]), ("created", made[3]), ("deleted", made[2])
        ]
        assert changes[0].record is not None and changes[0].record.title == "twice"
        made.remove(made[2])
        assert list(mine.changes(since=feed.cursor, state=state)) == []
        # Every statement the feed sent was answered (none refused, none empty by error).
        assert any("modifiedtime+%3E%3D" in url or "modifiedtime%20%3E%3D" in url
                   for url in statements)
    finally:
        for wsid in made:
            live.delete(wsid)
