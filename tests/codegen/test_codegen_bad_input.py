"""Malformed, truncated and unexpected describes: a clear error naming module and field, no file."""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from codegen_fixtures import STOCK, Runner, describe, fld, write_dump
from vtorm.codegen.output import write_atomic
from vtorm.codegen.schema import SchemaError, parse_describe

GOOD = describe("Things", [fld("name", mandatory=True), fld("kind", "picklist")])


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(GOOD)
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "Things: describe result is list, not an object"),
        (_broken(lambda r: r.pop("fields")), "Things: describe result has no list of fields"),
        (_broken(lambda r: r.pop("idPrefix")), "Things: describe result has no idPrefix"),
        (
            _broken(lambda r: r.update(name="Other")),
            "Things: describe result is for module 'Other'",
        ),
        (
            _broken(lambda r: r["fields"].insert(0, "name")),
            "Things: field #1 is str, not an object",
        ),
        (_broken(lambda r: r["fields"][1].pop("name")), "Things: field #2 has no name"),
        (_broken(lambda r: r["fields"][1].update(name="")), "Things.#2: name is empty"),
        (_broken(lambda r: r["fields"][0].update(type="string")), "Things.name: type is 'string'"),
        (_broken(lambda r: r["fields"][0].update(type={})), "Things.name: type.name is None"),
        (_broken(lambda r: r["fields"][0].update(mandatory="maybe")), "Things.name: mandatory is"),
        (_broken(lambda r: r["fields"][0].update(label=["x"])), "Things.name: label is ['x']"),
        (
            _broken(lambda r: r["fields"][1]["type"].update(picklistValues="a,b")),
            "Things.kind: picklistValues is 'a,b', not a list",
        ),
        (
            _broken(lambda r: r["fields"][1]["type"].update(picklistValues=[{"label": "x"}])),
            "Things.kind: picklist entry {'label': 'x'} has no text value",
        ),
        (
            _broken(lambda r: r["fields"][1]["type"].update(refersTo="Accounts")),
            "Things.kind: type.refersTo is 'Accounts', not a list",
        ),
        (
            _broken(lambda r: r["fields"].append(r["fields"][0])),
            "Things.name: the field is listed twice",
        ),
        (
            {"success": False, "error": {"code": "ACCESS_DENIED", "message": "Permission denied"}},
            "Things: the describe answer is a failed response: Permission denied",
        ),
    ],
)
def test_malformed_describe_names_module_and_field(raw: Any, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_describe(raw, module="Things")
    assert str(caught.value).startswith(message)
    assert caught.value.module == "Things"


def test_string_flags_of_pseudo_fields_are_read() -> None:
    raw = json.loads((STOCK / "describe-Products.json").read_text(encoding="utf-8"))
    tax1 = next(f for f in parse_describe(raw, module="Products").fields if f.name == "tax1")
    assert (tax1.mandatory, tax1.editable, tax1.nullable) == (False, True, True)


def _dump_with(tmp_path: Path, module: str, text: str) -> Path:
    directory = tmp_path / "dump"
    shutil.copytree(STOCK, directory)
    (directory / f"describe-{module}.json").write_text(text, encoding="utf-8")
    return directory


def test_truncated_file_leaves_no_file_behind(
    tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = (STOCK / "describe-Leads.json").read_text(encoding="utf-8")
    dump = _dump_with(tmp_path, "Leads", whole[: len(whole) // 2])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "crm_models.py"
    out.write_text("previous = 1\n", encoding="utf-8")
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "vtorm codegen: error: Leads: describe-Leads.json is not valid JSON (line" in err
    assert out.read_text(encoding="utf-8") == "previous = 1\n"
    assert os.listdir(out_dir) == ["crm_models.py"]


def test_malformed_field_in_a_dump(
    tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.loads((STOCK / "describe-HelpDesk.json").read_text(encoding="utf-8"))
    raw["fields"][3]["type"] = None
    dump = _dump_with(tmp_path, "HelpDesk", json.dumps(raw))
    out = tmp_path / "m.py"
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(out)) == 2
    name = raw["fields"][3]["name"]
    assert f"error: HelpDesk.{name}: type is None, not an object" in capsys.readouterr().err
    assert not out.exists()


def test_missing_describe_file(
    tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(STOCK, dump)
    (dump / "describe-Vendors.json").unlink()
    assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(tmp_path / "m.py")) == 2
    assert "Vendors: describe-Vendors.json is missing from the dump" in capsys.readouterr().err
    assert vtorm_cli("codegen", "--schema", str(tmp_path / "nowhere"), "--out", "m.py") == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_type_falls_back_to_str_with_a_warning(
    tmp_path: Path, vtorm_cli: Runner, caplog: pytest.LogCaptureFixture
) -> None:
    things = describe("Things", [fld("where", "geolocation"), fld("name")])
    dump = write_dump(tmp_path / "dump", {"Things": things}, envelope=True)
    out = tmp_path / "m.py"
    with caplog.at_level(logging.WARNING, logger="vtorm.codegen"):
        assert vtorm_cli("codegen", "--schema", str(dump), "--out", str(out)) == 0
    assert "Things.where: unknown field type 'geolocation', typed as str" in caplog.messages
    text = out.read_text(encoding="utf-8")
    assert (
        '    # unknown field type "geolocation": typed as str\n'
        '    where: str | None = field("where", "geolocation", label="Where")\n'
    ) in text


def test_failed_rename_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.py"
    target.write_text("old\n", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["m.py"]


def test_output_has_the_permissions_of_any_new_file_or_keeps_its_own(tmp_path: Path) -> None:
    # The temporary file is its owner's only; the module it becomes is source code.
    umask = os.umask(0o022)
    try:
        target = tmp_path / "m.py"
        write_atomic(target, "x = 1\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o664)
        write_atomic(target, "x = 2\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o664
    finally:
        os.umask(umask)


def test_output_in_a_missing_directory_is_named(
    tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "y.py"
    assert vtorm_cli("codegen", "--schema", str(STOCK), "--out", str(out)) == 2
    assert capsys.readouterr().err == (
        f"vtorm codegen: error: cannot write {out}: "
        f"the directory {out.parent} does not exist\n"
    )
    with pytest.raises(FileNotFoundError, match=r"the directory .* does not exist") as caught:
        write_atomic(out, "x = 1\n")
    assert ".tmp" not in str(caught.value)
    assert not out.parent.exists()

