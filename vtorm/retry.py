"""When a failed request is sent again, and how long to wait before it.

A request is tried again when the failure may heal (a dropped connection, a
timeout, an HTTP 5xx, 408 or 429, a body that is not the envelope) and
sending it again is harmless: either the operation is safe to repeat, or the
failure proves nothing reached the server. The decision is made on the
error's type and status, never on its message.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from vtorm.errors import (
    AccessDeniedError,
    ProtocolError,
    TLSError,
    TransportError,
    UnsupportedOperationError,
    VtormError,
    in_doubt,
)
from vtorm.operations import OperationSpec

__all__ = ["RETRY_STATUSES", "Backoff", "may_heal", "send_with_retries"]

log = logging.getLogger("vtorm.client")

#: HTTP statuses below 500 worth a retry when the body is not the envelope.
RETRY_STATUSES = frozenset({408, 429})


@attrs.frozen
class Backoff:
    """Jittered exponential back-off: short, bounded.

    Attempt ``n`` (0 for the first retry) waits between half and all of
    ``min(cap, base * 2**n)`` seconds; the jitter keeps threads that failed
    together from retrying together.
    """

    base: float = 0.2
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.cap, self.base * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def may_heal(error: VtormError) -> bool:
    """Whether another attempt may succeed where this one failed.

    A refused TLS handshake and a non-5xx HTTP error (a redirect, 404, 414)
    stay as they are; a server that cannot run an operation at all
    (:class:`~vtorm.errors.UnsupportedOperationError`) too.
    """
    if isinstance(error, TLSError):
        return False
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ProtocolError) and not isinstance(error, UnsupportedOperationError):
        status = error.status
        return status >= 500 or status in RETRY_STATUSES or 200 <= status < 300
    return False


def send_with_retries(
    spec: OperationSpec,
    attempt: Callable[[], Any],
    *,
    retries: int,
    backoff: Backoff,
    detail: str = "",
    params: Mapping[str, Any] | None = None,
) -> Any:
    """The result of ``attempt()``, tried up to ``retries`` more times while that may help.

    An operation that is not safe to repeat is tried again only after a
    failure that proves nothing was sent. A write (``spec.writes``) whose
    outcome is unknown -- answered with something that is not the envelope,
    or whose answer was lost -- raises :class:`~vtorm.errors.InDoubtError`
    carrying ``params`` (what was sent): at once for an HTTP 2xx answer (the
    server ran it; sending it again cannot help), once retrying is over
    otherwise. ``detail`` names the request in log lines.
    """
    tries = 0
    uncertain = False  # an earlier attempt may have been carried out
    while True:
        try:
            return attempt()
        except AccessDeniedError:
            if not (uncertain and spec.name == "delete"):
                raise
            # A deleted id answers ACCESS_DENIED: the attempt whose answer
            # was lost did the work.
            log.info("delete%s: already carried out by an earlier attempt", detail)
            return {"status": "successful"}
        except (TransportError, ProtocolError) as error:
            reached = _reached(error)
            if spec.writes and isinstance(error, ProtocolError) and 200 <= error.status < 300:
                raise in_doubt(error, params or {}, _why(error), spec.name) from error
            if not may_heal(error):
                if spec.writes and (uncertain or reached):
                    raise in_doubt(error, params or {}, _why(error), spec.name) from error
                raise
            uncertain = uncertain or reached
            if tries >= retries or not (spec.repeatable or not reached):
                if spec.writes and uncertain:
                    raise in_doubt(error, params or {}, _why(error, tries + 1),
                                   spec.name) from error
                raise _final(spec, error, tries + 1) from None
            delay = backoff.delay(tries)
            tries += 1
            log.info("%s; retry %d of %d in %.0f ms", error, tries, retries, delay * 1000)
            time.sleep(delay)


def _reached(error: TransportError | ProtocolError) -> bool:
    """Whether the request may have reached the CRM's code (and a write have run)."""
    if isinstance(error, TransportError):
        return error.sent
    # Redirects and client errors come from the web server before the CRM runs.
    return not (300 <= error.status < 500) or error.status in RETRY_STATUSES


def _why(error: TransportError | ProtocolError, attempts: int = 1) -> str:
    tried = f" ({attempts} attempts)" if attempts > 1 else ""
    if isinstance(error, TransportError):
        return f"its answer was lost after the request was sent{tried}"
    if 200 <= error.status < 300:
        return (
            f"it answered HTTP {error.status} with something that is not the JSON "
            "envelope; stock 8.4 does so for an owner that does not exist, after "
            "writing the record"
        )
    return f"it answered HTTP {error.status} with something that is not the JSON envelope{tried}"


def _final(spec: OperationSpec, error: TransportError | ProtocolError, attempts: int) -> VtormError:
    """The error to raise once retrying is over: how often it was tried, or why not again."""
    sent = error.sent if isinstance(error, TransportError) else True
    if spec.repeatable or not sent:
        if attempts == 1:
            return error
        note = f"; gave up after {attempts} attempts"
    else:
        note = (
            f"; {spec.name} was not sent again because the server may have carried it "
            "out: check before repeating it"
        )
    if isinstance(error, ProtocolError):
        return type(error)(
            error.detail + note, status=error.status, excerpt=error.excerpt, operation=spec.name
        )
    return type(error)(str(error) + note, operation=spec.name, sent=sent)
