"""The ``vtorm`` command's wiring: sub-commands, help, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vtorm import cli


def test_help_lists_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_a_sub_command_imports_only_its_own_module() -> None:
    code = (
        "import sys; from vtorm import cli; cli.build_parser('serve'); "
        "print('vtorm.codegen.cli' in sys.modules, 'vtorm.testing.serve' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_codegen_through_the_command(tmp_path: Path) -> None:
    out = tmp_path / "faq.py"
    assert cli.main(["codegen", "--modules", "Faq", "--out", str(out)]) == 0
    assert "class Faq(Model):" in out.read_text(encoding="utf-8")


def test_unknown_sub_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["migrate-everything"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
