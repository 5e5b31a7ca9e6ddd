"""``vtorm.Client``: one method per Vtiger web-service operation.

The client logs in lazily, renews a dead session once and invisibly, retries
what is safe to repeat, never sends a write twice when its outcome is
unknown, and keeps the access key and session ids out of every repr, log
record and exception. One client may be shared by many threads.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import attrs
import requests

from vtorm.envelope import outcome, read_envelope, unwrap
from vtorm.errors import (
    AccessDeniedError,
    AuthenticationError,
    ProtocolError,
    SessionError,
    TransportError,
    UnknownUserError,
    UnsupportedOperationError,
    ValidationError,
    VtigerError,
    VtormError,
)
from vtorm.features import BROKEN_ON_8, Features
from vtorm.http_transport import HTTPTransport
from vtorm.operations import OperationSpec, encode_params, spec_for
from vtorm.redaction import Secret, redact, request_summary, shorten
from vtorm.retry import Backoff, send_with_retries
from vtorm.transport import BaseTransport, Files, Request, Response, build_request, endpoint_url

__all__ = ["Client", "EventHook", "LoginResult", "SyncResult"]

log = logging.getLogger("vtorm.client")

# Codes that mean "log in again and repeat the call once".
_RENEW_CODES = SessionError.codes
# extendsession answers this, not a session code, when its session is gone.
_EXTEND_RENEW_CODES = _RENEW_CODES | {"AUTHENTICATION_FAILURE"}
_HOOK_EVENTS = ("request", "response")

#: A function called with each :class:`~vtorm.transport.Request` sent or each
#: :class:`~vtorm.transport.Response` received (see ``Client.event_hooks``).
EventHook = Callable[[Any], object]


@attrs.frozen
class LoginResult:
    """What ``login`` (and ``extendsession``) tell about the session.

    ``session_name`` is the session id; its repr shows only a short prefix.
    """

    session_name: str = attrs.field(repr=shorten)
    user_id: str
    version: str
    vtiger_version: str

    @classmethod
    def from_result(cls, result: Any, operation: str) -> LoginResult:
        """Build from the ``result`` object of ``login`` or ``extendsession``."""
        if not isinstance(result, Mapping) or not result.get("sessionName"):
            raise ProtocolError(
                f"{operation}: the result holds no sessionName",
                status=200,
                excerpt=", ".join(sorted(result)) if isinstance(result, Mapping) else "",
                operation=operation,
            )
        return cls(
            session_name=str(result["sessionName"]),
            user_id=str(result.get("userId") or ""),
            version=str(result.get("version") or ""),
            vtiger_version=str(result.get("vtigerVersion") or ""),
        )


@attrs.frozen
class SyncResult:
    """One page of ``sync``: changed rows, deleted ids, where to continue."""

    updated: list[dict[str, Any]]
    deleted: list[str]
    last_modified_time: int
    more: bool

    @classmethod
    def from_result(cls, result: Any) -> SyncResult:
        """Build from the ``result`` object of ``sync``."""
        if not isinstance(result, Mapping):
            raise ProtocolError(
                "sync: the result is not an object",
                status=200,
                excerpt=repr(result)[:200],
                operation="sync",
            )
        more = result.get("more")
        return cls(
            updated=list(result.get("updated") or []),
            deleted=[str(i) for i in result.get("deleted") or []],
            last_modified_time=int(result.get("lastModifiedTime") or 0),
            more=more in (True, 1, "1", "true"),
        )


def _unix_seconds(value: int | float | datetime.datetime) -> int:
    if isinstance(value, bool):
        raise ValidationError("sync: modified_time must be a number or a datetime, not a bool")
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                "sync: modified_time is a naive datetime; give an aware one "
                "(e.g. tzinfo=datetime.timezone.utc): the server counts in UTC"
            )
        return int(value.timestamp())
    if isinstance(value, (int, float)):
        if value != value or value < 0:
            raise ValidationError(f"sync: modified_time must be >= 0, not {value!r}")
        return int(value)
    raise ValidationError(
        f"sync: modified_time must be an int, a float or an aware datetime, "
        f"not {type(value).__name__}"
    )


class Client:
    """A connection to one Vtiger CRM as one user.

    ``url`` is the CRM's base URL or its full ``.../webservice.php`` URL
    (``http://`` or ``https://``). ``timeout`` is in seconds per request;
    ``verify`` is requests' TLS setting of the client's own HTTP transport
    (``True``: check certificates, the default; or a CA bundle path).
    ``max_retries`` bounds the retries of a request that failed below the
    protocol; ``backoff`` and ``backoff_cap`` shape the jittered exponential
    wait between them (seconds). ``session`` is a ``requests.Session`` to
    send through instead of the client's own; ``transport`` a
    :class:`~vtorm.transport.BaseTransport` to send through instead of HTTP
    (e.g. :class:`vtorm.testing.InProcessTransport`). ``features`` states
    what the server can do (:class:`~vtorm.features.Features`); unknown
    capabilities are found out.
    ``event_hooks`` maps ``"request"`` and ``"response"`` to functions called
    with every request sent (each attempt) and every response received, on
    any transport (:attr:`event_hooks` may be changed later).

    The first call logs in (``getchallenge`` then ``login``). Calls may come
    from several threads at once: they share one transport and one login.
    """

    def __init__(
        self,
        url: str,
        username: str,
        access_key: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
        max_retries: int = 3,
        session: requests.Session | None = None,
        transport: BaseTransport | None = None,
        backoff: float = 0.2,
        backoff_cap: float = 2.0,
        features: Features | None = None,
        event_hooks: Mapping[str, Sequence[EventHook]] | None = None,
    ) -> None:
        if not url:
            raise ValueError("Client: url is empty")
        if not username:
            raise ValueError("Client: username is empty")
        if not access_key:
            raise ValueError("Client: access_key is empty")
        if max_retries < 0:
            raise ValueError("Client: max_retries must be >= 0")
        if session is not None and transport is not None:
            raise ValueError("Client: give a session or a transport, not both")
        unknown = sorted(set(event_hooks or ()) - set(_HOOK_EVENTS))
        if unknown:
            raise ValueError(
                f"Client: event_hooks has no event {unknown[0]!r}; "
                f"the events are {', '.join(map(repr, _HOOK_EVENTS))}"
            )
        self.url = endpoint_url(url)
        self.username = username
        self._access_key = Secret(access_key)
        self.timeout = timeout
        self.max_retries = max_retries
        self._backoff = Backoff(backoff, backoff_cap)
        self._verify = verify
        self._owns_transport = transport is None
        self._transport = (
            transport
            if transport is not None
            else HTTPTransport(self.url, verify=verify, session=session)
        )
        self._login_lock = threading.Lock()
        self._login: LoginResult | None = None
        self._server_version: str | None = None
        self._user_id: str | None = None
        self._describe_lock = threading.Lock()
        self._describe_cache: dict[str, dict[str, Any]] = {}
        #: What this client's server can do, learned as it answers (see vtorm.features).
        self.features = features if features is not None else Features()
        #: ``{"request": [...], "response": [...]}``: called with each request sent
        #: and each response received, in the thread that sends.
        self.event_hooks: dict[str, list[EventHook]] = {
            event: list((event_hooks or {}).get(event, ())) for event in _HOOK_EVENTS
        }

    # -- state ---------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The ``requests.Session`` every request goes through (keep-alive).

        Only a client that speaks HTTP has one: with another ``transport``
        this raises ``AttributeError``.
        """
        if isinstance(self._transport, HTTPTransport):
            return self._transport.session
        raise AttributeError(
            f"this client sends through {type(self._transport).__name__}, not a requests.Session"
        )

    @property
    def verify(self) -> bool | str:
        """TLS certificate check of HTTPS requests: ``True``, ``False`` or a CA bundle path."""
        return self._verify

    @verify.setter
    def verify(self, value: bool | str) -> None:
        self._verify = value
        if isinstance(self._transport, HTTPTransport):
            self._transport.verify = value

    @property
    def vtiger_version(self) -> str | None:
        """The server's Vtiger version from the last login (``"8.4.0"``), else ``None``."""
        return self._server_version

    @property
    def user_id(self) -> str | None:
        """The logged-in user's id (``"19x1"``) from the last login, else ``None``."""
        return self._user_id

    @property
    def logged_in(self) -> bool:
        """Whether the client holds a session (it may have expired on the server)."""
        return self._login is not None

    def __repr__(self) -> str:
        state = "logged in" if self._login is not None else "not logged in"
        return f"<vtorm.Client {self.url} user={self.username!r} {state}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Log out (best effort, no retries) and release the connections.

        A later call logs in again.
        """
        try:
            self._logout(retries=0)
        except VtormError as exc:
            log.debug("close: logout failed (%s); closing anyway", type(exc).__name__)
        if self._owns_transport:
            self._transport.close()

    def clear_cache(self, module: str | None = None) -> None:
        """Forget cached ``describe`` results (of one module, or of all)."""
        with self._describe_lock:
            if module is None:
                self._describe_cache.clear()
            else:
                self._describe_cache.pop(module, None)

    # -- sessions ------------------------------------------------------------

    def login(self) -> LoginResult:
        """Log in now (``getchallenge`` + ``login``), replacing any current session."""
        with self._login_lock:
            return self._login_locked()

    def _login_locked(self) -> LoginResult:
        try:
            return self._handshake()
        except AuthenticationError as exc:
            if exc.code != "INVALID_AUTH_TOKEN":
                raise
            # A getchallenge for the same user elsewhere (another client or
            # process) invalidates our token: ask for a fresh one, once.
            log.info("login: challenge token was invalidated; asking for a new one")
            return self._handshake()

    def _handshake(self) -> LoginResult:
        try:
            challenge = self._send(spec_for("getchallenge"), {"username": self.username}, None)
        except AccessDeniedError as exc:
            # 8.4 answers a user name it does not know so; say it is the name that is wrong.
            raise UnknownUserError(exc.code, exc.message, exc.operation) from None
        token = str(challenge.get("token") or "") if isinstance(challenge, Mapping) else ""
        if not token:
            raise ProtocolError(
                "getchallenge: the result holds no token",
                status=200,
                excerpt="",
                operation="getchallenge",
            )
        key = hashlib.md5((token + self._access_key.reveal()).encode("utf-8")).hexdigest()
        fields = {"username": self.username, "accessKey": Secret(key)}
        result = LoginResult.from_result(self._send(spec_for("login"), fields, None), "login")
        self._login = result
        self._server_version = result.vtiger_version or None
        self._user_id = result.user_id or None
        log.debug(
            "login: user %s (%s), Vtiger %s, API %s, session %s",
            self.username,
            result.user_id,
            result.vtiger_version,
            result.version,
            shorten(result.session_name),
        )
        return result

    def _current_login(self) -> LoginResult:
        current = self._login
        if current is not None:
            return current
        with self._login_lock:
            if self._login is not None:
                return self._login
            return self._login_locked()

    def _renew(self, stale: LoginResult) -> LoginResult:
        """A live login to replace ``stale``, logging in only if nobody did meanwhile."""
        with self._login_lock:
            current = self._login
            if current is not None and current is not stale:
                return current
            log.info("session %s is no longer valid; logging in again", shorten(stale.session_name))
            return self._login_locked()

    def logout(self) -> None:
        """End the session on the server. Does nothing when not logged in."""
        self._logout(retries=None)

    def _logout(self, retries: int | None) -> None:
        with self._login_lock:
            current, self._login = self._login, None
        if current is None:
            return
        # A session already dead on the server is as logged out as it gets.
        with contextlib.suppress(SessionError):
            self._send(spec_for("logout"), {}, current.session_name, retries=retries)

    def extend_session(self) -> LoginResult:
        """Extend the current session (``extendsession``) and return it."""
        result = self._invoke("extendsession", {}, renew_codes=_EXTEND_RENEW_CODES)
        extended = LoginResult.from_result(result, "extendsession")
        with self._login_lock:
            current = self._login
            # Keep the object other threads hold when the session is the same.
            if current is None or current.session_name != extended.session_name:
                self._login = extended
        return extended

    # -- records -------------------------------------------------------------

    def list_types(self, field_types: Sequence[str] | None = None) -> list[str]:
        """Module names the user may access (``listtypes``).

        ``field_types`` keeps only modules having a field of one of those
        types (``["picklist"]``).
        """
        params: dict[str, Any] = {}
        if field_types is not None:
            params["fieldTypeList"] = list(field_types)
        result = self._invoke("listtypes", params)
        if not isinstance(result, Mapping):
            return []
        return [str(name) for name in result.get("types", [])]

    def describe(self, module: str) -> dict[str, Any]:
        """The raw ``describe`` result of ``module``, cached per client.

        Each call returns a copy; :meth:`clear_cache` forgets the cache.
        """
        with self._describe_lock:
            cached = self._describe_cache.get(module)
        if cached is None:
            result = self._invoke("describe", {"elementType": module})
            if not isinstance(result, dict):
                raise ProtocolError(
                    f"describe: the result for {module} is not an object",
                    status=200,
                    excerpt=repr(result)[:200],
                    operation="describe",
                )
            with self._describe_lock:
                cached = self._describe_cache.setdefault(module, result)
        return copy.deepcopy(cached)

    def create(
        self,
        module: str,
        element: Mapping[str, Any],
        *,
        files: Files | None = None,
    ) -> dict[str, Any]:
        """Create a ``module`` record from wire values; returns the stored record.

        ``files`` maps a form field to ``(file name, content[, content type])``
        and sends the request as multipart/form-data: a Documents record keeps
        the file given as ``filename``. Never sent twice: when the outcome is
        unknown (the connection dropped after sending) this raises
        :class:`TransportError`.
        """
        params = {"elementType": module, "element": dict(element)}
        return self._record("create", params, files=files)

    def retrieve(self, id: str) -> dict[str, Any]:
        """The record with this id (``"12x8"``)."""
        return self._record("retrieve", {"id": id})

    def update(self, element: Mapping[str, Any]) -> dict[str, Any]:
        """Full update: ``element`` holds ``id`` and every mandatory field."""
        return self._record("update", {"element": dict(element)})

    def revise(self, element: Mapping[str, Any]) -> dict[str, Any]:
        """Partial update: ``element`` holds ``id`` and the fields to change."""
        return self._record("revise", {"element": dict(element)})

    def delete(self, id: str) -> None:
        """Delete the record with this id."""
        self._invoke("delete", {"id": id})

    def query(self, vtql: str) -> list[dict[str, Any]]:
        """Run one VTQL statement, one request, rows as the server answers them."""
        return self._rows("query", {"query": vtql})

    def sync(self, module: str, modified_time: int | float | datetime.datetime) -> SyncResult:
        """Records of ``module`` changed after ``modified_time`` (Unix seconds or aware datetime).

        The server fails on ``modifiedTime=0``, so 0 is sent as 1 (same
        meaning: nothing was modified in the first second of 1970). Stock
        Vtiger 8.x cannot run sync at all; that answer raises a
        :class:`ProtocolError` saying so, at once, without retries.
        """
        since = max(_unix_seconds(modified_time), 1)
        result = self._invoke("sync", {"elementType": module, "modifiedTime": since})
        return SyncResult.from_result(result)

    # -- related records and the rest ---------------------------------------

    def related_types(self, module: str) -> dict[str, Any]:
        """``relatedtypes``: the modules related to ``module`` and the relation labels."""
        result = self._invoke("relatedtypes", {"elementType": module})
        return dict(result) if isinstance(result, Mapping) else {"types": [], "information": {}}

    def retrieve_related(
        self, id: str, related_type: str, related_label: str | None = None
    ) -> list[dict[str, Any]]:
        """Records of ``related_type`` related to the record ``id``."""
        params = {"id": id, "relatedType": related_type, "relatedLabel": related_label}
        return self._rows("retrieve_related", params)

    def query_related(self, query: str, id: str, related_label: str) -> list[dict[str, Any]]:
        """Run ``query`` over the records related to ``id`` through ``related_label``.

        The server refuses a trailing ``;`` here (unlike ``query``), so one is removed.
        """
        statement = query.rstrip().removesuffix(";").rstrip()
        params = {"query": statement, "id": id, "relatedLabel": related_label}
        return self._rows("query_related", params)

    def add_related(
        self, source_id: str, related_id: str, relation_label: str | None = None
    ) -> None:
        """Relate ``related_id`` to ``source_id``. Never sent twice (see :meth:`create`)."""
        params = {
            "sourceRecordId": source_id,
            "relatedRecordId": related_id,
            "relationIdLabel": relation_label,
        }
        self._invoke("add_related", params)

    def convert_lead(
        self,
        lead_id: str,
        entities: Mapping[str, Mapping[str, Any]],
        *,
        assigned_to: str | None = None,
    ) -> dict[str, Any]:
        """Convert a Lead; returns the ids created, per module (``{"Contacts": "12x9"}``).

        ``entities`` maps each module to create (Accounts, Contacts, Potentials)
        to its field values; ``name`` and ``create`` are filled in. The owner
        defaults to the logged-in user. Never sent twice (see :meth:`create`).
        """
        owner = assigned_to or self._current_login().user_id
        element = {
            "leadId": lead_id,
            "assignedTo": owner,
            "entities": {
                module: {"create": True, "name": module, **values}
                for module, values in entities.items()
            },
        }
        result = self._invoke("convertlead", {"element": element})
        return dict(result) if isinstance(result, Mapping) else {}

    def files_retrieve(self, id: str) -> list[dict[str, Any]]:
        """The files of an attachment id: ``[{filename, filetype, filesize, filecontents}]``.

        ``filecontents`` is base64, as the server sends it.
        """
        return self._rows("files_retrieve", {"id": id})

    def retrieve_inventory(self, id: str) -> dict[str, Any]:
        """An inventory record (Quotes, Invoice, ...) with its ``LineItems``."""
        return self._record("retrieve_inventory", {"id": id})

    def call(self, operation: str, *, method: str | None = None, **params: Any) -> Any:
        """Any registered operation; returns the envelope's ``result``.

        ``method`` defaults to the operation's registered method (GET for one
        vtorm does not know). Dicts and lists become JSON text. An unknown
        operation sent as POST is never repeated when its outcome is unknown.
        """
        return self._invoke(operation, params, method=method)

    # -- plumbing ------------------------------------------------------------

    def _record(
        self, operation: str, params: Mapping[str, Any], *, files: Files | None = None
    ) -> dict[str, Any]:
        result = self._invoke(operation, params, files=files)
        if not isinstance(result, dict):
            raise ProtocolError(
                f"{operation}: the result is not a record",
                status=200,
                excerpt=repr(result)[:200],
                operation=operation,
            )
        return result

    def _rows(self, operation: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = self._invoke(operation, params)
        if result is None:
            return []
        if not isinstance(result, list):
            raise ProtocolError(
                f"{operation}: the result is not a list",
                status=200,
                excerpt=repr(result)[:200],
                operation=operation,
            )
        return result

    def _invoke(
        self,
        operation: str,
        params: Mapping[str, Any],
        *,
        method: str | None = None,
        renew_codes: frozenset[str] = _RENEW_CODES,
        files: Files | None = None,
    ) -> Any:
        spec = spec_for(operation, method)
        self._refuse_unsupported(spec)
        if not spec.session:
            return self._send(spec, params, None)
        current = self._current_login()
        try:
            return self._send(spec, params, current.session_name, files=files)
        except VtigerError as exc:
            if exc.code not in renew_codes:
                raise
        # The server refuses a dead session before acting, so repeating any
        # operation, a create included, cannot do it twice.
        fresh = self._renew(current)
        return self._send(spec, params, fresh.session_name, files=files)

    def _send(
        self,
        spec: OperationSpec,
        params: Mapping[str, Any],
        session_name: str | None,
        *,
        retries: int | None = None,
        files: Files | None = None,
    ) -> Any:
        secrets = {k: v for k, v in params.items() if isinstance(v, Secret)}
        plain = {k: v for k, v in params.items() if k not in secrets}
        fields = {"operation": spec.name, **encode_params(spec.name, plain)}
        detail = request_summary(fields, params)
        fields.update({k: v.reveal() for k, v in secrets.items()})
        if session_name is not None:
            fields["sessionName"] = session_name
        request = build_request(
            spec.method, self.url, fields, files=files, timeout=self.timeout, operation=spec.name
        )
        return send_with_retries(
            spec,
            lambda: self._exchange(spec, request, detail),
            retries=self.max_retries if retries is None else retries,
            backoff=self._backoff,
            detail=detail,
            params=plain,
        )

    def _exchange(self, spec: OperationSpec, request: Request, detail: str) -> Any:
        """One attempt: send ``request``, read the envelope, return its result."""
        for hook in self.event_hooks["request"]:
            hook(request)
        started = time.perf_counter()
        try:
            response = self._transport.handle_request(request)
        except TransportError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(
                "%s %s%s -> %s in %.1f ms",
                spec.method,
                spec.name,
                detail,
                type(exc).__name__,
                elapsed,
            )
            raise
        elapsed = (time.perf_counter() - started) * 1000
        for hook in self.event_hooks["response"]:
            hook(response)
        try:
            envelope = self._read(spec, response)
        except ProtocolError:
            log.debug(
                "%s %s%s -> HTTP %d, not the envelope, in %.1f ms",
                spec.method,
                spec.name,
                detail,
                response.status,
                elapsed,
            )
            raise
        log.debug(
            "%s %s%s -> HTTP %d %s in %.1f ms",
            spec.method,
            spec.name,
            detail,
            response.status,
            outcome(envelope),
            elapsed,
        )
        return unwrap(envelope, spec.name)

    def _read(self, spec: OperationSpec, response: Response) -> dict[str, Any]:
        """The envelope of ``response``; what the server cannot run goes into features."""
        name = spec.name
        if name in BROKEN_ON_8 and getattr(self.features, name) is None:
            version = self._server_version
            broken = response.status == 500 and not response.content.strip()
            if broken and (version or "8").startswith("8"):
                setattr(self.features, name, False)
                raise UnsupportedOperationError(
                    f"{name}: the server (Vtiger {version or 'unknown version'}) answered "
                    f"HTTP 500 with an empty body. This is a known bug of stock Vtiger 8.x "
                    f"under PHP 8, where every {name} call fails this way; it was not "
                    f"retried, and this client will not send {name} again. "
                    f"Workaround: {BROKEN_ON_8[name]}",
                    status=500,
                    excerpt="",
                    operation=name,
                )
            envelope = read_envelope(response, name, self._scrub)
            if envelope.get("success") is True:
                setattr(self.features, name, True)
            return envelope
        return read_envelope(response, name, self._scrub)

    def _refuse_unsupported(self, spec: OperationSpec) -> None:
        """Raise at once, sending nothing, for an operation the server is known not to run."""
        name = spec.name
        if name in BROKEN_ON_8 and getattr(self.features, name) is False:
            raise UnsupportedOperationError(
                f"{name}: not sent, because client.features.{name} is False: this server "
                f"cannot run {name} (stock Vtiger 8.x under PHP 8 answers every {name} "
                f"with HTTP 500 and an empty body). Workaround: {BROKEN_ON_8[name]}",
                status=500,
                excerpt="",
                operation=name,
                sent=False,
            )

    def _scrub(self, text: str) -> str:
        current = self._login
        return redact(
            text,
            self._access_key.reveal(),
            current.session_name if current is not None else None,
        )
