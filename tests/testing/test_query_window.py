"""A query's LIMIT window read in two steps: the same rows as the one-step SQL, at any offset.

The store answers a page from the crmids of the statement's matching records,
kept until the next write, resuming after the last crmid read when the order
is the crmid alone. These tests compare every page with what the statement's
one-step SQL (``LIMIT ? OFFSET ?``) answers, in any order of page reads,
across writes, and count how often the LIKE callback runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from vtorm.testing import Emulator
from vtorm.testing.emulator import cached_schemas
from vtorm.testing.store import Store
from vtorm.testing.vtql import Translation, translate
from vtorm.testing.vtql.functions import like

RECORDS = 530
NAMES = ["Smith", "smith", "Šmith", "Smyth", "Jones", "Smith ", "O'Brien", "Żak", "Ng"]

STATEMENTS = [
    "SELECT * FROM Contacts",
    "SELECT lastname FROM Contacts WHERE lastname LIKE 'Sm%'",
    "SELECT lastname, firstname FROM Contacts WHERE lastname LIKE 'Sm%' ORDER BY id",
    "SELECT lastname FROM Contacts WHERE lastname LIKE 'Sm%' ORDER BY id DESC",
    "SELECT lastname FROM Contacts WHERE lastname = 'smith' OR firstname = 'Ann 7'",
    "SELECT lastname FROM Contacts ORDER BY lastname",
    "SELECT lastname FROM Contacts WHERE lastname LIKE '%th' ORDER BY lastname DESC",
    "SELECT lastname, title FROM Contacts ORDER BY title, lastname DESC",
    "SELECT lastname FROM Contacts WHERE lastname LIKE 'Nobody%'",
    "SELECT id FROM Contacts WHERE id > '12x300'",
]


def _fill(store: Store) -> None:
    with store.lock:
        for i in range(RECORDS):
            values = {
                "lastname": NAMES[i % len(NAMES)],
                "firstname": f"Ann {i % 13}",
                "title": None if i % 4 == 0 else f"T{i % 5}",
                "assigned_user_id": "19x1",
            }
            crmid = store.insert("Contacts", values, "19x1")
            if i % 17 == 3:
                store.delete(crmid)


@pytest.fixture
def store() -> Iterator[Store]:
    crm = Emulator()
    _fill(crm.state.store)
    yield crm.state.store


def _statement(text: str, offset: int, count: int) -> Translation:
    return translate(f"{text} LIMIT {offset}, {count};", _schemas(), quirks="8.4")


def _schemas() -> Any:
    return cached_schemas()


def _one_step(store: Store, translation: Translation) -> list[tuple[Any, ...]]:
    _, rows = store.execute_raw(translation.sql, translation.params)
    return rows


def _window(store: Store, translation: Translation) -> list[tuple[Any, ...]]:
    assert translation.window is not None
    names, rows = store.window(translation.window, translation.offset, translation.limit)
    one_step_names, _ = store.execute_raw(translation.sql, translation.params)
    assert names == one_step_names
    return rows


# Forward page by page, then backwards, a jump ahead, a jump back, past the end, empty.
READS = [
    *((offset, 100) for offset in range(0, 600, 100)),
    (400, 100),
    (0, 100),
    (250, 30),
    (480, 7),
    (30, 100),
    (700, 100),
    (5, 0),
    (499, 1),
]


@pytest.mark.parametrize("text", STATEMENTS)
def test_every_page_is_the_one_step_sql_answer(store: Store, text: str) -> None:
    for offset, count in READS:
        translation = _statement(text, offset, count)
        assert _window(store, translation) == _one_step(store, translation), (offset, count)


@pytest.mark.parametrize("text", STATEMENTS[:4])
def test_a_cold_jump_then_pages_on_either_side(store: Store, text: str) -> None:
    for offset, count in [(300, 100), (400, 100), (200, 100), (301, 5), (0, 100)]:
        translation = _statement(text, offset, count)
        assert _window(store, translation) == _one_step(store, translation), (offset, count)


def test_a_write_between_pages_shows_in_the_next_page(store: Store) -> None:
    text = STATEMENTS[1]
    first = _statement(text, 0, 100)
    first_rows = _window(store, first)
    second = _statement(text, 100, 100)
    before = _window(store, second)
    # Delete a record of the first page and create one that matches: the next
    # page shifts as the one-step SQL says; nothing kept from before is used.
    store.delete(first_rows[0][0])
    store.insert("Contacts", {"lastname": "Smithers", "assigned_user_id": "19x1"}, "19x1")
    after = _window(store, second)
    assert after == _one_step(store, second)
    assert after[0] == before[1]
    for offset in (200, 300, 400):
        translation = _statement(text, offset, 100)
        assert _window(store, translation) == _one_step(store, translation), offset


def test_inside_a_transaction_nothing_is_kept(store: Store) -> None:
    text = STATEMENTS[1]
    with store.lock:
        store.conn.execute("BEGIN")
        try:
            store.insert("Contacts", {"lastname": "Smitten", "assigned_user_id": "19x1"}, "19x1")
            for offset in (0, 100, 300):
                translation = _statement(text, offset, 100)
                assert _window(store, translation) == _one_step(store, translation)
        finally:
            store.conn.execute("ROLLBACK")


def test_reading_every_page_evaluates_the_filter_once_per_record(store: Store) -> None:
    calls = 0

    def counted(value: object, pattern: object) -> int | None:
        nonlocal calls
        calls += 1
        return like(value, pattern)

    store.conn.create_function("vt_like", 2, counted, deterministic=True)
    rows, offset = 0, 0
    while True:
        translation = _statement(STATEMENTS[1], offset, 100)
        assert translation.window is not None
        _, page = store.window(translation.window, offset, 100)
        if not page:
            break
        rows += len(page)
        offset += 100
    assert rows > 200  # three pages and more
    # Reading each page from the start would have tested the first records once
    # per page; resuming after the last crmid read tests each record once.
    assert calls <= RECORDS
