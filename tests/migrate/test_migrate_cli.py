"""``vtorm export``, ``vtorm import`` and ``vtorm copy`` as a user runs them."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from migrate_helpers import create_all, ops, people, rows

import vtorm
from vtorm.cli import main
from vtorm.migrate import cli_common
from vtorm.testing import Emulator


@pytest.fixture
def env(crm: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("VTIGER_URL", crm.url)
    monkeypatch.setenv("VTIGER_USERNAME", crm.username)
    monkeypatch.setenv("VTIGER_ACCESS_KEY", crm.access_key)
    return crm


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("export", ["--out", "--fields", "--filter", "--url", "--username", "--access-key"]),
        ("import", ["--in", "--key", "--map", "--journal", "--workers", "--dry-run",
                    "--rejects", "--report", "--dayfirst", "--monthfirst", "--date-format",
                    "--delimiter", "--url", "--access-key", "exit status"]),
        ("copy", ["--modules", "--journal", "--workers", "--dry-run", "--report", "--rejects",
                  "--key", "--since", "--source-url", "--source-username", "--source-access-key",
                  "--target-url", "--target-access-key", "VTIGER_SOURCE_URL",
                  "VTIGER_TARGET_ACCESS_KEY", "exit status"]),
    ],
)  # fmt: skip
def test_help_lists_every_option(
    command: str, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in options:
        assert option in text, option


def test_import_csv_with_report_rejects_and_exit_1(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "people.csv", [
        "First Name,Surname,E-mail,Born",
        "Ann,Lee,ann@example.com,03/02/1980",
        "Bob,Ray,bob@example.com,31/12/1979",
        "Cy,,cy@example.com,",
        "Di,Fox,di@example.com,2021-02-30",
    ])  # fmt: skip
    mapping = tmp_path / "people.toml"
    mapping.write_text(
        '[rename]\n"First Name" = "firstname"\nSurname = "lastname"\n"E-mail" = "email"\n'
        'Born = "birthday"\n[set]\nleadsource = "Web Site"\n',
        encoding="utf-8",
    )
    report, rejects = tmp_path / "report.json", tmp_path / "rejects.jsonl"
    code = main([
        "import", "Contacts", "--in", str(source), "--key", "email", "--map", str(mapping),
        "--dayfirst", "--report", str(report), "--rejects", str(rejects), "--quiet",
    ])  # fmt: skip
    assert code == 1
    assert json.loads(report.read_text()) == {
        "read": 4, "created": 2, "updated": 0, "unchanged": 0, "rejected": 2, "in_doubt": 0
    }  # fmt: skip
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted(r["line"] for r in rejected) == [4, 5]  # the lines of the file (header: 1)
    assert {r["row"]["E-mail"] for r in rejected} == {"cy@example.com", "di@example.com"}
    client = vtorm.Client(env.url, env.username, env.access_key)
    born = {r["email"]: r["birthday"] for r in rows(client, "Contacts")}
    assert born == {"ann@example.com": "1980-02-03", "bob@example.com": "1979-12-31"}
    assert "2 created" in capsys.readouterr().out


def test_a_rerun_exits_0_and_writes_nothing(env: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in people(30)), encoding="utf-8")
    args = ["import", "Contacts", "--in", str(source), "--key", "email", "--quiet"]
    journal = ["--journal", str(tmp_path / "people.journal")]
    assert main([*args, *journal]) == 0
    env.calls.clear()
    report = tmp_path / "again.json"
    assert main([*args, *journal, "--report", str(report)]) == 0
    assert json.loads(report.read_text())["unchanged"] == 30
    assert ops(env, "create", "revise", "update", "query") == []
    # Without the journal, the keys are looked up: still nothing written.
    assert main(args) == 0
    assert ops(env, "create", "revise", "update") == []


def test_dry_run_writes_nothing(env: Emulator, tmp_path: Path) -> None:
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in people(3)), encoding="utf-8")
    report = tmp_path / "report.json"
    code = main(["import", "Contacts", "--in", str(source), "--key", "email", "--dry-run",
                 "--report", str(report), "--quiet"])  # fmt: skip
    assert code == 0
    assert json.loads(report.read_text())["created"] == 3
    assert ops(env, "create", "revise", "update", "delete") == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "Contacts", "--in", "x.csv", "--key", "nosuchfield"], "no field 'nosuchfield'"),
        (["import", "Contacts", "--in", "x.txt", "--key", "email"], ".jsonl or .csv"),
        (["import", "Nowhere", "--in", "x.csv", "--key", "email"], "Nowhere"),
        (["import", "Contacts", "--in", "x.csv", "--key", "email", "--map", "m.yaml"],
         ".json or .toml"),
        (["export", "Contacts", "--out", "x.xml"], ".jsonl or .csv"),
        (["export", "Contacts", "--out", "x.csv", "--filter", "birthday__gt=1990"],
         "'1990'"),
        (["import", "Contacts", "--in", "x.csv", "--key", "email", "--workers", "0"],
         "at least 1"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_before_any_write(
    env: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "x.csv", ["lastname,email,Colour", "Lee,l@example.com,red"])
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own refusals
        code = int(exited.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err
    assert ops(env, "create", "revise") == []


def test_an_unknown_column_stops_before_writing(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname,email,Colour", "Lee,l@example.com,red"])
    assert main(["import", "Contacts", "--in", str(source), "--key", "email", "--quiet"]) == 2
    assert "'Colour'" in capsys.readouterr().err
    assert ops(env, "create") == []


def test_no_crm_configured_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("URL", "USERNAME", "ACCESS_KEY"):
        monkeypatch.delenv(f"VTIGER_{name}", raising=False)
    assert main(["export", "Contacts", "--out", str(tmp_path / "x.csv")]) == 2
    assert "VTIGER_URL" in capsys.readouterr().err


def test_a_crm_that_does_not_answer_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retried as a client retries (nothing was sent), with a short backoff for the test.
    quick = functools.partial(vtorm.Client, backoff=0.001, backoff_cap=0.01)
    monkeypatch.setattr(cli_common, "Client", quick)
    code = main(["export", "Contacts", "--out", str(tmp_path / "x.csv"), "--url",
                 "http://127.0.0.1:9/", "--username", "admin", "--access-key", "k"])  # fmt: skip
    assert code == 2
    assert "cannot talk to the CRM" in capsys.readouterr().err


def test_export_writes_the_file(env: Emulator, tmp_path: Path) -> None:
    client = vtorm.Client(env.url, env.username, env.access_key)
    create_all(client, "Contacts", people(3))
    out = tmp_path / "c.csv"
    assert main(["export", "Contacts", "--out", str(out), "--fields", "lastname,email",
                 "--filter", "lastname__startswith=Last", "--quiet"]) == 0  # fmt: skip
    assert out.read_text().splitlines()[0] == "id,lastname,email"
    assert len(out.read_text().splitlines()) == 4


def test_copy_between_two_crms_with_report(
    crm: Emulator, target: tuple[Emulator, vtorm.Client], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    dst_crm, dst = target
    src = vtorm.Client(crm.url, crm.username, crm.access_key)
    parent = src.create("Accounts", {"accountname": "Parent", "assigned_user_id": "19x1"})
    src.create("Accounts", {"accountname": "Child", "assigned_user_id": "19x1",
                            "account_id": parent["id"]})  # fmt: skip
    src.create("Contacts", {"lastname": "Lee", "assigned_user_id": "19x5",
                            "account_id": parent["id"]})  # fmt: skip
    for role, where in (("SOURCE", crm), ("TARGET", dst_crm)):
        monkeypatch.setenv(f"VTIGER_{role}_URL", where.url)
        monkeypatch.setenv(f"VTIGER_{role}_USERNAME", where.username)
        monkeypatch.setenv(f"VTIGER_{role}_ACCESS_KEY", where.access_key)
    report = tmp_path / "copy.json"
    argv = ["copy", "--modules", "Contacts,Accounts", "--journal", str(tmp_path / "copy.journal"),
            "--report", str(report), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    counts = json.loads(report.read_text())
    assert counts["Accounts"]["created"] == 2 and counts["Contacts"]["created"] == 1
    assert set(counts["Accounts"]) == {"read", "created", "updated", "unchanged", "rejected",
                                       "in_doubt"}  # fmt: skip
    assert "order Accounts, Contacts" in capsys.readouterr().out
    accounts = {r["accountname"]: r for r in rows(dst, "Accounts")}
    (lee,) = rows(dst, "Contacts")
    assert accounts["Child"]["account_id"] == accounts["Parent"]["id"]
    assert (lee["account_id"], lee["assigned_user_id"]) == (accounts["Parent"]["id"], "19x5")
    assert main(argv) == 0
    assert json.loads(report.read_text())["Contacts"]["unchanged"] == 1
    src.revise({"id": parent["id"], "website": "parent.example"})
    assert main([*argv, "--since", "last"]) == 0
    counts = json.loads(report.read_text())
    assert (counts["Accounts"]["read"], counts["Accounts"]["updated"]) == (1, 1)
    assert counts["Contacts"]["read"] == 0
    assert main([*argv, "--since", "yesterday"]) == 2


def test_copy_needs_a_journal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["copy", "--modules", "Contacts"])
    assert exited.value.code == 2
    assert "--journal" in capsys.readouterr().err


def test_a_key_that_is_no_column_stops_before_writing(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname,firstname", "Lee,Ann"])
    assert main(["import", "Contacts", "--in", str(source), "--key", "email", "--quiet"]) == 2
    assert "key field(s) email are not among the columns" in capsys.readouterr().err
    assert ops(env, "create") == []


# -- the mistakes of a first hour: each names what is wrong and what to type instead ---------


def test_a_misspelt_module_is_refused_with_the_closest_name(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname,email", "Lee,l@example.com"])
    assert main(["import", "Contact", "--in", str(source), "--key", "email", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{env.url} has no module 'Contact' (did you mean 'Contacts'?)" in err
    assert ops(env, "create") == []


def test_a_misspelt_key_or_column_is_refused_with_the_closest_field(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname,emial", "Lee,l@example.com"])
    assert main(["import", "Contacts", "--in", str(source), "--key", "e-mail", "--quiet"]) == 2
    assert "Contacts has no field 'e-mail' (did you mean 'email'?)" in capsys.readouterr().err
    assert main(["import", "Contacts", "--in", str(source), "--key", "lastname", "--quiet"]) == 2
    assert "no field(s) 'emial' (did you mean 'email'?)" in capsys.readouterr().err
    assert ops(env, "create") == []


def test_a_semicolon_csv_names_the_delimiter_to_give(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname;email", "Lee;l@example.com"])
    argv = ["import", "Contacts", "--in", str(source), "--key", "email", "--quiet"]
    assert main(argv) == 2
    assert "read it with --delimiter ';'" in capsys.readouterr().err
    assert ops(env, "create") == []
    assert main([*argv, "--delimiter", ";"]) == 0
    assert [r["lastname"] for r in rows(vtorm.Client(env.url, env.username, env.access_key),
                                        "Contacts")] == ["Lee"]  # fmt: skip


def test_a_tab_delimiter_may_be_written_as_backslash_t(env: Emulator, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "x.csv", ["lastname\temail", "Lee\tl@example.com"])
    argv = ["import", "Contacts", "--in", str(source), "--key", "email", "--quiet"]
    assert main([*argv, "--delimiter", "\\t"]) == 0
    assert len(ops(env, "create")) == 1


def test_a_missing_input_file_is_named_in_one_line(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["import", "Contacts", "--in", str(missing), "--key", "email"]) == 2
    assert capsys.readouterr().err == (
        f"vtorm import: error: {missing}: No such file or directory\n"
    )


def test_copy_without_a_target_says_which_crm_is_missing(
    env: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for name in ("URL", "USERNAME", "ACCESS_KEY"):
        monkeypatch.setenv(f"VTIGER_SOURCE_{name}", getattr(env, name.lower()))
        monkeypatch.delenv(f"VTIGER_TARGET_{name}", raising=False)
    argv = ["copy", "--modules", "Accounts", "--journal", str(tmp_path / "j")]
    assert main(argv) == 2
    assert "error: no target CRM configured: give --target-url or VTIGER_TARGET_URL;" in (
        capsys.readouterr().err
    )


def test_an_interrupted_import_reports_what_it_did(
    env: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # Ctrl-C after the first row: the report of an earlier run must not stay behind.
    source = write_csv(tmp_path / "x.csv", ["lastname,email", "Lee,l@x.org", "Ray,r@x.org"])
    report = tmp_path / "report.json"
    report.write_text('{"created": 99}')
    from vtorm.migrate import cli_import

    real = cli_import.read_records

    def interrupted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for number, record in real(*args, **kwargs):  # type: ignore[arg-type]
            yield number, record
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_import, "read_records", interrupted)
    argv = ["import", "Contacts", "--in", str(source), "--key", "email", "--quiet",
            "--journal", str(tmp_path / "j"), "--report", str(report)]  # fmt: skip
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "(interrupted)" in out
    assert "vtorm import: interrupted; rerun the same command to resume" in err
    assert json.loads(report.read_text())["read"] == 1
    monkeypatch.setattr(cli_import, "read_records", real)
    assert main(argv) == 0
    client = vtorm.Client(env.url, env.username, env.access_key)
    assert sorted(r["lastname"] for r in rows(client, "Contacts")) == ["Lee", "Ray"]


def test_an_export_into_a_missing_directory_names_the_file_asked_for(
    env: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "x.csv"
    assert main(["export", "Contacts", "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"vtorm export: error: cannot write {out}: the directory {out.parent} does not exist\n"
    )
