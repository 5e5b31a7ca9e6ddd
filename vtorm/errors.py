"""The exception hierarchy.

Every exception vtorm raises derives from :class:`VtormError`. Errors the server
reports in its envelope are :class:`VtigerError` subclasses chosen by the
server's error code; problems below the envelope (a dropped connection, an
HTML page instead of JSON) are :class:`TransportError` / :class:`ProtocolError`;
mistakes found on the client before anything is sent are :class:`FieldError`
and :class:`ValidationError`.
"""

from __future__ import annotations

import datetime
import difflib
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar


class VtormError(Exception):
    """Base class of every error raised by vtorm."""


class VtigerError(VtormError):
    """An error the server reported in its ``{"success": false}`` envelope.

    ``code`` is the server's code as a string (the integer code ``0`` of a
    duplicate-detection rule becomes ``"0"``), ``message`` its text, and
    ``operation`` the web-service operation that failed.
    """

    codes: ClassVar[frozenset[str]] = frozenset()
    #: What to do about a code, added to the message (``.message`` stays the server's).
    hints: ClassVar[dict[str, str]] = {}

    def __init__(self, code: str, message: str, operation: str | None = None) -> None:
        self.code = code
        self.message = message
        self.operation = operation
        where = f" during {operation}" if operation else ""
        hint = self.hints.get(code)
        super().__init__(f"{code}: {message}{where}" + (f". {hint}" if hint else ""))

    @staticmethod
    def from_envelope(error: Any, operation: str | None = None) -> VtigerError:
        """Build the most specific subclass for the ``error`` object of an envelope."""
        if not isinstance(error, dict):
            return VtigerError("UNKNOWN_ERROR", repr(error)[:200], operation)
        raw_code = error.get("code")
        code = str(raw_code) if raw_code is not None else "UNKNOWN_ERROR"
        message = str(error.get("message") or "")
        return _class_for_code(code)(code, message, operation)


class AuthenticationError(VtigerError):
    """The login handshake was refused: wrong user, wrong access key, stale token."""

    codes = frozenset(
        {
            "INVALID_AUTH_TOKEN",
            "INVALID_USER_CREDENTIALS",
            "ACCESSKEY_UNDEFINED",
            "AUTHENTICATION_FAILURE",
        }
    )
    hints: ClassVar[dict[str, str]] = {
        "INVALID_USER_CREDENTIALS": (
            "vtorm logs in with the user's access key, not the password: copy it from "
            "the user's My Preferences page in the CRM (field Access Key), and check "
            "the user name"
        ),
    }


class SessionError(VtigerError):
    """The session is missing, invalid or expired; the client renews it once by itself."""

    codes = frozenset(
        {"INVALID_SESSIONID", "AUTHENTICATION_REQUIRED", "SESSION_EXPIRED", "SESSION_LEFT_IDLE"}
    )


class AccessDeniedError(VtigerError):
    """``ACCESS_DENIED``: also what a deleted or unknown record id gets."""

    codes = frozenset({"ACCESS_DENIED"})


class RecordNotFoundError(VtigerError):
    """``RECORD_NOT_FOUND``."""

    codes = frozenset({"RECORD_NOT_FOUND"})


class MandatoryFieldError(VtigerError):
    """``MANDATORY_FIELDS_MISSING``: a mandatory field has no value."""

    codes = frozenset({"MANDATORY_FIELDS_MISSING"})


class QuerySyntaxError(VtigerError):
    """``QUERY_SYNTAX_ERROR``: the server's parser refused a statement."""

    codes = frozenset({"QUERY_SYNTAX_ERROR"})


class InvalidIdError(VtigerError):
    """``INVALID_ID_ATTRIBUTE``: a malformed id, or one of another module."""

    codes = frozenset({"INVALID_ID_ATTRIBUTE"})


class ReferenceInvalidError(VtigerError):
    """``REFERENCE_INVALID``: a reference to a module the field does not allow."""

    codes = frozenset({"REFERENCE_INVALID"})


class DuplicateError(VtigerError):
    """A duplicate-prevention rule refused the record (the server's integer code ``0``)."""

    codes = frozenset({"0", "DUPLICATE_RECORD", "DUPLICATES_FOUND"})
    hints: ClassVar[dict[str, str]] = dict.fromkeys(
        codes,
        "Another record of the module already holds this value in a field its "
        "duplicate prevention checks (on a stock CRM: Accounts.accountname; letter "
        "case, accents and trailing spaces ignored): find that record and use it, "
        "or choose another value",
    )


