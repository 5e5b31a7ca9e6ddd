"""``UnitOfWork``: one object per record, and an ordered, concurrent commit.

While a unit of work is active (``with UnitOfWork(client) as uow:``), every
instance a QuerySet loads goes through :meth:`UnitOfWork._merge`, so a record
loaded twice is one object. ``commit()`` creates the new objects (a new object
referenced by another is created first, and the reference filled in), then
revises the changed ones, then deletes; requests that do not depend on each
other run concurrently. One object's failure does not stop the others: the
failures are raised together in a :class:`~vtorm.errors.FlushError`, and the
failed objects stay pending so the commit can be repeated.

A write whose outcome is unknown (:class:`~vtorm.errors.InDoubtError`: its
answer was lost, or was not the envelope) may have been carried out: its
object is reported and put aside in :attr:`UnitOfWork.in_doubt`; later commits
leave it alone until it is settled with ``obj.resolve()`` (then the next
commit sends what is left to send) or given to :meth:`UnitOfWork.add` again
(which sends it again as it is).
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from graphlib import CycleError, TopologicalSorter
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from vtorm import context, persistence
from vtorm.errors import (
    AccessDeniedError,
    FlushError,
    InDoubtError,
    RecordNotFoundError,
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
            f"{len(self._deleted)} to delete, {len(self._in_doubt)} in doubt>"
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
        self._settle()
        return list(self._new)

    @property
    def deleted(self) -> list[Model]:
        """Objects to delete at the next commit."""
        self._settle()
        return list(self._deleted)

    @property
    def in_doubt(self) -> list[Model]:
        """Objects whose last write may or may not have happened (``obj.in_doubt`` holds
        the error); commits leave them alone until they are resolved or added again."""
        self._settle()
        return list(self._in_doubt)

    def _settle(self) -> None:
        """Take back the objects resolved since: what is left to send is sent again."""
        with self._lock:
            settled = [o for o in self._in_doubt if o._state.in_doubt is None]
            if not settled:
                return
            self._in_doubt = [o for o in self._in_doubt if o._state.in_doubt is not None]
            for obj in settled:
                if any(o is obj for o in self._deleted):
                    if obj.id is None:  # the delete was carried out
                        self._deleted = [o for o in self._deleted if o is not obj]
                        self._identity = {k: v for k, v in self._identity.items()
                                          if v is not obj}
                elif obj.id is None:
                    if not any(o is obj for o in self._new):
                        self._new.append(obj)  # not created: create it at the next commit
                else:
                    self._merge(obj)

    def _put_aside(self, obj: Model) -> None:
        with self._lock:
            self._new = [o for o in self._new if o is not obj]
            if not any(o is obj for o in self._in_doubt):
                self._in_doubt.append(obj)

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

        Adding an object whose write is in doubt sends it again as it is (see
        ``obj.resolve()`` to find out first whether it was carried out).
        """
        with self._lock:
            for obj in objs:
                if any(o is obj for o in self._in_doubt) or obj._state.in_doubt is not None:
                    # given again: the caller decided to send it as it is
                    obj._state.in_doubt = None
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

    def _find(self, module: str, id: str) -> Model | None:
        """The identity map's object of record ``id`` of ``module``, if it holds one."""
        with self._lock:
            return self._identity.get((module, id))

    def _forget(self, obj: Model) -> None:
        """Drop ``obj`` (whose record was deleted by other means) from every list."""
        with self._lock:
            if obj.id is not None and self._identity.get(_key(obj)) is obj:
                del self._identity[_key(obj)]
            self._deleted = [o for o in self._deleted if o is not obj]

    # ------------------------------------------------------------------ commit

    def commit(self) -> None:
        """Send every pending write: creates in reference order, then revisions, then deletes.

        Raises :class:`~vtorm.errors.FlushError` naming each object that failed
        (with the server's error), after everything else was sent. A cycle of
        references between new objects raises before anything is sent.
        """
        self._settle()
        with self._lock:
            client = self.client
            failures: list[tuple[Model, BaseException]] = []
            new = self._gather_new()
            graph = _create_graph(new)
            self._create_all(client, new, graph, failures)
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
        for obj in self._new:
            if obj._state.in_doubt is not None:
                doubtful.add(id(obj))
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
        graph: dict[int, list[int]],
        failures: list[tuple[Model, BaseException]],
    ) -> None:
        """Create ``new`` in the order of ``graph``, each as soon as what it refers to exists.

        An object whose create fails is never marked done, so the objects
        referring to it are never sent; they are reported at the end.
        """
        if not new:
            return
        order = TopologicalSorter(graph)
        order.prepare()
        by_key = {id(o): o for o in new}
        doubtful = {id(o) for o in self._in_doubt}
        reported: set[int] = set()

        def fail(obj: Model, error: BaseException) -> None:
            reported.add(id(obj))
            failures.append((obj, error))

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            running: dict[Future[dict[str, Any]], tuple[Model, persistence.Write]] = {}

            def launch() -> None:
                for key in order.get_ready():
                    obj = by_key[key]
                    in_doubt = _first_pending(obj, doubtful)
                    if in_doubt is not None:
                        fail(obj, _not_sent(obj, *in_doubt))
                        continue
                    try:  # decided here: the references it needs have their ids now
                        write = persistence.plan_create(obj)
                    except Exception as exc:
                        fail(obj, exc)
                        continue
                    running[pool.submit(persistence.send, client, write)] = (obj, write)

            launch()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    obj, write = running.pop(future)
                    error = future.exception()
                    if error is None:
                        persistence.record(obj, client, future.result(), write)
                        self._created(obj)
                        order.done(id(obj))
                        continue
                    if isinstance(error, InDoubtError):
                        persistence._in_doubt(obj, error, client)
                        self._put_aside(obj)
                    fail(obj, error)
                launch()
        waiting = {id(o) for o in new if o.id is None}
        for key in TopologicalSorter(graph).static_order():
            obj = by_key[key]  # never ready: something it refers to was not created
            if id(obj) in waiting and id(obj) not in reported:
                blocker = _first_pending(obj, waiting)
                assert blocker is not None
                fail(obj, _not_sent(obj, *blocker))

    def _created(self, obj: Model) -> None:
        self._new = [o for o in self._new if o is not obj]
        self._identity.setdefault(_key(obj), obj)

    def _revise_all(self, client: Client, failures: list[tuple[Model, BaseException]]) -> None:
        deleted = {id(o) for o in self._deleted}
        tasks: list[tuple[tuple[Model, persistence.Write], Callable[[], dict[str, Any]]]] = []
        for obj in list(self._identity.values()):
            if id(obj) in deleted or obj._state.in_doubt is not None:
                continue  # a write in doubt waits to be resolved
            pending = obj._pending_references()
            if pending:
                wire, target = next(iter(pending.items()))
                failures.append((obj, _not_sent(obj, wire, target)))
                continue
            try:
                write = persistence.plan_save(obj, check_conflict=self.check_conflict)
            except Exception as exc:  # a value that cannot be sent fails this object only
                failures.append((obj, exc))
                continue
            if write is not None:
                tasks.append(((obj, write), partial(persistence.send, client, write)))
        for (obj, write), row, error in persistence.run_concurrently(tasks, self.workers):
            if error is not None:
                if isinstance(error, InDoubtError):
                    persistence._in_doubt(obj, error, client)
                    self._put_aside(obj)
                failures.append((obj, error))
            elif row is not None:
                persistence.record(obj, client, row, write)

    def _delete_all(self, client: Client, failures: list[tuple[Model, BaseException]]) -> None:
        tasks: list[tuple[Model, Callable[[], None]]] = []
        for obj in self._deleted:
            assert obj.id is not None
            if obj._state.in_doubt is None:
                tasks.append((obj, partial(persistence.delete_record, client, obj.id)))
        for obj, _, error in persistence.run_concurrently(tasks, self.workers):
            if error is not None:
                if isinstance(error, InDoubtError):
                    persistence._in_doubt(obj, error, client)
                    self._put_aside(obj)
                failures.append((obj, error))
                continue
            self._forget(obj)
            persistence._record_deleted(obj)


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


