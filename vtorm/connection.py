"""The process-wide default client, used by every QuerySet without ``using()``."""

from __future__ import annotations

import os
import threading

from vtorm.client import Client
from vtorm.errors import VtormError

__all__ = ["ENV_VARIABLES", "connect", "get_client"]

# The environment variables ``connect()`` reads, in the Client's argument order.
ENV_VARIABLES = ("VTIGER_URL", "VTIGER_USERNAME", "VTIGER_ACCESS_KEY")

_lock = threading.Lock()
_default: Client | None = None


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
            raise VtormError(
                f"vtorm.connect(): environment variable {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set; set "
                f"{', '.join(ENV_VARIABLES)} or pass a vtorm.Client"
            )
        url, username, access_key = (os.environ[name] for name in ENV_VARIABLES)
        client = Client(url, username, access_key)
    if not isinstance(client, Client):
        raise TypeError(f"vtorm.connect() takes a vtorm.Client, not {type(client).__name__}")
    with _lock:
        _default = client
    return client


def get_client() -> Client:
    """The default client set by :func:`connect`, or a :class:`VtormError` saying to call it."""
    client = _default
    if client is None:
        raise VtormError(
            "no default vtorm client: call vtorm.connect() first "
            "(or use QuerySet.using(client))"
        )
    return client
