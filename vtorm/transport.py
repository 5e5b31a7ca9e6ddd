"""The seam under :class:`vtorm.Client`: a request goes in, a response comes out.

A :class:`Request` is the exact wire form of one call — method, URL with its
query string, body bytes — built once by :func:`build_request`, so every
transport sends the same bytes. A transport (:class:`BaseTransport`) carries
it and returns the :class:`Response`, or raises a
:class:`~vtorm.errors.TransportError` subclass saying why no answer came.
What the answer means is not its business. :class:`~vtorm.http_transport.HTTPTransport`
speaks HTTP; :class:`vtorm.testing.InProcessTransport` hands the same bytes
to the embedded CRM without a socket.
"""

from __future__ import annotations

import abc
import urllib.parse
from collections.abc import Mapping
from types import TracebackType

import attrs
from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from vtorm.errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    ReadTimeout,
    TLSError,
    TransportError,
)
from vtorm.operations import Method
from vtorm.redaction import redact

__all__ = [
    "BaseTransport",
    "Files",
    "Request",
    "Response",
    "build_request",
    "endpoint_url",
    "transport_error",
]

#: Form field -> (file name, content[, content type]), sent as multipart/form-data.
Files = Mapping[str, tuple[str, bytes] | tuple[str, bytes, str]]

_ENDPOINT = "webservice.php"
_FORM = "application/x-www-form-urlencoded"
# How much of a lower layer's explanation a transport error quotes.
_MAX_REASON = 300


@attrs.frozen
class Request:
    """One request as it goes on the wire.

    ``url`` holds the query string, ``content`` the body (empty for GET) and
    ``headers`` its ``Content-Type``. ``timeout`` is in seconds, for the
    connection and for the answer; ``operation`` names the call in messages.
    """

    method: Method
    url: str
    headers: Mapping[str, str]
    content: bytes
    timeout: float
    operation: str


@attrs.frozen
class Response:
    """The answer to a :class:`Request`: status, headers (names in lower case), body."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    request: Request


class BaseTransport(abc.ABC):
    """Carries a :class:`Request` to the server and brings back its :class:`Response`.

    :meth:`handle_request` raises a :class:`~vtorm.errors.TransportError`
    subclass when no answer came (:class:`~vtorm.errors.ConnectError`,
    :class:`~vtorm.errors.ConnectTimeout`, :class:`~vtorm.errors.ReadTimeout`,
    :class:`~vtorm.errors.ConnectionLost`, :class:`~vtorm.errors.TLSError`);
    any status, 4xx and 5xx included, is a response. One transport may serve
    many threads at once, and stays usable after :meth:`close`.
    """

    @abc.abstractmethod
    def handle_request(self, request: Request) -> Response:
        """Send ``request`` and return the server's answer."""

    def close(self) -> None:  # noqa: B027 - a transport holding nothing has nothing to close
        """Release what the transport holds open (connections, threads)."""

    def __enter__(self) -> BaseTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def endpoint_url(url: str) -> str:
    """The ``.../webservice.php`` URL of a CRM, given its base URL or that URL itself.

    A URL without ``http://`` or ``https://`` is refused at once (``ValueError``):
    requests would fail on it at every attempt in a way that reads like a
    network fault.
    """
    base = url.strip()
    parts = urllib.parse.urlsplit(base)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"Client: url {url!r} does not start with http:// or https://; "
            f"write e.g. 'https://{base.split('://')[-1]}' (or 'http://' for a CRM without TLS)"
        )
    base = base.rstrip("/")
    if base.endswith(_ENDPOINT):
        return base
    return base + "/" + _ENDPOINT


def build_request(
    method: Method,
    url: str,
    fields: Mapping[str, str],
    *,
    files: Files | None = None,
    timeout: float,
    operation: str,
) -> Request:
    """The wire form of a call: ``fields`` in the query string (GET) or the body (POST).

    A POST body is form-encoded, or multipart/form-data when ``files`` are
    given (how a Documents record gets its file). The encoding is the one
    requests applies to ``params=``/``data=``/``files=``.
    """
    if method == "GET":
        if files:
            raise ValueError(f"{operation}: files travel in a POST body, not with GET")
        query = urllib.parse.urlencode(fields)
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        target = url + separator + query if query else url
        return Request(method, target, {}, b"", timeout, operation)
    if files:
        content, content_type = _multipart(fields, files)
    else:
        content, content_type = urllib.parse.urlencode(fields).encode("ascii"), _FORM
    return Request(method, url, {"Content-Type": content_type}, content, timeout, operation)


def _multipart(fields: Mapping[str, str], files: Files) -> tuple[bytes, str]:
    parts: list[RequestField] = [
        RequestField.from_tuples(name, value.encode("utf-8")) for name, value in fields.items()
    ]
    for name, spec in files.items():
        part = RequestField(name=name, data=spec[1], filename=spec[0])
        part.make_multipart(content_type=spec[2] if len(spec) == 3 else None)
        parts.append(part)
    return encode_multipart_formdata(parts)


def transport_error(
    kind: type[TransportError],
    request: Request,
    reason: str,
    *,
    sent: bool | None = None,
    hint: str = "",
) -> TransportError:
    """An error of ``kind`` for ``request``, worded the same by every transport.

    ``reason`` is the lower layer's explanation; session ids in it are shortened.
    ``hint`` says what the user may do about it.
    """
    if kind is ReadTimeout:
        what = f"no answer within {request.timeout:g} s"
    else:
        what = _WHAT.get(kind, "request failed")
    text = redact(reason)
    if len(text) > _MAX_REASON:
        text = text[:_MAX_REASON] + "..."
    advice = f": {hint}" if hint else ""
    return kind(
        f"{request.operation}: {what} ({text}){advice}", operation=request.operation, sent=sent
    )


_WHAT: dict[type[TransportError], str] = {
    ConnectError: "connection failed",
    ConnectTimeout: "connection timed out",
    TLSError: "TLS handshake failed",
    ConnectionLost: "connection lost",
}
