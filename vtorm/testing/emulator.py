"""``Emulator``: a Vtiger-compatible CRM on 127.0.0.1 for tests and offline work."""

from __future__ import annotations

import contextlib
import importlib
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from vtorm.testing.faults import FaultPlan
from vtorm.testing.paths import ENDPOINT
from vtorm.testing.schema import ModuleSchema, load_schemas
from vtorm.testing.server import Dispatcher, WebServiceServer
from vtorm.testing.state import SESSION_IDLE, CrmState, User

__all__ = ["Emulator"]

# Schemas parsed once per process: a fresh emulator per test stays cheap.
_SCHEMAS: dict[str | None, dict[str, ModuleSchema]] = {}
_SCHEMAS_LOCK = threading.Lock()


def cached_schemas(directory: str | Path | None = None) -> dict[str, ModuleSchema]:
    """The schemas of ``directory`` (the stock modules by default), read once per process."""
    key = str(Path(directory).resolve()) if directory is not None else None
    with _SCHEMAS_LOCK:
        found = _SCHEMAS.get(key)
        if found is None:
            found = _SCHEMAS[key] = load_schemas(directory)
        return found


def _linger(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"linger must be a number of seconds, not {value!r}")
    if not 0 <= value < float("inf"):
        raise ValueError(f"linger must be 0 or more seconds, not {value!r}")
    return float(value)


def _quirks(value: str | None) -> str | None:
    if value is None or value.lower() in ("none", ""):
        return None
    if value != "8.4":
        raise ValueError(f"quirks must be '8.4' or None, not {value!r}")
    return value


class Emulator:
    """A real HTTP server answering ``/webservice.php`` like a stock Vtiger 8.4.

    Use it as a context manager (or call :meth:`start` / :meth:`stop`)::

        with Emulator() as crm:
            client = vtorm.Client(crm.url, crm.username, crm.access_key)

    ``port=0`` picks a free port; ``schema_dir`` emulates the modules of a
    describe dump; ``db_path`` keeps the data in a SQLite file; ``demo``
    seeds demo data; ``quirks="8.4"`` reproduces stock 8.4 on PHP 8 and
    ``None`` the designed behaviour; ``access_key`` defaults to a random one;
    a session unused for ``session_idle`` seconds ends (``None``: never).
    ``linger`` (seconds, default 0) models a real server's worker that stays
    busy after answering a write: a request sent on the same connection in
    that time waits, one on another connection does not.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        schema_dir: str | Path | None = None,
        db_path: str | Path | None = None,
        demo: bool = False,
        quirks: str | None = "8.4",
        username: str = "admin",
        access_key: str | None = None,
        session_idle: float | None = SESSION_IDLE,
        linger: float = 0.0,
    ) -> None:
        self.host = host
        self._linger = _linger(linger)
        self.port = port
        self.demo = demo
        self.quirks = _quirks(quirks)
        self.state = CrmState(
            cached_schemas(schema_dir),
            db_path=str(db_path) if db_path is not None else None,
            quirks=self.quirks,
            username=username,
            access_key=access_key,
            session_idle=session_idle,
        )
        # Kept by the emulator, not the server: readable before start and after stop.
        self._calls: list[tuple[str, dict[str, str]]] = []
        self._served: list[tuple[int, str]] = []
        self._faults = FaultPlan()
        self._dispatcher = Dispatcher(self.state, faults=self._faults, calls=self._calls)
        self._server: WebServiceServer | None = None
        self._thread: threading.Thread | None = None
        self._seeded = False

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<Emulator {where} user={self.username!r}>"

    # -- credentials ------------------------------------------------------------------

    @property
    def username(self) -> str:
        """The administrator's user name."""
        return self.state.admin.user_name

    @property
    def access_key(self) -> str:
        """The administrator's access key."""
        return self.state.admin.access_key

    @property
    def url(self) -> str:
        """The endpoint, ``http://<host>:<port>/webservice.php``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{self.host}:{self.port}{ENDPOINT}"

    @property
    def dispatcher(self) -> Dispatcher:
        """What answers each request, over HTTP or through an ``InProcessTransport``.

        It serves whether or not the HTTP server runs.
        """
        if self.demo and not self._seeded:
            self._seed()
        return self._dispatcher

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            return self
        if self.demo and not self._seeded:
            self._seed()
        server = WebServiceServer(
            (self.host, self.port), self._dispatcher, linger=self._linger, served=self._served
        )
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vtorm-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _seed(self) -> None:
        demo: Any = importlib.import_module("vtorm.testing.demo")
        demo.seed(self.state)
        self._seeded = True

    def stop(self) -> None:
        """Stop serving and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        # Wake the serving loop at once rather than at its next poll.
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=1),
        ):
            pass
        stopper.join(timeout=5)
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (``vtorm serve``)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- observation and faults -------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, str]]]:
        """The ``(operation, params)`` received, in order; secrets left out."""
        return self._calls

    def add_user(
        self,
        user_name: str,
        *,
        last_name: str = "",
        first_name: str = "",
        email: str = "",
        is_admin: bool = False,
        access_key: str | None = None,
    ) -> User:
        """Add a user who can log in and own records; ``user.wsid`` and ``user.access_key`` tell.

        The web service cannot create users on 8.4 (the role field takes no
        value it accepts); tests that need a second user or a non-admin add one here.
        """
        return self.state.add_user(
            user_name,
            last_name=last_name,
            first_name=first_name,
            email=email,
            is_admin=is_admin,
            access_key=access_key,
        )

    @property
    def linger(self) -> float:
        """Seconds a connection's worker stays busy after answering a write (0: none).

        May be changed while the emulator runs: writes answered from then on
        linger that long.
        """
        return self._linger

    @linger.setter
    def linger(self, seconds: float) -> None:
        self._linger = _linger(seconds)
        if self._server is not None:
            self._server.linger = self._linger

    @property
    def served(self) -> list[tuple[int, str]]:
        """The ``(connection, operation)`` of each request read over HTTP, in order.

        Connections are numbered from 1 in the order they were accepted (over
        the emulator's whole life); the operation is in lower case, ``""``
        when the request named none. Requests through an ``InProcessTransport``
        use no connection and are not listed.
        """
        return self._served

    def expire_sessions(self) -> None:
        """Kill every live session: the next call of each answers ``INVALID_SESSIONID``."""
        self.state.expire_sessions()

    def inject(
        self,
        kind: str,
        operation: str | None = None,
        times: int | None = 1,
        delay: float = 0.0,
    ) -> None:
        """Make the next matching requests misbehave.

        ``kind``: ``drop``, ``drop_after``, ``http500``, ``html``, ``notice`` or
        ``delay`` (answer after ``delay`` seconds). ``operation=None`` matches
        any operation; ``times=None`` every matching request from now on.
        """
        self._faults.add(kind, operation, times, delay)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()
