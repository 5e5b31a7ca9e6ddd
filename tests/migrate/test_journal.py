"""The journal (vtorm.migrate.journal): states, and what survives a closed file."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtorm.migrate.journal import Journal, JournalError


def test_intent_then_confirmation_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        journal.intend("import:Contacts:email", '["A@X.ORG"]')
        journal.intend("import:Contacts:email", '["B@X.ORG"]')
        journal.done("import:Contacts:email", '["B@X.ORG"]', "12x8", "d1", source="f", line=2)
    with Journal(path) as journal:
        pending = list(journal.pending("import:Contacts:email"))
        assert [e.key for e in pending] == ['["A@X.ORG"]']
        entry = journal.get("import:Contacts:email", '["B@X.ORG"]')
        assert entry is not None
        assert (entry.state, entry.target, entry.digest, entry.source, entry.line) == (
            "done", "12x8", "d1", "f", 2
        )
        assert journal.count("import:Contacts:email") == 2
        assert journal.count("import:Contacts:email", "pending") == 1
        assert journal.claimed("12x8") and not journal.claimed("12x9")
        journal.forget("import:Contacts:email", '["A@X.ORG"]')
        assert journal.many("import:Contacts:email", ['["A@X.ORG"]', '["B@X.ORG"]']).keys() == {
            '["B@X.ORG"]'
        }


def test_copy_entries_map_source_ids_and_keep_references(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        journal.done("copy:Accounts", "11x5", "11x40", "d", '{"account_id": "11x6"}')
        journal.done("import:Accounts:accountname", "11x7", "11x41", "d")
        assert journal.target_of("11x5") == "11x40"
        assert journal.target_of("11x7") is None  # only copies map source ids
        ((entry,),) = journal.with_refs("copy:Accounts")
        assert entry.refs == '{"account_id": "11x6"}'
        journal.refs_done("copy:Accounts", "11x5")
        assert list(journal.with_refs("copy:Accounts")) == []
        journal.save_cursor("copy:Accounts", "abc")
        assert journal.cursor("copy:Accounts") == "abc"
        assert journal.stats()["copy:Accounts"] == {"done": 1}


def test_a_file_that_cannot_be_a_journal(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database, but long enough to be read as one" * 50)
    with pytest.raises(JournalError, match=r"notes\.txt"):
        Journal(tmp_path / "notes.txt")
    with pytest.raises(JournalError, match="cannot use"):
        Journal(tmp_path / "no" / "such" / "folder.journal")
