"""Writing records: decide what to send, send it, record the answer.

Every write here takes the same three steps, read top to bottom:

1. **decide** (:func:`plan_save`, :func:`plan_update`): from the instance
   alone -- its changes against the snapshot it was loaded with, in wire form,
   mandatory fields checked -- what to send. A mistake raises here, before
   any request.
2. **send** (:func:`send`, :func:`revise`): the request, through the client.
3. **record** (:func:`record`): the server's answer becomes the instance's
   values and snapshot, and a created record joins the active unit of work.

``save`` sends nothing when nothing changed, ``revise`` with the id and exactly
the changed fields when the record exists, and ``create`` when it is new.
Read-only fields are never sent. After a write the instance holds what the
server answered and is clean.

A server without ``revise`` answers it with HTTP 500 and an empty body, like
any operation it does not know. vtorm then asks once more with an element the
real ``revise`` refuses cleanly; if that answers 500 too, the client is
recorded as one without ``revise`` (``client.features.revise = False``) and
saves go through retrieve, merge and ``update`` from then on. Setting that
flag before the first save skips finding out.

Many writes (bulk_create, bulk_update, QuerySet.update/delete, a unit of
work's commit) decide every write first, send ``workers`` at a time, and
record each answer in the calling thread.

A write whose outcome is unknown (:class:`~vtorm.errors.InDoubtError`: the
answer was not the envelope, or was lost after sending) is never sent again by
vtorm. The instance keeps the error (``obj.in_doubt``), and every later write
of it is refused until :func:`resolve` settles whether the server carried it
out.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from vtorm.context import active_unit_of_work, client_for
from vtorm.errors import (
    AccessDeniedError,
    ConflictError,
    FieldError,
    FlushError,
    InDoubtError,
    ProtocolError,
    RecordNotFoundError,
    ValidationError,
    VtigerError,
    VtormError,
    did_you_mean,
)
from vtorm.owners import check_element, directory
from vtorm.query import paging
from vtorm.types import field_type, to_python, to_wire, wire_equal

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import FieldInfo, Model, ModelMeta

__all__ = [
    "BulkResult",
    "Write",
    "bulk_create",
    "bulk_update",
    "create",
    "delete",
    "delete_each",
    "plan_create",
    "plan_save",
    "plan_update",
    "record",
    "refresh",
    "resolve",
    "revise",
    "revise_each",
    "run_concurrently",
    "save",
    "send",
]

log = logging.getLogger("vtorm.persistence")

M = TypeVar("M", bound="Model")
K = TypeVar("K")
R = TypeVar("R")


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


# --------------------------------------------------------------------------- 1. decide


@attrs.frozen
class Write:
    """One write decided for one instance before anything is sent.

    ``operation`` is ``"create"`` or ``"revise"``; ``element`` the wire form
    to send (a revision's holds the id); ``kept`` the attribute values of
    changes left out by ``update_fields``, put back after the answer;
    ``modifiedtime`` the loaded one a conflict check expects, else None.
    """

    meta: ModelMeta
    operation: str
    element: dict[str, Any]
    kept: dict[str, Any] = attrs.field(factory=dict)
    modifiedtime: str | None = None


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


def _mandatory(info: FieldInfo) -> bool:
    return info.mandatory and info.editable and info.wire != "id"


def plan_create(obj: Model) -> Write:
    """The ``create`` of a new instance: every editable field that is set.

    Raises :class:`~vtorm.errors.ValidationError` naming the mandatory fields
    without a value, or a value that cannot be sent.
    """
    _refuse_in_doubt(obj)
    meta = type(obj)._meta
    missing = [i for i in meta.fields.values() if _mandatory(i) and _blank(getattr(obj, i.attr))]
    if missing:
        names = ", ".join(f"{i.attr} ({i.label or i.wire})" for i in missing)
        owner = next((i.attr for i in missing if i.type == "owner"), None)
        hint = (
            f" ({owner} takes the id of a user or a group: the logged-in user's is "
            "client.user_id, such as '19x1')"
            if owner
            else ""
        )
        raise ValidationError(
            f"{type(obj).__name__}: mandatory field(s) without a value: {names}; "
            f"nothing was sent{hint}"
        )
    return Write(meta, "create", obj._changes())


def plan_save(
    obj: Model, update_fields: Iterable[str] | None = None, check_conflict: bool = False
) -> Write | None:
    """What ``save()`` sends for ``obj``: a create, a revision, or None (nothing changed).

    An instance given an id by hand (never loaded) revises that record.
    A write of ``obj`` in doubt is refused (:class:`~vtorm.errors.InDoubtError`).
    """
    _refuse_in_doubt(obj)
    if obj.id is None:
        if update_fields is not None:
            raise VtormError(
                f"{_name(obj)} is not saved yet: update_fields applies to existing records"
            )
        return plan_create(obj)
    changes = obj._changes()
    send = changes
    if update_fields is not None:
        wanted = _resolve_fields(obj, update_fields)
        send = {w: v for w, v in changes.items() if w in wanted}
    if not send:
        return None
    meta = type(obj)._meta
    cleared = [
        meta.by_wire[w] for w, v in send.items() if _mandatory(meta.by_wire[w]) and _blank(v)
    ]
    if cleared:
        # revise refuses an empty mandatory field (MANDATORY_FIELDS_MISSING): say so first.
        names = ", ".join(f"{i.attr} ({i.label or i.wire})" for i in cleared)
        raise ValidationError(
            f"{_name(obj)}: mandatory field(s) cannot be emptied: {names}; nothing was sent"
        )
    # Changes left out by update_fields stay on the instance, still dirty.
    kept = {meta.by_wire[w].attr: getattr(obj, meta.by_wire[w].attr) for w in changes
            if w not in send}  # fmt: skip
    modifiedtime = None
    if check_conflict:
        modifiedtime = obj._state.loaded.get("modifiedtime")
        if not modifiedtime:
            raise VtormError(
                f"{_name(obj)} was loaded without modifiedtime, so a conflict cannot be "
                "checked; load it with that field or save without check_conflict"
            )
    return Write(meta, "revise", {"id": obj.id, **send}, kept, modifiedtime)


def _resolve_fields(obj: Model, names: Iterable[str]) -> set[str]:
    """Wire names of ``update_fields`` given as attribute (or wire) names."""
    meta = type(obj)._meta
    if isinstance(names, str):
        raise TypeError("update_fields takes a list of field names, not one string")
    wires: set[str] = set()
    for name in names:
        info = meta.fields.get(name) or meta.by_wire.get(name)
        if info is None:
            hint = did_you_mean(name, meta.fields)
            raise FieldError(f"{type(obj).__name__} has no field {name!r}{hint} (in update_fields)")
        if info.read_only:
            raise FieldError(
                f"{type(obj).__name__}.{info.attr} is read-only: the server ignores it "
                "(in update_fields)"
            )
        wires.add(info.wire)
    return wires


def plan_update(model: type[Model], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The wire element (without id) that sets ``fields`` on records of ``model``.

    Names are attribute (or wire) names of editable fields; each value is
    converted once, and a mandatory field cannot be cleared. Raises
    :class:`~vtorm.errors.FieldError` / :class:`~vtorm.errors.ValidationError`
    naming the field and the value.
    """
    if not fields:
        raise TypeError(f"{model.__name__}: update() needs at least one field=value")
    meta = model._meta
    element: dict[str, Any] = {}
    for name, value in fields.items():
        info = meta.fields.get(name) or meta.by_wire.get(name)
        if info is None:
            choices = ", ".join(i.attr for i in meta.editable)
            raise FieldError(
                f"{model.__name__} has no field {name!r}{did_you_mean(name, meta.fields)}; "
                f"choices are: {choices}"
            )
        if info.read_only:
            raise FieldError(f"{model.__name__}.{info.attr} is read-only: it cannot be updated")
        wire = to_wire(info, value, meta.module)
        if _mandatory(info) and _blank(wire):
            raise ValidationError(
                f"{model.__name__}.{info.attr} is mandatory: it cannot be set to {value!r}"
            )
        element[info.wire] = wire
    return element


# --------------------------------------------------------------------------- 2. send


def send(client: Client, write: Write) -> dict[str, Any]:
    """Send ``write`` through ``client``; the server's answer (the stored record).

    An owner that is no user or group of the client, and a reference to a
    record the client cannot find, are refused first
    (:func:`vtorm.owners.check_element`).
    """
    check_element(client, write.meta, write.element)
    if write.operation == "create":
        row = client.create(write.meta.module, write.element)
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            directory(client).seen(row["id"])  # later writes may refer to it
        return row
    current = _unchanged_since(client, write) if write.modifiedtime is not None else None
    return revise(client, write.element, write.meta, current)


def _unchanged_since(client: Client, write: Write) -> dict[str, Any]:
    """The record as stored, after checking that its modifiedtime is the loaded one."""
    ident = write.element["id"]
    current = client.retrieve(ident)
    now = current.get("modifiedtime")
    if now != write.modifiedtime:
        raise ConflictError(
            f"{write.meta.model.__name__} {ident} was changed on the server since it was "
            f"loaded (modifiedtime {write.modifiedtime} then, {now} now); nothing was "
            "sent. refresh() it and apply the changes again"
        )
    return current


def revise(
    client: Client,
    element: Mapping[str, Any],
    meta: ModelMeta,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Change the fields of ``element`` on record ``element["id"]``; the stored record.

    ``revise`` where the server has it, else retrieve (or ``current``), merge
    and ``update`` (see the module's docstring).
    """
    features = client.features
    if features.revise is not False:
        try:
            row = client.revise(element)
        except ProtocolError as exc:
            if not _blank_500(exc):
                raise
            features.revise = _revise_exists(client)
            if features.revise:
                raise
            log.info("%s: the server has no revise; using retrieve + update", client.url)
        else:
            features.revise = True
            return row
    return _update(client, element, meta, current)


def _update(
    client: Client,
    changes: Mapping[str, Any],
    meta: ModelMeta,
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Retrieve, merge the changes in, and send a full ``update``."""
    ident = changes["id"]
    cleared = [w for w, v in changes.items()
               if v == "" and w in meta.by_wire and meta.by_wire[w].type == "reference"]
    if cleared:
        raise VtormError(
            f"{meta.model.__name__} {ident}: this server has no revise, and update cannot "
            f"clear a reference ({', '.join(cleared)}); nothing was sent"
        )  # fmt: skip
    if current is None:
        current = client.retrieve(ident)
    element: dict[str, Any] = {}
    for wire, value in current.items():
        info = meta.by_wire.get(wire)
        if info is not None and info.editable:
            element[wire] = value
    element.update(changes)
    return client.update(element)


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


# --------------------------------------------------------------------------- 3. record


def record(
    obj: Model, client: Client, row: Mapping[str, Any], write: Write | None = None
) -> None:
    """Make the server's ``row`` the values and snapshot of ``obj``, now of ``client``.

    Changes ``write`` left out stay pending; a created record joins the active
    unit of work's identity map.
    """
    obj._mark_clean(row)
    obj._state.client = client
    if write is None:
        return
    obj.__dict__.update(write.kept)
    if write.operation == "revise":
        # A loop iterating the records may have to skip this one further on.
        paging.note_write(obj, write.element)
    if write.operation == "create":
        uow = active_unit_of_work()
        if uow is not None:
            uow._merge(obj)


def _record_deleted(obj: Model) -> None:
    """The record is gone: ``obj`` becomes unsaved (a later save creates a copy)."""
    state = obj._state
    obj.__dict__["id"] = None
    state.adding = True
    state.loaded = {}


def _refuse_in_doubt(obj: Model) -> None:
    """Raise when an earlier write of ``obj`` is in doubt: it must be settled first."""
    pending = obj._state.in_doubt
    if pending is None:
        return
    error = InDoubtError(
        f"{_name(obj)}: nothing was sent: its {pending.operation or 'write'} of "
        f"{pending.at:%Y-%m-%d %H:%M:%S} UTC is in doubt (the server may have carried it "
        "out). Settle it first with obj.resolve() (it looks the write up), "
        "obj.resolve(id) (you found the record) or obj.resolve(carried_out=False)"
    )
    error.operation = pending.operation
    error.params = pending.params
    error.at = pending.at
    error.cause = pending
    error.instance = obj
    raise error


def _in_doubt(obj: Model, error: BaseException, client: Client) -> BaseException:
    """Note on ``obj`` that its write through ``client`` is in doubt when ``error``
    says so (resolve() asks that client); ``error``."""
    if isinstance(error, InDoubtError):
        obj._state.in_doubt = error
        if obj._state.client is None:
            obj._state.client = client
        if error.instance is None:
            error.instance = obj
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
    write = plan_save(obj, update_fields, check_conflict)
    if write is None:
        return
    sender = client_for(client, obj)
    try:
        row = send(sender, write)
    except InDoubtError as error:
        raise _in_doubt(obj, error, sender) from error.cause
    record(obj, sender, row, write)


def create(model: type[M], client: Client | None, fields: Mapping[str, Any]) -> M:
    """Build a ``model`` instance from ``fields``, create it, and return it as stored.

    Should the create be in doubt, the error's ``instance`` is the object, to
    :func:`resolve`.
    """
    obj = model(**fields)
    write = plan_create(obj)
    sender = client_for(client)
    try:
        row = send(sender, write)
    except InDoubtError as error:
        raise _in_doubt(obj, error, sender) from error.cause
    record(obj, sender, row, write)
    return obj


def delete(obj: Model, *, client: Client | None = None) -> None:
    """Delete ``obj``'s record; the instance becomes unsaved (a later save creates a copy)."""
    if obj.id is None:
        raise VtormError(f"{_name(obj)} cannot be deleted: it was never saved")
    _refuse_in_doubt(obj)
    sender = client_for(client, obj)
    try:
        delete_record(sender, obj.id)
    except InDoubtError as error:
        raise _in_doubt(obj, error, sender) from error.cause
    _record_deleted(obj)


def delete_record(client: Client, ident: str) -> None:
    """Delete the record ``ident``; reference checks no longer take it to exist."""
    directory(client).gone(ident)  # first: a delete in doubt may have happened
    client.delete(ident)


def refresh(obj: Model, *, client: Client | None = None) -> None:
    """Load ``obj`` again from the server, dropping its unsaved changes.

    This settles a revision in doubt too: the record is what the server holds.
    """
    if obj.id is None:
        raise VtormError(f"{_name(obj)} cannot be refreshed: it was never saved")
    sender = client_for(client, obj)
    row = sender.retrieve(obj.id)
    obj._state.loaded = {}
    obj._state.in_doubt = None
    record(obj, sender, row)


# --------------------------------------------------------------------------- settling doubt

#: How long before a create in doubt failed its record may have been created
#: (the server's clock against this machine's, and a slow answer).
RESOLVE_WINDOW = datetime.timedelta(minutes=15)
_LOOKUP_MAX_CHARS = 200


def resolve(
    obj: Model,
    id: str | None = None,
    *,
    carried_out: bool | None = None,
    client: Client | None = None,
) -> bool:
    """Settle the write of ``obj`` that is in doubt; whether the server carried it out.

    - ``resolve(obj)`` looks it up. A **create**: the records created since
      shortly before it (``createdtime``, see :data:`RESOLVE_WINDOW`) whose
      text fields equal those sent; one found: ``obj`` becomes that record
      (True); none: it was not created (False), and ``save()`` creates it;
      several: :class:`~vtorm.errors.InDoubtError` naming them (choose one
      with ``resolve(id)``). A **revise**/**update**: the record is read;
      True when every field sent holds the value sent (``obj`` takes the
      record), else False, the fields sent staying changed so that
      ``save()`` sends them again. A **delete**: True when the record is gone.
    - ``resolve(obj, "12x9")``: you found the record; ``obj`` becomes it (True).
    - ``resolve(obj, carried_out=False)``: you know it was not carried out;
      nothing is read, and the next ``save()`` sends it again (False).

    With nothing in doubt it reads nothing and returns whether ``obj`` is saved.
    """
    sender = client_for(client, obj)
    pending = obj._state.in_doubt
    if id is not None:
        _adopt(obj, sender, id)
        return True
    if pending is None:
        return obj.id is not None
    if carried_out is False:
        obj._state.in_doubt = None
        return False
    operation = pending.operation
    if operation == "create":
        if carried_out is True:
            raise VtormError(
                f"{_name(obj)}: say which record the create made: obj.resolve('<id>')"
            )
        found = _find_created(obj, pending, sender)
        obj._state.in_doubt = None
        if found is None:
            return False
        _adopt(obj, sender, found)
        return True
    if obj.id is None:
        raise VtormError(f"{_name(obj)}: its {operation} is in doubt but it has no id")
    try:
        row = sender.retrieve(obj.id)
    except (AccessDeniedError, RecordNotFoundError):
        row = None
    if operation == "delete":
        obj._state.in_doubt = None
        if row is None:
            uow = active_unit_of_work()
            if uow is not None:
                uow._forget(obj)
            _record_deleted(obj)
            return True
        _keep_changes(obj, sender, row)
        return False
    if row is None:
        raise type(obj).DoesNotExist(
            f"{_name(obj)}: its {operation} was in doubt, and the record no longer exists"
        )
    done = _holds(obj, pending.element, row)
    obj._state.in_doubt = None
    _keep_changes(obj, sender, row)
    return done


def _adopt(obj: Model, client: Client, ident: str) -> None:
    """Make ``obj`` the stored record ``ident`` (checked to be of its module)."""
    meta = type(obj)._meta
    if meta.id_prefix and ident.partition("x")[0] != meta.id_prefix:
        raise ValidationError(
            f"{_name(obj)}: {ident!r} is not a {meta.module} id (their prefix is "
            f"{meta.id_prefix})"
        )
    row = client.retrieve(ident)
    obj._state.loaded = {}
    obj._state.in_doubt = None
    record(obj, client, row)
    uow = active_unit_of_work()
    if uow is not None:
        uow._merge(obj)


def _keep_changes(obj: Model, client: Client, row: Mapping[str, Any]) -> None:
    """Take ``row`` as the snapshot, keeping every value ``obj`` holds that differs."""
    values = {name: getattr(obj, name) for name in type(obj)._meta.fields}
    record(obj, client, row)
    meta = type(obj)._meta
    for name, value in values.items():
        info = meta.fields[name]
        if info.editable and not wire_equal(info, value, row.get(info.wire), meta.module):
            obj.__dict__[name] = value


def _holds(obj: Model, element: Any, row: Mapping[str, Any]) -> bool:
    """Whether the stored ``row`` holds every field of the ``element`` sent."""
    meta = type(obj)._meta
    if not isinstance(element, Mapping):
        return False
    for wire, sent in element.items():
        info = meta.by_wire.get(wire)
        if wire == "id" or info is None or not info.editable:
            continue
        if not wire_equal(info, to_python(info, sent), row.get(wire), meta.module):
            return False
    return True


def _find_created(obj: Model, pending: InDoubtError, client: Client) -> str | None:
    """The id of the record a create in doubt made, None when there is none."""
    model = type(obj)
    meta = model._meta
    qs = model.objects.using(client).all()
    element = pending.element if isinstance(pending.element, Mapping) else {}
    for wire, value in element.items():
        info = meta.by_wire.get(wire)
        # Text is stored as sent (compared ignoring case and trailing spaces):
        # a create can be looked up by it.
        if (info is None or not field_type(info.type).text_like or info.type == "password"
                or not isinstance(value, str)
                or not value.strip() or len(value) > _LOOKUP_MAX_CHARS):
            continue
        try:
            qs = qs.filter(**{info.attr: value})
        except ValidationError:
            continue  # a value no query can match (e.g. an emoji): not a key
    created = meta.by_wire.get("createdtime")
    if created is not None:
        qs = qs.filter(**{f"{created.attr}__gte": pending.at - RESOLVE_WINDOW})
    found = [row["id"] for row in qs.order_by("-id").values("id")[:5]]
    if len(found) > 1:
        error = InDoubtError(
            f"{_name(obj)}: its create is still in doubt: {len(found)} records look like "
            f"it ({', '.join(found)}); choose with obj.resolve('<id>'), or "
            "obj.resolve(carried_out=False)"
        )
        error.operation, error.params, error.at = "create", pending.params, pending.at
        error.cause, error.instance = pending, obj
        obj._state.in_doubt = pending
        raise error
    return found[0] if found else None


# --------------------------------------------------------------------------- many


def run_concurrently(
    tasks: Sequence[tuple[K, Callable[[], R]]], workers: int
) -> list[tuple[K, R | None, BaseException | None]]:
    """Run each task's callable, ``workers`` at a time.

    One ``(key, result, None)`` or ``(key, None, exception)`` per task, in
    order: an exception of one task is its outcome; the others still run.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")

    def one(call: Callable[[], R]) -> tuple[R | None, BaseException | None]:
        try:
            return call(), None
        except Exception as exc:
            return None, exc

    calls = [call for _, call in tasks]
    if workers == 1 or len(tasks) <= 1:
        answers = [one(call) for call in calls]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            answers = list(pool.map(one, calls))
    return [(key, *answer) for (key, _), answer in zip(tasks, answers, strict=True)]


def _unique(objs: Iterable[M]) -> list[M]:
    # By identity: two unsaved instances are different objects to create.
    seen: set[int] = set()
    out: list[M] = []
    for obj in objs:
        if id(obj) not in seen:
            seen.add(id(obj))
            out.append(obj)
    return out


def _write_all(
    items: list[M], planned: list[tuple[M, Client, Write | None]], workers: int, what: str
) -> BulkResult[M]:
    """Send the planned writes, record each answer; the outcome of every object."""
    result = BulkResult(items)
    tasks = [((obj, client, write), partial(send, client, write))
             for obj, client, write in planned if write is not None]  # fmt: skip
    for (obj, client, write), row, error in run_concurrently(tasks, workers):
        if error is None:
            assert row is not None
            record(obj, client, row, write)  # here, not in the workers: they see no context
            continue
        result.failed.append((obj, _in_doubt(obj, error, client)))
        log.warning("%s of %s failed: %s", what, _name(obj), error)
    failed = {id(obj) for obj, _ in result.failed}
    result.succeeded = [obj for obj, _, _ in planned if id(obj) not in failed]
    return result


def _plan_each(
    objs: list[M], plan: Callable[[M], Write | None], failed: list[tuple[M, BaseException]]
) -> list[tuple[M, Write | None]]:
    """Each object's write; an object whose write cannot be decided fails alone."""
    planned: list[tuple[M, Write | None]] = []
    for obj in objs:
        try:
            planned.append((obj, plan(obj)))
        except Exception as exc:
            failed.append((obj, exc))
            log.warning("%s was not sent: %s", _name(obj), exc)
    return planned


def _finish_bulk(result: BulkResult[M], refused: list[tuple[M, BaseException]]) -> BulkResult[M]:
    if refused:
        result.failed = [*refused, *result.failed]
        order = {id(obj): n for n, obj in enumerate(result)}
        result.failed.sort(key=lambda pair: order[id(pair[0])])
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
    refused: list[tuple[M, BaseException]] = []
    planned = [(obj, sender, write) for obj, write in _plan_each(todo, plan_create, refused)]
    return _finish_bulk(_write_all(items, planned, workers, "create"), refused)


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
    refused: list[tuple[M, BaseException]] = []
    planned = [
        (obj, client_for(client, obj), write)
        for obj, write in _plan_each(todo, partial(plan_save, update_fields=names), refused)
    ]
    return _finish_bulk(_write_all(items, planned, workers, "update"), refused)


def revise_each(
    model: type[Model], client: Client, ids: Sequence[str], element: Mapping[str, Any],
    workers: int,
) -> int:
    """Set ``element``'s fields on every record of ``ids``, ``workers`` at a time.

    Returns how many were changed. An object of the active unit of work for
    one of them takes the answer (its own pending changes stay pending).
    Raises :class:`~vtorm.errors.FlushError` naming each record that failed,
    after the others were done; a revision in doubt is named with its
    :class:`~vtorm.errors.InDoubtError` (and never sent again).
    """
    meta = model._meta
    check_element(client, meta, element)
    tasks = [(ident, partial(revise, client, {"id": ident, **element}, meta)) for ident in ids]
    failures: list[tuple[Model, BaseException]] = []
    uow = active_unit_of_work()
    for ident, row, error in run_concurrently(tasks, workers):
        if error is not None:
            stub = model._from_row({"id": ident}, client)
            failures.append((stub, _in_doubt(stub, error, client)))
            continue
        known = uow._find(meta.module, ident) if uow is not None else None
        if known is not None and row is not None:
            pending = {attr: getattr(known, attr) for attr in known.dirty_fields}
            record(known, client, row)
            known.__dict__.update(pending)
    if failures:
        raise FlushError(failures)
    return len(ids)


def delete_each(model: type[Model], client: Client, ids: Sequence[str], workers: int) -> int:
    """Delete every record of ``ids``, ``workers`` at a time; how many were deleted.

    An object of the active unit of work for one of them leaves its identity
    map and becomes unsaved. Raises :class:`~vtorm.errors.FlushError` naming
    each record that failed, after the others were done.
    """
    module = model._meta.module
    tasks = [(ident, partial(delete_record, client, ident)) for ident in ids]
    failures: list[tuple[Model, BaseException]] = []
    uow = active_unit_of_work()
    for ident, _, error in run_concurrently(tasks, workers):
        if error is not None:
            stub = model._from_row({"id": ident}, client)
            failures.append((stub, _in_doubt(stub, error, client)))
            continue
        known = uow._find(module, ident) if uow is not None else None
        if uow is not None and known is not None:
            uow._forget(known)
            _record_deleted(known)
    if failures:
        raise FlushError(failures)
    return len(ids)
