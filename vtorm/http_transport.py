"""``HTTPTransport``: requests to a real CRM over HTTP(S), through ``requests``.

Everything vtorm knows about HTTP clients lives here: one ``requests.Session``
per client whose pool picks its kept-alive connections by the policy of
:mod:`vtorm.http_pool`, proxies and CA bundle read from the environment once,
TLS verified by default, redirects never followed (a redirected POST would
lose its body), and the one place where the exceptions of requests and
urllib3 become vtorm's typed transport errors (:func:`map_requests_exceptions`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any, cast

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies
from urllib3 import HTTPConnectionPool, Timeout
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from vtorm import http_pool
from vtorm.errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    ReadTimeout,
    TLSError,
    TransportError,
)
from vtorm.redaction import install_log_redaction
from vtorm.transport import BaseTransport, Request, Response, transport_error

__all__ = ["HTTPTransport", "map_requests_exceptions"]

# Bulk operations share one client across threads; the default pool of ten
# connections would be thrown away and reopened under that load.
_POOL_SIZE = 32


def _user_agent() -> str:
    try:
        return f"vtorm/{importlib.metadata.version('vtorm')}"
    except importlib.metadata.PackageNotFoundError:
        return "vtorm"


class HTTPTransport(BaseTransport):
    """Sends requests over HTTP(S) with a ``requests.Session``.

    ``url`` is the endpoint (its proxies are looked up once). ``verify`` is
    requests' TLS setting: ``True`` (check certificates, the default), a CA
    bundle path, or ``False``. ``session`` is a ``requests.Session`` to use
    as it is (its own settings, hooks and environment handling) instead of
    the transport's own; :meth:`close` leaves such a session open.
    """

    def __init__(
        self,
        url: str,
        *,
        verify: bool | str = True,
        session: requests.Session | None = None,
    ) -> None:
        self.verify = verify
        self._owns_session = session is None
        self.session = session if session is not None else _new_session(url)
        # The transport's own session does not read the environment per request
        # (see _new_session), so requests' CA-bundle variables are read here, once.
        self._ca_bundle = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if self._owns_session
            else None
        )
        install_log_redaction()

    def handle_request(self, request: Request) -> Response:
        """Send ``request``; the answer whatever its status, redirects included."""
        verify = self._ca_bundle if self.verify is True and self._ca_bundle else self.verify
        session = self.session
        http_pool.sending(request.operation)
        started = time.perf_counter()
        try:
            with map_requests_exceptions(request):
                adapter = session.get_adapter(request.url) if self._owns_session else None
                # Only vtorm's own adapter: one mounted by the user may override send().
                if type(adapter) is _Adapter and _plain(session):
                    status, headers, content = _send(session, adapter, request, verify)
                else:
                    answer = session.request(
                        request.method,
                        request.url,
                        data=request.content or None,
                        headers=dict(request.headers),
                        timeout=request.timeout,
                        verify=verify,
                        allow_redirects=False,
                    )
                    content = answer.content  # read inside: the body may break off too
                    status = answer.status_code
                    headers = {name.lower(): value for name, value in answer.headers.items()}
        except BaseException:
            http_pool.sent(None)
            raise
        http_pool.sent(time.perf_counter() - started)
        return Response(status, headers, content, request)

    def close(self) -> None:
        """Close the pooled connections of the transport's own session (it stays usable)."""
        if self._owns_session:
            self.session.close()


class _Adapter(HTTPAdapter):
    """requests' adapter, its pools handing out connections as :mod:`vtorm.http_pool` says."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Make the pool manager, then give it the pool classes of the connection policy."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = http_pool.pool_classes()


def _plain(session: requests.Session) -> bool:
    """Whether ``session`` adds nothing that only ``Session.request`` applies.

    Hooks, authentication, default parameters or reading the environment per
    request take the whole way through requests; without them a request is
    handed to the pool the session's adapter picks, which saves a quarter of
    a millisecond per call (see docs/client.md).
    """
    return (
        session.auth is None
        and not session.hooks.get("response")
        and not session.params
        and not session.trust_env
    )


def _send(
    session: requests.Session, adapter: HTTPAdapter, request: Request, verify: bool | str
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of ``request`` sent as requests would.

    What ``Session.request`` and ``HTTPAdapter.send`` do for such a session,
    without building the objects nobody reads: the session's headers,
    cookies, proxies and client certificate; the adapter's choice of pool
    (TLS settings, proxy) and its retry setting (none); no redirects.
    """
    headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)
    headers.update(request.headers)
    body = request.content or None
    if body is not None or request.method != "GET":
        headers["Content-Length"] = str(len(request.content))
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    prepared.url = request.url
    prepared.headers = headers
    prepared.body = body
    if session.cookies:  # cookielib's header building costs even with an empty jar
        prepared.prepare_cookies(session.cookies)
    proxies = session.proxies
    pool = cast(
        HTTPConnectionPool,
        adapter.get_connection_with_tls_context(
            prepared, verify, proxies=proxies, cert=session.cert
        ),
    )
    # Checks the CA bundle and client certificate files, as HTTPAdapter.send does.
    cast(Any, adapter).cert_verify(pool, request.url, verify, session.cert)
    answer = pool.urlopen(
        method=request.method,
        url=adapter.request_url(prepared, proxies),
        body=body,
        headers=headers,
        redirect=False,
        assert_same_host=False,
        preload_content=True,
        decode_content=True,
        retries=adapter.max_retries,
        timeout=Timeout(connect=request.timeout, read=request.timeout),
    )
    if "set-cookie" in answer.headers:
        # The session keeps them, as Session.send does (the function is untyped).
        cast(Any, extract_cookies_to_jar)(session.cookies, prepared, answer)
    names = {name.lower(): value for name, value in answer.headers.itermerged()}
    return answer.status, names, answer.data


