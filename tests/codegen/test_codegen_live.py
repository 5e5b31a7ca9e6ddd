"""``vtorm codegen`` and ``vtorm dump-schema`` against a live CRM (the emulator, over HTTP)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from codegen_fixtures import ROOT, STOCK, Runner, stock_modules
from vtorm.codegen.drift import read_models, summarize
from vtorm.codegen.source import from_dump

from vtorm.client import Client
from vtorm.testing import Emulator

DATE = "2026-11-29"


def _crm_args(crm: Emulator) -> list[str]:
    return ["--url", crm.url, "--username", crm.username, "--access-key", crm.access_key]


def _body(text: str) -> str:
    """The module without its header (source and command differ between sources)."""
    return text.split('"""', 2)[2]


def test_codegen_from_a_live_crm(
    crm: Emulator, tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "crm_models.py"
    assert vtorm_cli("codegen", *_crm_args(crm), "--out", str(out), "--date", DATE) == 0
    text = out.read_text(encoding="utf-8")
    assert read_models(text) == summarize(from_dump(STOCK))
    assert f"Source: {crm.url} (user admin, Vtiger 8.4.0, API 0.22)\n" in text
    assert f"Regenerate: vtorm codegen --url {crm.url} --username admin --out {out}\n" in text
    described = sorted(params["elementType"] for op, params in crm.calls if op == "describe")
    assert described == stock_modules()
    assert [op for op, _ in crm.calls].count("login") == 1
    captured = capsys.readouterr()
    for where in (text, captured.out, captured.err):
        assert crm.access_key not in where


def test_describes_are_fetched_concurrently(
    crm: Emulator, tmp_path: Path, vtorm_cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two describes must be in flight at once, or the barrier breaks.
    barrier = threading.Barrier(2, timeout=10)
    threads: set[int] = set()
    original = Client.describe

    def describe(self: Client, module: str) -> dict[str, Any]:
        threads.add(threading.get_ident())
        if module in ("Accounts", "Contacts"):
            barrier.wait()
        return original(self, module)

    monkeypatch.setattr(Client, "describe", describe)
    out = tmp_path / "m.py"
    assert vtorm_cli("codegen", *_crm_args(crm), "--out", str(out)) == 0
    assert len(threads) > 1
    assert not barrier.broken


def test_credentials_from_the_environment(
    crm: Emulator, tmp_path: Path, vtorm_cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VTIGER_URL", crm.url)
    monkeypatch.setenv("VTIGER_USERNAME", crm.username)
    monkeypatch.setenv("VTIGER_ACCESS_KEY", crm.access_key)
    out = tmp_path / "two.py"
    assert vtorm_cli("codegen", "--modules", "Contacts,Accounts", "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert set(read_models(text)) == {"Accounts", "Contacts"}
    assert "    account_id: Accounts | str | None = field(" in text
    assert "--modules Contacts,Accounts" in text
    described = sorted(params["elementType"] for op, params in crm.calls if op == "describe")
    assert described == ["Accounts", "Contacts"]


def test_no_crm_configured_uses_the_emulator(
    tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.py"
    assert vtorm_cli("codegen", "--modules", "Faq", "--out", str(out), "--date", DATE) == 0
    err = capsys.readouterr().err
    assert "no CRM configured" in err and "embedded emulator" in err
    text = out.read_text(encoding="utf-8")
    assert "Source: the embedded vtorm emulator (user admin, Vtiger 8.4.0, API 0.22)\n" in text
    assert list(read_models(text)) == ["Faq"]


def test_dump_then_codegen_from_the_dump(
    crm: Emulator, tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    dump_dir = tmp_path / "dump"
    assert vtorm_cli("dump-schema", *_crm_args(crm), "--out", str(dump_dir)) == 0
    names = sorted(path.name for path in dump_dir.iterdir())
    assert names == sorted(
        ["listtypes.json", "vtorm-dump.json"] + [f"describe-{m}.json" for m in stock_modules()]
    )
    for module in stock_modules():
        saved = json.loads((dump_dir / f"describe-{module}.json").read_text(encoding="utf-8"))
        assert saved == json.loads((STOCK / f"describe-{module}.json").read_text("utf-8"))
    info = (dump_dir / "vtorm-dump.json").read_text(encoding="utf-8")
    assert crm.access_key not in info and crm.access_key not in capsys.readouterr().err
    assert json.loads(info)["vtiger_version"] == "8.4.0"

    from_live, from_saved = tmp_path / "live.py", tmp_path / "saved.py"
    assert vtorm_cli("codegen", *_crm_args(crm), "--out", str(from_live), "--date", DATE) == 0
    assert vtorm_cli("codegen", "--schema", str(dump_dir), "--out", str(from_saved)) == 0
    saved_text = from_saved.read_text(encoding="utf-8")
    assert _body(saved_text) == _body(from_live.read_text(encoding="utf-8"))
    assert f"Source: schema dump {dump_dir.as_posix()} of {crm.url} (user admin, " in saved_text
    # The dump is also something the emulator can serve.
    with Emulator(schema_dir=dump_dir) as again:
        client = Client(again.url, again.username, again.access_key)
        assert client.describe("Contacts")["idPrefix"] == "12"
        client.close()


def test_dump_of_some_modules(crm: Emulator, tmp_path: Path, vtorm_cli: Runner) -> None:
    dump_dir = tmp_path / "some"
    rc = vtorm_cli(
        "dump-schema", *_crm_args(crm), "--modules", "Leads,Users", "--out", str(dump_dir)
    )
    assert rc == 0
    listtypes = json.loads((dump_dir / "listtypes.json").read_text(encoding="utf-8"))
    assert listtypes["types"] == ["Leads", "Users"]
    assert set(listtypes["information"]) == {"Leads", "Users"}
    out = tmp_path / "some.py"
    assert vtorm_cli("codegen", "--schema", str(dump_dir), "--out", str(out)) == 0
    assert set(read_models(out.read_text(encoding="utf-8"))) == {"Leads", "Users"}


def test_custom_fields_of_a_customised_crm(
    custom_dump: Path, tmp_path: Path, vtorm_cli: Runner
) -> None:
    out = tmp_path / "custom.py"
    with Emulator(schema_dir=custom_dump) as crm:
        assert (
            vtorm_cli("codegen", *_crm_args(crm), "--modules", "Contacts", "--out", str(out)) == 0
        )
    text = out.read_text(encoding="utf-8")
    assert "    cf_interests: list[str] | None = field(" in text
    assert read_models(text)["Contacts"].fields["cf_interests"].picklist[-2:] == ("Café", "日本語")


def test_refused_login_writes_nothing(
    crm: Emulator, tmp_path: Path, vtorm_cli: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.py"
    wrong = "x" * 16
    args = ["--url", crm.url, "--username", crm.username, "--access-key", wrong]
    assert vtorm_cli("codegen", *args, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "vtorm codegen: error:" in err and "INVALID_USER_CREDENTIALS" in err
    assert wrong not in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_module_and_missing_key(
    crm: Emulator,
    tmp_path: Path,
    vtorm_cli: Runner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "m.py"
    assert (
        vtorm_cli("codegen", *_crm_args(crm), "--modules", "Contacts,Nope", "--out", str(out)) == 2
    )
    assert "has no module 'Nope'" in capsys.readouterr().err
    assert vtorm_cli("codegen", *_crm_args(crm), "--modules", "Contact", "--out", str(out)) == 2
    assert capsys.readouterr().err == (
        f"vtorm codegen: error: {crm.url} has no module 'Contact' (did you mean 'Contacts'?)\n"
    )
    monkeypatch.setenv("VTIGER_URL", crm.url)
    monkeypatch.setenv("VTIGER_USERNAME", crm.username)
    assert vtorm_cli("codegen", "--out", str(out)) == 2
    assert "an access key (--access-key or VTIGER_ACCESS_KEY)" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("wanted", "named"),
    [
        ("Contact", "'Contact' (did you mean 'Contacts'?)"),
        ("contacts", "'contacts' (did you mean 'Contacts'?)"),
        ("Helpdesk", "'Helpdesk' (did you mean 'HelpDesk'?)"),
        ("Zebra", "'Zebra'"),
    ],
)
def test_unknown_module_of_the_emulator_is_named_without_its_address(
    tmp_path: Path,
    vtorm_cli: Runner,
    capsys: pytest.CaptureFixture[str],
    wanted: str,
    named: str,
) -> None:
    out = tmp_path / "m.py"
    for command in ("codegen", "dump-schema"):
        assert vtorm_cli(command, "--modules", wanted, "--out", str(out)) == 2
        err = capsys.readouterr().err.splitlines()
        # The throwaway emulator's URL (a port gone once it stops) is never named.
        assert err[-1] == (
            f"vtorm {command}: error: the embedded vtorm emulator has no module {named}"
        )
        assert "127.0.0.1" not in "".join(err)
    assert not out.exists()


def test_verbose_after_the_sub_command(tmp_path: Path) -> None:
    out = tmp_path / "m.py"
    argv = ["--schema", str(STOCK), "--modules", "Faq", "--out", str(out)]
    said = "INFO vtorm.codegen: reading 1 of 35 modules of schema dump"
    for verbose, shown in (
        ([], False),
        (["-v", "codegen"], True),
        (["codegen", "-v"], True),
        (["codegen", "--verbose"], True),
    ):
        command = ["codegen", *argv] if not verbose else [*verbose, *argv]
        result = subprocess.run(
            [sys.executable, "-m", "vtorm", *command],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert (said in result.stderr) is shown, (verbose, result.stderr)


def test_help_is_plain_text(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtorm.codegen", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m vtorm.codegen")
    assert "--schema DIR" in result.stdout and "-v, --verbose" in result.stdout
    assert "``" not in result.stdout
    assert "Exit status: 0 done (or no drift), 1 drift found, 2 error." in result.stdout


def test_python_dash_m_codegen(tmp_path: Path) -> None:
    out = tmp_path / "m.py"
    argv = ["--schema", str(STOCK), "--modules", "Faq", "--out", str(out), "--date", DATE]
    result = subprocess.run(
        [sys.executable, "-m", "vtorm.codegen", "-v", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert "INFO vtorm.codegen: reading 1 of 35 modules" in result.stderr
    assert list(read_models(out.read_text(encoding="utf-8"))) == ["Faq"]
