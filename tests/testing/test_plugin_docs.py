"""docs/emulator.md, "In your tests": its examples pass as a user's own test suite.

The blocks are copied into a fresh project beside a generated ``crm_models.py``
and run by pytest in a subprocess, with vtorm's plugin as an installed vtorm
registers it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent.parent
DOC = TESTS.parent / "docs" / "emulator.md"


def section_files() -> dict[str, str]:
    """File name (from each block's first comment line) -> the block, for that section."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## In your tests") : text.index("## Faults")]
    files: dict[str, str] = {}
    for block in re.findall(r"```python\n(.*?)```", section, re.S):
        named = re.match(r"# (\w+\.py)\b", block)
        assert named is not None, f"a block of 'In your tests' names no file: {block[:60]!r}"
        files[named.group(1)] = block
    return files


def test_the_section_shows_a_test_of_models_and_a_demo_fixture() -> None:
    files = section_files()
    assert set(files) == {"test_contacts.py", "conftest.py", "test_demo.py"}
    assert "vtorm.connect" not in files["test_contacts.py"]  # the fixture is the default client
    assert "from crm_models import" in files["test_contacts.py"]


def test_the_examples_pass_as_a_users_suite(pytester: pytest.Pytester) -> None:
    files = section_files()
    models = (TESTS / "crm_models.py").read_text(encoding="utf-8")  # vtorm codegen's output
    pytester.makepyfile(crm_models=models, test_contacts=files["test_contacts.py"])
    # The conftest that starts every test from the demo data, in a folder of its own
    # so that the first tests keep their empty CRMs: one pytest run for both.
    demo = pytester.mkpydir("demo")
    (demo / "conftest.py").write_text(files["conftest.py"], encoding="utf-8")
    (demo / "test_demo.py").write_text(files["test_demo.py"], encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
