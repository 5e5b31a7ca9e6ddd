"""The emulated CRM's state besides records: users, groups, challenge tokens, sessions, clock."""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vtorm.testing.schema import ModuleSchema
from vtorm.testing.store import Store

__all__ = ["SESSION_IDLE", "TOKEN_LIFETIME", "CrmState", "Session", "User"]

TOKEN_LIFETIME = 300
# PHP's session.gc_maxlifetime on a stock install: a session file left alone
# this long is purged, and its session answers INVALID_SESSIONID from then on.
SESSION_IDLE = 1440.0
API_VERSION = "0.22"
VTIGER_VERSION = "8.4.0"


@dataclass
class User:
    """A CRM user who can log in (``19x<id>``)."""

    id: int
    user_name: str
    access_key: str = field(repr=False)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    is_admin: bool = False
    active: bool = True

    @property
    def wsid(self) -> str:
        """The user's web-service id."""
        return f"19x{self.id}"


@dataclass
class Session:
    """A live web-service session."""

    name: str
    user_id: int
    created: float
    last_used: float


# The stock groups of a default install, numbered in the users' sequence.
GROUPS: tuple[tuple[int, str, str], ...] = (
    (2, "Team Selling", "Group Related to Sales"),
    (3, "Marketing Group", "Group Related to Marketing Activities"),
    (4, "Support Group", "Group Related to providing Support to Customers"),
)

# Reference rows of a default install: module -> [(id, values)].
_REFERENCE_ROWS: dict[str, list[tuple[int, dict[str, str | None]]]] = {
    "Currency": [
        (
            1,
            {
                "currency_name": "USA, Dollars",
                "currency_code": "USD",
                "currency_symbol": "$",
                "conversion_rate": "1.00000",
                "currency_status": "Active",
                "defaultid": "-11",
                "deleted": "0",
            },
        )
    ],
    "DocumentFolders": [
        (
            1,
            {
                "foldername": "Default",
                "description": "This is a Default Folder",
                "createdby": None,
                "sequence": "1",
            },
        )
    ],
    "CompanyDetails": [
        (
            1,
            {
                "organizationname": "vtiger",
                "address": "95, 12th Main Road, 3rd Block, Rajajinagar",
                "city": "Bangalore",
                "state": "Karnataka",
                "country": "India",
                "code": "560010",
                "phone": "+91 9243602352",
                "fax": "+91 9243602352",
                "website": "www.vtiger.com",
                "logoname": "vtiger-crm-logo.png",
                "logo": None,
                "vatid": None,
            },
        )
    ],
    "Tax": [
        (
            n,
            {
                "taxname": f"tax{n}",
                "taxlabel": label,
                "percentage": pct,
                "deleted": "0",
                "method": "Simple",
                "type": "Fixed",
                "compoundon": "[]",
                "regions": "[]",
            },
        )
        for n, label, pct in ((1, "VAT", "4.500"), (2, "Sales", "10.000"), (3, "Service", "12.500"))
    ],
}

# A user record as retrieve answers it on a stock install (admin, UTC, yyyy-mm-dd).
_USER_DEFAULTS: dict[str, str | None] = {
    "roleid": "H2",
    "status": "Active",
    "activity_view": "This Week",
    "lead_view": "Today",
    "hour_format": "12",
    "end_hour": "23:00",
    "start_hour": "00:00",
    "is_owner": "0",
    "date_format": "yyyy-mm-dd",
    "time_zone": "UTC",
    "currency_id": "21x1",
    "currency_grouping_pattern": "123,456,789",
    "currency_decimal_separator": ".",
    "currency_grouping_separator": ",",
    "currency_symbol_placement": "$1.0",
    "internal_mailer": "1",
    "theme": "alphagrey",
    "language": "en_us",
    "reminder_interval": "1 Minute",
    "phone_crm_extension": None,
    "no_of_currency_decimals": "2",
    "truncate_trailing_zeros": "1",
    "dayoftheweek": "Sunday",
    "callduration": "5",
    "othereventduration": "5",
    "calendarsharedtype": "public",
    "default_record_view": "Summary",
    "leftpanelhide": "0",
    "rowheight": None,
    "defaulteventstatus": "Planned",
    "defaultactivitytype": "Call",
    "hidecompletedevents": None,
    "defaultcalendarview": "MyCalendar",
    "defaultlandingpage": "Home",
}

