"""The emulator's module schemas come from the same describe parser as the generator's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from vtorm.codegen.source import from_dump

from vtorm.errors import SchemaError
from vtorm.testing.schema import DEFAULT_SCHEMA_DIR, load_schemas


def test_emulator_and_generator_read_the_same_fields() -> None:
    schemas = load_schemas()
    generated = from_dump(DEFAULT_SCHEMA_DIR)
    assert sorted(schemas) == [module.name for module in generated.modules]
    for module in generated.modules:
        emulated = schemas[module.name]
        assert tuple(emulated.fields.values()) == module.fields
        assert (emulated.id_prefix, emulated.label_fields, emulated.is_entity) == (
            module.id_prefix,
            module.label_fields,
            module.is_entity,
        )
        assert emulated.singular == module.singular


def test_modules_keep_the_listtypes_order() -> None:
    listed = json.loads((DEFAULT_SCHEMA_DIR / "listtypes.json").read_text(encoding="utf-8"))
    types = listed.get("result", listed)["types"]
    assert list(load_schemas()) == [name for name in types if name in load_schemas()]


def _dump_with_flag(tmp_path: Path, flag: object) -> Path:
    directory = tmp_path / "dump"
    shutil.copytree(DEFAULT_SCHEMA_DIR, directory)
    path = directory / "describe-Leads.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = raw.get("result", raw)
    lastname = next(field for field in result["fields"] if field["name"] == "lastname")
    lastname["mandatory"] = flag
    path.write_text(json.dumps(raw), encoding="utf-8")
    return directory


@pytest.mark.parametrize("flag", ["no", "FALSE"])
def test_a_flag_no_server_sends_is_refused_like_the_generator_does(
    tmp_path: Path, flag: str
) -> None:
    dump = _dump_with_flag(tmp_path, flag)
    with pytest.raises(SchemaError) as emulated:
        load_schemas(dump)
    with pytest.raises(SchemaError) as generated:
        from_dump(dump)
    assert str(emulated.value) == str(generated.value)
    assert str(emulated.value).startswith(f"Leads.lastname: mandatory is {flag!r}, not a flag")


def test_string_flags_of_a_dump_are_read(tmp_path: Path) -> None:
    schemas = load_schemas(_dump_with_flag(tmp_path, ""))
    assert not schemas["Leads"].fields["lastname"].mandatory
    schemas = load_schemas(_dump_with_flag(tmp_path / "again", "1"))
    assert schemas["Leads"].fields["lastname"].mandatory


def test_a_describe_that_is_not_json_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "dump"
    shutil.copytree(DEFAULT_SCHEMA_DIR, directory)
    (directory / "describe-Leads.json").write_text("{", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"describe-Leads\.json is not valid JSON"):
        load_schemas(directory)
