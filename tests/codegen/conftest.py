"""Fixtures of the code generator's tests (helpers live in ``codegen_fixtures``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from codegen_fixtures import CUSTOM_CONTACTS, STOCK, Runner, hostile_describes, write_dump

from vtorm.testing import Emulator


@pytest.fixture
def hostile_dump(tmp_path: Path) -> Path:
    """A dump of the hostile modules."""
    return write_dump(tmp_path / "hostile", hostile_describes())


@pytest.fixture
def custom_dump(tmp_path: Path) -> Path:
    """The stock dump with Contacts replaced by the recorded one with a custom multipicklist."""
    directory = tmp_path / "custom"
    shutil.copytree(STOCK, directory)
    shutil.copy(CUSTOM_CONTACTS, directory / "describe-Contacts.json")
    return directory


@pytest.fixture
def crm() -> Iterator[Emulator]:
    """A fresh emulator of the stock modules."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def no_crm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No VTIGER_* variable set: commands fall back to the emulator."""
    for name in ("VTIGER_URL", "VTIGER_USERNAME", "VTIGER_ACCESS_KEY", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def vtorm_cli(no_crm_env: None) -> Runner:
    """Run the ``vtorm`` command in-process; returns its exit status."""
    from vtorm.cli import main

    def run(*argv: str) -> int:
        try:
            return main(list(argv))
        except SystemExit as exc:  # argparse refusing the arguments
            return int(exc.code or 0)

    return run
