"""``UnitOfWork``: one object per record, and an ordered, concurrent commit.

While a unit of work is active (``with UnitOfWork(client) as uow:``), every
instance a QuerySet loads goes through :meth:`UnitOfWork._merge`, so a record
loaded twice is one object. ``commit()`` creates the new objects (a new object
referenced by another is created first, and the reference filled in), then
revises the changed ones, then deletes; requests that do not depend on each
other run concurrently. One object's failure does not stop the others: the
failures are raised together in a :class:`~vtorm.errors.FlushError`, and the
failed objects stay pending so the commit can be repeated.

A create whose answer was lost may have been carried out: such an object is
reported with an unknown outcome and put aside in :attr:`UnitOfWork.in_doubt`;
later commits leave it alone until it is given to :meth:`UnitOfWork.add` again.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from vtorm import context, persistence
from vtorm.errors import (
    AccessDeniedError,
    FlushError,
    RecordNotFoundError,
    TransportError,
    VtormError,
)

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.model import Model

__all__ = ["UnitOfWork"]

M = TypeVar("M", bound="Model")
_Key = tuple[str, str]

def _key(obj: Model) -> _Key:
    assert obj.id is not None
    return (type(obj)._meta.module, obj.id)


def _show(obj: Model) -> str:
    return repr(obj)


class UnitOfWork:
    """An identity map and the pending writes of a block of work.

    ``client`` sends everything (the default client when ``None``);
    ``workers`` bounds the requests in flight; ``check_conflict`` makes every
    revision first check that the record was not changed on the server since
    it was loaded (:class:`~vtorm.errors.ConflictError` otherwise).
    """

    def __init__(
        self,
        client: Client | None = None,
        *,
        workers: int = 8,
        check_conflict: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._client = client
        self.workers = workers
        self.check_conflict = check_conflict
        self._identity: dict[_Key, Model] = {}
        self._new: list[Model] = []
        self._deleted: list[Model] = []
        self._in_doubt: list[Model] = []
        self._lock = threading.RLock()
        self._token: contextvars.Token[UnitOfWork | None] | None = None

    def __repr__(self) -> str:
        return (
            f"<UnitOfWork {len(self._identity)} loaded, {len(self._new)} new, "
            f"{len(self._deleted)} to delete>"
        )

    # ------------------------------------------------------------------ the block

    def __enter__(self) -> UnitOfWork:
        if self._token is not None:
            raise VtormError("this UnitOfWork is already active")
        self._token = context.activate(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        token, self._token = self._token, None
        try:
            if exc_type is None:
                self.commit()
        finally:
            if token is not None:
                context.deactivate(token)

    @property
    def client(self) -> Client:
        """The client this unit of work sends through."""
        if self._client is None:
            self._client = context.get_client()
        return self._client

    # ------------------------------------------------------------------ state

    @property
    def new(self) -> list[Model]:
        """Objects to create at the next commit (as added; references are added then)."""
        return list(self._new)

    @property
    def deleted(self) -> list[Model]:
        """Objects to delete at the next commit."""
        return list(self._deleted)

    @property
    def in_doubt(self) -> list[Model]:
        """Objects whose create may or may not have happened; not sent again until re-added."""
        return list(self._in_doubt)

    @property
    def dirty(self) -> list[Model]:
        """Loaded objects with changes not yet sent."""
        return [obj for obj in self._identity.values() if obj.is_dirty()]

    def __contains__(self, obj: object) -> bool:
        return any(obj is o for o in (*self._identity.values(), *self._new, *self._deleted))

    # ------------------------------------------------------------------ identity map

    def _merge(self, obj: M) -> M:
        """The identity map's object for ``obj``'s record (``obj`` itself if it is the first).

        A record seen again keeps the object already in the map, with its
        unsaved changes; fields it had not loaded are taken from ``obj``.
        """
        if obj.id is None:
            return obj
        key = _key(obj)
        with self._lock:
            known = self._identity.get(key)
            if known is None:
                self._identity[key] = obj
                return obj
        if known is obj or not isinstance(known, type(obj)):
            return obj
        _fill_unloaded(known, obj)
        return known

    def get(self, model: type[M], id: str) -> M:
        """The object of record ``id``: from the identity map, else retrieved once."""
        with self._lock:
            known = self._identity.get((model._meta.module, id))
        if known is not None:
            if not isinstance(known, model):
                raise VtormError(f"{id} is a {type(known).__name__}, not a {model.__name__}")
            return known
        prefix = model._meta.id_prefix
        if prefix and id.partition("x")[0] != prefix:
            raise model.DoesNotExist(
                f"{id} is not a {model.__name__} id (their prefix is {prefix})"
            )
        try:
            row = self.client.retrieve(id)
        except (AccessDeniedError, RecordNotFoundError) as exc:
            raise model.DoesNotExist(f"{model.__name__} {id} does not exist ({exc})") from exc
        return self._merge(model._from_row(row, self.client))

    # ------------------------------------------------------------------ pending work

    def add(self, *objs: Model) -> None:
        """Have the next commit create (new objects) or revise (loaded ones) ``objs``.

        Adding an object whose create had an unknown outcome sends it again.
        """
        with self._lock:
            for obj in objs:
                self._in_doubt = [o for o in self._in_doubt if o is not obj]
                if obj.id is None:
                    if not any(o is obj for o in self._new):
                        self._new.append(obj)
                    continue
                known = self._merge(obj)
                if known is not obj:
                    raise VtormError(
                        f"another object of {_show(obj)} is already in this unit of work; "
                        "change that one (uow.get() returns it)"
                    )

    def delete(self, *objs: Model) -> None:
        """Have the next commit delete ``objs`` (an unsaved one is just dropped)."""
        with self._lock:
            for obj in objs:
                if obj.id is None:
                    self._new = [o for o in self._new if o is not obj]
                    self._in_doubt = [o for o in self._in_doubt if o is not obj]
                    continue
                self._merge(obj)
                if not any(o is obj for o in self._deleted):
                    self._deleted.append(obj)

    # ------------------------------------------------------------------ commit

    def commit(self) -> None:
        """Send every pending write: creates in reference order, then revisions, then deletes.

        Raises :class:`~vtorm.errors.FlushError` naming each object that failed
        (with the server's error), after everything else was sent. A cycle of
        references between new objects raises before anything is sent.
        """
        with self._lock:
            client = self.client
            failures: list[tuple[Model, BaseException]] = []
            new = self._gather_new()
            deps = _dependencies(new)
            _check_acyclic(new, deps)
            self._create_all(client, new, deps, failures)
            self._revise_all(client, failures)
            self._delete_all(client, failures)
        if failures:
            raise FlushError(failures)

    def _gather_new(self) -> list[Model]:
        """Pending new objects and, first, the unsaved objects they or loaded ones refer to."""
        for obj in [o for o in self._new if o.id is not None]:
            # Saved meanwhile by other means: watch it rather than create it again.
            self._new.remove(obj)
            self._merge(obj)
        doubtful = {id(o) for o in self._in_doubt}
        found: list[Model] = []
        seen: set[int] = set()

        def visit(obj: Model) -> None:
            if id(obj) in seen or id(obj) in doubtful:
                return
            seen.add(id(obj))
            found.append(obj)
            for target in obj._pending_references().values():
                visit(target)

        for obj in self._new:
            visit(obj)
        deleted = {id(o) for o in self._deleted}
        for obj in list(self._identity.values()):
            if id(obj) not in deleted:
                for target in obj._pending_references().values():
                    visit(target)
        return found

    def _create_all(
        self,
        client: Client,
        new: list[Model],
        deps: dict[int, list[Model]],
        failures: list[tuple[Model, BaseException]],
    ) -> None:
        by_id = {id(o): o for o in new}
        waiting = {id(o): len(deps[id(o)]) for o in new}
        dependents: dict[int, list[Model]] = {id(o): [] for o in new}
        for obj in new:
            for target in deps[id(obj)]:
                dependents[id(target)].append(obj)
        blocked: set[int] = set()
        doubtful = {id(o) for o in self._in_doubt}

        def block(obj: Model, reason: BaseException) -> None:
            if id(obj) in blocked:
                return
            blocked.add(id(obj))
            failures.append((obj, reason))
            for later in dependents[id(obj)]:
                block(later, _not_sent(later, obj))

        # Objects referring to one whose create is in doubt cannot be sent.
        for obj in new:
            for target in obj._pending_references().values():
                if id(target) in doubtful:
                    block(obj, _not_sent(obj, target))

        def on_done(obj: Model, error: BaseException | None) -> list[Model]:
            if error is None:
                self._created(obj)
                ready = []
                for later in dependents[id(obj)]:
                    waiting[id(later)] -= 1
                    if waiting[id(later)] == 0 and id(later) not in blocked:
                        ready.append(later)
                return ready
            if isinstance(error, TransportError) and error.sent:
                error = persistence.unknown_outcome(obj, error)
                self._new = [o for o in self._new if o is not obj]
                self._in_doubt.append(obj)
            blocked.add(id(obj))
            failures.append((obj, error))
            for later in dependents[id(obj)]:
                block(later, _not_sent(later, obj))
            return []

        first = [by_id[i] for i, n in waiting.items() if n == 0 and i not in blocked]
        _schedule(first, lambda o: persistence._create(o, client), on_done, self.workers)

    def _created(self, obj: Model) -> None:
        self._new = [o for o in self._new if o is not obj]
        self._identity.setdefault(_key(obj), obj)

    def _revise_all(self, client: Client, failures: list[tuple[Model, BaseException]]) -> None:
        deleted = {id(o) for o in self._deleted}
        tasks: list[tuple[Model, Callable[[], Any]]] = []
        for obj in list(self._identity.values()):
            if id(obj) in deleted:
                continue
            pending = obj._pending_references()
            if pending:
                wire, target = next(iter(pending.items()))
                failures.append((obj, _not_sent(obj, target, wire)))
                continue
            if obj.is_dirty():
                tasks.append((obj, _saver(obj, client, self.check_conflict)))
        for obj, error in persistence.run_concurrently(tasks, self.workers):
            if error is not None:
                failures.append((obj, error))

    def _delete_all(self, client: Client, failures: list[tuple[Model, BaseException]]) -> None:
        tasks: list[tuple[Model, Callable[[], Any]]] = []
        keys: dict[int, _Key] = {}
        for obj in self._deleted:
            keys[id(obj)] = _key(obj)
            tasks.append((obj, _deleter(obj, client)))
        for obj, error in persistence.run_concurrently(tasks, self.workers):
            if error is not None:
                failures.append((obj, error))
                continue
            self._deleted = [o for o in self._deleted if o is not obj]
            if self._identity.get(keys[id(obj)]) is obj:
                del self._identity[keys[id(obj)]]


# --------------------------------------------------------------------------- internals


def _fill_unloaded(known: Model, fresh: Model) -> None:
    """Give ``known`` the values of fields it never loaded, from ``fresh``'s row."""
    meta = type(known)._meta
    loaded = known._state.loaded
    extra = {w: v for w, v in fresh._state.loaded.items() if w not in loaded}
    if not extra:
        return
    values = known.__dict__
    for wire in extra:
        info = meta.by_wire.get(wire)
        if info is not None and values.get(info.attr) is None:
            values[info.attr] = fresh.__dict__.get(info.attr)
    merged = dict(loaded)
    merged.update(extra)
    known._state.loaded = merged


def _dependencies(new: list[Model]) -> dict[int, list[Model]]:
    """id(obj) -> the new objects it refers to (each once)."""
    members = {id(o) for o in new}
    deps: dict[int, list[Model]] = {}
    for obj in new:
        targets: list[Model] = []
        for target in obj._pending_references().values():
            if id(target) in members and all(t is not target for t in targets):
                targets.append(target)
        deps[id(obj)] = targets
    return deps


def _check_acyclic(new: list[Model], deps: dict[int, list[Model]]) -> None:
    left = {id(o): o for o in new}
    progress = True
    while left and progress:
        progress = False
        for key in list(left):
            if all(id(t) not in left for t in deps[key]):
                del left[key]
                progress = True
    if left:
        links = []
        for obj in left.values():
            for wire, target in obj._pending_references().items():
                if id(target) in left:
                    links.append(f"{_show(obj)}.{wire} -> {_show(target)}")
        raise VtormError(
            "cannot order the creates: these new objects refer to each other in a cycle: "
            + "; ".join(links)
            + ". Save one of them first without its reference, then set it; nothing was sent"
        )


def _not_sent(obj: Model, target: Model, wire: str | None = None) -> VtormError:
    if wire is None:
        wire = next((w for w, t in obj._pending_references().items() if t is target), "?")
    return VtormError(
        f"{_show(obj)} was not sent: its reference {wire} is {_show(target)}, "
        "whose create failed or has an unknown outcome"
    )


def _saver(obj: Model, client: Client, check_conflict: bool) -> Callable[[], None]:
    def call() -> None:
        persistence.save(obj, client=client, check_conflict=check_conflict)

    return call


def _deleter(obj: Model, client: Client) -> Callable[[], None]:
    def call() -> None:
        persistence.delete(obj, client=client)

    return call


def _schedule(
    first: Iterable[Model],
    work: Callable[[Model], None],
    on_done: Callable[[Model, BaseException | None], list[Model]],
    workers: int,
) -> None:
    """Run ``work`` on ``first`` and on whatever ``on_done`` makes ready, ``workers`` at once."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: dict[Future[None], Model] = {pool.submit(work, o): o for o in first}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                obj = running.pop(future)
                error = future.exception()
                for ready in on_done(obj, error):
                    running[pool.submit(work, ready)] = ready
