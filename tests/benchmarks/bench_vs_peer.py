"""vtorm next to a hand-written client, doing the same jobs against the same CRM.

The hand-written client is vtigerpy (``pip install 'vtorm[bench]'``), which
sends each call with ``requests.post``/``requests.get`` (a new connection per
call); without it, a plain loop doing just that. Both do, on their own records:

* create N Contacts one by one (vtorm: ``Contacts(...).save()``);
* read the N back (vtorm: typed instances of a QuerySet; the peer: a
  ``LIMIT offset, 100`` loop, the rows as dicts), best of three;
* revise one field of each (vtorm: change the attribute, ``save()``);
* create N and revise N again with 8 workers (vtorm: ``bulk_create`` and
  ``bulk_update``; the peer: a thread pool of 8).

The CRM is the embedded one in a child process, whose workers stay busy
``--linger`` seconds after a write as Apache's do (default 0.03), with
``--connect-cost S`` behind a relay whose new connections take S seconds to
open (as TLS handshakes over a long round trip would), or the real
one given by ``VTIGER_URL``, ``VTIGER_USERNAME`` and ``VTIGER_ACCESS_KEY``
with ``--real``. Every record is marked (``vtorm-bench-<random>`` in its last
name) and deleted at the end. Prints one table: the time of each job per
record (total for the reads), and how many times faster vtorm was.

Run: ``python tests/benchmarks/bench_vs_peer.py [--count 200] [--linger 0.03]
[--connect-cost 0.03] [--real]``
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import platform
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from crm_child import crm_in_child  # noqa: E402
from crm_models import Contacts  # noqa: E402

import vtorm  # noqa: E402

WORKERS = 8
PAGE = 100
# Reads are repeated, alternately: the best time of each is shown, without the
# one-time costs of a first read in the process (vtorm compiles its row builder).
READS = 3


class PlainPeer:
    """What vtigerpy does, for when it is not installed: ``requests.post``/``get`` per call."""

    name = "plain requests loop (requests.post per call)"

    def __init__(self, endpoint: str, username: str, access_key: str) -> None:
        import hashlib

        self.endpoint = endpoint
        url = endpoint + "/webservice.php"
        challenge = requests.post(f"{url}?operation=getchallenge&username={username}")
        token = challenge.json()["result"]["token"]
        key = hashlib.md5((token + access_key).encode()).hexdigest()
        login = requests.post(
            url, data={"operation": "login", "username": username, "accessKey": key}
        )
        self.session_name = login.json()["result"]["sessionName"]

    def post(self, operation: str, **params: Any) -> requests.Response:
        data = {"operation": operation, "sessionName": self.session_name, **params}
        return requests.post(self.endpoint + "/webservice.php", data)

    def get(self, operation: str, **params: Any) -> requests.Response:
        data = {"operation": operation, "sessionName": self.session_name, **params}
        return requests.get(self.endpoint + "/webservice.php", params=data)


def make_peer(endpoint: str, username: str, access_key: str) -> tuple[Any, str]:
    """vtigerpy's client when installed, else :class:`PlainPeer`; and its name."""
    try:
        from vtigerpy import Vtiger  # type: ignore[import-not-found]
    except ImportError:
        return PlainPeer(endpoint, username, access_key), PlainPeer.name
    return Vtiger(endpoint, username, access_key), "vtigerpy 0.0.1 (requests.post per call)"


def result(response: requests.Response) -> Any:
    """The result of a peer's call, or an error saying what the server answered."""
    body = response.json()
    if not body.get("success"):
        raise RuntimeError(f"the peer's call failed: {body}")
    return body["result"]


