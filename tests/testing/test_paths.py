"""Which request paths reach webservice.php: what a stock 8.4 behind Apache 2.4 answered."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from vtorm.testing import Emulator
from vtorm.testing.paths import ENDPOINT, endpoint_status

# Each path with the status the real server gave it (the endpoint's own answer: 200).
SEEN_ON_84 = [
    ("/webservice.php", 200),
    ("/webservice.php/", 200),
    ("/webservice.php/extra", 200),  # PATH_INFO: the script runs and ignores it
    ("/webservice.php/.", 200),
    ("//webservice.php", 200),
    ("/./webservice.php", 200),
    ("/modules/../webservice.php", 200),
    ("/a/b/../../webservice.php", 200),
    ("//crm/../webservice.php", 200),
    ("/modules/%2e%2e/webservice.php", 200),
    ("/webservice%2Ephp", 200),
    ("/webservice.php/../webservice.php", 200),
    ("http://x/webservice.php", 200),
    ("/crm/webservice.php", 404),
    ("/xwebservice.php", 404),
    ("/crm/xwebservice.php", 404),
    ("/Webservice.php", 404),
    ("/WEBSERVICE.php", 404),
    ("/webservice.php.bak", 404),
    ("/webservice.php;x", 404),
    ("/webservice.php%20", 404),
    ("/webservice.php%3Fx", 404),
    ("/webservice.php%00", 404),
    ("/webservice.php%2Fx", 404),
    ("/webservice.php/x%2Fy", 404),
    ("/index.php", 404),
    ("/../webservice.php", 400),
    ("/%2e%2e/webservice.php", 400),
    ("/webservice.php%zz", 400),
    ("webservice.php", 400),
]


@pytest.mark.parametrize(("path", "status"), SEEN_ON_84)
def test_each_path_gets_the_status_the_real_server_gave(path: str, status: int) -> None:
    assert endpoint_status(path) == status


def test_the_emulators_own_url_is_the_endpoint() -> None:
    with Emulator() as crm:
        path = urlsplit(crm.url).path
    assert path == ENDPOINT == "/webservice.php"
    assert endpoint_status(path) == 200
