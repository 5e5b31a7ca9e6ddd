"""The building blocks every emulated web-service operation uses.

An operation is a function ``handler(ctx, params) -> result`` registered with
:func:`operation`. It answers by returning the envelope's ``result`` (or
:data:`NO_RESULT` for an envelope without one) or by
raising :class:`WsError` (the ``{"success": false}`` envelope), :class:`Fatal`
(what a PHP fatal error gives: HTTP 500 with an empty body) or
:class:`PlainText` (HTTP 200, ``text/html``, the exception's text as body).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from vtorm.testing.state import CrmState, User

__all__ = [
    "DENIED",
    "DENIED_FOR_ID",
    "ID_INCORRECT",
    "NO_RESULT",
    "OPERATIONS",
    "UNKNOWN_ERROR",
    "Context",
    "Fatal",
    "Handler",
    "Operation",
    "PlainText",
    "RawJson",
    "WsError",
    "access_denied",
    "internal_error",
    "invalid_id",
    "operation",
]


class WsError(Exception):
    """An error the server reports in its envelope, with HTTP 200."""

    def __init__(self, code: str | int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class Fatal(Exception):
    """A PHP fatal error: HTTP 500 with an empty body."""


class PlainText(Exception):
    """A plain-text answer (HTTP 200, ``text/html``) instead of the envelope."""


@dataclass
class Context:
    """What a handler knows about the request besides its parameters."""

    crm: CrmState
    user: User | None
    session_name: str | None
    method: str = "GET"
    # Uploaded files of a multipart POST: form field -> (file name, content type, bytes).
    files: Mapping[str, tuple[str, str, bytes]] = field(default_factory=dict)


Handler = Callable[[Context, Mapping[str, str]], Any]


@dataclass(frozen=True)
class Operation:
    """One registered operation: how its parameters are read and whether it needs a session."""

    name: str
    method: Literal["GET", "POST"]
    session: bool
    handler: Handler


# Lower-case operation name -> operation; the server matches names case-insensitively.
OPERATIONS: dict[str, Operation] = {}


def operation(
    name: str, *, method: Literal["GET", "POST"], session: bool = True
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the operation ``name``.

    ``method`` tells where the server reads its parameters (query string for
    GET, form body for POST); ``session`` whether a live session is required.
    """

    def register(handler: Handler) -> Handler:
        """Record ``handler`` under the operation's lower-case name."""
        OPERATIONS[name.lower()] = Operation(name, method, session, handler)
        return handler

    return register


# Messages the real server uses, spelled as it spells them.
DENIED = "Permission to perform the operation is denied"
DENIED_FOR_ID = "Permission to perform the operation is denied for id"
ID_INCORRECT = "Id specified is incorrect"
UNKNOWN_ERROR = "Unknown Error while processing request"


def access_denied(message: str = DENIED) -> WsError:
    """``ACCESS_DENIED`` with the given message."""
    return WsError("ACCESS_DENIED", message)


def invalid_id() -> WsError:
    """``INVALID_ID_ATTRIBUTE`` "Id specified is incorrect"."""
    return WsError("INVALID_ID_ATTRIBUTE", ID_INCORRECT)


def internal_error() -> WsError:
    """``INTERNAL_SERVER_ERROR``, what an uncaught exception in an operation gives."""
    return WsError("INTERNAL_SERVER_ERROR", UNKNOWN_ERROR)


class _NoResult:
    """The type of :data:`NO_RESULT`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_RESULT"


# What a handler returns for an envelope with no ``result`` key at all
# (``{"success":true}``): some operations answer so, which ``None`` (``null``) is not.
NO_RESULT = _NoResult()


class RawJson:
    """A result already encoded as JSON text (describe answers, computed once)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
