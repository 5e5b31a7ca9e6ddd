"""files_retrieve, and the files Documents keep when created with a multipart upload.

An uploaded file becomes an attachment with its own number in the record
sequence (the document ``15x194`` gets the attachment ``15x195``), kept in an
``attachments`` table; ``files_retrieve`` takes the attachment's id, not the
document's. The core ``create`` and ``retrieve`` operations call
:func:`keep_upload` (a Documents create sent as multipart/form-data keeps its
file, form field ``filename``) and :func:`with_attachment` (both answer
``imageattachmentids``).
"""

from __future__ import annotations

import base64
import weakref
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations.base import (
    Context,
    WsError,
    invalid_id,
    operation,
)
from vtorm.testing.store import Store

__all__ = ["attach", "attachment_of", "files_retrieve", "keep_upload", "with_attachment"]

NOT_FOUND = "Record you are trying to access is not found"

_READY: weakref.WeakSet[Store] = weakref.WeakSet()


def _table(store: Store) -> None:
    if store in _READY:
        return
    with store.lock:
        store.conn.execute(
            "CREATE TABLE IF NOT EXISTS attachments (attachmentid INTEGER PRIMARY KEY,"
            " crmid INTEGER NOT NULL, filename TEXT, filetype TEXT, content BLOB)"
        )
    _READY.add(store)


def attach(store: Store, crmid: int, filename: str, filetype: str, content: bytes) -> int:
    """Store a file for the record ``crmid``; returns the attachment's number.

    The number is taken from the shared record sequence (a ``crmentity`` row
    marked deleted, so no operation ever sees it as a record).
    """
    _table(store)
    with store.lock:
        last = store.conn.execute("SELECT max(crmid) FROM crmentity").fetchone()[0]
        number = max(last or 0, store.first_crmid - 1) + 1
        store.conn.execute(
            "INSERT INTO crmentity (crmid, module, deleted, ownerid, createdtime, modifiedtime)"
            " VALUES (?, 'Attachments', 1, NULL, NULL, NULL)",
            (number,),
        )
        store.conn.execute(
            "INSERT INTO attachments (attachmentid, crmid, filename, filetype, content)"
            " VALUES (?, ?, ?, ?, ?)",
            (number, crmid, filename, filetype, content),
        )
    return number


def attachment_of(store: Store, crmid: int) -> int | None:
    """The number of the record's last attachment, if it has one."""
    _table(store)
    rows = store.execute(
        "SELECT max(attachmentid) AS found FROM attachments WHERE crmid = ?", (crmid,)
    )
    found = rows[0]["found"] if rows else None
    return None if found is None else int(found)


@operation("files_retrieve", method="GET")
def files_retrieve(ctx: Context, params: Mapping[str, str]) -> Any:
    """The attachment ``id`` (``<Documents prefix>x<attachment number>``), base64-encoded."""
    wsid = params.get("id") or ""
    _, sep, number = wsid.partition("x")
    if not sep or not number.isdigit():
        raise invalid_id()
    store = ctx.crm.store
    _table(store)
    rows = store.execute(
        "SELECT attachmentid, filename, filetype, content FROM attachments WHERE attachmentid = ?",
        (int(number),),
    )
    if not rows:
        raise WsError("RECORD_NOT_FOUND", NOT_FOUND)
    row = rows[0]
    content = bytes(row["content"] or b"")
    return [
        {
            "fileid": str(row["attachmentid"]),
            "filename": row["filename"],
            "filetype": row["filetype"],
            "filesize": len(content),
            "filecontents": base64.b64encode(content).decode("ascii"),
        }
    ]


def with_attachment(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``imageattachmentids`` after ``id``, when the record has a file."""
    _, _, number = str(record.get("id", "")).partition("x")
    if not number.isdigit():
        return record
    found = attachment_of(store, int(number))
    if found is None:
        return record
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[key] = value
        if key == "id":
            out["imageattachmentids"] = f"{store.layouts['Documents'].prefix}x{found}"
    return out


def keep_upload(store: Store, crmid: int, upload: tuple[str, str, bytes]) -> None:
    """Attach an uploaded file (name, content type, bytes) to the document ``crmid``.

    The document's own file fields follow the upload, as on the real server;
    a file name sent in the element wins over the upload's.
    """
    name, kind, content = upload
    attach(store, crmid, name, kind, content)
    with store.lock:
        store.conn.execute(
            f"UPDATE {store.layouts['Documents'].table} SET filetype = ?, filesize = ?,"
            " filename = coalesce(filename, ?) WHERE crmid = ?",
            (kind, str(len(content)), name, crmid),
        )
