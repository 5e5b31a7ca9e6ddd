"""``vtorm codegen`` from a real CRM: the module generated imports, is mypy-clean and works."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from live_support import Crm, Marked, require_crm
from strict_mypy import strict_mypy

import vtorm
from vtorm.cli import main

require_crm()
pytestmark = pytest.mark.live



@pytest.fixture(scope="module")
def generated(live_crm: Crm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The models of the live CRM, written by ``vtorm codegen``."""
    out = tmp_path_factory.mktemp("codegen") / "live_models.py"
    argv = ["codegen", "--url", live_crm.url, "--username", live_crm.username]
    status = main([*argv, "--access-key", live_crm.access_key, "--out", str(out)])
    assert status == 0
    yield out


@pytest.fixture(scope="module")
def models(generated: Path) -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("live_models", generated)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["live_models"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("live_models", None)


def test_the_generated_module_names_its_source(generated: Path, live_crm: Crm) -> None:
    text = generated.read_text(encoding="utf-8")
    assert f"Source: {live_crm.url} (user {live_crm.username}, Vtiger " in text
    assert live_crm.access_key not in text


def test_every_field_of_the_crm_is_typed(models: ModuleType, live_client: vtorm.Client) -> None:
    for name in ("Contacts", "Accounts", "Potentials", "Leads"):
        described = {f["name"] for f in live_client.describe(name)["fields"]} - {"id"}
        model = getattr(models, name)
        assert set(model._meta.by_wire) - {"id"} == described, name


def test_the_generated_module_is_mypy_strict_clean(generated: Path) -> None:
    stdout, stderr, status = strict_mypy(generated)
    assert status == 0, stdout + stderr


def test_the_generated_models_read_and_write(
    models: ModuleType, live_client: vtorm.Client, marked: Marked
) -> None:
    contact = models.Contacts(lastname=marked.name("Generated"), assigned_user_id=marked.owner)
    contact.save(client=live_client)
    marked.track(str(contact.id))
    found = models.Contacts.objects.using(live_client).get(lastname=marked.name("Generated"))
    assert found.id == contact.id and isinstance(found, models.Contacts)
