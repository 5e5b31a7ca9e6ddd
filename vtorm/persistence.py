"""Saving instances: create, revise (or update), delete, refresh, and their bulk forms.

``save`` sends nothing when nothing changed, ``revise`` with the id and exactly
the changed fields (wire form) when the record exists, and ``create`` when it is
new, after checking the model's mandatory fields. Read-only fields are never
sent. After a write the instance holds what the server answered and is clean.

A server without ``revise`` answers it with HTTP 500 and an empty body, like
any operation it does not know. vtorm then asks once more with an element the
real ``revise`` refuses cleanly; if that answers 500 too, the client is
recorded as one without ``revise`` (``client.features.revise = False``) and
saves go through retrieve, merge and ``update`` from then on. Setting that
flag before the first save skips finding out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from vtorm.context import active_unit_of_work, client_for
from vtorm.errors import (
    ConflictError,
    FieldError,
    FlushError,
    ProtocolError,
    TransportError,
    ValidationError,
    VtigerError,
    VtormError,
)

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import FieldInfo, Model

__all__ = [
    "BulkResult",
    "bulk_create",
    "bulk_update",
    "create",
    "delete",
    "refresh",
    "run_concurrently",
    "save",
    "unknown_outcome",
]

log = logging.getLogger("vtorm.persistence")

M = TypeVar("M", bound="Model")
T = TypeVar("T")

# --------------------------------------------------------------------------- results


class BulkResult(list[M], Generic[M]):
    """The objects of a bulk call, in the order given, with each one's outcome.

    It is a list (so it reads like Django's ``bulk_create`` answer);
    ``succeeded`` holds the objects that were written (or needed nothing),
    ``failed`` one ``(obj, exception)`` pair per object that was not. Failed
    objects keep their unsaved changes, so they can be sent again.
    """

    def __init__(self, objs: Iterable[M] = ()) -> None:
        super().__init__(objs)
        self.succeeded: list[M] = []
        self.failed: list[tuple[M, BaseException]] = []

    @property
    def ok(self) -> bool:
        """True when no object failed."""
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise :class:`~vtorm.errors.FlushError` listing the failures, if any."""
        if self.failed:
            raise FlushError(self.failed)

    def __repr__(self) -> str:
        return (
            f"<BulkResult {len(self)} objects: {len(self.succeeded)} succeeded, "
            f"{len(self.failed)} failed>"
        )


# --------------------------------------------------------------------------- internals


def _name(obj: Model) -> str:
    return f"{type(obj).__name__} {obj.id or '(unsaved)'}"


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False


def _check_mandatory(obj: Model) -> None:
    meta = type(obj)._meta
    missing = [
        info
        for info in meta.fields.values()
        if info.mandatory
        and info.editable
        and info.wire != "id"
        and _blank(getattr(obj, info.attr))
    ]
    if missing:
        names = ", ".join(f"{i.attr} ({i.label or i.wire})" for i in missing)
        raise ValidationError(
            f"{type(obj).__name__}: mandatory field(s) without a value: {names}; "
            "nothing was sent"
        )


def _resolve_fields(obj: Model, names: Iterable[str]) -> set[str]:
    """Wire names of ``update_fields`` given as attribute (or wire) names."""
    meta = type(obj)._meta
    if isinstance(names, str):
        raise TypeError("update_fields takes a list of field names, not one string")
    wires: set[str] = set()
    for name in names:
        info = meta.fields.get(name) or meta.by_wire.get(name)
        if info is None:
            raise FieldError(f"{type(obj).__name__} has no field {name!r} (in update_fields)")
        if info.read_only:
            raise FieldError(
                f"{type(obj).__name__}.{info.attr} is read-only: the server ignores it "
                "(in update_fields)"
            )
        wires.add(info.wire)
    return wires


def _keep_unsent(obj: Model, changes: Mapping[str, Any], sent: Iterable[str]) -> dict[str, Any]:
    """Attribute -> value of the changes not sent, to put back after the server's row."""
    meta = type(obj)._meta
    left = set(changes) - set(sent)
    return {meta.by_wire[w].attr: getattr(obj, meta.by_wire[w].attr) for w in left}


def _finish(obj: Model, client: Client, row: Mapping[str, Any], kept: Mapping[str, Any]) -> None:
    obj._mark_clean(row)
    obj._state.client = client
    # Changes left out by update_fields stay on the instance, still dirty.
    obj.__dict__.update(kept)


def unknown_outcome(obj: Model, exc: TransportError) -> TransportError:
    """The failure to report for a create whose answer was lost (not sent again)."""
    error = TransportError(
        f"{_name(obj)}: outcome unknown: the create request may have been carried out "
        f"by the server, but its answer was lost ({exc}). vtorm did not send it again; "
        "check the CRM before creating this record again",
        operation="create",
        sent=True,
    )
    error.__cause__ = exc
    return error


# --------------------------------------------------------------------------- one object


def save(
    obj: Model,
    *,
    update_fields: Iterable[str] | None = None,
    check_conflict: bool = False,
    client: Client | None = None,
) -> None:
    """Create ``obj``, or revise the fields that changed; send nothing when none did.

    ``update_fields`` limits a revision to the named fields (the other changes
    stay pending). ``check_conflict`` first reads the record and raises
    :class:`~vtorm.errors.ConflictError` if its ``modifiedtime`` is not the one
    loaded. ``client`` defaults to the client the instance came from, else the
    default client.
    """
    sender = client_for(client, obj)
    # An instance given an id by hand (never loaded) revises that record.
    if obj.id is None:
        if update_fields is not None:
            raise VtormError(
                f"{_name(obj)} is not saved yet: update_fields applies to existing records"
            )
        _create(obj, sender)
        _join_active(obj)
    else:
        _revise(obj, sender, update_fields, check_conflict)


def _join_active(obj: Model) -> None:
    """Put a just-created object into the active unit of work's identity map."""
    uow = active_unit_of_work()
    if uow is not None:
        uow._merge(obj)


def _create(obj: Model, client: Client) -> None:
    _check_mandatory(obj)
    element = obj._changes()  # every editable field that is set, read-only ones left out
    row = client.create(type(obj)._meta.module, element)
    _finish(obj, client, row, {})


def _revise(
    obj: Model, client: Client, update_fields: Iterable[str] | None, check_conflict: bool
) -> None:
    changes = obj._changes()
    send = changes
    if update_fields is not None:
        wanted = _resolve_fields(obj, update_fields)
        send = {w: v for w, v in changes.items() if w in wanted}
    if not send:
        return
    kept = _keep_unsent(obj, changes, send)
    assert obj.id is not None
    current = _check_conflict(obj, client) if check_conflict else None
    features = client.features
    if features.revise is not False:
        try:
            row = client.revise({"id": obj.id, **send})
        except ProtocolError as exc:
            if not _blank_500(exc):
                raise
            features.revise = _revise_exists(client)
            if features.revise:
                raise
            log.info("%s: the server has no revise; using retrieve + update", client.url)
        else:
            features.revise = True
            _finish(obj, client, row, kept)
            return
    row = _update(obj, client, send, current)
    _finish(obj, client, row, kept)


def _check_conflict(obj: Model, client: Client) -> dict[str, Any]:
    loaded = obj._state.loaded.get("modifiedtime")
    if not loaded:
        raise VtormError(
            f"{_name(obj)} was loaded without modifiedtime, so a conflict cannot be "
            "checked; load it with that field or save without check_conflict"
        )
    assert obj.id is not None
    current = client.retrieve(obj.id)
    now = current.get("modifiedtime")
    if now != loaded:
        raise ConflictError(
            f"{_name(obj)} was changed on the server since it was loaded "
            f"(modifiedtime {loaded} then, {now} now); nothing was sent. "
            "refresh() it and apply the changes again"
        )
    return current


def _update(
    obj: Model, client: Client, changes: Mapping[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    """Retrieve, merge the changes in, and send a full ``update``."""
    meta = type(obj)._meta
    cleared = [w for w, v in changes.items() if v == "" and _is_reference(meta.by_wire[w])]
    if cleared:
        raise VtormError(
            f"{_name(obj)}: this server has no revise, and update cannot clear a reference "
            f"({', '.join(cleared)}); nothing was sent"
        )
    assert obj.id is not None
    if current is None:
        current = client.retrieve(obj.id)
    element: dict[str, Any] = {}
    for wire, value in current.items():
        info = meta.by_wire.get(wire)
        if info is not None and info.editable:
            element[wire] = value
    element.update(changes)
    element["id"] = obj.id
    return client.update(element)


def _is_reference(info: FieldInfo) -> bool:
    return info.type == "reference"


def _blank_500(exc: ProtocolError) -> bool:
    return exc.status == 500 and not exc.excerpt.strip()


def _revise_exists(client: Client) -> bool:
    """Whether the server knows ``revise`` (after it answered an empty HTTP 500).

    A real ``revise`` refuses an element without an id in its envelope
    (``INVALID_ID_ATTRIBUTE``) and changes nothing; a server without the
    operation answers HTTP 500 with an empty body again.
    """
    try:
        client.call("revise", method="POST", element={})
    except VtigerError:
        return True
    except ProtocolError as exc:
        return not _blank_500(exc)
    return True


def delete(obj: Model, *, client: Client | None = None) -> None:
    """Delete ``obj``'s record; the instance becomes unsaved (a later save creates a copy)."""
    if obj.id is None:
        raise VtormError(f"{_name(obj)} cannot be deleted: it was never saved")
    sender = client_for(client, obj)
    sender.delete(obj.id)
    state = obj._state
    obj.__dict__["id"] = None
    state.adding = True
    state.loaded = {}


def refresh(obj: Model, *, client: Client | None = None) -> None:
    """Load ``obj`` again from the server, dropping its unsaved changes."""
    if obj.id is None:
        raise VtormError(f"{_name(obj)} cannot be refreshed: it was never saved")
    sender = client_for(client, obj)
    row = sender.retrieve(obj.id)
    obj._state.loaded = {}
    _finish(obj, sender, row, {})


def create(model: type[M], client: Client, fields: Mapping[str, Any]) -> M:
    """Build a ``model`` instance from ``fields``, create it, and return it as stored."""
    obj = model(**fields)
    _create(obj, client)
    _join_active(obj)
    return obj


# --------------------------------------------------------------------------- bulk


def run_concurrently(
    tasks: Sequence[tuple[T, Callable[[], Any]]], workers: int
) -> list[tuple[T, BaseException | None]]:
    """Run each task's callable, ``workers`` at a time; ``(key, error or None)`` in order."""
    if workers < 1:
        raise ValueError("workers must be at least 1")

    def one(call: Callable[[], Any]) -> BaseException | None:
        try:
            call()
        except Exception as exc:
            return exc
        return None

    if workers == 1 or len(tasks) <= 1:
        return [(key, one(call)) for key, call in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        errors = list(pool.map(one, [call for _, call in tasks]))
    return [(key, error) for (key, _), error in zip(tasks, errors, strict=True)]


def _unique(objs: Iterable[M]) -> list[M]:
    seen: set[int] = set()
    out: list[M] = []
    for obj in objs:
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append(obj)
    return out


def _collect(
    objs: Sequence[M], outcomes: Iterable[tuple[M, BaseException | None]], what: str
) -> BulkResult[M]:
    result = BulkResult(objs)
    for obj, error in outcomes:
        if error is None:
            result.succeeded.append(obj)
            continue
        if what == "create" and isinstance(error, TransportError) and error.sent:
            error = unknown_outcome(obj, error)
        result.failed.append((obj, error))
        log.warning("%s of %s failed: %s", what, _name(obj), error)
    return result


def bulk_create(
    objs: Iterable[M], *, client: Client | None = None, workers: int = 8
) -> BulkResult[M]:
    """Create every object, ``workers`` requests at a time, one request per object.

    Each object is created on its own; one failure does not stop the others.
    The result lists which succeeded and which failed (with the exception);
    a create whose answer was lost is reported as of unknown outcome and not
    sent again.
    """
    items = list(objs)
    todo = _unique(items)
    for obj in todo:
        if obj.id is not None:
            raise VtormError(f"bulk_create: {_name(obj)} is already saved; use bulk_update")
    sender = client_for(client, todo[0] if todo else None)
    tasks = [(obj, _bound(_create, obj, sender)) for obj in todo]
    result = _collect(items, run_concurrently(tasks, workers), "create")
    for obj in result.succeeded:  # here, not in the workers: they do not see the context
        _join_active(obj)
    return result


def bulk_update(
    objs: Iterable[M],
    fields: Iterable[str] | None = None,
    *,
    client: Client | None = None,
    workers: int = 8,
) -> BulkResult[M]:
    """Revise every object's changes (only ``fields`` when given), ``workers`` at a time.

    Objects without changes send nothing and count as succeeded.
    """
    items = list(objs)
    todo = _unique(items)
    for obj in todo:
        if obj.id is None:
            raise VtormError(f"bulk_update: {_name(obj)} is not saved yet; use bulk_create")
    names = list(fields) if fields is not None else None
    if names is not None:
        for obj in todo:  # a wrong name is one mistake, raised once and before sending
            _resolve_fields(obj, names)
    tasks = []
    for obj in todo:
        sender = client_for(client, obj)
        tasks.append((obj, _bound(_revise, obj, sender, names, False)))
    return _collect(items, run_concurrently(tasks, workers), "update")


def _bound(function: Callable[..., None], *args: Any) -> Callable[[], None]:
    def call() -> None:
        function(*args)

    return call
