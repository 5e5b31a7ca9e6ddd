"""Every Python example of docs/*.md runs as written, against the demo CRM of the README's tour.

Each page's examples run in order, in one namespace, as a reader pastes them
into one Python session: against ``vtorm serve --demo --port 8765
--access-key demo-key`` (the same server, on a free port), with the
``VTIGER_*`` variables the tour exports, in an empty working directory. The
copy examples write to a second, empty CRM, ``vtorm serve --port 8766
--access-key target-key``. A block that cannot run there is listed below
with the reason; the list must name real blocks.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import vtorm
from vtorm import model
from vtorm.testing import Emulator

DOCS = Path(__file__).resolve().parent.parent / "docs"
DEMO_URL, DEMO_KEY = "http://127.0.0.1:8765", "demo-key"
TARGET_URL, TARGET_KEY = "http://127.0.0.1:8766", "target-key"

#: (page, text the block holds) -> why it is not run here.
NOT_RUN: dict[tuple[str, str], str] = {
    ("client.md", 'client.call("wsapp_register"'): (
        "an operation of a real CRM: the embedded one has no wsapp_* operations"
    ),
    ("codegen.md", "ContactsLeadsource = Literal["): "an excerpt of a generated file",
    ("emulator.md", "# test_contacts.py"): (
        "a pytest module: tests/testing/test_plugin_docs.py runs it as a user's suite"
    ),
    ("emulator.md", "# conftest.py"): "the same",
    ("emulator.md", "# test_demo.py"): "the same",
}

#: Pages whose examples use files an earlier (non-Python) block of the page shows.
FILES_FROM_BLOCKS: dict[str, dict[str, tuple[str, str]]] = {
    "migrations.md": {"people.csv": ("csv", ""), "people.toml": ("toml", "[rename]")},
}


def blocks(page: str, language: str = "python") -> list[str]:
    """The page's fenced blocks of ``language``, in order, dedented (some sit in list items)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", text, re.S | re.M)
    return [textwrap.dedent(body) for _, body in found]


def pages() -> list[str]:
    names = (p.name for p in DOCS.glob("*.md") if p.name != "architecture.md")
    return sorted(name for name in names if blocks(name))


def _skipped(page: str, block: str) -> bool:
    return any(p == page and text in block for p, text in NOT_RUN)


def test_every_block_not_run_is_a_block_of_its_page() -> None:
    for (page, text), reason in NOT_RUN.items():
        assert reason
        assert sum(text in block for block in blocks(page)) == 1, (page, text)


def test_every_page_with_examples_is_run() -> None:
    assert pages() == [
        "changes.md", "client.md", "codegen.md", "emulator.md", "migrations.md",
        "queries.md", "saving.md",
    ]  # fmt: skip


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, Emulator]]:
    with Emulator(demo=True, access_key=DEMO_KEY) as crm, Emulator(access_key=TARGET_KEY) as target:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("VTIGER_URL", crm.url)
        monkeypatch.setenv("VTIGER_USERNAME", "admin")
        monkeypatch.setenv("VTIGER_ACCESS_KEY", DEMO_KEY)
        monkeypatch.setattr(vtorm.context, "_default", None)
        # Model classes an example declares must not stand in for the generated ones later.
        monkeypatch.setattr(model, "_MODELS", dict(model._MODELS))
        yield crm, target


@pytest.mark.parametrize("page", pages())
def test_the_examples_of_the_page_run_as_written(
    page: str, demo: tuple[Emulator, Emulator], capsys: pytest.CaptureFixture[str]
) -> None:
    crm, target = demo
    for name, (language, holding) in FILES_FROM_BLOCKS.get(page, {}).items():
        text = next(b for b in blocks(page, language) if holding in b)
        Path(name).write_text(text, encoding="utf-8")
    namespace: dict[str, object] = {"__name__": "docs_example"}
    ran = 0
    for number, block in enumerate(blocks(page)):
        if _skipped(page, block):
            continue
        code = block.replace(DEMO_URL, crm.url).replace(TARGET_URL, target.url)
        exec(compile(code, f"{DOCS / page} (python block {number})", "exec"), namespace)
        ran += 1
    assert ran > 0
    capsys.readouterr()
