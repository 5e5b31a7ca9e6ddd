"""The README's tour runs as written, against the embedded CRM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import vtorm
from vtorm.testing import Emulator

README = Path(__file__).resolve().parent.parent / "README.md"
CONNECT = 'vtorm.connect(vtorm.Client("https://crm.example.com", "admin", access_key))'


def tour() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if CONNECT in block)


def test_the_tour_runs(
    crm: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = vtorm.Client(crm.url, crm.username, crm.access_key)
    client.create("Accounts", {"accountname": "Acme Corporation", "assigned_user_id": "19x1"})
    monkeypatch.setattr(vtorm.context, "_default", None)
    namespace: dict[str, object] = {"access_key": crm.access_key}
    code = tour().replace('"https://crm.example.com"', repr(crm.url))
    exec(compile(code, str(README), "exec"), namespace)

    promised = re.search(r"print\(qs\.query\)\s+# (.*)", code)
    assert promised is not None
    assert capsys.readouterr().out.splitlines()[0] == promised.group(1)

    stored = client.query("SELECT lastname, email, account_id FROM Contacts ORDER BY lastname;")
    acme, initech = (
        client.query(f"SELECT id FROM Accounts WHERE accountname = '{name}';")[0]["id"]
        for name in ("Acme Corporation", "Initech")
    )
    assert [(r["lastname"], r["email"], r["account_id"]) for r in stored] == [
        ("Lumbergh", "", initech),
        ("Smith", "smith@acme.example", acme),
    ]
