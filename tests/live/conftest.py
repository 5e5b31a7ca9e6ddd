"""Fixtures of the tests against a real Vtiger CRM: ``pytest -m live``.

They run when ``VTIGER_TEST_URL``, ``VTIGER_TEST_USERNAME`` and
``VTIGER_TEST_ACCESS_KEY`` name a CRM, and are skipped otherwise. The CRM is
shared: every record the tests create carries the run's marker in its name
(``vtlive`` and ten random letters and digits), is tracked, and is deleted
when the session ends -- failed tests included. A last sweep deletes every
record whose name holds the marker, for the writes that answered no id (a
create answered with the restricted-file text, a conversion).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_support import NO_CRM, Crm, Marked, settings

import vtorm
from vtorm.testing import Emulator

HERE = Path(__file__).resolve().parent
# The brute-force filter and the raw web-service caller live with the tests they serve.
for _helpers in (HERE.parent / "query", HERE.parent / "testing"):
    if str(_helpers) not in sys.path:
        sys.path.insert(0, str(_helpers))


@pytest.fixture(scope="session")
def live_crm() -> Crm:
    """Where the CRM under test is."""
    found = settings()
    if found is None:
        pytest.skip(NO_CRM)
    return Crm(*found)


@pytest.fixture(scope="session")
def live_client(live_crm: Crm) -> Iterator[vtorm.Client]:
    """A logged-in client of the CRM under test, for the whole run."""
    client = vtorm.Client(live_crm.url, live_crm.username, live_crm.access_key)
    client.login()
    yield client
    client.close()


@pytest.fixture(scope="session")
def marked(live_client: vtorm.Client) -> Iterator[Marked]:
    """The run's marker; every record made with it is deleted when the run ends."""
    run = Marked(live_client)
    yield run
    left = run.clean()
    assert not left, f"records of this run that could not be deleted: {left}"
    assert run.found() == [], f"records still marked {run.marker}"


@pytest.fixture(scope="session")
def live_schema(live_crm: Crm, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CRM's modules, dumped with ``vtorm dump-schema`` (custom fields included)."""
    from vtorm.cli import main

    directory = tmp_path_factory.mktemp("live-schema")
    status = main(
        [
            "dump-schema",
            "--url",
            live_crm.url,
            "--username",
            live_crm.username,
            "--access-key",
            live_crm.access_key,
            "--out",
            str(directory),
        ]
    )
    assert status == 0
    return directory


@pytest.fixture(scope="session")
def twin(live_schema: Path) -> Iterator[Emulator]:
    """An emulator of the same modules as the CRM under test, for answers side by side."""
    with Emulator(schema_dir=live_schema) as crm:
        yield crm
