"""``vtorm codegen --check``: 0 when the file matches the schema, 1 and a readable list when not."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from codegen_fixtures import STOCK, Runner
from vtorm.codegen.drift import read_models

from vtorm.testing import Emulator


def _edit(directory: Path, module: str, change: Any) -> None:
    path = directory / f"describe-{module}.json"
    result = json.loads(path.read_text(encoding="utf-8"))
    change(result)
    path.write_text(json.dumps(result), encoding="utf-8")


def _field(result: dict[str, Any], name: str) -> dict[str, Any]:
    field: dict[str, Any] = next(f for f in result["fields"] if f["name"] == name)
    return field


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    directory = tmp_path / "dump"
    shutil.copytree(STOCK, directory)
    return directory


@pytest.fixture
def models(tmp_path: Path, dump: Path, vtorm_cli: Runner) -> Path:
    out = tmp_path / "crm_models.py"
    assert (
        vtorm_cli("codegen", "--schema", str(dump), "--out", str(out), "--date", "2026-01-01") == 0
    )
    return out


def test_no_drift(
    models: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    before = models.read_bytes()
    capsys.readouterr()
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(models), "--check") == 0
    assert f"{models} matches schema dump {dump.as_posix()} (35 modules)" in capsys.readouterr().out
    assert models.read_bytes() == before  # --check writes nothing


def test_date_and_formatting_are_not_drift(models: Path, dump: Path, vtorm_cli: Runner) -> None:
    text = models.read_text(encoding="utf-8")
    # Another day, another formatter: the same declarations.
    text = text.replace("Generated: 2026-01-01", "Generated: 2031-07-08")
    text = text.replace(
        'field("firstname", "string", label="First Name")',
        'field(\n        "firstname",  "string",  label = "First Name"\n    )',
    )
    models.write_text(text, encoding="utf-8")
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(models), "--check") == 0


def test_drift_is_listed(
    models: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    def contacts(result: dict[str, Any]) -> None:
        leadsource = _field(result, "leadsource")["type"]["picklistValues"]
        leadsource.pop(0)
        leadsource.append({"label": "Podcast", "value": "Podcast"})
        _field(result, "title")["mandatory"] = True
        _field(result, "fax")["type"] = {"name": "string"}
        result["fields"] = [f for f in result["fields"] if f["name"] != "department"]
        result["fields"].insert(
            2,
            {
                "name": "cf_901",
                "label": "Shoe size",
                "mandatory": False,
                "type": {"name": "integer"},
                "nullable": True,
                "editable": True,
                "default": "",
            },
        )

    _edit(dump, "Contacts", contacts)
    _edit(dump, "Leads", lambda r: _field(r, "lastname").update(mandatory=False))
    _edit(
        dump,
        "Assets",
        lambda r: _field(r, "account")["type"].update(refersTo=["Accounts", "Leads"]),
    )
    (dump / "describe-Tax.json").unlink()
    listtypes = json.loads((dump / "listtypes.json").read_text(encoding="utf-8"))
    listtypes["types"].remove("Tax")
    (dump / "listtypes.json").write_text(json.dumps(listtypes), encoding="utf-8")
    capsys.readouterr()

    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(models), "--check") == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"{models} does not match schema dump {dump.as_posix()}:",
        "  Assets.account: refers to ('Accounts') -> ('Accounts', 'Leads')",
        "  Contacts.cf_901: field added (integer)",
        "  Contacts.leadsource: picklist values added 'Podcast'; removed 'Cold Call'",
        "  Contacts.title: now mandatory",
        "  Contacts.fax: type phone -> string",
        "  Contacts.department: field removed",
        "  Leads.lastname: no longer mandatory",
        "  Tax: module removed",
    ]


def test_module_added_in_the_crm(
    tmp_path: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "two.py"
    assert vtorm_cli("codegen", "--schema", str(dump), "--modules", "Faq", "--out", str(out)) == 0
    capsys.readouterr()
    args = ["codegen", "--schema", str(dump), "--modules", "Faq,Vendors", "--out", str(out)]
    assert vtorm_cli(*args, "--check") == 1
    assert "  Vendors: module added (21 fields)" in capsys.readouterr().out.splitlines()


def test_check_uses_the_modules_the_header_records(
    tmp_path: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "two.py"
    args = ["codegen", "--schema", str(dump), "--out", str(out)]
    assert vtorm_cli(*args, "--modules", "Faq,Vendors") == 0
    assert "\nRegenerate: vtorm codegen --schema" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    # Without --modules: the file's own two modules, not every module of the CRM.
    assert vtorm_cli(*args, "--check") == 0
    assert capsys.readouterr().out == (
        f"{out} matches schema dump {dump.as_posix()} (2 modules)\n"
    )
    _edit(dump, "Faq", lambda r: _field(r, "question").update(mandatory=False))
    assert vtorm_cli(*args, "--check") == 1
    assert capsys.readouterr().out.splitlines()[1:] == ["  Faq.question: no longer mandatory"]
    # Given --modules wins over the header.
    assert vtorm_cli(*args, "--modules", "Faq,Vendors,Tax", "--check") == 1
    assert "  Tax: module added" in capsys.readouterr().out


def test_files_of_the_older_shape_are_read_alike(
    models: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before `class Meta`, the options were class attributes.
    text = models.read_text(encoding="utf-8")
    older = re.sub(
        r"    class Meta:\n        module = (.*)\n        id_prefix = (.*)\n"
        r"        label_fields = (.*)\n",
        r"    __module_name__ = \1\n    __id_prefix__ = \2\n    __label_fields__ = \3\n",
        text,
    )
    assert older.count("__module_name__") == 35 and "class Meta" not in older
    models.write_text(older, encoding="utf-8")
    assert read_models(older) == read_models(text)
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(models), "--check") == 0
    _edit(dump, "Leads", lambda r: r.update(idPrefix="77"))
    capsys.readouterr()
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(models), "--check") == 1
    assert capsys.readouterr().out.splitlines()[1:] == ["  Leads: id prefix 10 -> 77"]


def test_check_against_a_live_crm(
    models: Path,
    custom_dump: Path,
    vtorm_cli: Runner,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Emulator() as crm:
        args = ["--url", crm.url, "--username", crm.username, "--access-key", crm.access_key]
        assert vtorm_cli("codegen", *args, "--out", str(models), "--check") == 0
    with Emulator(schema_dir=custom_dump) as crm:
        args = ["--url", crm.url, "--username", crm.username, "--access-key", crm.access_key]
        capsys.readouterr()
        assert vtorm_cli("codegen", *args, "--out", str(models), "--check") == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == ["  Contacts.cf_interests: field added (multipicklist)"]


def test_missing_or_foreign_file(
    tmp_path: Path, dump: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.py"
    # An error, not drift: there is no file to compare.
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(missing), "--check") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"vtorm codegen: error: {missing} does not exist, so there is nothing to check; "
        "generate it first (the same command without --check)\n"
    )
    assert not missing.exists()
    foreign = tmp_path / "foreign.py"
    foreign.write_text("x = 1\n", encoding="utf-8")
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(foreign), "--check") == 2
    assert "declares no generated model class" in capsys.readouterr().err
    broken = tmp_path / "broken.py"
    broken.write_text("class (:\n", encoding="utf-8")
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(broken), "--check") == 2
    assert "is not valid Python" in capsys.readouterr().err
