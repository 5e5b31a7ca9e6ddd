"""Python names for hostile module and field names: valid, unique, deterministic, visible."""

from __future__ import annotations

import ast
import datetime
from pathlib import Path

import pytest
from codegen_fixtures import HOSTILE_PICKLIST
from vtorm.codegen.drift import read_models
from vtorm.codegen.naming import make_identifier
from vtorm.codegen.render import render
from vtorm.codegen.source import from_dump


@pytest.mark.parametrize(
    ("wire", "expected", "renamed"),
    [
        ("lastname", "lastname", False),
        ("cf_854", "cf_854", False),
        ("café", "café", False),
        ("class", "class_", True),
        ("None", "None_", True),
        ("1st", "f_1st", True),
        ("first name", "first_name", True),
        ("last-name", "last_name", True),
        ("shipping_&_handling", "shipping_handling", True),
        ("_meta", "meta", True),
        ("__x__", "x", True),
        ("ﬁeld", "field", True),
        ("$$$", "f", True),
        ("", "f", True),
    ],
)
def test_make_identifier(wire: str, expected: str, renamed: bool) -> None:
    name, note = make_identifier(wire, "f")
    assert name == expected
    assert name.isidentifier()
    assert (note is not None) == renamed


def _classes(text: str) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in ast.parse(text).body if isinstance(node, ast.ClassDef)}


def test_hostile_names(hostile_dump: Path) -> None:
    text = render(from_dump(hostile_dump), date=datetime.date(2026, 1, 2))
    compile(text, "hostile.py", "exec")
    models = read_models(text)
    assert {name: summary.cls for name, summary in models.items()} == {
        "class": "class_",
        "Contacts": "Contacts",
        "ContactsLeadsource": "ContactsLeadsource",
        "My Mod": "My_Mod",
        "My-Mod": "My_Mod_2",
        "Model": "Model_",
    }
    attrs_of = {wire: field.attr for wire, field in models["class"].fields.items()}
    assert attrs_of == {
        "class": "class__",
        "def": "def_",
        "None": "None_",
        "1st_contact": "f_1st_contact",
        "first_name": "first_name",
        "first name": "first_name_2",
        "last-name": "last_name",
        "café": "café",
        "日本語": "日本語",
        "ﬁeld": "field_",
        "objects": "objects_",
        "save": "save_",
        "delete": "delete_",
        "refresh": "refresh_",
        "DoesNotExist": "DoesNotExist_",
        "pk": "pk_",
        "Meta": "Meta_",
        "is_dirty": "is_dirty_",
        "dirty_fields": "dirty_fields_",
        "_meta": "meta",
        "_state": "state",
        "str": "str_",
        "datetime": "datetime_",
        "Decimal": "Decimal_",
        "Contacts": "Contacts_",
        "shipping_&_handling": "shipping_handling",
        "$$$": "f",
        "type": "type",
        "tags": "tags",
        "geo": "geo",
        "owner": "owner",
        "ro": "ro",
        "My-Ref": "My_Ref",
    }
    # The wire name is kept, and every rename is explained above the attribute.
    assert (
        '    # "first name" is not a valid Python identifier; clashes with first_name:'
        " attribute first_name_2"
    ) in text
    assert (
        '    # "class" is a Python keyword; class_ is the name of a generated class:'
        " attribute class__"
    ) in text
    assert (
        '# module "My-Mod" is not a valid Python identifier; clashes with My_Mod: class My_Mod_2'
    ) in text
    assert '    # "save" is a Model attribute: attribute save_' in text
    assert '    # unknown field type "geolocation": typed as str' in text
    assert 'class__: str | None = field("class", "string", label="Class", mandatory=True)' in text
    # Label fields name attributes: the runtime reads them from the instance.
    assert models["class"].label_fields == ("class__", "first_name_2")
    # The picklist alias of Contacts.leadsource would be named like a module's class.
    assert 'ContactsLeadsource_ = Literal["Web", "Other"]' in text
    classes = _classes(text)
    annotations = {
        stmt.target.id: ast.unparse(stmt.annotation)
        for stmt in classes["class_"].body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    assert annotations["f_1st_contact"] == "Contacts | class_ | str | None"
    assert annotations["My_Ref"] == "My_Mod_2 | My_Mod | Model_ | str | None"
    assert annotations["type"] == "class_Type | None"
    assert annotations["tags"] == "list[str] | None"
    assert annotations["geo"] == "str | None"
    assert annotations["owner"] == "str | None"  # mandatory, and still possibly None
    assert annotations["datetime_"] == "datetime.datetime | None"
    assert annotations["日本語"] == "datetime.date | None"
    literal = next(
        node
        for node in ast.parse(text).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "class_Type"
    )
    assert isinstance(literal.value, ast.Subscript)
    assert ast.literal_eval(literal.value.slice) == HOSTILE_PICKLIST
    assert models["class"].fields["type"].picklist == HOSTILE_PICKLIST
    # A picklist without values is typed as plain text.
    contacts = {
        stmt.target.id: ast.unparse(stmt.annotation)
        for stmt in classes["Contacts"].body
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
    }
    assert contacts["emptypick"] == "str | None"


def test_order_of_input_does_not_change_names(hostile_dump: Path, tmp_path: Path) -> None:
    from codegen_fixtures import hostile_describes, write_dump

    reversed_dump = write_dump(
        tmp_path / "reversed", dict(reversed(list(hostile_describes().items())))
    )
    date = datetime.date(2026, 1, 2)
    first = render(from_dump(hostile_dump), date=date)
    second = render(from_dump(reversed_dump), date=date)
    assert first.replace(str(hostile_dump.as_posix()), "DUMP") == second.replace(
        str(reversed_dump.as_posix()), "DUMP"
    )