def _create_graph(new: list[Model]) -> dict[int, list[int]]:
    """Each new object -> the new objects it refers to, which must be created first.

    Nodes are ``id(obj)``, not the objects: an object's hash changes once it
    is created. A cycle raises :class:`~vtorm.errors.VtormError` naming its
    references, before anything is sent.
    """
    members = {id(o): o for o in new}
    graph = {
        id(obj): [id(t) for t in obj._pending_references().values() if id(t) in members]
        for obj in new
    }
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        cycle: list[int] = exc.args[1]
        links = []
        # Each node of the cycle is referred to by the next one.
        for target, referrer in itertools.pairwise(cycle):
            obj = members[referrer]
            wire = next(w for w, t in obj._pending_references().items() if t is members[target])
            links.append(f"{_show(obj)}.{wire} -> {_show(members[target])}")
        raise VtormError(
            "cannot order the creates: these new objects refer to each other in a cycle: "
            + "; ".join(links)
            + ". Save one of them first without its reference, then set it; nothing was sent"
        ) from None
    return graph


def _first_pending(obj: Model, among: set[int]) -> tuple[str, Model] | None:
    """The first reference of ``obj`` holding an object of ``among`` (by id()), if any."""
    for wire, target in obj._pending_references().items():
        if id(target) in among:
            return wire, target
    return None


def _not_sent(obj: Model, wire: str, target: Model) -> VtormError:
    return VtormError(
        f"{_show(obj)} was not sent: its reference {wire} is {_show(target)}, "
        "which was not created (its create failed, was not sent, or has an unknown outcome)"
    )
