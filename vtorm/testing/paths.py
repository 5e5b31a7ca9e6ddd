"""Which request targets reach ``webservice.php``, as Apache in front of Vtiger 8.4 decides.

The emulator serves the CRM at the root of its host, so its endpoint is
``/webservice.php``. Apache answers 404 for any other file (``/crm/webservice.php``,
``/xwebservice.php``, ``/Webservice.php``) and runs the script for what maps
onto it: repeated slashes are merged, ``.`` and ``..`` segments resolved (also
when percent-encoded), escapes decoded, and anything after
``/webservice.php/`` is PATH_INFO the script ignores. It refuses with 400 a
malformed escape, a ``..`` above the root and a target not starting with
``/``; an encoded ``/`` or NUL is 404. (Checked against a stock 8.4 on
Apache 2.4: ``/webservice.php/extra`` and ``/modules/../webservice.php``
answer the endpoint.) The emulator has no other page: where the real server
redirects (the site root) it answers 404.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

__all__ = ["ENDPOINT", "endpoint_status"]

#: The path of the endpoint on the emulator's host.
ENDPOINT: Final = "/webservice.php"
_SCRIPT: Final = ENDPOINT[1:]
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_REFUSED_ESCAPE: Final = re.compile(r"%(?:2[Ff]|00)")


def endpoint_status(path: str) -> int:
    """200 when the request path ``path`` (no query string) runs the endpoint, else 404 or 400."""
    if path.startswith(("http://", "https://")):  # absolute-form: the path part counts
        path = urlsplit(path).path or "/"
    if path == ENDPOINT:  # the one the client sends
        return 200
    if not path.startswith("/") or _BAD_ESCAPE.search(path):
        return 400
    if _REFUSED_ESCAPE.search(path):
        return 404
    segments: list[str] = []
    for segment in unquote(path, errors="surrogateescape").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                return 400
            segments.pop()
        else:
            segments.append(segment)
    return 200 if segments[:1] == [_SCRIPT] else 404