def _new_session(url: str) -> requests.Session:
    session = requests.Session()
    # With trust_env, requests scans every environment variable on each
    # request to find proxies: about a millisecond a call, more than the
    # emulator takes to answer. Read the proxies for this URL once instead.
    session.proxies.update(get_environ_proxies(url))
    session.trust_env = False
    adapter = _Adapter(pool_connections=4, pool_maxsize=_POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = _user_agent()
    return session


@contextlib.contextmanager
def map_requests_exceptions(request: Request) -> Iterator[None]:
    """Turn the exceptions of requests and urllib3 into vtorm's transport errors.

    Whether the request may have reached the server is decided here, once:
    only a failure to open the connection (refused, unresolvable, connect
    timeout, TLS handshake, proxy) proves that nothing was sent.
    """
    try:
        yield
    except requests.RequestException as exc:
        kind = _kind(exc)
        reason = _innermost(exc)
        raise transport_error(
            kind, request, f"{type(exc).__name__}: {reason}", hint=_hint(kind, reason, request)
        ) from None
    except HTTPError as exc:  # urllib3's own, from a request sent without Session.request
        kind, name = _urllib3_kind(exc)
        reason = _innermost(exc)
        raise transport_error(
            kind, request, f"{name}: {reason}", hint=_hint(kind, reason, request)
        ) from None


# urllib3 starts its messages with the pool that failed; the URL is known already.
_POOL_PREFIX = re.compile(r"^\(?\w+\(host='[^']*', port=\d+\)(: |, )")


def _innermost(exc: BaseException) -> str:
    """The lowest layer's own words, out of requests' and urllib3's wrappings.

    ``ConnectionError(MaxRetryError(NewConnectionError("...: [Errno 111]
    Connection refused")))`` says no more than ``[Errno 111] Connection refused``.
    """
    inner = exc
    for _ in range(6):
        if isinstance(inner, MaxRetryError) and inner.reason is not None:
            inner = inner.reason
        elif inner.args and isinstance(inner.args[0], BaseException):
            inner = inner.args[0]
        else:
            break
    text = _POOL_PREFIX.sub("", str(inner))
    return text.removeprefix("Failed to establish a new connection: ") or type(inner).__name__


def _hint(kind: type[TransportError], reason: str, request: Request) -> str:
    """What the user can do about a failure to reach the CRM at all."""
    where = urllib.parse.urlsplit(request.url)
    if kind is ConnectError and "resolve" in reason:
        return f"the host name {where.hostname!r} is not known: check the URL (VTIGER_URL)"
    if kind is ConnectError and "refused" in reason.lower():
        return (
            f"nothing answers at {where.netloc}: check that the CRM runs there and that "
            "the URL (VTIGER_URL) is right"
        )
    if kind is TLSError and "CERTIFICATE_VERIFY_FAILED" in reason:
        return (
            "the server's certificate is not trusted: for a private certificate authority "
            "give Client(..., verify='/path/to/ca-bundle.pem')"
        )
    if kind is TLSError and where.scheme == "https":
        return (
            f"{where.netloc} may not speak TLS: for a CRM served without it, the URL "
            "starts with http://"
        )
    return ""


def _kind(exc: requests.RequestException) -> type[TransportError]:
    # SSLError and ConnectTimeout are ConnectionErrors too: the order matters.
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSError
    if isinstance(exc, requests.ConnectTimeout):
        return ConnectTimeout
    if isinstance(exc, requests.ReadTimeout):
        return ReadTimeout
    if isinstance(exc, requests.exceptions.ProxyError):
        return ConnectError
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", cause)  # inside urllib3's MaxRetryError
        if isinstance(reason, NewConnectionError):  # refused, unresolvable, unreachable
            return ConnectError
        if isinstance(reason, ConnectTimeoutError):
            return ConnectTimeout
        if isinstance(reason, ReadTimeoutError):
            return ReadTimeout
        return ConnectionLost
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return ConnectionLost
    invalid = (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
    )
    if isinstance(exc, invalid):  # refused before anything was sent
        return ConnectError
    return TransportError


def _urllib3_kind(exc: HTTPError) -> tuple[type[TransportError], str]:
    """The decision of :func:`_kind` on what requests would have wrapped, and its class name.

    The name keeps the messages what they are through ``Session.request``.
    """
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, SSLError):
        return TLSError, "SSLError"
    if isinstance(reason, ProxyError):
        return ConnectError, "ProxyError"
    if isinstance(reason, LocationValueError):
        return ConnectError, "InvalidURL"
    # NewConnectionError is a ConnectTimeoutError too: the order matters.
    if isinstance(reason, NewConnectionError):
        return ConnectError, "ConnectionError"
    if isinstance(reason, ConnectTimeoutError):
        return ConnectTimeout, "ConnectTimeout"
    if isinstance(reason, ReadTimeoutError):
        return ReadTimeout, "ReadTimeout" if reason is exc else "ConnectionError"
    if isinstance(reason, ProtocolError):
        return ConnectionLost, "ConnectionError"
    return TransportError, type(exc).__name__
