"""The cursor: a position encoded as an opaque, versioned string, and refused when foreign."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from vtorm import ValidationError
from vtorm.changes.cursor import DELETED, PREFIX, Position, fingerprint


def _raw(payload: object) -> str:
    data = zlib.compress(json.dumps(payload).encode())
    return PREFIX + base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_round_trip() -> None:
    seen = {8: (1_796_016_000, "ab12"), 9: (1_796_016_001, DELETED)}
    position = Position("Contacts", "", 1_796_016_000, seen)
    text = position.encode()
    assert text.startswith("vtorm-feed-1:")
    assert Position.decode(text, "Contacts", "", "Contacts") == position
    assert Position.decode(Position("Leads", "f1").encode(), "Leads", "f1", "Leads") == Position(
        "Leads", "f1"
    )


def test_advance_forgets_entries_before_the_new_time() -> None:
    position = Position("Contacts", "", 100, {1: (100, "a"), 2: (101, "b"), 3: (105, DELETED)})
    position.advance(99)  # never backwards
    assert position.time == 100 and len(position.seen) == 3
    position.advance(101)
    assert position.time == 101 and sorted(position.seen) == [2, 3]
    assert position.delivered(2, "b") and not position.delivered(2, "c")
    assert not position.delivered(1, "a")
    position.mark(2, 106, "c")
    position.advance(106)
    assert position.seen == {2: (106, "c")}


def test_a_boundary_of_many_records_stays_compact() -> None:
    seen = {n: (1_796_016_000, fingerprint({"id": f"12x{n}"})) for n in range(1000)}
    text = Position("Contacts", "", 1_796_016_000, seen).encode()
    assert len(text) < 25_000
    assert Position.decode(text, "Contacts", "", "Contacts").seen == seen


def test_fingerprint_follows_the_values_not_their_order() -> None:
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1", "b": "2"}) != fingerprint({"a": "1", "b": "3"})
    assert len(fingerprint({})) == 16


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a change-feed cursor"),
        ("2026-11-29 10:00:00", "not a change-feed cursor"),
        ("vtorm-feed-9:abc", "another version of the cursor format"),
        (PREFIX + "not base64 !!", "damaged"),
        (PREFIX + base64.urlsafe_b64encode(b"not zlib").decode(), "damaged"),
        (_raw([1, 2]), "damaged"),
        (_raw({"m": "Contacts", "f": "", "t": "soon", "s": {}}), "damaged"),
        (_raw({"m": "Contacts", "f": "", "t": 5}), "damaged"),
        (_raw({"m": "Contacts", "f": "", "t": 5, "s": [1]}), "damaged"),
        (_raw({"m": "Contacts", "f": "", "t": 5, "s": {"5": [["12x1", "a"]]}}), "damaged"),
        (Position("Leads", "").encode(), "feed of Leads, not of Contacts"),
        (Position("Contacts", "0123").encode(), "another filter"),
    ],
    ids=["empty", "a-date", "other-version", "not-base64", "not-zlib", "not-an-object",
         "bad-time", "no-entries", "entries-not-an-object", "bad-entry", "other-module",
         "other-filter"],
)
def test_foreign_or_damaged_cursors_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Position.decode(text, "Contacts", "", "Contacts")
    assert "since=" in str(caught.value)


def test_a_long_bad_cursor_is_shortened_in_the_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Position.decode("x" * 500, "Contacts", "", "Contacts")
    assert len(str(caught.value)) < 300
