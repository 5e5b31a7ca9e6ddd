"""The state file: the ids a feed reported, tagged with the feed it belongs to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vtorm import ValidationError
from vtorm.changes.state import KnownIds


def test_known_ids_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "feed.sqlite"
    known = KnownIds(path, "Contacts", "", "Contacts")
    for number in (5, 3, 2500, 7):
        known.add(number)
    known.add(5)
    known.discard(3)
    known.close()
    again = KnownIds(str(path), "Contacts", "", "Contacts")
    assert list(again.numbers()) == [5, 7, 2500]
    assert 7 in again and 3 not in again
    assert len(again) == 3
    again.close()


def test_numbers_are_read_in_order_across_chunks(tmp_path: Path) -> None:
    known = KnownIds(tmp_path / "many.sqlite", "Contacts", "", "Contacts")
    for number in range(2500, 0, -1):
        known.add(number)
    seen = []
    for number in known.numbers():
        seen.append(number)
        if number % 2:
            known.discard(number)  # forgetting while reading is fine
    assert seen == list(range(1, 2501))
    assert list(known.numbers()) == list(range(2, 2501, 2))
    known.close()


def test_uncommitted_changes_are_lost_only_until_commit(tmp_path: Path) -> None:
    path = tmp_path / "feed.sqlite"
    known = KnownIds(path, "Contacts", "", "Contacts")
    known.add(1)
    known.commit()
    known.add(2)
    other = sqlite3.connect(path)
    assert [row[0] for row in other.execute("SELECT number FROM known")] == [1]
    other.close()
    known.close()


@pytest.mark.parametrize(
    ("module", "scope", "message"),
    [
        ("Accounts", "", "belongs to a feed of Contacts, not of Accounts"),
        ("Contacts", "abc", "feed of Contacts with another filter"),
    ],
)
def test_a_file_belongs_to_one_feed(tmp_path: Path, module: str, scope: str, message: str
                                    ) -> None:
    path = tmp_path / "feed.sqlite"
    KnownIds(path, "Contacts", "", "Contacts").close()
    with pytest.raises(ValidationError, match=message):
        KnownIds(path, module, scope, module)


def test_a_file_that_is_not_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(ValidationError, match="not a change-feed state file"):
        KnownIds(path, "Contacts", "", "Contacts")
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE feed (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO feed VALUES ('format', '0')")
    conn.commit()
    conn.close()
    with pytest.raises(ValidationError, match="another version"):
        KnownIds(other, "Contacts", "", "Contacts")
    with pytest.raises(ValidationError, match="cannot open"):
        KnownIds(tmp_path / "no-such-dir" / "x.sqlite", "Contacts", "", "Contacts")
