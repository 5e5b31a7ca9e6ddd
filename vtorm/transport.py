"""What lies under :class:`vtorm.Client`: the wire rules of ``webservice.php``.

The operation table (where the server reads each operation's parameters and
whether sending it twice is harmless), parameter encoding, reading the
``{"success": ...}`` envelope out of whatever the server printed, the retry
back-off, and keeping secrets out of text that people read.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from vtorm.errors import ProtocolError, ValidationError, VtigerError

__all__ = [
    "OPERATIONS",
    "Backoff",
    "Method",
    "OperationSpec",
    "Secret",
    "encode_params",
    "install_log_redaction",
    "read_envelope",
    "redact",
    "shorten",
    "spec_for",
    "unwrap",
]

Method = Literal["GET", "POST"]

# How much of a body that is not the envelope an error message quotes.
EXCERPT_CHARS = 200
# PHP notices may hold braces of their own; give up after this many candidates.
_MAX_JSON_STARTS = 32


@attrs.frozen
class OperationSpec:
    """How one web-service operation travels.

    ``method`` is where the server reads the parameters (query string for GET,
    form body for POST). ``repeatable`` says whether sending the request twice
    is harmless, which decides if a request whose outcome is unknown may be
    retried. ``session`` says whether the operation needs a ``sessionName``.
    """

    name: str
    method: Method
    repeatable: bool = True
    session: bool = True


def _table(*specs: OperationSpec) -> dict[str, OperationSpec]:
    return {spec.name.lower(): spec for spec in specs}


OPERATIONS: dict[str, OperationSpec] = _table(
    OperationSpec("getchallenge", "GET", session=False),
    OperationSpec("login", "POST", session=False),
    OperationSpec("logout", "POST"),
    OperationSpec("extendsession", "POST"),
    OperationSpec("listtypes", "GET"),
    OperationSpec("describe", "GET"),
    OperationSpec("create", "POST", repeatable=False),
    OperationSpec("retrieve", "GET"),
    OperationSpec("update", "POST"),
    OperationSpec("revise", "POST"),
    OperationSpec("delete", "POST"),
    OperationSpec("query", "GET"),
    OperationSpec("sync", "GET"),
    OperationSpec("retrieve_inventory", "GET"),
    OperationSpec("relatedtypes", "GET"),
    OperationSpec("retrieve_related", "GET"),
    OperationSpec("query_related", "GET"),
    OperationSpec("add_related", "POST", repeatable=False),
    OperationSpec("convertlead", "POST", repeatable=False),
    OperationSpec("files_retrieve", "GET"),
)


def spec_for(operation: str, method: str | None = None) -> OperationSpec:
    """The spec of ``operation``; ``method`` overrides the registered method.

    An operation vtorm does not know is sent as GET unless told otherwise, and
    is treated as unsafe to repeat when sent as POST: a POST may write.
    """
    chosen: Method | None = None
    if method is not None:
        upper = method.upper()
        if upper == "GET":
            chosen = "GET"
        elif upper == "POST":
            chosen = "POST"
        else:
            raise ValueError(f"method must be 'GET' or 'POST', not {method!r}")
    known = OPERATIONS.get(operation.lower())
    if known is not None:
        if chosen is None or chosen == known.method:
            return known
        return attrs.evolve(known, method=chosen)
    chosen = chosen or "GET"
    return OperationSpec(operation, chosen, repeatable=chosen == "GET")


def encode_params(operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Form/query-string values for ``params``.

    Mappings and lists become JSON text (the server's *encoded* parameters such
    as ``element`` and ``fieldTypeList``); values inside them are sent as they
    are — converting field values is the model layer's job. ``None`` is left
    out, booleans become ``"1"``/``"0"``.
    """
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        elif isinstance(value, str):
            encoded[key] = value
        elif isinstance(value, (int, float)):
            encoded[key] = str(value)
        elif isinstance(value, (Mapping, list, tuple)):
            encoded[key] = _to_json(operation, key, value)
        else:
            raise ValidationError(
                f"{operation}: parameter {key!r} has a value of type "
                f"{type(value).__name__}; send str, int, float, dict or list"
            )
    return encoded


def _to_json(operation: str, key: str, value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        # The message names the offending type, never the value (it may be personal data).
        raise ValidationError(
            f"{operation}: parameter {key!r} cannot be sent as JSON ({exc}); "
            "convert field values to their wire form first"
        ) from None


def read_envelope(
    status: int,
    content: bytes,
    operation: str,
    scrub: Callable[[str], str] = lambda text: text,
) -> dict[str, Any]:
    """The envelope in a response body, or :class:`ProtocolError`.

    Vtiger servers with ``display_errors`` on print PHP notices before the
    JSON, so the envelope is read from the first ``{`` that starts one.
    ``scrub`` cleans the body before an excerpt of it goes into the error.
    """
    text = content.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    start = text.find("{")
    tries = 0
    while start != -1 and tries < _MAX_JSON_STARTS:
        tries += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("success"), bool):
            return value
        start = text.find("{", start + 1)
    raise ProtocolError(
        _describe_non_envelope(status, text, operation),
        status=status,
        excerpt=excerpt(scrub(text)),
        operation=operation,
    )


def excerpt(text: str) -> str:
    """The first characters of a body, whitespace collapsed, for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


def _describe_non_envelope(status: int, text: str, operation: str) -> str:
    stripped = text.strip()
    if not stripped and status >= 500:
        return (
            f"{operation}: the server answered HTTP {status} with an empty body "
            "(a PHP fatal error: unknown operation, missing parameter, or an "
            "operation this server version cannot run)"
        )
    if not stripped:
        return (
            f"{operation}: the server answered an empty body instead of JSON "
            "(Vtiger does so when a value holds invalid UTF-8)"
        )
    if stripped.startswith("<") or "<html" in stripped[:500].lower():
        return f"{operation}: the server answered an HTML page instead of the JSON envelope"
    return f"{operation}: the server answered text that is not the JSON envelope"


def unwrap(envelope: Mapping[str, Any], operation: str) -> Any:
    """The ``result`` of a successful envelope; a :class:`VtigerError` otherwise."""
    if envelope.get("success") is True:
        return envelope.get("result")
    raise VtigerError.from_envelope(envelope.get("error"), operation)


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


def shorten(secret: str | None) -> str:
    """A secret as people may see it: its first characters only."""
    if not secret:
        return "<none>"
    return secret[:4] + "..."


@attrs.frozen(repr=False)
class Secret:
    """A string that does not show itself in a repr, a str or a traceback's locals."""

    _value: str

    def reveal(self) -> str:
        """The secret itself, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


_SESSION_IN_URL = re.compile(r"(sessionName=)([^&\s\"']+)")


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with each of ``secrets`` and any ``sessionName=`` value shortened."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, shorten(secret))
    return _SESSION_IN_URL.sub(lambda m: m.group(1) + shorten(m.group(2)), text)


class _SessionIdFilter(logging.Filter):
    """Shortens ``sessionName`` values in urllib3's request log lines.

    GET-type operations carry the session id in the query string, and urllib3
    logs every URL at DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "sessionName=" in message:
            record.msg = redact(message)
            record.args = ()
        return True


_filter = _SessionIdFilter()


def install_log_redaction() -> None:
    """Attach the session-id filter to urllib3's connection-pool logger (once)."""
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if _filter not in pool_logger.filters:
        pool_logger.addFilter(_filter)
