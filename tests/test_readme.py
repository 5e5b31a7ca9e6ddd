"""The README's tour runs as written, against the embedded CRM with its demo data."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import vtorm
from vtorm.testing import Emulator

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def tour() -> str:
    return next(block for block in _blocks("python") if "vtorm.connect()" in block)


def setup_lines() -> tuple[list[str], dict[str, str]]:
    """The ``vtorm serve`` arguments and the variables the tour's first shell block sets."""
    block = next(block for block in _blocks("sh") if "vtorm serve --demo" in block)
    serve = next(line for line in block.splitlines() if line.startswith("vtorm serve"))
    export = next(line for line in block.splitlines() if line.startswith("export "))
    variables = dict(word.split("=", 1) for word in shlex.split(export)[1:])
    return shlex.split(serve.rstrip("&").strip()), variables


def test_the_setup_block_points_at_the_server_it_starts() -> None:
    serve, variables = setup_lines()
    assert serve[:3] == ["vtorm", "serve", "--demo"]
    options = dict(zip(serve[3::2], serve[4::2], strict=True))
    assert variables["VTIGER_URL"] == f"http://127.0.0.1:{options['--port']}"
    assert variables["VTIGER_ACCESS_KEY"] == options["--access-key"]
    assert variables["VTIGER_USERNAME"] == "admin"


def test_the_tour_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _, variables = setup_lines()
    with Emulator(demo=True, access_key=variables["VTIGER_ACCESS_KEY"]) as crm:
        # The same server as `vtorm serve --demo`, on a free port.
        monkeypatch.setenv("VTIGER_URL", crm.url)
        monkeypatch.setenv("VTIGER_USERNAME", variables["VTIGER_USERNAME"])
        monkeypatch.setenv("VTIGER_ACCESS_KEY", variables["VTIGER_ACCESS_KEY"])
        monkeypatch.setattr(vtorm.context, "_default", None)
        code = tour()
        exec(compile(code, str(README), "exec"), {})

        promised = re.search(r"print\(qs\.query\)\s+# (.*)", code)
        assert promised is not None
        printed = capsys.readouterr().out.splitlines()
        assert printed[0] == promised.group(1)
        assert len(printed) > 1  # the demo has Contacts whose names start with Sm

        client = vtorm.Client(crm.url, crm.username, crm.access_key)
        acme, initrode = (
            client.query(f"SELECT id FROM Accounts WHERE accountname = '{name}';")[0]["id"]
            for name in ("Acme Ltd", "Initrode")
        )
        smith = client.query(
            "SELECT account_id FROM Contacts WHERE email = 'smith@acme.example';"
        )
        lumbergh = client.query("SELECT account_id FROM Contacts WHERE lastname = 'Lumbergh';")
        assert [r["account_id"] for r in smith] == [acme]
        assert [r["account_id"] for r in lumbergh] == [initrode]
        client.close()