class PeerJobs:
    """The jobs, written by hand over the peer's client."""

    def __init__(self, peer: Any, mark: str) -> None:
        self.peer = peer
        self.mark = mark
        self.ids: list[str] = []

    def element(self, i: int) -> str:
        return json.dumps(
            {
                "lastname": f"{self.mark} {i:05}",
                "firstname": "Peer",
                "email": f"peer{i}@example.com",
                "assigned_user_id": "19x1",
            }
        )

    def create_one(self, i: int) -> str:
        created = result(self.peer.post("create", elementType="Contacts", element=self.element(i)))
        return str(created["id"])

    def create(self, count: int) -> None:
        self.ids = [self.create_one(i) for i in range(count)]

    def create_parallel(self, count: int) -> None:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            self.ids = list(pool.map(self.create_one, range(count)))

    def read(self) -> int:
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            query = (
                f"SELECT * FROM Contacts WHERE lastname LIKE '{self.mark}%' "
                f"ORDER BY id LIMIT {offset}, {PAGE};"
            )
            page = result(self.peer.get("query", query=query))
            rows.extend(dict(row) for row in page)
            if len(page) < PAGE:
                return len(rows)
            offset += PAGE

    def revise_one(self, record: str) -> None:
        result(self.peer.post("revise", element=json.dumps({"id": record, "title": "Revised"})))

    def revise(self) -> None:
        for record in self.ids:
            self.revise_one(record)

    def revise_parallel(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(self.revise_one, self.ids))


class VtormJobs:
    """The same jobs with vtorm's models."""

    def __init__(self, client: vtorm.Client, mark: str) -> None:
        self.client = client
        self.mark = mark
        self.objs: list[Contacts] = []

    def new(self, i: int) -> Contacts:
        return Contacts(
            lastname=f"{self.mark} {i:05}",
            firstname="Vtorm",
            email=f"vtorm{i}@example.com",
            assigned_user_id="19x1",
        )

    def create(self, count: int) -> None:
        self.objs = []
        for i in range(count):
            obj = self.new(i)
            obj.save(client=self.client)
            self.objs.append(obj)

    def create_parallel(self, count: int) -> None:
        self.objs = [self.new(i) for i in range(count)]
        Contacts.objects.using(self.client).bulk_create(
            self.objs, workers=WORKERS
        ).raise_for_failures()

    def read(self) -> int:
        matching = Contacts.objects.using(self.client).filter(lastname__startswith=self.mark)
        return sum(1 for _ in matching)

    def revise(self) -> None:
        for obj in self.objs:
            obj.title = "Revised"
            obj.save(client=self.client)

    def revise_parallel(self) -> None:
        for obj in self.objs:
            obj.title = "Revised again"
        Contacts.objects.using(self.client).bulk_update(
            self.objs, ["title"], workers=WORKERS
        ).raise_for_failures()

    @property
    def ids(self) -> list[str]:
        return [str(obj.id) for obj in self.objs if obj.id]


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


@contextlib.contextmanager
def target(args: argparse.Namespace) -> Iterator[tuple[str, str, str, str]]:
    """(base URL, user name, access key, description) of the CRM to measure against."""
    if args.real:
        names = ("VTIGER_URL", "VTIGER_USERNAME", "VTIGER_ACCESS_KEY")
        missing = [name for name in names if not os.environ.get(name)]
        if missing:
            raise SystemExit(f"--real needs {', '.join(missing)} in the environment")
        url, user, key = (os.environ[name] for name in names)
        yield url.rstrip("/").removesuffix("/webservice.php"), user, key, "a real CRM"
        return
    with crm_in_child(linger=args.linger) as (url, user, key):
        where = f"the embedded CRM (linger {args.linger * 1000:g} ms) in a child process"
        if args.connect_cost:
            proxy = SlowConnectProxy(url, args.connect_cost)
            url = proxy.url
            where += f", each new connection taking {args.connect_cost * 1000:g} ms to open"
        yield url.removesuffix("/webservice.php"), user, key, where


