"""``export``: what it costs in requests, and that ``import`` reads its files back unchanged."""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from migrate_helpers import create_all, ops, people

import vtorm
from vtorm.migrate import export_file, import_file
from vtorm.migrate.models import models_for
from vtorm.testing import Emulator
from vtorm.testing.schema import DEFAULT_SCHEMA_DIR

RECORDED = Path(__file__).parent.parent / "fixtures" / "recorded"
CUSTOM = "Contacts-with-custom-multipicklist"

# Values the server would keep as they are, and that text formats tend to mangle.
CONTACTS: list[dict[str, Any]] = [
    {
        "firstname": "Zoë", "lastname": "O'Brien, \"Jr\"", "email": "zoe@example.com",
        "birthday": "1985-07-08", "emailoptout": "1", "donotcall": "0",
        "description": "two\nlines; a |##| b, and 日本語",
        "cf_interests": "Art & Design |##| Café",
        "leadsource": "Web Site", "assigned_user_id": "20x3",
    },
    {
        "firstname": "", "lastname": "Plain", "email": "plain@example.com",
        "birthday": "", "emailoptout": "0", "cf_interests": "", "assigned_user_id": "19x5",
    },
]  # fmt: skip
ACCOUNTS: list[dict[str, Any]] = [
    {"accountname": "Decimal Ltd", "annual_revenue": "1234.50", "employees": "42",
     "email1": "d@example.com"},
    {"accountname": "Zero Inc", "annual_revenue": "0", "employees": "", "email1": "z@example.com"},
]  # fmt: skip


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stock schema with a custom multipicklist on Contacts (as recorded from a real CRM)."""
    folder = tmp_path_factory.mktemp("schema")
    for path in DEFAULT_SCHEMA_DIR.glob("*.json"):
        shutil.copy(path, folder)
    recorded = json.loads((RECORDED / f"describe-{CUSTOM}.json").read_text())
    (folder / "describe-Contacts.json").write_text(json.dumps(recorded["result"]))
    return folder


@pytest.fixture
def pair(schema: Path) -> Iterator[tuple[vtorm.Client, vtorm.Client]]:
    with (
        Emulator(schema_dir=schema) as one,
        Emulator(schema_dir=schema) as two,
        vtorm.Client(one.url, one.username, one.access_key) as first,
        vtorm.Client(two.url, two.username, two.access_key) as second,
    ):
        yield first, second


def editable(client: vtorm.Client, module: str, path: Path, key: str) -> dict[str, Any]:
    """Key -> the editable fields of each record in an exported file."""
    model = models_for(client, [module])[module]
    wanted = {i.wire for i in model._meta.fields.values() if i.editable and i.wire != "id"}
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
    else:
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return {r[key]: {k: v for k, v in r.items() if k in wanted} for r in records}


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_export_then_import_is_lossless(
    pair: tuple[vtorm.Client, vtorm.Client], tmp_path: Path, suffix: str
) -> None:
    first, second = pair
    create_all(first, "Contacts", CONTACTS)
    create_all(first, "Accounts", ACCOUNTS)
    for module, key in (("Contacts", "email"), ("Accounts", "accountname")):
        out = tmp_path / f"{module}{suffix}"
        assert export_file(module, out, client=first) == 2
        counts = import_file(module, out, key=[key], client=second)
        assert counts.created == 2 and counts.rejected == 0
        back = tmp_path / f"{module}-back{suffix}"
        export_file(module, back, client=second)
        assert editable(second, module, back, key) == editable(first, module, out, key)
        # And the same file again changes nothing.
        assert import_file(module, out, key=[key], client=second).unchanged == 2


def test_jsonl_values_are_json_types(
    pair: tuple[vtorm.Client, vtorm.Client], tmp_path: Path
) -> None:
    first, _ = pair
    create_all(first, "Contacts", CONTACTS[:1])
    create_all(first, "Accounts", ACCOUNTS[:1])
    export_file("Contacts", tmp_path / "c.jsonl", client=first)
    export_file("Accounts", tmp_path / "a.jsonl", client=first)
    contact = json.loads((tmp_path / "c.jsonl").read_text("utf-8"))
    account = json.loads((tmp_path / "a.jsonl").read_text("utf-8"))
    assert contact["emailoptout"] is True and contact["donotcall"] is False
    assert contact["cf_interests"] == ["Art & Design", "Café"]
    assert contact["birthday"] == "1985-07-08"
    assert contact["salutationtype"] is None
    assert contact["createdtime"].endswith("+00:00")
    assert account["employees"] == 42 and account["annual_revenue"].startswith("1234.5")
    assert next(iter(contact)) == "id"


def test_export_costs_one_query_per_100_records_plus_two(
    crm: Emulator, client: vtorm.Client, tmp_path: Path
) -> None:
    n = 250
    create_all(client, "Contacts", people(n))
    fresh = vtorm.Client(crm.url, crm.username, crm.access_key)
    fresh.login()
    crm.calls.clear()
    assert export_file("Contacts", tmp_path / "all.jsonl", client=fresh) == n
    sent = ops(crm)
    assert len(sent) <= math.ceil(n / 100) + 2
    assert sent.count("describe") == 1
    lines = (tmp_path / "all.jsonl").read_text().splitlines()
    assert len({json.loads(line)["email"] for line in lines}) == n


def test_fields_and_filters(crm: Emulator, client: vtorm.Client, tmp_path: Path) -> None:
    create_all(client, "Contacts", people(5))
    out = tmp_path / "some.csv"
    written = export_file(
        "Contacts", out, client=client, fields=["lastname", "email"],
        filters={"lastname__in": ["Last1", "Last3"]},
    )  # fmt: skip
    assert written == 2
    with out.open(newline="") as handle:
        got = list(csv.DictReader(handle))
    assert [list(r) for r in got] == [["id", "lastname", "email"]] * 2
    assert sorted(r["lastname"] for r in got) == ["Last1", "Last3"]
    assert not (tmp_path / "some.csv.part").exists()
