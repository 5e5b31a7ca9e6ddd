"""Every recorded module becomes a model class declaring exactly what its describe says."""

from __future__ import annotations

import ast
import datetime
import json
from pathlib import Path

import pytest
from codegen_fixtures import CUSTOM_CONTACTS, STOCK, stock_modules
from vtorm.codegen.cli import generation_date
from vtorm.codegen.drift import ModuleSummary, read_models, summarize
from vtorm.codegen.render import render
from vtorm.codegen.schema import Schema, SourceInfo, parse_describe
from vtorm.codegen.source import from_dump

DATE = datetime.date(2026, 11, 29)
# Fields whose values are not of the type describe gives (see vtorm.describe).
TYPE_FIXES = {("Calendar", "duration_hours"): "integer"}


@pytest.fixture(scope="module")
def stock() -> Schema:
    return from_dump(STOCK)


@pytest.fixture(scope="module")
def stock_text(stock: Schema) -> str:
    return render(stock, date=DATE)


def _annotations(text: str) -> dict[str, dict[str, str]]:
    """class name -> attribute -> annotation source."""
    result: dict[str, dict[str, str]] = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef):
            result[node.name] = {
                stmt.target.id: ast.unparse(stmt.annotation)
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            }
    return result


@pytest.fixture(scope="module")
def stock_declared(stock_text: str) -> dict[str, ModuleSummary]:
    return read_models(stock_text)


@pytest.mark.parametrize("module", stock_modules())
def test_every_recorded_field_is_declared(
    module: str, stock_declared: dict[str, ModuleSummary]
) -> None:
    raw = json.loads((STOCK / f"describe-{module}.json").read_text(encoding="utf-8"))
    declared = stock_declared[module]
    assert declared.cls == module
    assert declared.id_prefix == raw["idPrefix"]
    expected_labels = tuple(name for name in raw["labelFields"].split(",") if name)
    assert declared.label_fields == expected_labels
    wires = [field["name"] for field in raw["fields"] if field["name"] != "id"]
    assert list(declared.fields) == wires
    for field in raw["fields"]:
        if field["name"] == "id":
            continue
        got = declared.fields[field["name"]]
        assert got.type == TYPE_FIXES.get((module, field["name"]), field["type"]["name"])
        assert got.label == field["label"]
        assert got.mandatory is (field["mandatory"] in (True, "1"))
        assert got.editable is (field["editable"] in (True, "1"))
        assert got.refers_to == tuple(field["type"].get("refersTo", ()))
        values = tuple(entry["value"] for entry in field["type"].get("picklistValues", ()))
        assert got.picklist == tuple(dict.fromkeys(values))
        assert got.default == (field.get("default") or None)


def test_file_declares_what_the_schema_says(stock: Schema, stock_text: str) -> None:
    assert read_models(stock_text) == summarize(stock)


def test_annotations_per_type(stock_text: str) -> None:
    ann = _annotations(stock_text)
    contacts = ann["Contacts"]
    # Mandatory fields are None until set (and on partial loads): checked before create.
    assert contacts["lastname"] == "str | None"
    assert contacts["firstname"] == "str | None"
    assert contacts["birthday"] == "datetime.date | None"
    assert contacts["account_id"] == "Accounts | str | None"
    assert contacts["contact_id"] == "Contacts | str | None"
    assert contacts["modifiedby"] == "str | None"  # a reference to Users stays an id
    assert contacts["assigned_user_id"] == "str | None"  # owner, mandatory
    assert contacts["leadsource"] == "ContactsLeadsource | None"
    assert contacts["donotcall"] == "bool | None"
    # Read-only: Final, so mypy refuses an assignment (field() refuses it at run time).
    assert contacts["createdtime"] == "Final[datetime.datetime | None]"
    assert contacts["contact_no"] == "Final[str | None]"
    assert "id" not in contacts
    assert ann["Products"]["unit_price"] == "Decimal | None"
    assert ann["Products"]["qtyinstock"] == "Decimal | None"
    assert ann["Calendar"]["time_start"] == "datetime.time | None"
    # Described as a time, answered as whole hours (see vtorm.describe).
    assert ann["Calendar"]["duration_hours"] == "int | None"
    assert ann["Calendar"]["parent_id"] == (
        "Accounts | Campaigns | HelpDesk | Invoice | Leads | Potentials | PurchaseOrder"
        " | Quotes | SalesOrder | str | None"
    )
    assert ann["HelpDesk"]["ticketpriorities"] == "HelpDeskTicketpriorities | None"
    assert ann["DocumentFolders"]["createdby"] == "str | None"  # refersTo is empty
    # Users and Groups are generated like any other module.
    assert ann["Users"]["user_name"] == "str | None"
    assert ann["Groups"]["groupname"] == "str | None"
    assert "Invoice" in ann
    assert ann["Invoice"]["shipping_handling"] == "Decimal | None"
    imports = "import datetime\nfrom decimal import Decimal\nfrom typing import Final, Literal\n"
    assert imports in stock_text


