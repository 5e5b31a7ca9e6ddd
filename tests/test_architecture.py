"""The import graph of vtorm's core is the one docs/architecture.md draws.

The page's table lists, per module, the vtorm modules it imports at load time
and, in parentheses, those it imports lazily inside a function. This test
reads the table and the code and says where they differ, so the page cannot
drift from what was built.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"
PACKAGE = ROOT / "vtorm"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(part for part in parts if part != "__init__")


def _short(name: str) -> str:
    return name.removeprefix("vtorm.").removeprefix("vtorm")


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The vtorm modules ``path`` imports at load time, and those it imports in functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager: set[str] = set()
    lazy: set[str] = set()

    def names(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            return {alias.name for alias in node.names}
        if node.level:  # relative: inside its own package
            return set()
        module = node.module or ""
        found = set()
        for alias in node.names:
            # `from vtorm.query import paging` imports the module vtorm.query.paging.
            sub = PACKAGE.parent.joinpath(*module.split("."), alias.name)
            is_module = sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file()
            found.add(f"{module}.{alias.name}" if is_module else module)
        return found

    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            eager |= names(node)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    lazy |= names(inner)
    keep = {name for name in eager if name.startswith("vtorm")}
    return {_short(n) for n in keep}, {_short(n) for n in lazy if n.startswith("vtorm")}


def _table() -> list[tuple[list[str], set[str], set[str]]]:
    """(modules, load-time imports, lazy imports) per row of the import table."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## The import graph of the core", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        modules = re.findall(r"`([^`]+)`", cells[1])
        lazy_text = " ".join(re.findall(r"\(([^)]*)\)", cells[2]))
        eager_text = re.sub(r"\([^)]*\)", "", cells[2])
        if "`" not in eager_text and "nothing of vtorm" not in eager_text:
            continue  # described in words (migrate, cli): not a list to check
        rows.append(
            (modules, set(re.findall(r"`([^`]+)`", eager_text)),
             set(re.findall(r"`([^`]+)`", lazy_text)))
        )
    return rows


def _matches(name: str, allowed: set[str]) -> bool:
    return any(
        name == pattern or (pattern.endswith(".*") and name.startswith(pattern[:-1]))
        or (pattern.endswith(".*") and name == pattern[:-2])
        for pattern in allowed
    )


def _sources(pattern: str) -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.split(".")[0] in ("testing", "migrate", "codegen"):
            continue
        if name == pattern or (pattern.endswith(".*") and name.startswith(pattern[:-1])):
            found[name] = path
    return found


ROWS = _table()


def test_the_table_covers_every_core_module() -> None:
    listed = {module for modules, _, _ in ROWS for module in modules}
    missing = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        top = name.split(".")[0]
        if top in ("testing", "migrate", "", "cli", "__main__"):
            continue
        if not any(_matches(name, {pattern}) for pattern in listed):
            missing.append(name)
    assert missing == []


@pytest.mark.parametrize(("modules", "eager", "lazy"), ROWS, ids=[" ".join(r[0]) for r in ROWS])
def test_each_module_imports_what_the_page_says(
    modules: list[str], eager: set[str], lazy: set[str]
) -> None:
    for pattern in modules:
        sources = _sources(pattern)
        assert sources, f"{pattern} names no module"
        own_package = pattern[:-2] if pattern.endswith(".*") else None
        for name, path in sources.items():
            actual, inside = _imports(path)
            if own_package is not None:  # a package's modules may import each other
                actual = {n for n in actual if n.split(".")[0] != own_package}
                inside = {n for n in inside if n.split(".")[0] != own_package}
            unexpected = {n for n in actual if not _matches(n, eager)}
            assert unexpected == set(), f"{name} imports {unexpected} at load time"
            if own_package is None:
                listed_missing = {n for n in eager if not n.endswith(".*") and n not in actual}
                assert listed_missing == set(), f"{name} no longer imports {listed_missing}"
            undocumented = {n for n in inside if not _matches(n, lazy | eager)}
            assert undocumented == set(), f"{name} imports {undocumented} lazily"


def test_the_core_never_imports_the_emulator_or_the_generator() -> None:
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        if name.split(".")[0] == "testing":
            continue
        eager, lazy = _imports(path)
        reached = {n for n in eager | lazy if n.split(".")[0] in ("testing", "codegen")}
        if name == "cli":
            continue  # the command table names sub-command modules by string only
        assert reached == set(), f"{name} imports {reached}"