class SlowConnectProxy:
    """A local TCP relay in front of the CRM whose new connections take ``delay`` s to open.

    It stands for a remote CRM behind TLS, where a new connection costs
    handshakes over a long round trip: kept-alive connections relay at once.
    """

    def __init__(self, upstream: str, delay: float) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=511)
        port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{parts.path}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        time.sleep(self.delay)
        with client, socket.create_connection(self.upstream) as server:
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            back = threading.Thread(target=_pipe, args=(server, client), daemon=True)
            back.start()
            _pipe(client, server)
            back.join()

    def close(self) -> None:
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def delete_all(client: vtorm.Client, ids: list[str]) -> None:
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(client.delete, ids))


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, requests {requests.__version__}"
    )


def main() -> None:
    """Run the jobs and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="records per job")
    parser.add_argument(
        "--linger",
        type=float,
        default=0.03,
        help="seconds the embedded CRM stays busy after a write",
    )
    parser.add_argument(
        "--connect-cost",
        type=float,
        default=0.0,
        help="seconds a new connection to the embedded CRM takes to open "
        "(a relay in front of it, standing for TLS over a long round trip)",
    )
    parser.add_argument(
        "--lifo",
        action="store_true",
        help="give vtorm a plain requests.Session (one connection reused, last in first out)",
    )
    parser.add_argument(
        "--real", action="store_true", help="measure against VTIGER_URL instead of the embedded CRM"
    )
    args = parser.parse_args()
    n = args.count
    with target(args) as (base, user, key, where):
        # --lifo: a plain requests.Session, whose pool always reuses the connection
        # released last (what vtorm did before its connection policy).
        session = requests.Session() if args.lifo else None
        client = vtorm.Client(base, user, key, session=session)
        client.login()
        peer, peer_name = make_peer(base, user, key)
        token = secrets.token_hex(4)
        ours = VtormJobs(client, f"vtorm-bench-{token}-v")
        theirs = PeerJobs(peer, f"vtorm-bench-{token}-p")
        ours2 = VtormJobs(client, f"vtorm-bench-{token}-V")
        theirs2 = PeerJobs(peer, f"vtorm-bench-{token}-P")
        rows: list[tuple[str, float, float, str]] = []
        made: list[str] = []
        try:
            v, p = timed(lambda: ours.create(n)), timed(lambda: theirs.create(n))
            made += ours.ids + theirs.ids
            rows.append(("create one by one", v / n, p / n, "ms/record"))
            counted: dict[str, int] = {}
            reads = [
                (
                    timed(lambda: counted.__setitem__("v", ours.read())),
                    timed(lambda: counted.__setitem__("p", theirs.read())),
                )
                for _ in range(READS)
            ]
            if counted != {"v": n, "p": n}:
                raise RuntimeError(f"read back {counted}, expected {n} each")
            v, p = min(r[0] for r in reads), min(r[1] for r in reads)
            rows.append((f"read {n} back (best of {READS})", v, p, "ms"))
            v, p = timed(ours.revise), timed(theirs.revise)
            rows.append(("revise one field each", v / n, p / n, "ms/record"))
            v = timed(lambda: ours2.create_parallel(n))
            p = timed(lambda: theirs2.create_parallel(n))
            made += ours2.ids + theirs2.ids
            rows.append((f"create, {WORKERS} workers", v / n, p / n, "ms/record"))
            v, p = timed(ours2.revise_parallel), timed(theirs2.revise_parallel)
            rows.append((f"revise, {WORKERS} workers", v / n, p / n, "ms/record"))
        finally:
            made = list(dict.fromkeys(made + ours.ids + theirs.ids + ours2.ids + theirs2.ids))
            delete_all(client, made)
            client.close()
    print(f"{n} records per job against {where}")
    print(f"machine: {machine()}")
    print(f"peer: {peer_name}")
    if args.lifo:
        print("vtorm: through a plain requests.Session (urllib3's LIFO pool)")
    print()
    print("| job | vtorm | peer | vtorm is |")
    print("|---|---|---|---|")
    for job, v, p, unit in rows:
        print(f"| {job} | {v * 1000:.1f} {unit} | {p * 1000:.1f} {unit} | {p / v:.2f}x as fast |")
    print(f"\n{len(made)} marked records deleted")


if __name__ == "__main__":
    main()
