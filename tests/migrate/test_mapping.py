"""Map files (vtorm.migrate.mapping): JSON and TOML, each section, and their errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtorm.migrate.mapping import FieldMap, MapError, load_map

TOML = """
ignore = ["Notes"]

[rename]
"E-mail" = "email"
Surname = "lastname"

[set]
leadsource = "Web Site"

[default]
assigned_user_id = "admin"

[values.emailoptout]
yes = true
no = false
"""


def test_toml_and_json_maps_say_the_same(tmp_path: Path) -> None:
    toml_path = tmp_path / "map.toml"
    toml_path.write_text(TOML, encoding="utf-8")
    from_toml = load_map(toml_path)
    json_path = tmp_path / "map.json"
    json_path.write_text(json.dumps({
        "ignore": ["Notes"], "rename": {"E-mail": "email", "Surname": "lastname"},
        "set": {"leadsource": "Web Site"}, "default": {"assigned_user_id": "admin"},
        "values": {"emailoptout": {"yes": True, "no": False}},
    }))  # fmt: skip
    assert load_map(json_path) == from_toml
    row = {"E-mail": "a@x.org", "Surname": "Lee", "Notes": "vip", "emailoptout": "yes",
           "assigned_user_id": " ", "leadsource": "Cold Call"}  # fmt: skip
    assert from_toml.apply(row) == {
        "email": "a@x.org", "lastname": "Lee", "emailoptout": True,
        "assigned_user_id": "admin", "leadsource": "Web Site",
    }  # fmt: skip


def test_a_hook_changes_or_rejects_rows(tmp_path: Path) -> None:
    (tmp_path / "cleaning_hook.py").write_text(
        "def fix(row):\n"
        "    if row.get('lastname') == 'Nobody':\n"
        "        raise ValueError('not a person')\n"
        "    return {**row, 'lastname': row['lastname'].title()}\n",
        encoding="utf-8",
    )
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"hook": "cleaning_hook:fix"}))
    made = load_map(path)
    assert made.apply({"lastname": "mcdonald"}) == {"lastname": "Mcdonald"}
    with pytest.raises(ValueError, match="not a person"):
        made.apply({"lastname": "Nobody"})


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"renames": {}}, "unknown section(s) renames"),
        ({"rename": {"a": 3}}, "rename.a must name a field"),
        ({"rename": []}, "rename must be a table"),
        ({"ignore": "Notes"}, "ignore must be a list"),
        ({"values": {"x": 1}}, "values.x must be a table"),
        ({"hook": "no_colon"}, "is not 'module:function'"),
        ({"hook": "json:no_such_function"}, "has no function"),
        ({"hook": "no_such_module_here:f"}, "cannot import"),
    ],
)
def test_bad_maps_say_what_is_wrong(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(MapError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FieldMap.from_dict(doc)


def test_unreadable_maps(tmp_path: Path) -> None:
    with pytest.raises(MapError, match=r"\.json or \.toml"):
        load_map(tmp_path / "map.yaml")
    with pytest.raises(MapError, match="cannot read"):
        load_map(tmp_path / "missing.json")
    broken = tmp_path / "broken.toml"
    broken.write_text("[rename\n")
    with pytest.raises(MapError, match="cannot be read"):
        load_map(broken)
