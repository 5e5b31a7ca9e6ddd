"""Where requests go when the caller does not say: the default client and the active unit of work.

Two pieces of ambient state, kept together so every other module reads them
the same way:

* the process-wide default client, set by :func:`connect` and read by
  :func:`get_client`;
* the unit of work of the current thread / context (a ``with UnitOfWork():``
  block), read by :func:`active_unit_of_work`.

:func:`client_for` is the one rule for choosing a client: the one given, else
the one the instance came from, else the default.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from vtorm.client import Client
from vtorm.errors import VtormError

if TYPE_CHECKING:
    from vtorm.model import Model
    from vtorm.unit_of_work import UnitOfWork

__all__ = [
    "ENV_VARIABLES",
    "activate",
    "active_unit_of_work",
    "client_for",
    "connect",
    "deactivate",
    "default_client",
    "get_client",
]

# The environment variables ``connect()`` reads, in the Client's argument order.
ENV_VARIABLES = ("VTIGER_URL", "VTIGER_USERNAME", "VTIGER_ACCESS_KEY")

_lock = threading.Lock()
_default: Client | None = None

# A context variable, not a global: each thread (and each asyncio task) has
# its own active unit of work, and worker threads of a commit have none.
_active: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "vtorm_unit_of_work", default=None
)


def connect(client: Client | None = None) -> Client:
    """Make ``client`` the default client and return it.

    With no argument, build one from ``VTIGER_URL``, ``VTIGER_USERNAME`` and
    ``VTIGER_ACCESS_KEY``; a missing or empty variable raises
    :class:`~vtorm.errors.VtormError` naming it. Nothing is sent until the
    first call (the client logs in lazily).
    """
    global _default
    if client is None:
        missing = [name for name in ENV_VARIABLES if not os.environ.get(name)]
        if missing:
            names = "variable " + missing[0] + " is" if len(missing) == 1 else (
                "variables " + ", ".join(missing) + " are"
            )
            raise VtormError(
                f"vtorm.connect(): the environment {names} not set; set "
                f"{', '.join(ENV_VARIABLES)} or pass a vtorm.Client"
            )
        url, username, access_key = (os.environ[name] for name in ENV_VARIABLES)
        client = Client(url, username, access_key)
    if not isinstance(client, Client):
        raise TypeError(f"vtorm.connect() takes a vtorm.Client, not {type(client).__name__}")
    with _lock:
        _default = client
    return client


@contextlib.contextmanager
def default_client(client: Client) -> Iterator[Client]:
    """Make ``client`` the default client inside a ``with`` block, then restore the previous one.

    The pytest fixture ``vtiger_client`` uses it, so models in a test reach the
    test's own CRM and never a client left behind by an earlier test.
    """
    global _default
    if not isinstance(client, Client):
        raise TypeError(f"default_client() takes a vtorm.Client, not {type(client).__name__}")
    with _lock:
        previous, _default = _default, client
    try:
        yield client
    finally:
        with _lock:
            _default = previous


def get_client() -> Client:
    """The default client set by :func:`connect`, or a :class:`VtormError` saying to call it."""
    client = _default
    if client is None:
        raise VtormError(
            "no default vtorm client: call vtorm.connect() first "
            "(or use QuerySet.using(client))"
        )
    return client


def client_for(client: Client | None = None, obj: Model | None = None) -> Client:
    """The client to send through: ``client`` if given, else ``obj``'s own, else the default."""
    if client is not None:
        return client
    if obj is not None and obj._state.client is not None:
        return obj._state.client
    return get_client()


def active_unit_of_work() -> UnitOfWork | None:
    """The unit of work whose block is running in this thread / context, else ``None``."""
    return _active.get()


def activate(unit_of_work: UnitOfWork) -> contextvars.Token[UnitOfWork | None]:
    """Make ``unit_of_work`` the active one; give the token to :func:`deactivate`."""
    return _active.set(unit_of_work)


def deactivate(token: contextvars.Token[UnitOfWork | None]) -> None:
    """Restore the unit of work that was active before :func:`activate` returned ``token``."""
    _active.reset(token)
