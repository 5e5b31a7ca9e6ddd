"""docs/migrations.md: its tutorial and its map examples work as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from migrate_helpers import rows

import vtorm
from vtorm.cli import main
from vtorm.migrate import load_map
from vtorm.testing import Emulator

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "migrations.md"


def block(kind: str, containing: str = "") -> str:
    blocks = re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if containing in b)


def test_the_spreadsheet_tutorial_runs_as_written(
    crm: Emulator, client: vtorm.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.csv").write_text(block("csv"), encoding="utf-8")
    (tmp_path / "people.toml").write_text(block("toml", "[rename]"), encoding="utf-8")
    monkeypatch.setenv("VTIGER_URL", crm.url)
    monkeypatch.setenv("VTIGER_USERNAME", crm.username)
    monkeypatch.setenv("VTIGER_ACCESS_KEY", crm.access_key)
    commands = re.findall(r"^(vtorm import .*?)$", block("sh", "--dry-run").replace("\\\n", ""),
                          re.M)  # fmt: skip
    dry_run = commands[0].split()[1:]
    assert main([*dry_run, "--quiet"]) == 0
    promised = re.search(r"# (vtorm import: dry run.*)", block("sh", "--dry-run"))
    assert promised is not None and promised.group(1) in capsys.readouterr().out
    load = " ".join(block("sh", "--rejects rejected.jsonl").replace("\\\n", " ").split())
    assert main([*load.split()[1:], "--quiet"]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["created"] == 2
    got = {r["lastname"]: r for r in rows(client, "Contacts")}
    assert (got["Lee"]["birthday"], got["Lee"]["emailoptout"], got["Lee"]["leadsource"]) == (
        "1980-02-03", "1", "Web Site"
    )  # fmt: skip
    assert (got["Ray"]["birthday"], got["Ray"]["emailoptout"], got["Ray"]["leadsource"]) == (
        "1979-12-31", "0", "Trade Show"
    )  # fmt: skip


def test_the_json_map_and_its_hook_work_as_written(tmp_path: Path) -> None:
    (tmp_path / "map.json").write_text(block("json", '"rename"'), encoding="utf-8")
    (tmp_path / "cleaning.py").write_text(block("python", "# cleaning.py"), encoding="utf-8")
    made = load_map(tmp_path / "map.json")
    row = made.apply({"E-mail": "a@x.org", "Surname": " lee ", "Internal notes": "x",
                      "emailoptout": "yes"})  # fmt: skip
    assert row == {"email": "a@x.org", "lastname": "Lee", "emailoptout": True,
                   "leadsource": "Web Site", "assigned_user_id": "Marketing Group"}  # fmt: skip
    with pytest.raises(ValueError, match="no e-mail"):
        made.apply({"E-mail": "", "Surname": "x"})
