"""``HTTPTransport``: requests to a real CRM over HTTP(S), through ``requests``.

Everything vtorm knows about HTTP clients lives here: one keep-alive
``requests.Session`` per client, proxies and CA bundle read from the
environment once, TLS verified by default, redirects never followed (a
redirected POST would lose its body), and the one place where the exceptions
of requests and urllib3 become vtorm's typed transport errors
(:func:`map_requests_exceptions`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

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
        with map_requests_exceptions(request):
            answer = self.session.request(
                request.method,
                request.url,
                data=request.content or None,
                headers=dict(request.headers),
                timeout=request.timeout,
                verify=verify,
                allow_redirects=False,
            )
            content = answer.content  # read inside: the body may break off too
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return Response(answer.status_code, headers, content, request)

    def close(self) -> None:
        """Close the pooled connections of the transport's own session (it stays usable)."""
        if self._owns_session:
            self.session.close()


def _new_session(url: str) -> requests.Session:
    session = requests.Session()
    # With trust_env, requests scans every environment variable on each
    # request to find proxies: about a millisecond a call, more than the
    # emulator takes to answer. Read the proxies for this URL once instead.
    session.proxies.update(get_environ_proxies(url))
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE)
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
        raise transport_error(_kind(exc), request, f"{type(exc).__name__}: {exc}") from None


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
