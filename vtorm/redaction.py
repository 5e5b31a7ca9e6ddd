"""Keeping secrets out of text people read: reprs, messages and log lines.

The access key, the md5 login key and session ids are secrets. A secret is
shown as its first characters at most; a record's values never go into a log
line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Secret", "install_log_redaction", "redact", "request_summary", "shorten"]


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


# Request parameters worth naming in a log line, with the label they get there.
_LOGGED_PARAMS = (
    ("elementType", "module"),
    ("id", "id"),
    ("sourceRecordId", "source"),
    ("relatedRecordId", "related"),
    ("relatedType", "relatedType"),
)
_MAX_LOGGED_STATEMENT = 300


def request_summary(fields: Mapping[str, str], params: Mapping[str, Any]) -> str:
    """The parts of a request worth a log line; never a secret, never the record's values.

    ``fields`` are the encoded form values, ``params`` the values as given.
    """
    parts = []
    element = params.get("element")
    if isinstance(element, Mapping) and isinstance(element.get("id"), str):
        parts.append(f"id={element['id']}")
    for key, label in _LOGGED_PARAMS:
        if key in fields:
            parts.append(f"{label}={fields[key]}")
    if "query" in fields:
        statement = fields["query"]
        if len(statement) > _MAX_LOGGED_STATEMENT:
            statement = statement[:_MAX_LOGGED_STATEMENT] + "..."
        parts.append("statement=" + statement)
    if "element" in fields:
        parts.append(f"element=<{len(fields['element'])} chars>")
    return (" " + " ".join(parts)) if parts else ""


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