class UnknownUserError(AuthenticationError, AccessDeniedError):
    """``getchallenge`` refused the user name: the CRM has no active user of that name.

    The server answers ``ACCESS_DENIED``, so this is an :class:`AccessDeniedError`
    too; it is raised by the login, as every other refused login is.
    """

    codes = frozenset()
    hints: ClassVar[dict[str, str]] = {
        "ACCESS_DENIED": (
            "The CRM has no active user of this name: check the user name "
            "(VTIGER_USERNAME); it is the user's login name, such as admin"
        ),
    }


_SUBCLASSES: tuple[type[VtigerError], ...] = (
    AuthenticationError,
    SessionError,
    AccessDeniedError,
    RecordNotFoundError,
    MandatoryFieldError,
    QuerySyntaxError,
    InvalidIdError,
    ReferenceInvalidError,
    DuplicateError,
)
_BY_CODE: dict[str, type[VtigerError]] = {code: cls for cls in _SUBCLASSES for code in cls.codes}


def _class_for_code(code: str) -> type[VtigerError]:
    return _BY_CODE.get(code, VtigerError)


class TransportError(VtormError):
    """The request failed below the protocol: no answer came back.

    ``sent`` tells whether the request may have reached the server. When it may
    have, and the operation is not safe to repeat (create, convertlead,
    add_related), the outcome is unknown and vtorm does not send it again.
    The subclasses say what went wrong; each knows whether such a failure
    can have sent the request (``sent`` overrides it).
    """

    #: Whether a failure of this kind may have let the request reach the server.
    may_have_sent: ClassVar[bool] = True

    def __init__(
        self, message: str, *, operation: str | None = None, sent: bool | None = None
    ) -> None:
        self.operation = operation
        self.sent = self.may_have_sent if sent is None else sent
        super().__init__(message)


class ConnectError(TransportError):
    """No connection could be opened (refused, unresolvable host): nothing was sent."""

    may_have_sent = False


class ConnectTimeout(TransportError):
    """Opening the connection took longer than the timeout: nothing was sent."""

    may_have_sent = False


class TLSError(TransportError):
    """The TLS handshake failed (certificate not trusted, not TLS at all): nothing was sent.

    Retrying does not heal it; see the ``verify`` argument of :class:`vtorm.Client`.
    """

    may_have_sent = False


class ReadTimeout(TransportError):
    """The request was sent and no answer came within the timeout: the server may act on it."""


class ConnectionLost(TransportError):
    """The connection closed after the request was sent, before the whole answer came."""


class ProtocolError(VtormError):
    """The server answered something that is not the JSON envelope.

    ``status`` is the HTTP status and ``excerpt`` the first characters of the body
    (an HTML error page, ``Sorry! Attempt to access restricted file.``, nothing);
    ``detail`` is the explanation alone, without status and excerpt.
    """

    def __init__(self, message: str, *, status: int, excerpt: str, operation: str | None = None):
        self.detail = message
        self.status = status
        self.excerpt = excerpt
        self.operation = operation
        super().__init__(f"{message} (HTTP {status}, body: {excerpt!r})")


