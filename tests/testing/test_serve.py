"""``vtorm serve`` in a subprocess, and the pytest fixtures."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from emulator_wire import Wire

from vtorm.testing import Emulator
from vtorm.testing.serve import add_arguments

pytest_plugins = ["pytester"]


def _serve(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vtorm.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for _ in range(3):
        label, _, value = process.stdout.readline().partition(":")
        printed[label.strip()] = value.strip()
    return process, printed


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def test_serve_prints_url_and_credentials_and_stops_on_ctrl_c() -> None:
    process, printed = _serve()
    try:
        assert printed["URL"].startswith("http://127.0.0.1:")
        assert printed["URL"].endswith("/webservice.php")
        assert printed["User name"] == "admin"
        assert len(printed["Access key"]) == 16

        class Running:
            url = printed["URL"]
            username = printed["User name"]
            access_key = printed["Access key"]

        wire = Wire(Running())  # type: ignore[arg-type]
        assert wire.login()["success"] is True
        assert wire.get("retrieve", id="19x1")["result"]["user_name"] == "admin"
    finally:
        code = _stop(process)
    assert code == 0


def test_serve_keeps_data_in_a_db_file(tmp_path: Path) -> None:
    db = tmp_path / "crm.sqlite"
    process, printed = _serve("--db", str(db), "--quirks", "none")
    try:

        class Running:
            url = printed["URL"]
            username = printed["User name"]
            access_key = printed["Access key"]

        wire = Wire(Running())  # type: ignore[arg-type]
        wire.login()
        created = wire.create("Accounts", accountname="Kept", assigned_user_id="19x1")
    finally:
        assert _stop(process) == 0
    with Emulator(db_path=db) as crm:
        assert crm.access_key == printed["Access key"]  # the key is kept with the data
        again = Wire(crm)
        assert again.login()["success"]
        body = again.get("retrieve", id=created["id"])
        assert body["result"]["accountname"] == "Kept"
        follow = again.create("Accounts", accountname="Next", assigned_user_id="19x1")
        assert follow["account_no"] == "ACC2"


def test_serve_refuses_a_missing_schema_dir(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vtorm.testing.serve", "--schema", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def _refused(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vtorm.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--port", "99999"), "argument --port: '99999' is not a port number (0 to 65535)"),
        (("--port", "http"), "argument --port: 'http' is not a port number (0 to 65535)"),
        (("--db", "/no/such/folder/x.db"), "the folder '/no/such/folder' does not exist"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(args: tuple[str, ...], said: str) -> None:
    result = _refused(*args)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("not a database\n" * 100)
    result = _refused("--db", str(db))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["vtorm serve: error: file is not a database"]


def test_serve_takes_the_access_key_it_is_given() -> None:
    process, printed = _serve("--access-key", "k3y-from-the-test")
    try:
        assert printed["Access key"] == "k3y-from-the-test"

        class Running:
            url = printed["URL"]
            username = printed["User name"]
            access_key = "k3y-from-the-test"

        assert Wire(Running()).login()["success"] is True  # type: ignore[arg-type]
    finally:
        assert _stop(process) == 0


def test_serve_help_says_the_default_port_is_a_free_one() -> None:
    result = _refused("--help")
    assert result.returncode == 0
    assert "default: a free one" in " ".join(result.stdout.split())
    assert "(default 127.0.0.1: this machine only)" in " ".join(result.stdout.split())


def test_emulator_fixture_in_a_user_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_fresh(vtiger_emulator):
            url = vtiger_emulator.url
            body = requests.get(url, params={"operation": "getchallenge", "username": "admin"})
            assert body.json()["success"] is True
            assert vtiger_emulator.calls == [("getchallenge", {"username": "admin"})]

        def test_each_test_gets_its_own(vtiger_emulator):
            assert vtiger_emulator.calls == []
            assert vtiger_emulator.state.store.alive == {}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_client_fixture_talks_to_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_client(vtiger_client, vtiger_emulator):
            assert [name for name, _ in vtiger_emulator.calls] == ["getchallenge", "login"]
            types = vtiger_client.list_types()
            assert "Contacts" in str(types)
            assert "listtypes" in [name for name, _ in vtiger_emulator.calls]
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_client_fixture_is_the_default_client_of_its_test(pytester: pytest.Pytester) -> None:
    # Models used without using() reach the test's own CRM; the default set by
    # one test never leaks into the next, whose emulator is another.
    pytester.makepyfile(
        """
        import attrs
        import pytest
        import vtorm
        from vtorm import Model, field

        @attrs.define(kw_only=True, eq=False, slots=False)
        class Accounts(Model):
            class Meta:
                module = "Accounts"
                id_prefix = "11"
                label_fields = ("accountname",)

            accountname: str | None = field("accountname", "string", mandatory=True)
            assigned_user_id: str | None = field("assigned_user_id", "owner", mandatory=True)

        @pytest.fixture(params=[1, 2])
        def round(request):
            return request.param

        def test_models_use_the_fixture(vtiger_client, vtiger_emulator, round):
            assert vtorm.get_client() is vtiger_client
            Accounts(accountname=f"Round {round}", assigned_user_id="19x1").save()
            names = [a.accountname for a in Accounts.objects.all()]
            assert names == [f"Round {round}"]
            operations = [op for op, _ in vtiger_emulator.calls]
            assert operations[:3] == ["getchallenge", "login", "create"]
            assert set(operations[3:]) == {"query"}

        def test_no_default_outside(round):
            with pytest.raises(vtorm.VtormError, match="connect"):
                vtorm.get_client()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_stopped_emulator_refuses_connections() -> None:
    crm = Emulator().start()
    url = crm.url
    crm.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, params={"operation": "listtypes"}, timeout=2)


def test_serve_takes_the_session_idle_lifetime() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).session_idle == 1440
    assert parser.parse_args(["--session-idle", "60"]).session_idle == 60
    assert parser.parse_args(["--session-idle", "0"]).session_idle is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--session-idle", "-1"])


def test_a_port_in_use_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    from vtorm.testing import serve

    with Emulator() as running:
        port = running.url.split(":")[2].split("/")[0]
        assert serve.main(["--port", port]) == 2
    assert capsys.readouterr().err == (
        f"vtorm serve: error: port {port} of 127.0.0.1 is in use (another vtorm serve?): "
        "choose another --port, or leave --port out for a free one\n"
    )
