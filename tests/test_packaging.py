"""The distribution installs one import package, ``vtorm``, with the generator inside it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import vtorm

if sys.version_info >= (3, 11):
    import tomllib
else:  # the toml reader vtorm itself depends on there
    import tomli as tomllib

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


def test_importing_vtorm_and_its_pytest_plugin_stays_cheap() -> None:
    # Every pytest run of a user who installed vtorm loads the plugin: it must
    # not pull in requests, attrs or the emulator until a fixture is used.
    done = _run(
        "-c",
        "import sys, vtorm, vtorm.testing.pytest_plugin; "
        "print(sorted(m for m in ('requests', 'attrs', 'cattrs', 'vtorm.client', "
        "'vtorm.testing.emulator') if m in sys.modules))",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_public_names_resolve_on_first_use() -> None:
    done = _run(
        "-c",
        "import vtorm; "
        "assert all(getattr(vtorm, name) is not None for name in vtorm.__all__); "
        "assert vtorm.context.get_client is vtorm.get_client; "
        "assert set(vtorm.__all__) <= set(dir(vtorm)); "
        "import vtorm.testing as t; assert t.Emulator.__name__ == 'Emulator'",
    )
    assert done.returncode == 0, done.stderr
    try:
        vtorm.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
