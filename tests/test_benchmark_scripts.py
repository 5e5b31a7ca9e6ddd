"""Every benchmark script answers --help with what it measures, instead of running."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_help_describes_the_script_and_runs_nothing(
    script: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [str(script), "--help"])
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # as when run: its folder is on the path
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(script), run_name="__main__")
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {script.name} [-h]")
    first_line = (script.read_text(encoding="utf-8").split('"""')[1]).splitlines()[0]
    assert first_line.strip() in " ".join(out.split())
