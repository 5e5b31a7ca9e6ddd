"""The distribution installs one import package, ``vtorm``, with the generator inside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tomllib

import vtorm

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def test_every_package_folder_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "vtorm").rglob("__init__.py")
    }
    found.add("vtorm.codegen")
    assert listed == found


def test_only_vtorm_is_installed_at_the_top() -> None:
    listed = _pyproject()["tool"]["setuptools"]["packages"]
    assert {name.partition(".")[0] for name in listed} == {"vtorm"}
    assert _pyproject()["tool"]["setuptools"]["package-dir"] == {"vtorm.codegen": "codegen"}


def test_version_has_one_home() -> None:
    project = _pyproject()["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert vtorm.__version__.count(".") == 2


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_python_m_vtorm_version() -> None:
    done = _run("-m", "vtorm", "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"vtorm {vtorm.__version__}"


def test_python_m_vtorm_codegen_help_names_itself() -> None:
    done = _run("-m", "vtorm.codegen", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m vtorm.codegen")


def test_generator_is_not_importable_as_top_level_codegen_when_installed_elsewhere(
    tmp_path: Path,
) -> None:
    # From another folder, only the vtorm package is on the path: a user's own
    # "codegen" folder cannot be shadowed by, or shadow, vtorm's generator.
    done = subprocess.run(
        [sys.executable, "-c", "import vtorm.codegen, importlib.util as u;"
         "print(u.find_spec('codegen') is None)"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
