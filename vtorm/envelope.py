"""Reading the ``{"success": ...}`` envelope out of whatever the server printed.

Every answer of ``webservice.php`` is meant to be this JSON object, with
HTTP 200 even for errors. Real servers also print PHP notices before it,
answer a PHP fatal error with an empty HTTP 500, or send an HTML page or
plain text instead; this module says what such an answer means.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from vtorm.errors import ProtocolError, VtigerError
from vtorm.transport import Response

__all__ = ["EXCERPT_CHARS", "excerpt", "outcome", "read_envelope", "unwrap"]

# How much of a body that is not the envelope an error message quotes.
EXCERPT_CHARS = 200
# PHP notices may hold braces of their own; give up after this many candidates.
_MAX_JSON_STARTS = 32


def read_envelope(
    response: Response,
    operation: str,
    scrub: Callable[[str], str] = lambda text: text,
) -> dict[str, Any]:
    """The envelope in a response body, or :class:`ProtocolError` saying what came instead.

    Vtiger servers with ``display_errors`` on print PHP notices before the
    JSON, so the envelope is read from the first ``{`` that starts one.
    ``scrub`` cleans text from the response before it goes into the error.
    """
    status = response.status
    text = response.content.decode("utf-8", errors="replace")
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
        _describe_non_envelope(response, text, operation, scrub),
        status=status,
        excerpt=excerpt(scrub(text)),
        operation=operation,
    )


def excerpt(text: str) -> str:
    """The first characters of a body, whitespace collapsed, for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


def _describe_non_envelope(
    response: Response, text: str, operation: str, scrub: Callable[[str], str]
) -> str:
    status = response.status
    if 300 <= status < 400:
        target = scrub(response.headers.get("location") or "an unnamed place")
        return (
            f"{operation}: the server redirects to {target}; give the client the URL "
            "it redirects to (vtorm does not follow redirects: a redirected POST loses "
            "its body)"
        )
    if status == 404:
        where = response.request.url.split("?", 1)[0]
        return (
            f"{operation}: the server answered HTTP 404 (not found) for {where}: the URL is "
            "probably wrong; give the CRM's base URL (the address of its login page) or "
            "its full .../webservice.php URL"
        )
    stripped = text.strip()
    if not stripped and status >= 500:
        return (
            f"{operation}: the server answered HTTP {status} with an empty body "
            "(a PHP fatal error: unknown operation, missing parameter, or an "
            "operation this server version cannot run)"
        )
    if not stripped and status == 200:
        return (
            f"{operation}: the server answered an empty body instead of JSON "
            "(Vtiger does so when a value holds invalid UTF-8)"
        )
    if not stripped:
        return f"{operation}: the server answered HTTP {status} with an empty body"
    if stripped.startswith("<") or "<html" in stripped[:500].lower():
        return f"{operation}: the server answered an HTML page instead of the JSON envelope"
    return f"{operation}: the server answered text that is not the JSON envelope"


def unwrap(envelope: Mapping[str, Any], operation: str) -> Any:
    """The ``result`` of a successful envelope; a :class:`VtigerError` otherwise."""
    if envelope.get("success") is True:
        return envelope.get("result")
    raise VtigerError.from_envelope(envelope.get("error"), operation)


def outcome(envelope: Mapping[str, Any]) -> str:
    """``ok``, or ``error <code>``: how an envelope ended, for a log line."""
    if envelope.get("success") is True:
        return "ok"
    error = envelope.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    return f"error {code}"
