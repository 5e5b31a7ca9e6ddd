"""The replica example of docs/changes.md runs as written, against the embedded CRM."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from crm_models import Contacts

import vtorm
from vtorm.testing import Emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "changes.md"


def replica_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if "replica.sqlite" in block)


@pytest.mark.parametrize("quirks", [None, "8.4"], ids=["sync", "stock-8.4"])
def test_the_replica_example_keeps_a_copy(
    quirks: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Emulator(quirks=quirks) as crm:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setattr(vtorm.context, "_default", None)
        for name, value in (("VTIGER_URL", crm.url), ("VTIGER_USERNAME", crm.username),
                            ("VTIGER_ACCESS_KEY", crm.access_key)):
            monkeypatch.setenv(name, value)
        client = vtorm.Client(crm.url, crm.username, crm.access_key)
        contacts = Contacts.objects.using(client)
        code = compile(replica_example(), str(DOC), "exec")

        def run_and_compare() -> None:
            exec(code, {})
            db = sqlite3.connect(tmp_path / "replica.sqlite")
            copied = sorted(db.execute("SELECT id, lastname, email FROM contacts"))
            db.close()
            assert copied == sorted((c.id, c.lastname, c.email) for c in contacts.all())

        kept = contacts.create(lastname="Kept", email="kept@example.com", assigned_user_id="19x1")
        gone = contacts.create(lastname="Gone", assigned_user_id="19x1")
        run_and_compare()
        kept.email = "new@example.com"
        kept.save()
        client.delete(gone.id or "")
        contacts.create(lastname="Added", assigned_user_id="19x5")
        run_and_compare()
        assert (tmp_path / "contacts.cursor").read_text().startswith("vtorm-feed-1:")
        client.close()
