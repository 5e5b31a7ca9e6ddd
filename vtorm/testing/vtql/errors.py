"""The one exception of the query-language engine and the messages 8.4 answers."""

from __future__ import annotations

__all__ = [
    "INTERNAL_SERVER_ERROR",
    "UNKNOWN_ERROR",
    "VtqlError",
    "access_denied_field",
    "access_denied_module",
    "access_denied_select",
    "empty_id",
    "invalid_id",
    "lexer_error",
    "syntax_error",
]

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
UNKNOWN_ERROR = "Unknown Error while processing request"
_DENIED = "Permission to perform the operation is denied"


class VtqlError(Exception):
    """A statement the real server refuses: ``code`` and ``message`` of its error envelope."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def syntax_error(message: str) -> VtqlError:
    """``QUERY_SYNTAX_ERROR`` with the parser's message."""
    return VtqlError("QUERY_SYNTAX_ERROR", message)


def lexer_error() -> VtqlError:
    """What a character the lexer cannot read gives: a plain PHP exception, reported as such."""
    return VtqlError(INTERNAL_SERVER_ERROR, UNKNOWN_ERROR)


def access_denied_module(name: str | None) -> VtqlError:
    """An unknown module (``None``: no ``FROM <name>`` in the text at all)."""
    if name is None:
        return VtqlError("ACCESS_DENIED", f"{_DENIED} for query")
    return VtqlError("ACCESS_DENIED", f"{_DENIED} for name : {name}")


def access_denied_select(field: str) -> VtqlError:
    """An unknown field in the column list; the dots and quotes are the server's own."""
    return VtqlError("ACCESS_DENIED", f"Permission to access '.{field}.' attribute denied.")


def access_denied_field(field: str) -> VtqlError:
    """An unknown field in the WHERE clause."""
    return VtqlError("ACCESS_DENIED", f"Permission to access {field} attribute denied.")


def empty_id() -> VtqlError:
    """An empty id, reference or owner value (``account_id = ''``): the server's generic error."""
    return VtqlError(INTERNAL_SERVER_ERROR, UNKNOWN_ERROR)


def invalid_id() -> VtqlError:
    """An id, reference or owner value without the ``<prefix>x`` form."""
    return VtqlError("INVALID_ID_ATTRIBUTE", "Id specified is incorrect")
