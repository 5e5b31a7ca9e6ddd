"""files_retrieve of Documents uploaded as multipart, and retrieve_inventory."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_wire import Wire

from vtorm.testing import Emulator

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"
CONTENT = "Hello, Vtiger! Ünïcödé ✓\n".encode()


def recorded(name: str) -> Any:
    """A recorded response body of a real Vtiger 8.4."""
    return json.loads((RECORDED / name).read_text("utf-8"))


def _upload(wire: Wire) -> dict[str, Any]:
    element = {
        "notes_title": "Uploaded spec",
        "assigned_user_id": "19x1",
        "filelocationtype": "I",
        "filestatus": "1",
        "filename": "spec.txt",
    }
    response = wire.http.post(
        wire.crm.url,
        data={
            "operation": "create",
            "sessionName": wire.session_name,
            "elementType": "Documents",
            "element": json.dumps(element),
        },
        files={"filename": ("spec.txt", CONTENT, "text/plain")},
    )
    body = response.json()
    assert body["success"], body
    result: dict[str, Any] = body["result"]
    return result


def test_multipart_document_keeps_its_file(wire: Wire) -> None:
    document = _upload(wire)
    expected = recorded("create-success-Documents-multipart-upload.json")["result"]
    assert list(document) == list(expected)
    assert (document["filetype"], document["filesize"]) == ("text/plain", str(len(CONTENT)))
    retrieved = wire.get("retrieve", id=document["id"])["result"]
    assert retrieved["imageattachmentids"] == document["imageattachmentids"]
    assert list(retrieved) == list(recorded("retrieve-Documents-uploaded.json")["result"])
    body = wire.get("files_retrieve", id=document["imageattachmentids"])
    assert body == {
        "success": True,
        "result": [
            {
                "fileid": document["imageattachmentids"].partition("x")[2],
                "filename": "spec.txt",
                "filetype": "text/plain",
                "filesize": len(CONTENT),
                "filecontents": base64.b64encode(CONTENT).decode(),
            }
        ],
    }
    assert (
        recorded("files_retrieve-success.json")["result"][0]["filecontents"]
        == (body["result"][0]["filecontents"])
    )


def test_files_retrieve_errors(wire: Wire) -> None:
    document = _upload(wire)
    by_document = wire.get("files_retrieve", id=document["id"])
    assert by_document == recorded("files_retrieve-document-id-instead-of-attachment.json")
    external = wire.create(
        "Documents",
        notes_title="Spec sheet",
        filelocationtype="E",
        filename="https://example.com/spec.pdf",
        assigned_user_id="19x1",
    )
    assert "imageattachmentids" not in external
    assert wire.get("files_retrieve", id=external["id"]) == recorded(
        "files_retrieve-document-external-url.json"
    )
    assert wire.get("files_retrieve", id="15x999999") == recorded(
        "files_retrieve-error-bad-id.json"
    )
    assert wire.post("files_retrieve", id="15x1") == recorded(
        "method-wrong-files_retrieve-via-POST.json"
    )


def test_retrieve_inventory_is_an_empty_500_on_84(wire: Wire) -> None:
    response = wire.raw_get(
        operation="retrieve_inventory", sessionName=wire.session_name, id="4x999999"
    )
    assert (response.status_code, response.content) == (500, b"")


@pytest.fixture
def designed() -> Iterator[Wire]:
    with Emulator(quirks=None) as crm:
        wire = Wire(crm)
        assert wire.login()["success"]
        yield wire


def test_retrieve_inventory_without_quirks(designed: Wire) -> None:
    account = designed.create("Accounts", accountname="Buyer", assigned_user_id="19x1")
    body = designed.get("retrieve_inventory", id=account["id"])
    assert body["success"], body
    plain = designed.get("retrieve", id=account["id"])["result"]
    assert body["result"] == {**plain, "LineItems": []}
    missing = designed.get("retrieve_inventory", id="11x999999")
    assert missing["error"]["code"] == "ACCESS_DENIED"


def test_core_create_and_retrieve_keep_files_without_wrappers() -> None:
    """The registry holds the core handlers themselves; they attach and name files."""
    from vtorm.testing.operations import load, records

    registry = load()
    assert registry["create"].handler is records.create
    assert registry["retrieve"].handler is records.retrieve
