"""The generated module as tools see it: ruff-formatted, ruff- and mypy --strict-clean, stable."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest
from codegen_fixtures import (
    CUSTOM_CONTACTS,
    ROOT,
    STOCK,
    describe,
    fld,
    hostile_describes,
    picklist,
    ruff,
    write_dump,
)
from strict_mypy import strict_mypy
from vtorm.codegen.render import render
from vtorm.codegen.source import from_dump

DATE = datetime.date(2026, 11, 29)

# Names the layout tests combine: every branch of ruff's line-splitting shows up.
TARGETS = ["Accounts", "Campaigns", "HelpDesk", "Invoice", "Leads", "Potentials", "PurchaseOrder"]


def values(count: int) -> list[str]:
    """``count`` distinct picklist values."""
    return [f"v{i}" * 3 for i in range(count)]


def layout_describes() -> dict[str, dict[str, object]]:
    """Fields of every width: short, long names, many targets, long labels and picklists."""
    fields = []
    for width in (5, 20, 35, 45, 55, 62):
        stem = ("f" + "x" * width)[:width]
        for count in (1, 3, 5, 7):
            fields.append(
                fld(f"{stem}_r{count}", "reference", refersTo=TARGETS[:count], mandatory=count == 3)
            )
        fields.append(fld(f"{stem}_s", label="L" * (width + 20)))
        fields.append(fld(f"{stem}_t", "text", default="d " * width, editable=False))
        fields.append(
            fld(f"{stem}_p", "picklist", picklistValues=picklist(*values(width // 5 + 1)))
        )
        fields.append(fld(f"{stem}_m", "multipicklist", picklistValues=picklist("only one")))
        fields.append(fld(f"{stem}_one", "picklist", picklistValues=picklist("v" * (width + 40))))
        # Wide characters count two columns: by length this line fits, by width it does not.
        name = f"{stem}_w"
        flat = f'    {name}: str | None = field("{name}", "string", label="")'
        fields.append(fld(name, label="日" * (100 - len(flat))))
        fields.append(fld(f"{stem}_w2", label="é" * (100 - len(flat))))
    modules: dict[str, dict[str, object]] = {
        name: describe(name, [fld("name")], idPrefix=str(40 + i)) for i, name in enumerate(TARGETS)
    }
    modules["Wide"] = describe(
        "Wide", fields, labelFields=",".join(f"label_field_{i}" for i in range(12))
    )
    return modules


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The generated module for the stock, customised, hostile and layout dumps."""
    base = tmp_path_factory.mktemp("generated")
    custom = base / "custom-dump"
    shutil.copytree(STOCK, custom)
    shutil.copy(CUSTOM_CONTACTS, custom / "describe-Contacts.json")
    dumps = {
        "stock_models": STOCK,
        "custom_models": custom,
        "hostile_models": write_dump(base / "hostile-dump", hostile_describes()),
        "layout_models": write_dump(base / "layout-dump", layout_describes()),
    }
    files = {}
    for name, dump in dumps.items():
        path = base / f"{name}.py"
        path.write_text(render(from_dump(dump), date=DATE), encoding="utf-8")
        files[name] = path
    return files


def test_ruff_format_with_default_settings_leaves_it_unchanged(
    generated: dict[str, Path],
) -> None:
    # A user's formatter at its defaults must not rewrite a "Do not edit" file.
    result = ruff("format", "--check", "--diff", *map(str, generated.values()), defaults=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_passes(generated: dict[str, Path]) -> None:
    result = ruff("check", *map(str, generated.values()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes(generated: dict[str, Path]) -> None:
    stdout, stderr, status = strict_mypy(*generated.values())
    assert status == 0, stdout + stderr


def test_mypy_flags_a_mandatory_field_used_as_if_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A mandatory field is None until set (and on partial loads): the type says so.
    snippet = tmp_path / "use_models.py"
    snippet.write_text(
        "from crm_models import Contacts\n"
        "\n"
        'contact = Contacts(firstname="x")\n'
        "size = len(contact.lastname)\n"
        "if contact.lastname is not None:\n"
        "    checked = len(contact.lastname)\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MYPYPATH", str(ROOT / "tests"))
    stdout, stderr, status = strict_mypy(snippet)
    # (mypy may name the file by the path it had when it was cached.)
    errors = [
        line.rpartition("use_models.py:")[2] for line in stdout.splitlines() if ": error:" in line
    ]
    assert errors == [
        '4: error: Argument 1 to "len" has incompatible type "str | None"; '
        'expected "Sized"  [arg-type]'
    ], stdout + stderr
    assert status == 1


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first = render(from_dump(STOCK), date=DATE)
    # The same modules listed in another order, each file a whole envelope.
    other = tmp_path / "shuffled"
    other.mkdir()
    listtypes = json.loads((STOCK / "listtypes.json").read_text(encoding="utf-8"))
    listtypes["types"].reverse()
    (other / "listtypes.json").write_text(json.dumps({"success": True, "result": listtypes}))
    for path in STOCK.glob("describe-*.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        (other / path.name).write_text(json.dumps({"success": True, "result": result}))
    second = render(from_dump(other), date=DATE)
    assert first.replace(STOCK.as_posix(), "D") == second.replace(other.as_posix(), "D")
    later = render(from_dump(STOCK), date=DATE + datetime.timedelta(days=400))
    changed = [
        (a, b) for a, b in zip(first.splitlines(), later.splitlines(), strict=True) if a != b
    ]
    assert changed == [("Generated: 2026-11-29", "Generated: 2028-01-03")]


def test_mypy_flags_an_assignment_to_a_read_only_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server sets contact_no itself: Final in the generated class, so mypy
    # refuses the assignment that field() refuses at run time.
    snippet = tmp_path / "use_read_only.py"
    snippet.write_text(
        "from crm_models import Contacts\n"
        "\n"
        'contact = Contacts(lastname="x", contact_no="CON1")\n'
        'contact.lastname = "y"\n'
        'contact.contact_no = "CON2"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("MYPYPATH", str(ROOT / "tests"))
    stdout, stderr, status = strict_mypy(snippet)
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, stdout + stderr
    assert len(errors) == 1, stdout
    assert errors[0].endswith(':5: error: Cannot assign to final attribute "contact_no"  [misc]')
