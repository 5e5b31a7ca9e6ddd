"""``tests/crm_models.py`` is exactly what the generator makes of the stock schemas."""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path

import pytest
from vtorm.codegen.cli import add_arguments, load_schema
from vtorm.codegen.render import render

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tests" / "crm_models.py"
# The command in the file's own docstring, run from the repository root.
ARGV = ["--schema", "vtorm/testing/schema", "--out", "tests/crm_models.py"]


def test_stock_models_file_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODELS.read_text(encoding="utf-8")
    found = re.search(r"^Generated: (\d{4}-\d{2}-\d{2})$", text, re.MULTILINE)
    assert found, "the header has no Generated: line"
    assert "Regenerate: vtorm codegen " + " ".join(ARGV) in text
    monkeypatch.chdir(ROOT)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    schema = load_schema(parser.parse_args(ARGV))
    fresh = render(schema, date=datetime.date.fromisoformat(found.group(1)))
    assert fresh == text, (
        "tests/crm_models.py is stale: run `vtorm codegen "
        + " ".join(ARGV)
        + "` from the repository root"
    )