class UnsupportedOperationError(ProtocolError):
    """The server cannot run this operation at all; it is never retried.

    Stock Vtiger 8.x under PHP 8 answers every ``sync`` and
    ``retrieve_inventory`` with HTTP 500 and an empty body. After the first
    such answer the client's :class:`~vtorm.features.Features` record it, and
    later calls raise this at once, without a request (``sent`` is False then,
    and the message quotes no answer: there was none).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        excerpt: str,
        operation: str | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message, status=status, excerpt=excerpt, operation=operation)
        self.sent = sent
        if not sent:
            self.args = (message,)


class InDoubtError(VtormError):
    """A write whose outcome is unknown: the server may or may not have carried it out.

    Raised for a write (create, update, revise, delete, add_related,
    convertlead) whose request reached the server but whose answer was not the
    JSON envelope: an HTML page or plain text (stock 8.4 answers a create with a
    missing owner with ``Sorry! Attempt to access restricted file.`` -- and
    creates the record), an empty body, an HTTP 5xx once retries are over, or a
    connection lost after sending. vtorm never sends such a write again by
    itself. ``operation`` names it, ``params`` holds what was sent (``element``
    and the rest, never a credential), ``at`` when (UTC), ``cause`` the error
    behind it. It is also an instance of that error's class
    (:class:`ConnectionLost`, :class:`ProtocolError`, ...), so code catching
    those keeps working. See ``Model.resolve()`` to settle it.
    """

    operation: str | None
    params: dict[str, Any]
    at: datetime.datetime
    cause: BaseException | None
    #: The model instance whose write it was, when the write came from one.
    instance: Any = None

    @property
    def element(self) -> Any:
        """The ``element`` that was sent, if any."""
        return self.params.get("element")


_IN_DOUBT_CLASSES: dict[type[BaseException], type[InDoubtError]] = {}
_IN_DOUBT_LOCK = threading.Lock()


def _in_doubt_class(base: type[BaseException]) -> type[InDoubtError]:
    with _IN_DOUBT_LOCK:
        cls = _IN_DOUBT_CLASSES.get(base)
        if cls is None:
            cls = type(f"InDoubt{base.__name__}", (InDoubtError, base), {
                "__module__": __name__,
                "__doc__": f"An :class:`InDoubtError` caused by a {base.__name__}.",
            })
            _IN_DOUBT_CLASSES[base] = cls
        return cls


def in_doubt(
    cause: VtormError, params: Mapping[str, Any], note: str, operation: str | None = None
) -> InDoubtError:
    """The :class:`InDoubtError` for a write that failed with ``cause``.

    The error is also of ``cause``'s class; ``note`` says why the outcome is
    unknown and that nothing was sent again.
    """
    if isinstance(cause, InDoubtError):
        return cause
    operation = operation or getattr(cause, "operation", None)
    what = operation or "the write"
    # A ProtocolError's own message ends with its status and body: the error made
    # here has them too, so the cause is quoted without them.
    shown = cause.detail if isinstance(cause, ProtocolError) else str(cause)
    message = (
        f"{what} is in doubt, its outcome unknown: {what} was not sent again because "
        f"the server may have carried it out ({note}); settle it before writing again "
        "(Model.resolve()). "
        f"Cause: {shown}"
    )
    cls = _in_doubt_class(type(cause))
    error: InDoubtError
    if isinstance(cause, ProtocolError):
        error = cls(message, status=cause.status, excerpt=cause.excerpt,  # type: ignore[call-arg]
                    operation=operation)
    elif isinstance(cause, TransportError):
        error = cls(message, operation=operation, sent=True)  # type: ignore[call-arg]
    else:
        error = cls(message)
    error.operation = operation
    error.params = dict(params)
    error.at = datetime.datetime.now(datetime.timezone.utc)
    error.cause = cause
    error.__cause__ = cause
    return error


class FieldError(VtormError, AttributeError):
    """An unknown field or lookup, found before any request was sent."""


class ValidationError(VtormError, ValueError):
    """A value that cannot be converted to what the server expects, found before sending."""


class UnsupportedQueryError(VtormError, ValueError):
    """A QuerySet asks what the query language cannot say and vtorm cannot answer
    exactly on the client (a negated LIKE, some orderings); raised before sending."""


class ConflictError(VtormError):
    """The record changed on the server since it was loaded (optimistic check)."""


class ObjectDoesNotExist(VtormError):
    """Base of every model's ``DoesNotExist``."""


class MultipleObjectsReturned(VtormError):
    """Base of every model's ``MultipleObjectsReturned``."""


class FlushError(VtormError):
    """Some objects of a commit failed; ``failures`` holds one entry per failed object.

    Each entry is ``(obj, exception)``. The failed objects stay dirty, so the same
    commit can be retried; everything else was committed.
    """

    def __init__(self, failures: Sequence[tuple[Any, BaseException]]) -> None:
        self.failures = list(failures)
        lines = [f"{len(self.failures)} object(s) failed to commit:"]
        lines += [f"  {obj!r}: {exc}" for obj, exc in self.failures]
        super().__init__("\n".join(lines))


class SchemaError(VtormError, ValueError):
    """A describe or listtypes answer (or a dump of them) that cannot be read.

    ``module`` and ``field`` name where the problem is (``None`` when it is
    not about one module or field).
    """

    def __init__(self, message: str, *, module: str | None = None, field: str | None = None):
        self.module = module
        self.field = field
        where = module or ""
        if field is not None:
            where = f"{where}.{field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)


# --------------------------------------------------------------------------- wording


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most likely meant: the same but for letter case, else a close one."""
    options = list(dict.fromkeys(choices))
    folded = [choice for choice in options if choice.casefold() == name.casefold()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when none is close."""
    found = closest(name, choices)
    return f" (did you mean {found!r}?)" if found is not None and found != name else ""
