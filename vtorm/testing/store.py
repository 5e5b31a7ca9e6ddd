"""SQLite storage of the emulated CRM.

One table ``"mod_<Module>"`` per module (``crmid INTEGER PRIMARY KEY``,
``_hidden``, then one TEXT column per describe field but ``id``), values in
wire form and NULL when unset, plus ``crmentity`` holding the one record
sequence shared by the entity modules, their owners, times and deletions.
Users, groups and the other non-entity modules keep their own numbering and
live only in their module table, as they do on a real server.
"""

from __future__ import annotations

import html
import importlib
import json.encoder
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.entities import codepoint2name
from typing import TYPE_CHECKING, Any

from vtorm.testing.operations.base import (
    DENIED,
    DENIED_FOR_ID,
    WsError,
    access_denied,
    invalid_id,
)
from vtorm.testing.schema import ModuleSchema

if TYPE_CHECKING:
    from vtorm.testing.vtql.translate import Window

__all__ = ["FIRST_CRMID", "Row", "Store", "php_htmlentities"]

# A stored row: column name -> value (``crmid`` included).
Row = Mapping[str, Any]

# The record sequence starts above the ids of the stock users and groups.
FIRST_CRMID = 6

_ID_PART = re.compile(r"^\d+$")
# References retrieve answers as "" rather than null when unset (query rows
# still say null): the activity's contact lives in a link table.
_EMPTY_REFERENCES = frozenset(
    {
        ("Calendar", "contact_id"),
        ("Events", "contact_id"),
        ("Calendar", "parent_id"),
        ("Events", "parent_id"),
    }
)
# References answered as "" when unset by retrieve and query rows alike.
_BLANK_REFERENCES = frozenset(
    {
        ("Project", "linktoaccountscontacts"),
        ("PBXManager", "customer"),
        ("PBXManager", "user"),
    }
)
# Types (besides dates, which the type registry covers) whose unset column is
# NULL -- never written on create: datetimes, read-only numbers -- which query
# rows answer as null and retrieve as "".
_NULL_IN_ROWS = frozenset({"datetime", "integer", "double", "currency"})
# A document's file name is NULL without a file (a comment's is '').
_NULL_IN_ROWS_FIELDS = frozenset({("Documents", "filename")})

# Columns answered by retrieve and ``SELECT *`` though describe omits them,
# always null here: (module, the field they precede) -> column. HelpDesk's
# ticket history is written by the web UI only.
_UNSTORED_BEFORE: dict[tuple[str, str], str] = {("HelpDesk", "hours"): "update_log"}

# Users' password and access-key fields: described, never answered.
_SECRET_FIELDS = frozenset({"user_password", "confirm_password", "accesskey"})
_PSEUDO = re.compile(r"^(?:tax\d+|currency\d+)$")

# How the server answers an unset value of a type (vtorm.types) -> render kind.
_UNSET_KIND = {"null": "null", "null-in-query": "date", "empty": "text"}
_NON_ENTITY_TARGETS = frozenset(
    {"Users", "Groups", "Currency", "DocumentFolders", "CompanyDetails", "Tax"}
)