def test_metadata_and_docstrings(stock_text: str) -> None:
    assert 'ContactsLeadsource = Literal[\n    "Cold Call",\n    "Existing Customer",' in stock_text
    assert '    """Contacts (one record: Contact); id prefix 12."""' in stock_text
    assert (
        '    """Accounts: Organizations (one record: Organization); id prefix 11."""' in stock_text
    )
    assert (
        '    """Contacts (one record: Contact); id prefix 12."""\n\n'
        "    class Meta:\n"
        '        module = "Contacts"\n'
        '        id_prefix = "12"\n'
        '        label_fields = ("firstname", "lastname")\n\n'
        '    salutationtype: str | None = field("salutationtype", "string", label="Salutation")\n'
    ) in stock_text
    assert "__module_name__" not in stock_text
    # Not editable: passed on, so the model freezes it.
    assert (
        "    contact_no: Final[str | None] = field(\n"
        '        "contact_no", "string", label="Contact Id", editable=False, nullable=False\n'
        "    )\n"
    ) in stock_text
    assert 'default="4.500"' in stock_text
    assert (
        "    lastname: str | None = field(\n"
        '        "lastname", "string", label="Last Name", mandatory=True, nullable=False\n'
        "    )\n"
    ) in stock_text


def test_header_records_the_source(stock_text: str) -> None:
    head = stock_text.split('"""', 2)[1]
    assert head.startswith("Vtiger CRM models generated by vtorm codegen. Do not edit.\n")
    assert f"\nSource: schema dump {STOCK.as_posix()}\n" in head
    assert head.endswith("\nGenerated: 2026-11-29\n")


def test_header_of_a_live_source() -> None:
    raw = json.loads((STOCK / "describe-Faq.json").read_text(encoding="utf-8"))
    schema = Schema(
        modules=(parse_describe(raw, module="Faq", singular="FAQ"),),
        info=SourceInfo(
            description="https://crm.example.com/webservice.php",
            user="admin",
            vtiger_version="8.4.0",
            api_version="0.22",
            command="vtorm codegen --modules Faq --out m.py",
        ),
    )
    text = render(schema, date=datetime.date(2027, 3, 4))
    assert text.startswith(
        '"""Vtiger CRM models generated by vtorm codegen. Do not edit.\n\n'
        "Source: https://crm.example.com/webservice.php (user admin, Vtiger 8.4.0, API 0.22)\n"
        "Regenerate: vtorm codegen --modules Faq --out m.py\n"
        'Generated: 2027-03-04\n"""\n'
    )
    # Only the imports the module needs (no date, time or money field in Faq but datetimes).
    assert "from decimal import Decimal" not in text
    assert "import datetime\n" in text
    # Faq refers to Products, which is not generated here: a plain id.
    assert "    product_id: str | None = field(" in text


def test_custom_multipicklist(tmp_path: Path) -> None:
    raw = json.loads(CUSTOM_CONTACTS.read_text(encoding="utf-8"))
    spec = parse_describe(raw, module="Contacts", singular="Contact")
    text = render(Schema(modules=(spec,), info=SourceInfo("dump")), date=DATE)
    ann = _annotations(text)["Contacts"]
    assert ann["cf_interests"] == "list[str] | None"
    interests = read_models(text)["Contacts"].fields["cf_interests"]
    assert interests.type == "multipicklist"
    assert interests.picklist == ("Sports", "Music", "Art & Design", "Café", "日本語")
    assert interests.label == "Interests"
    # Accounts is not generated here, so the reference is a plain id.
    assert ann["account_id"] == "str | None"


def test_generation_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert generation_date() == datetime.date(2027, 1, 15)
    assert generation_date(datetime.date(2030, 5, 6)) == datetime.date(2030, 5, 6)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = datetime.datetime.now(datetime.timezone.utc).date()
    today = generation_date()
    assert today in (before, datetime.datetime.now(datetime.timezone.utc).date())