_KEY_ALPHABET = string.ascii_letters + string.digits


def new_access_key() -> str:
    """A random 16-character access key, alphanumeric like Vtiger's own."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def _session_name() -> str:
    return secrets.token_hex(11)[:21]


class CrmState:
    """Everything one emulated CRM holds: store, schemas, users, sessions and clock."""

    def __init__(
        self,
        schemas: Mapping[str, ModuleSchema],
        *,
        db_path: str | None = None,
        quirks: str | None = "8.4",
        username: str = "admin",
        access_key: str | None = None,
        session_idle: float | None = SESSION_IDLE,
    ) -> None:
        if session_idle is not None and not session_idle > 0:
            raise ValueError(
                f"session_idle must be a positive number of seconds or None, not {session_idle!r}"
            )
        self.schemas = schemas
        self.quirks = quirks
        self.session_idle = session_idle
        self.lock = threading.RLock()
        self.clock_offset = 0.0
        self.store = Store(schemas, db_path=db_path, clock=self.now)
        admin = User(
            1,
            username,
            access_key or new_access_key(),
            first_name="Lab",
            last_name="Administrator",
            email=f"{username}@example.com",
            is_admin=True,
        )
        second = User(
            5,
            "jdoe",
            new_access_key(),
            first_name="Jane",
            last_name="Doe",
            email="jdoe@example.com",
        )
        self.users: dict[int, User] = {admin.id: admin, second.id: second}
        self.groups: dict[int, str] = {gid: name for gid, name, _ in GROUPS}
        self.tokens: dict[int, tuple[str, float]] = {}
        self.sessions: dict[str, Session] = {}
        if self.store.fresh:
            self._seed()
        self._keep_credentials(explicit_key=access_key is not None)

    # -- clock -------------------------------------------------------------------

    def now(self) -> float:
        """The server's time (Unix seconds), shifted by :meth:`advance`."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (tests of token expiry)."""
        self.clock_offset += seconds

    # -- users --------------------------------------------------------------------

    @property
    def admin(self) -> User:
        """The administrator (``19x1``), whose credentials the emulator publishes."""
        return self.users[1]

    def user_by_name(self, name: str) -> User | None:
        """The user called ``name``; user names compare case-insensitively."""
        wanted = name.lower()
        for user in self.users.values():
            if user.user_name.lower() == wanted:
                return user
        return None

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
        """A new active user who can log in (the next number after the users and groups)."""
        if not user_name.strip():
            raise ValueError("add_user: user_name is empty")
        with self.lock:
            if self.user_by_name(user_name) is not None:
                raise ValueError(f"add_user: a user called {user_name!r} exists already")
            number = max([*self.users, *self.groups]) + 1
            user = User(
                number,
                user_name,
                access_key or new_access_key(),
                first_name=first_name,
                last_name=last_name or user_name,
                email=email or f"{user_name}@example.com",
                is_admin=is_admin,
            )
            self.users[number] = user
            if "Users" in self.schemas:
                self.store.insert_plain("Users", number, self._user_row(user))
            with self.store.lock:
                self.store.conn.execute(
                    "INSERT OR REPLACE INTO emulator_users (id, access_key, active)"
                    " VALUES (?, ?, 1)",
                    (number, user.access_key),
                )
        return user

    def owner_exists(self, wsid: str) -> bool:
        """Whether ``wsid`` is a user (active or not) or a group, the only valid owners."""
        prefix, _, number = wsid.partition("x")
        if not number.isdigit():
            return False
        users = self.schemas.get("Users")
        if prefix == (users.id_prefix if users is not None else "19"):
            return int(number) in self.users
        if "Groups" in self.schemas and prefix == self.schemas["Groups"].id_prefix:
            return int(number) in self.groups
        return False

    def _user_row(self, user: User) -> dict[str, Any]:
        row: dict[str, Any] = dict(_USER_DEFAULTS)
        row.update(
            user_name=user.user_name,
            is_admin="on" if user.is_admin else "off",
            first_name=user.first_name,
            last_name=user.last_name,
            email1=user.email,
            is_owner="1" if user.is_admin else "0",
            userlabel=f"{user.first_name} {user.last_name}".strip(),
            status="Active" if user.active else "Inactive",
        )
        return row

    def _keep_credentials(self, *, explicit_key: bool) -> None:
        """Keep access keys and activity in the database, so a ``db_path`` CRM keeps them.

        A key given to the constructor wins over the stored one.
        """
        conn, lock = self.store.conn, self.store.lock
        with lock:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS emulator_users (id INTEGER PRIMARY KEY,"
                " access_key TEXT NOT NULL, active INTEGER NOT NULL)"
            )
            stored = {
                row[0]: (row[1], bool(row[2]))
                for row in conn.execute("SELECT id, access_key, active FROM emulator_users")
            }
            for number in sorted(set(stored) - set(self.users)):
                # A user added earlier (add_user) to this database file.
                self._reload_user(number, *stored[number])
            for user in self.users.values():
                if user.id in stored and not (explicit_key and user.id == 1):
                    user.access_key, user.active = stored[user.id]
                conn.execute(
                    "INSERT OR REPLACE INTO emulator_users (id, access_key, active)"
                    " VALUES (?, ?, ?)",
                    (user.id, user.access_key, int(user.active)),
                )

    def _reload_user(self, number: int, access_key: str, active: bool) -> None:
        row = self.store.fetch("Users", number) if "Users" in self.schemas else None
        if row is None:
            return
        self.users[number] = User(
            number,
            str(row.get("user_name") or ""),
            access_key,
            first_name=str(row.get("first_name") or ""),
            last_name=str(row.get("last_name") or ""),
            email=str(row.get("email1") or ""),
            is_admin=row.get("is_admin") == "on",
            active=active,
        )

    def deactivate(self, user: User) -> None:
        """Make ``user`` inactive (what deleting a user does): it can no longer log in."""
        user.active = False
        with self.store.lock:
            self.store.conn.execute("UPDATE emulator_users SET active = 0 WHERE id = ?", (user.id,))
        self.store.update("Users", user.id, {"status": "Inactive"}, None)

    def _seed(self) -> None:
        store = self.store
        if "Users" in self.schemas:
            for user in self.users.values():
                store.insert_plain("Users", user.id, self._user_row(user))
        if "Groups" in self.schemas:
            for gid, name, description in GROUPS:
                store.insert_plain("Groups", gid, {"groupname": name, "description": description})
        for module, rows in _REFERENCE_ROWS.items():
            if module in self.schemas:
                for crmid, values in rows:
                    store.insert_plain(module, crmid, values)

    # -- tokens and sessions ------------------------------------------------------------

    def challenge(self, user: User) -> tuple[str, float, float]:
        """A new token for ``user`` (replacing the previous one): (token, now, expiry)."""
        now = self.now()
        token = secrets.token_hex(7)[:13]
        with self.lock:
            self.tokens[user.id] = (token, now + TOKEN_LIFETIME)
        return token, now, now + TOKEN_LIFETIME

    def live_token(self, user: User) -> str | None:
        """The user's token if it has not expired."""
        with self.lock:
            found = self.tokens.get(user.id)
        if found is None or found[1] < self.now():
            return None
        return found[0]

    def open_session(self, user: User) -> Session:
        """Start a session for ``user``."""
        now = self.now()
        session = Session(_session_name(), user.id, now, now)
        with self.lock:
            self.sessions[session.name] = session
        return session

    def session(self, name: str) -> Session | None:
        """The live session called ``name``, or None.

        A session unused for longer than ``session_idle`` seconds is gone, as
        PHP's session garbage collection removes it on a real server.
        """
        now = self.now()
        with self.lock:
            found = self.sessions.get(name)
            if found is None:
                return None
            if self.session_idle is not None and now - found.last_used > self.session_idle:
                del self.sessions[name]
                return None
            found.last_used = now
        return found

    def close_session(self, name: str) -> None:
        """End one session (logout)."""
        with self.lock:
            self.sessions.pop(name, None)

    def expire_sessions(self) -> None:
        """End every session: the next call of each answers ``INVALID_SESSIONID``."""
        with self.lock:
            self.sessions.clear()