def php_htmlentities(text: str) -> str:
    """PHP ``htmlentities($text, ENT_QUOTES, 'UTF-8')``: named entities, ``'`` as ``&#039;``."""
    out: list[str] = []
    for char in text:
        if char == "'":
            out.append("&#039;")
            continue
        code = ord(char)
        name = codepoint2name.get(code)
        if name is not None and (code > 127 or char in '&<>"'):
            out.append(f"&{name};")
        else:
            out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class _Layout:
    """How one module's rows are stored and rendered, computed once."""

    table: str
    columns: tuple[str, ...]
    # (column, kind) in describe order; kind: "text", "null", "raw", "empty",
    # "date", "id" or "unset" (answered, never stored: always null).
    render: tuple[tuple[str, str], ...]
    label_fields: tuple[str, ...]
    prefix: str
    entity: bool
    insert_sql: str
    select_sql: str
    # The columns of ``select_sql``, in order.
    names: tuple[str, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _label_columns(schema: ModuleSchema) -> tuple[str, ...]:
    columns: list[str] = []
    for name in schema.label_fields:
        if name in schema.fields:
            columns.append(name)
            continue
        # labelFields names the table column (HelpDesk "title", Documents "title").
        matches = [f for f in schema.fields if f.endswith("_" + name)]
        if matches:
            columns.append(matches[0])
    return tuple(columns)


def _layout(schema: ModuleSchema) -> _Layout:
    names = [name for name in schema.fields if name != "id"]
    table = _quote("mod_" + schema.name)
    render: list[tuple[str, str]] = []
    seen_id = False
    for name, field in schema.fields.items():
        if name == "id":
            seen_id = True
            render.append((name, "id"))
            continue
        if name in _SECRET_FIELDS:
            continue
        if seen_id and _PSEUDO.match(name):
            # Per-tax and per-currency pseudo-fields of Products/Services: never answered.
            continue
        kind = _UNSET_KIND[field.kind.unset]
        if kind == "text" and (
            field.type in _NULL_IN_ROWS or (schema.name, name) in _NULL_IN_ROWS_FIELDS
        ):
            # Never written on create: NULL, which query rows answer as null.
            kind = "date"
        if field.type == "owner" or (
            field.type == "reference"
            and field.refers_to
            and set(field.refers_to) <= _NON_ENTITY_TARGETS
        ):
            # Users, groups, currencies and folders are never deleted: no check needed.
            kind = "raw"
        if (schema.name, name) in _EMPTY_REFERENCES:
            kind = "empty"
        if (schema.name, name) in _BLANK_REFERENCES:
            kind = "blank"
        if (schema.name, name) in _UNSTORED_BEFORE:
            render.append((_UNSTORED_BEFORE[schema.name, name], "unset"))
        render.append((name, kind))
    cols = ", ".join(_quote(n) for n in ("crmid", *names))
    marks = ", ".join("?" for _ in ("crmid", *names))
    return _Layout(
        table=table,
        columns=tuple(names),
        render=tuple(render),
        label_fields=_label_columns(schema),
        prefix=schema.id_prefix,
        entity=schema.is_entity and schema.name != "Users",
        insert_sql=f"INSERT INTO {table} ({cols}) VALUES ({marks})",
        select_sql=f"SELECT crmid, {', '.join(_quote(n) for n in names)} FROM {table}"
        " WHERE crmid = ?",
        names=("crmid", *names),
    )


# id(schemas) -> (schemas, layouts, creation script): the schemas are parsed
# once per process, so a fresh store only runs one prepared executescript.
_PREPARED: dict[int, tuple[Mapping[str, ModuleSchema], dict[str, _Layout], str]] = {}


def _prepared(schemas: Mapping[str, ModuleSchema]) -> tuple[dict[str, _Layout], str]:
    found = _PREPARED.get(id(schemas))
    if found is None or found[0] is not schemas:
        layouts = {name: _layout(schema) for name, schema in schemas.items()}
        creates = [
            "CREATE TABLE IF NOT EXISTS crmentity (crmid INTEGER PRIMARY KEY, module TEXT,"
            " deleted INTEGER NOT NULL DEFAULT 0, ownerid TEXT, createdtime TEXT,"
            " modifiedtime TEXT);",
            "CREATE TABLE IF NOT EXISTS modnum (module TEXT PRIMARY KEY, last INTEGER);",
        ]
        for layout in layouts.values():
            cols = "".join(f", {_quote(c)} TEXT" for c in layout.columns)
            creates.append(
                f"CREATE TABLE IF NOT EXISTS {layout.table} (crmid INTEGER PRIMARY KEY,"
                f" _hidden INTEGER NOT NULL DEFAULT 0{cols});"
            )
        script = "\n".join(
            [
                "PRAGMA journal_mode = MEMORY;",
                "PRAGMA synchronous = OFF;",
                "BEGIN;",
                *creates,
                "COMMIT;",
            ]
        )
        found = (schemas, layouts, script)
        _PREPARED[id(schemas)] = found
    return found[1], found[2]


_Renderer = Callable[[Row, str, Callable[[str | None], str | None]], dict[str, Any]]

# (id(layout), columns, retrieve) -> compiled renderer; layouts live as long as
# their schemas in _PREPARED, so their ids stay unique.
_RENDERERS: dict[tuple[int, tuple[str, ...] | None, bool], _Renderer] = {}
_RowRenderer = Callable[[Sequence[Any], str, Callable[[str | None], str | None]], dict[str, Any]]
# The same for tuple rows: (id(layout), columns, names of the row's columns).
_ROW_RENDERERS: dict[tuple[int, tuple[str, ...] | None, tuple[str, ...]], _RowRenderer] = {}

# Rows straight to JSON text: (id(layout), columns, names of the row's columns).
_JsonRenderer = Callable[[Sequence[Any], str, Callable[[str | None], str | None]], str]
_JSON_RENDERERS: dict[tuple[int, tuple[str, ...] | None, tuple[str, ...]], _JsonRenderer] = {}
# What json.dumps(..., ensure_ascii=False) writes for a string, quotes included.
_JSON_STRING: Callable[[str], str] = json.encoder.encode_basestring

# Answers kept per generation: enough for a suite's distinct reads between
# two writes, small enough that a pathological run cannot grow without bound.
_MAX_ANSWERS = 256

# The generation of a store: (connection's total changes, writes through the
# store, PRAGMA data_version of a file shared with other connections).
Generation = tuple[int, int, int]

# Statements whose matches are kept per generation (see Store.window).
_MAX_SCANS = 16


class _Scan:
    """The crmids matching one statement, in its order, as far as read.

    ``ids`` are the matches from position ``base`` on; ``complete``: no match
    follows the last of them.
    """

    __slots__ = ("base", "complete", "ids")

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """Forget what was read."""
        self.base = 0
        self.ids: list[int] = []
        self.complete = False


class Store:
    """The emulated CRM's records in one SQLite connection guarded by a lock."""

    def __init__(
        self,
        schemas: Mapping[str, ModuleSchema],
        *,
        db_path: str | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.schemas = schemas
        self.clock = clock
        self.first_crmid = FIRST_CRMID
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(
            db_path or ":memory:", check_same_thread=False, isolation_level=None
        )
        # Another connection may write a database file; an in-memory one is ours alone.
        self._shared = db_path not in (None, "", ":memory:")
        # Bumped after every write through the store, once its rows and ``alive`` are
        # both updated: ``alive`` decides how references render, and SQLite's change
        # counter misses a write that changed no row but did change ``alive``.
        self._writes = 0
        # (generation, answers) swapped as one object: a reader that computed an
        # answer in an older generation puts it into a dict nobody reads any more.
        self._answers: tuple[Generation | None, dict[Hashable, str]] = (None, {})
        # The same for the matches of statements read page by page (see window()).
        self._scans: tuple[Generation | None, dict[Hashable, _Scan]] = (None, {})
        self.layouts, self._create_script = _prepared(schemas)
        self.prefixes = {schema.id_prefix: name for name, schema in schemas.items()}
        self._install_vtql()
        self.fresh = self._create_tables()
        # crmid -> module of every live entity record, so that rendering a
        # reference (null when its target is gone) costs no query.
        self.alive: dict[int, str] = {
            row[0]: row[1]
            for row in self.conn.execute("SELECT crmid, module FROM crmentity WHERE deleted = 0")
        }

    # -- set-up ---------------------------------------------------------------

    def _install_vtql(self) -> None:
        try:
            vtql = importlib.import_module("vtorm.testing.vtql")
        except ImportError:
            return
        install = getattr(vtql, "install", None)
        if install is not None:
            install(self.conn)

    def _create_tables(self) -> bool:
        """Create what is missing; True when the database was empty."""
        existing = {
            row[0]
            for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        with self.lock:
            self.conn.executescript(self._create_script)
        return "crmentity" not in existing

    # -- ids --------------------------------------------------------------------

    def wsid(self, module: str, crmid: int) -> str:
        """The web-service id of a record: ``<prefix>x<crmid>``."""
        return f"{self.layouts[module].prefix}x{crmid}"

    def parse_id(self, wsid: str | None) -> tuple[str, int]:
        """Split ``wsid`` into (module, crmid), raising what the server answers for bad ids.

        An unknown prefix (or no id) is ``ACCESS_DENIED`` "... for id"; a known
        prefix without an ``x`` part is ``ACCESS_DENIED``; a number part that is
        not a plain number (``12x``, ``12x-1``, ``12x8,12x9``) is
        ``INVALID_ID_ATTRIBUTE``.
        """
        text = wsid or ""
        prefix, sep, number = text.partition("x")
        module = self.prefixes.get(prefix)
        if module is None:
            raise access_denied(DENIED_FOR_ID)
        if not sep:
            raise access_denied(DENIED)
        if not _ID_PART.match(number):
            raise invalid_id()
        return module, int(number)

    def locate(self, wsid: str | None) -> tuple[str, int, dict[str, Any]]:
        """The live record behind ``wsid``: (module, crmid, row), or the server's error.

        Deleted and nonexistent records are ``ACCESS_DENIED``; a record of
        another module than the prefix says is ``INVALID_ID_ATTRIBUTE``.
        """
        module, crmid = self.parse_id(wsid)
        layout = self.layouts[module]
        if layout.entity:
            found = self.alive.get(crmid)
            if found is None:
                raise access_denied()
            if found != module:
                raise invalid_id()
        row = self._select(layout, crmid)
        if row is None:
            raise access_denied()
        return module, crmid, row

    # -- reads ------------------------------------------------------------------

    def _select(self, layout: _Layout, crmid: int) -> dict[str, Any] | None:
        with self.lock:
            found = self.conn.execute(layout.select_sql, (crmid,)).fetchone()
        return None if found is None else dict(zip(layout.names, found, strict=True))

    def get(self, crmid: int) -> tuple[str, dict[str, Any]] | None:
        """The live entity record ``crmid`` as (module, row), or None."""
        module = self.alive.get(crmid)
        if module is None:
            return None
        row = self._select(self.layouts[module], crmid)
        return None if row is None else (module, row)

    def fetch(self, module: str, crmid: int) -> dict[str, Any] | None:
        """The row ``crmid`` of ``module`` (entity records only while not deleted)."""
        layout = self.layouts[module]
        if layout.entity and self.alive.get(crmid) != module:
            return None
        return self._select(layout, crmid)

    def exists(self, wsid: str) -> bool:
        """Whether ``wsid`` names a live record (references to others read as null)."""
        try:
            self.locate(wsid)
        except WsError:
            return False
        return True

    def execute_raw(
        self, sql: str, params: Iterable[Any] = ()
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """Run one statement under the lock: (column names, rows as tuples)."""
        with self.lock:
            cursor = self.conn.execute(sql, tuple(params))
            rows = cursor.fetchall()
            names = tuple(d[0] for d in cursor.description or ())
        return names, rows

    def execute(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Run one statement under the lock; every row as a dict of column -> value."""
        with self.lock:
            cursor = self.conn.execute(sql, tuple(params))
            rows = cursor.fetchall()
            names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in rows]

    # -- answers kept between writes ------------------------------------------------

    def generation(self) -> Generation | None:
        """What changes with every write to the records; None inside a transaction.

        SQLite's change counter sees every INSERT, UPDATE and DELETE run on the
        connection, including those other modules send through ``conn``
        directly, so nothing written can be missed. It never goes back, even
        when a transaction is rolled back: a statement read inside one could
        see rows that vanish, hence no generation (nothing kept) there.
        """
        conn = self.conn
        if conn.in_transaction:
            return None
        version = 0
        if self._shared:
            with self.lock:
                version = conn.execute("PRAGMA data_version").fetchone()[0]
        return (conn.total_changes, self._writes, version)

    def remembered(self, key: Hashable, compute: Callable[[], str]) -> str:
        """``compute()``'s JSON text, computed once until the next write of any record.

        For reads whose answer depends on nothing but the stored records and
        ``key``. One write anywhere forgets every answer: a record's answer also
        depends on the records it refers to (a deleted one reads as null), so
        only a global generation is safe. Repeated reads between writes, what a
        test suite does most, cost one dict lookup. An exception from
        ``compute`` is raised and nothing is kept.
        """
        # Read before computing: a write that lands meanwhile makes this
        # generation stale, so an answer mixing old and new rows is never served.
        generation = self.generation()
        if generation is None:
            return compute()
        kept, answers = self._answers
        if kept != generation:
            answers = {}
            self._answers = (generation, answers)
        found = answers.get(key)
        if found is None:
            found = compute()
            if len(answers) >= _MAX_ANSWERS:
                answers.clear()
            answers[key] = found
        return found

    def window(
        self, window: Window, offset: int, count: int
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """The rows ``LIMIT offset, count`` of a statement: (column names, rows as tuples).

        The same rows as the statement's one-step SQL. The crmids of its
        matching records are kept until the next write, and when the order is
        the crmid alone the next page resumes after the last crmid read: a
        large result read page by page reads each record once, not once per
        page before it.
        """
        with self.lock:
            chosen = self._matching(window, offset, count)
            marks = ", ".join("?" * len(chosen))
            cursor = self.conn.execute(window.rows_sql + marks + ")", chosen)
            found = cursor.fetchall()
            names = tuple(d[0] for d in cursor.description or ())
        # crmid is the first column of every query's row; IN gives them in key order.
        by_id = {row[0]: row for row in found}
        return names, [by_id[crmid] for crmid in chosen]

    def _matching(self, window: Window, offset: int, count: int) -> list[int]:
        """The crmids at positions ``offset`` to ``offset + count`` of the matches, in order."""
        scan = self._scan(window)
        end = offset + count
        if window.after_sql is None:
            # Another order than the crmid's: every match is sorted anyway, keep them all.
            if not scan.complete:
                found = self.conn.execute(window.ids_sql, window.params)
                scan.ids = [row[0] for row in found]
                scan.complete = True
            return scan.ids[offset:end]
        if offset < scan.base:
            scan.restart()  # backwards, before what is kept: read from the start again
        have = scan.base + len(scan.ids)
        if end > have and not scan.complete:
            # Resume after the last crmid found (a seek on the key); matches between
            # what is kept and the window are skipped by SQLite, not fetched.
            last = scan.ids[-1] if scan.ids else window.start
            skip = max(0, offset - have)
            wanted = end - have - skip
            params = (*window.params, last, wanted, skip)
            more = [row[0] for row in self.conn.execute(window.after_sql, params)]
            if skip:
                scan.base, scan.ids = offset, more
            else:
                scan.ids.extend(more)
            scan.complete = len(more) < wanted
        return scan.ids[max(0, offset - scan.base) : max(0, end - scan.base)]

    def _scan(self, window: Window) -> _Scan:
        """The matches of ``window`` found so far in this generation (a new one if none)."""
        generation = self.generation()
        if generation is None:  # inside a transaction: nothing is kept
            return _Scan()
        kept, scans = self._scans
        if kept != generation:
            scans = {}
            self._scans = (generation, scans)
        key = (window.ids_sql, window.params)
        scan = scans.get(key)
        if scan is None:
            if len(scans) >= _MAX_SCANS:
                scans.clear()
            scan = scans[key] = _Scan()
        return scan

    # -- writes -----------------------------------------------------------------

    def _now(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.clock()))

    def next_number(self, module: str) -> int:
        """The next value of the module's record-number sequence ("CON1", "CON2", ...)."""
        with self.lock:
            row = self.conn.execute(
                "SELECT last FROM modnum WHERE module = ?", (module,)
            ).fetchone()
            value = (row[0] if row else 0) + 1
            self.conn.execute(
                "INSERT OR REPLACE INTO modnum (module, last) VALUES (?, ?)", (module, value)
            )
        return value

    def insert(self, module: str, values: Mapping[str, Any], user: str | None) -> int:
        """Create an entity record of ``module`` from wire values; returns its crmid.

        ``user`` is the acting user's id (``"19x1"``): it becomes ``modifiedby``.
        ``createdtime``/``modifiedtime`` are set to now (UTC) unless given.
        """
        layout = self.layouts[module]
        now = self._now()
        row = dict(values)
        fields = self.schemas[module].fields
        for name in ("createdtime", "modifiedtime"):
            if name in fields and not row.get(name):
                row[name] = now
        if "modifiedby" in fields and user is not None and not row.get("modifiedby"):
            row["modifiedby"] = user
        with self.lock:
            last = self.conn.execute("SELECT max(crmid) FROM crmentity").fetchone()[0]
            crmid = max(last or 0, self.first_crmid - 1) + 1
            self.conn.execute(
                "INSERT INTO crmentity (crmid, module, deleted, ownerid, createdtime,"
                " modifiedtime) VALUES (?, ?, 0, ?, ?, ?)",
                (
                    crmid,
                    module,
                    row.get("assigned_user_id"),
                    row.get("createdtime", now),
                    row.get("modifiedtime", now),
                ),
            )
            self.conn.execute(layout.insert_sql, (crmid, *(row.get(c) for c in layout.columns)))
            self.alive[crmid] = module
            self._writes += 1
        return crmid

    def insert_plain(self, module: str, crmid: int, values: Mapping[str, Any]) -> None:
        """Store a row of a module outside the record sequence (users, groups, currencies)."""
        layout = self.layouts[module]
        with self.lock:
            self.conn.execute(layout.insert_sql, (crmid, *(values.get(c) for c in layout.columns)))
            self._writes += 1

    def update(self, module: str, crmid: int, values: Mapping[str, Any], user: str | None) -> None:
        """Write ``values`` (wire form) over the record; sets modifiedtime and modifiedby."""
        fields = self.schemas[module].fields
        row = {k: v for k, v in values.items() if k in self.layouts[module].columns}
        now = self._now()
        if "modifiedtime" in fields:
            row["modifiedtime"] = now
        if "modifiedby" in fields and user is not None:
            row["modifiedby"] = user
        layout = self.layouts[module]
        with self.lock:
            if row:
                sets = ", ".join(f"{_quote(k)} = ?" for k in row)
                self.conn.execute(
                    f"UPDATE {layout.table} SET {sets} WHERE crmid = ?", (*row.values(), crmid)
                )
            if layout.entity:
                self.conn.execute(
                    "UPDATE crmentity SET modifiedtime = ?,"
                    " ownerid = coalesce(?, ownerid) WHERE crmid = ?",
                    (now, row.get("assigned_user_id"), crmid),
                )
            self._writes += 1

    def delete(self, crmid: int) -> None:
        """Mark the entity record deleted (it stays in its table, as on the server)."""
        with self.lock:
            self.conn.execute(
                "UPDATE crmentity SET deleted = 1, modifiedtime = ? WHERE crmid = ?",
                (self._now(), crmid),
            )
            self.alive.pop(crmid, None)
            self._writes += 1

    def hide(self, crmid: int) -> None:
        """Hide a record from queries (a converted Lead)."""
        with self.lock:
            found = self.conn.execute(
                "SELECT module FROM crmentity WHERE crmid = ?", (crmid,)
            ).fetchone()
            if found is not None:
                table = self.layouts[found[0]].table
                self.conn.execute(f"UPDATE {table} SET _hidden = 1 WHERE crmid = ?", (crmid,))
            self._writes += 1

    # -- rendering ----------------------------------------------------------------

    def label(self, module: str, row: Row) -> str:
        """The record's label as the server answers it: label fields joined, HTML-encoded."""
        parts = [row[c] for c in self.layouts[module].label_fields if row[c]]
        return php_htmlentities(html.unescape(" ".join(parts).strip()))

    def render(
        self,
        module: str,
        row: Row,
        columns: Iterable[str] | None = None,
        *,
        retrieve: bool = False,
    ) -> dict[str, Any]:
        """The wire form of a stored row, as the server answers it.

        ``columns`` (a query's column list) picks and orders the fields, ``id``
        appended when missing; ``None`` gives every field in describe order.
        With ``retrieve`` the form is that of retrieve/create/update/revise:
        ``label`` added, an unset date ``""`` rather than ``null``.
        """
        layout = self.layouts[module]
        wsid = f"{layout.prefix}x{row['crmid']}"
        key = (id(layout), None if columns is None else tuple(columns), retrieve)
        renderer = _RENDERERS.get(key)
        if renderer is None:
            if len(_RENDERERS) > 4096:
                _RENDERERS.clear()
            renderer = self._renderer(layout, columns, retrieve)
            _RENDERERS[key] = renderer
        out = renderer(row, wsid, self._reference)
        if retrieve and columns is None:
            self._retrieve_extras(module, row, out)
        return out

    def render_rows(
        self,
        module: str,
        names: Sequence[str],
        rows: Iterable[Sequence[Any]],
        columns: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Query rows (tuples of ``names``, ``crmid`` among them) in wire form.

        The same answer as :meth:`render` of each row as a dict, without
        building the dicts: the path of every query answer.
        """
        layout = self.layouts[module]
        key = (id(layout), None if columns is None else tuple(columns), tuple(names))
        renderer = _ROW_RENDERERS.get(key)
        if renderer is None:
            if len(_ROW_RENDERERS) > 4096:
                _ROW_RENDERERS.clear()
            renderer = self._renderer(layout, columns, False, tuple(names))
            _ROW_RENDERERS[key] = renderer
        prefix = layout.prefix + "x"
        reference = self._reference
        return [renderer(row, prefix, reference) for row in rows]

    def render_rows_json(
        self,
        module: str,
        names: Sequence[str],
        rows: Sequence[Sequence[Any]],
        columns: Iterable[str] | None,
        encode: Callable[[Any], str],
    ) -> str:
        """``encode(self.render_rows(...))``, byte for byte, without building the dicts.

        Each row is written as JSON text by one compiled f-string: building
        and then encoding a dict per row took three times as long. Stored
        values are text or NULL (the columns have TEXT affinity); anything
        else, which that writer cannot spell, goes the dict way through
        ``encode``.
        """
        layout = self.layouts[module]
        key = (id(layout), None if columns is None else tuple(columns), tuple(names))
        renderer = _JSON_RENDERERS.get(key)
        if renderer is None:
            if len(_JSON_RENDERERS) > 4096:
                _JSON_RENDERERS.clear()
            renderer = self._renderer(layout, columns, False, tuple(names), to_json=True)
            _JSON_RENDERERS[key] = renderer
        prefix = layout.prefix + "x"
        reference = self._reference
        try:
            return "[" + ",".join([renderer(row, prefix, reference) for row in rows]) + "]"
        except TypeError:
            return encode(self.render_rows(module, names, rows, columns))

    def _renderer(
        self,
        layout: _Layout,
        columns: Iterable[str] | None,
        retrieve: bool,
        positions: tuple[str, ...] | None = None,
        *,
        to_json: bool = False,
    ) -> Any:
        """Compile the function turning a row of ``layout`` into its wire form.

        Rendering is on every answer's path; one dict display per row shape is
        several times faster than a loop over (field, kind) pairs. With
        ``to_json`` (tuple rows only) the function returns the row's JSON text.
        """
        if columns is None:
            wanted = list(layout.render)
        else:
            kinds = dict(layout.render)
            wanted = []
            seen: set[str] = set()
            for name in columns:
                if name not in seen:
                    seen.add(name)
                    wanted.append((name, "id" if name == "id" else kinds.get(name, "text")))
            if "id" not in seen:
                wanted.append(("id", "id"))
        items: list[str] = []
        parts: list[tuple[str, str, str]] = []
        for name, kind in wanted:
            if kind == "empty":
                kind = "text" if retrieve else "null"
            if kind == "date":
                kind = "text" if retrieve else "raw"
            if kind == "unset":
                # Not a stored column: always null.
                column, kind = "None", "raw"
            elif positions is None:
                column = f"row[{name!r}]"
            elif name in positions:
                column = f"row[{positions.index(name)}]"
            else:
                column = "None"
            if kind == "id":
                expression = (
                    "wsid" if positions is None else f"wsid + str(row[{positions.index('crmid')}])"
                )
            elif kind == "null":
                expression = f"ref({column})"
            elif kind == "blank":
                expression = f'("" if (v := ref({column})) is None else v)'
            elif kind == "raw":
                expression = column
            else:
                expression = f'("" if (v := {column}) is None else v)'
            items.append(f"{name!r}: {expression}")
            if to_json:
                parts.append((name, kind, column))
        namespace: dict[str, Any] = {}
        if to_json:
            return self._json_renderer(layout, parts, positions or (), namespace)
        source = "def render(row, wsid, ref):\n    return {" + ", ".join(items) + "}\n"
        exec(compile(source, f"<render {layout.table}>", "exec"), namespace)
        return namespace["render"]

    @staticmethod
    def _json_renderer(
        layout: _Layout,
        parts: Sequence[tuple[str, str, str]],
        positions: tuple[str, ...],
        namespace: dict[str, Any],
    ) -> Any:
        """The f-string form of a tuple-row renderer: (name, kind, column) -> JSON text.

        Keys, separators and the unset spellings are constants of the namespace
        (``k0``, ``k1``..., ``null``, ``empty``), so the source holds no quoted
        text and no field name is ever pasted into it.
        """
        pieces: list[str] = []
        for index, (name, kind, column) in enumerate(parts):
            namespace[f"k{index}"] = ("{" if index == 0 else ",") + _JSON_STRING(name) + ":"
            if kind == "id":
                value = f'"{{wsid}}{{row[{positions.index("crmid")}]}}"'
            else:
                source = f"ref({column})" if kind in ("null", "blank") else column
                unset = "null" if kind in ("null", "raw") else "empty"
                value = f"{{{unset} if (v := {source}) is None else enc(v)}}"
            pieces.append(f"{{k{index}}}{value}")
        namespace.update(enc=_JSON_STRING, null="null", empty='""')
        body = "".join(pieces) + "}}"
        source = f"def render(row, wsid, ref):\n    return f{body!r}\n"
        exec(compile(source, f"<render json {layout.table}>", "exec"), namespace)
        return namespace["render"]

    def _reference(self, value: str | None) -> str | None:
        """A stored reference as answered: null when unset or when its target is gone."""
        if value is None or "x" not in value or self._alive_reference(value):
            return value
        return None

    def _alive_reference(self, wsid: str) -> bool:
        prefix, _, number = wsid.partition("x")
        module = self.prefixes.get(prefix)
        if module is None or not number.isdigit():
            return False
        if not self.layouts[module].entity:
            return True
        return self.alive.get(int(number)) == module

    def _retrieve_extras(self, module: str, row: Row, out: dict[str, Any]) -> None:
        layout = self.layouts[module]
        if module in ("Groups", "Tax"):
            # retrieve answers the group's (tax's) number first and the id last;
            # a tax's compound and region settings only in query rows.
            wsid = out.pop("id")
            for name in ("compoundon", "regions") if module == "Tax" else ():
                out.pop(name, None)
            key = "groupid" if module == "Groups" else "taxid"
            items = [(key, str(row["crmid"])), *out.items(), ("id", wsid)]
            out.clear()
            out.update(items)
            return
        if module == "Users":
            # A user's manager answers "" when unset, three preferences null.
            if out.get("reports_to_id") is None and "reports_to_id" in out:
                out["reports_to_id"] = ""
            for name in ("phone_crm_extension", "rowheight", "hidecompletedevents"):
                if name in out and row.get(name) is None:
                    out[name] = None
            return
        if not layout.entity:
            return
        out["label"] = self.label(module, row)
        fields = self.schemas[module].fields
        if "currency1" in fields and "unit_price" in fields:
            # The price in the base currency, a JSON number. Only Products get
            # their currency row filled on create; Services answer 0.
            price = row["unit_price"] if module == "Products" else None
            number = float(price) if price else 0
            out["currency1"] = int(number) if number == int(number) else number
            out["currency_id"] = "21x1"
