"""The emulator as an HTTP server: start/stop, envelope, operation dispatch."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from emulator_wire import FIXTURES, Wire

from vtorm.testing import Emulator


def test_starts_on_a_free_port_and_stops() -> None:
    with Emulator() as crm:
        assert crm.url.startswith("http://127.0.0.1:")
        assert crm.url.endswith("/webservice.php")
        url = crm.url
        assert requests.get(url, params={"operation": "getchallenge", "username": "admin"}).ok
    try:
        requests.get(url, params={"operation": "getchallenge", "username": "admin"}, timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the stopped emulator still answers")


def test_access_key_never_in_repr() -> None:
    crm = Emulator(access_key="k" * 16)
    assert crm.access_key == "k" * 16
    assert "k" * 16 not in repr(crm)
    keys = {Emulator().access_key for _ in range(20)}
    assert len(keys) == 20
    # Alphanumeric like Vtiger's own: never read as a command-line option.
    assert all(len(k) == 16 and k.isalnum() for k in keys)


def test_login_then_retrieve_a_created_record(wire: Wire) -> None:
    created = wire.create("Contacts", lastname="Smith", assigned_user_id="19x1")
    body = wire.get("retrieve", id=created["id"])
    assert body["success"] is True
    assert body["result"] == created


def _raw_exchange(crm: Emulator, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", crm.port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_tls_handshake_is_refused_at_once(crm: Emulator) -> None:
    # A TLS ClientHello has no newline to wait for: the answer must not wait.
    answer = _raw_exchange(crm, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert crm.calls == []


def test_request_line_longer_than_apache_allows_is_414(crm: Emulator) -> None:
    ids = ",".join(f"'12x{n}'" for n in range(1040))
    query = f"SELECT id FROM Contacts WHERE id IN ({ids});"
    response = requests.get(crm.url, params={"operation": "query", "query": query}, timeout=5)
    assert response.status_code == 414
    assert response.content == (FIXTURES / "query-long-url-1040-ids.raw").read_bytes()
    assert crm.calls == []


def test_other_paths_and_methods(crm: Emulator) -> None:
    base = crm.url.removesuffix("/webservice.php")
    assert requests.get(base + "/index.php", timeout=5).status_code == 404
    assert requests.put(crm.url, data="x", timeout=5).status_code == 501


def _get(crm: Emulator, target: str) -> tuple[str, bytes]:
    """The status line and body of a GET of ``target`` sent as written (no normalising)."""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    head, _, body = _raw_exchange(crm, request.encode()).partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


@pytest.mark.parametrize(
    "path", ["/crm/webservice.php", "/xwebservice.php", "/crm/xwebservice.php", "/Webservice.php"]
)
def test_a_path_that_is_not_the_endpoint_is_apaches_404(crm: Emulator, path: str) -> None:
    status, body = _get(crm, path + "?operation=getchallenge&username=admin")
    assert status == "HTTP/1.1 404 Not Found"
    assert b"<title>404 Not Found</title>" in body
    assert b"The requested URL was not found on this server." in body
    assert crm.calls == []  # nothing reached the web service


@pytest.mark.parametrize(
    "path", ["/webservice.php", "/webservice.php/extra", "//webservice.php", "/a/../webservice.php"]
)
def test_what_apache_maps_onto_the_endpoint_is_served(crm: Emulator, path: str) -> None:
    status, body = _get(crm, path + "?operation=getchallenge&username=admin")
    assert status == "HTTP/1.1 200 OK"
    assert json.loads(body)["result"]["token"]
    assert [name for name, _ in crm.calls] == ["getchallenge"]


def test_a_target_apache_cannot_map_is_400(crm: Emulator) -> None:
    status, body = _get(crm, "/../webservice.php?operation=getchallenge&username=admin")
    assert status == "HTTP/1.1 400 Bad Request"
    assert b"<title>400 Bad Request</title>" in body
    assert crm.calls == []


def test_keep_alive_serves_many_requests_on_one_connection(wire: Wire) -> None:
    sockets = set()

    def remember(response: requests.Response, *args: object, **kwargs: object) -> None:
        sock = getattr(response.raw, "_connection", None)
        sockets.add(id(getattr(sock, "sock", None)))

    wire.http.hooks["response"].append(remember)
    for _ in range(20):
        assert wire.get("retrieve", id="19x1")["success"] is True
    assert len(sockets) == 1


def test_concurrent_clients(crm: Emulator) -> None:
    # Logins go one after the other: a new challenge replaces the user's token.
    clients = []
    for _ in range(16):
        client = Wire(crm)
        assert client.login()["success"]
        clients.append(client)

    def work(n: int) -> str:
        client = clients[n]
        made = client.create("Accounts", accountname=f"A{n}", assigned_user_id="19x1")
        body = client.get("retrieve", id=made["id"])
        client.http.close()
        name: str = body["result"]["accountname"]
        return name

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = sorted(pool.map(work, range(16)))
    assert names == sorted(f"A{n}" for n in range(16))
    numbers = [
        row["account_no"]
        for row in crm.state.store.execute('SELECT account_no FROM "mod_Accounts"')
    ]
    assert sorted(numbers) == sorted(f"ACC{n}" for n in range(1, 17))


def test_error_envelope_bytes_as_recorded(crm: Emulator) -> None:
    # The message comes before the code, and the typo is the server's own.
    response = requests.get(crm.url, params={"operation": "retrieve", "id": "12x8"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == (FIXTURES / "session-missing-retrieve.json").read_bytes()
