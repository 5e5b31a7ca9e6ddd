"""A parsed statement as SQLite over the emulator's store, with the server's checks and answers.

The checks come in the server's order: the module named after ``FROM`` in
the raw text, then the parse, id values, the column list, then each WHERE
condition (unknown field, reference and owner values). What MySQL would
refuse on the real server (a bad LIMIT, ORDER BY an unknown field, an
unquoted word, a broken literal) is answered by 8.4 with an empty success:
such a statement translates to ``silent_empty``.

Every value of the statement reaches SQLite as a bound parameter; the SQL
text depends only on the statement's shape (fields, operators, number of
values), never on a value's content.

Id, reference and owner values are pasted into the server's SQL unquoted
(``account_id = '11x0 or 1=1'`` becomes ``accountid = 0 or 1=1``), so on the
real server a crafted value can change the statement. The emulator never
does that: the part after ``x`` must be a number, anything else answers
the empty success most such texts get from MySQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vtorm.testing.schema import ModuleSchema
from vtorm.testing.vtql import literals
from vtorm.testing.vtql.errors import (
    access_denied_field,
    access_denied_module,
    access_denied_select,
    empty_id,
    invalid_id,
)
from vtorm.testing.vtql.functions import COLLATION, mysql_number
from vtorm.testing.vtql.literals import Broken
from vtorm.testing.vtql.parser import Condition, Statement, parse

__all__ = ["Translation", "Window", "translate"]

# How the server finds the module before parsing: the first word after "from".
_MODULE = re.compile(r"[fF][rR][oO][mM][ \t\n\r\f\v]+([^ \t\n\r\f\v;]+)")
# How the server compares a field (vtorm.types' query kinds), in this module's words.
_COMPARED_AS = {"id": "ref", "number": "num", "text": "str"}
# SQLite's largest integer: after it in descending order comes every crmid.
_MAX_INTEGER = 2**63 - 1
_TEMPORAL = {
    "date": literals.normal_date,
    "datetime": literals.normal_datetime,
    "time": literals.normal_time,
}
# Modules whose SELECT * the 8.4 server turns into invalid SQL (an empty column name).
_BROKEN_STAR = frozenset({"ProductTaxes"})
# Module-specific filters of the server, on the activity type.
_ACTIVITY_FILTERS = {
    "Calendar": "coalesce(\"activitytype\", '') = 'Task'",
    "Events": "coalesce(\"activitytype\", '') NOT IN ('Emails', 'Task')",
    "Emails": "coalesce(\"activitytype\", '') = 'Emails'",
}


@dataclass(frozen=True)
class Window:
    """A statement's rows in two steps, so that a page costs the same at any offset.

    ``sql`` with ``LIMIT ? OFFSET ?`` reads and drops every row before the
    offset (through Python collation and LIKE callbacks), so a deep page took
    time in proportion to its offset. Here ``ids_sql`` gives the crmids of
    every matching record in the statement's order (the store keeps them while
    no record changes), and ``rows_sql`` the selected columns of some of them
    (completed with one ``?`` per crmid and ``)``). When the order is the
    crmid alone, ``after_sql`` gives the next matching crmids after a given
    one (parameters: ``params``, that crmid, how many, how many to skip
    first), so reading the first pages never reads the whole table.
    ``params`` are those of the WHERE clause.
    """

    ids_sql: str
    after_sql: str | None
    rows_sql: str
    params: tuple[object, ...]
    # Where after_sql starts: a crmid before every record in its order.
    start: int = -1


@dataclass(frozen=True)
class Translation:
    """One statement as SQL over the store, and how to answer it."""

    module: str
    sql: str
    params: tuple[object, ...]
    columns: tuple[str, ...] | None  # requested columns, "id" included; None for * and count
    count: bool
    silent_empty: bool
    # The same rows as ``sql`` in two steps (None for count(*)), and its LIMIT bounds.
    window: Window | None = None
    offset: int = 0
    limit: int = 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _kind(schema: ModuleSchema, name: str) -> str:
    if name == "id":
        return "id"
    query = schema.fields[name].kind.query
    return _COMPARED_AS.get(query, query)


def _id_expression(kind: str, name: str) -> str:
    # An unset reference is 0 in the server's integer column: it matches != and <.
    return '"crmid"' if kind == "id" else f"coalesce(vt_ref({_quote(name)}), 0)"


class _Builder:
    """Accumulates the WHERE clause and its parameters; notes what breaks the statement."""

    def __init__(self, schema: ModuleSchema) -> None:
        self.schema = schema
        self.params: list[object] = []
        self.broken = False

    def marks(self, values: Sequence[object]) -> str:
        self.params.extend(values)
        return ", ".join("?" for _ in values)

    def compare(self, expression: str, op: str, values: Sequence[object]) -> str:
        if op == "IN":
            return f"{expression} IN ({self.marks(values)})"
        return f"{expression} {op} {self.marks(values[:1])}"

    def condition(self, cond: Condition) -> str:
        kind = _kind(self.schema, cond.field)
        try:
            if kind in ("id", "ref"):
                return self.reference(kind, cond)
            values = [literals.literal(token) for token in cond.values]
        except Broken:
            self.broken = True
            return "0"
        column = _quote(cond.field)
        if kind == "str":
            # The server stores an unset text as '': it compares as the empty string.
            column = f"coalesce({column}, '')"
        if cond.op == "LIKE":
            pattern = values[0]
            return f"vt_like({column}, {self.marks([None if pattern is None else str(pattern)])})"
        if kind == "num":
            numbers = [mysql_number(v) for v in values]
            return self.compare(f"vt_num({column})", cond.op, numbers)
        if kind in _TEMPORAL:
            normal = _TEMPORAL[kind]
            return self.compare(column, cond.op, [normal(v) for v in values])
        return self.string(column, cond.op, values)

    def string(self, column: str, op: str, values: Sequence[str | int | None]) -> str:
        # MySQL compares a text column with a number as numbers, with a text by collation.
        texts = [v for v in values if not isinstance(v, int)]
        numbers = [v for v in values if isinstance(v, int)]
        parts: list[str] = []
        if texts or not numbers:
            parts.append(self.compare(f"{column} COLLATE {COLLATION}", op, texts))
        if numbers:
            parts.append(self.compare(f"vt_num({column})", op, numbers))
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def reference(self, kind: str, cond: Condition) -> str:
        expression = _id_expression(kind, cond.field)
        parts = [literals.id_part(token.text) for token in cond.values]
        if cond.op == "LIKE":
            # the server quotes the kept part again for LIKE
            pattern = literals.mysql_string(parts[0])
            return f"vt_like({expression}, {self.marks([pattern])})"
        return self.compare(expression, cond.op, [literals.id_number(p) for p in parts])


def _check_ids(statement: Statement) -> None:
    # The server reads id values while parsing, before any other check.
    for cond in statement.conditions:
        if cond.field == "id":
            for token in cond.values:
                _check_id_value(token.text.strip("'\""))


def _check_id_value(text: str) -> None:
    if text == "":
        raise empty_id()
    if "x" not in text:
        raise invalid_id()


def _check_columns(statement: Statement, schema: ModuleSchema) -> None:
    if statement.star or statement.count:
        return
    for name in statement.columns:
        if name not in schema.fields:
            raise access_denied_select(name)


def _check_condition(cond: Condition, schema: ModuleSchema) -> None:
    field = schema.fields.get(cond.field)
    if field is None:
        raise access_denied_field(cond.field)
    if field.kind.id_like and cond.field != "id":
        for token in cond.values:
            if token.text.strip("'\"") == "":
                raise empty_id()
            if "x" not in token.text:
                raise invalid_id()


def _filters(schema: ModuleSchema) -> list[str]:
    filters = ['"_hidden" = 0']
    if schema.name == "Users":
        if "status" in schema.fields:
            filters.append("\"status\" = 'Active'")
    elif schema.is_entity:
        # A primary-key probe per row read: the rows come in crmid order and LIMIT
        # stops the scan, where ``IN (SELECT ...)`` read all of crmentity first.
        table = _quote("mod_" + schema.name)
        filters.append(
            f"EXISTS (SELECT 1 FROM crmentity WHERE crmentity.crmid = {table}.crmid"
            " AND crmentity.deleted = 0)"
        )
    elif "deleted" in schema.fields:
        filters.append('vt_num("deleted") = 0')
    activity = _ACTIVITY_FILTERS.get(schema.name)
    if activity is not None and "activitytype" in schema.fields:
        filters.append(activity)
    return filters


def _order(statement: Statement, schema: ModuleSchema) -> str | None:
    """The ORDER BY clause; None when a column is unknown (invalid SQL on the server)."""
    terms: list[str] = []
    for name in statement.order_by:
        if name not in schema.fields:
            return None
        kind = _kind(schema, name)
        column = _quote(name)
        if kind in ("id", "ref"):
            terms.append(_id_expression(kind, name))
        elif kind == "num":
            terms.append(f"vt_num({column})")
        elif kind == "str":
            terms.append(f"{column} COLLATE {COLLATION}")
        else:
            terms.append(column)
    if statement.direction is not None and terms:
        terms[-1] += " " + statement.direction
    terms.append('"crmid"')
    return ", ".join(terms)


def _columns(statement: Statement) -> tuple[str, ...] | None:
    if statement.star or statement.count:
        return None
    names = list(dict.fromkeys(statement.columns))
    if "id" not in names:
        names.append("id")
    return tuple(names)


def translate(text: str, schemas: Mapping[str, ModuleSchema], *, quirks: str | None) -> Translation:
    """Translate one statement; raises :class:`VtqlError` where the server answers an error."""
    found = _MODULE.search(text or "")
    name = found.group(1) if found else None
    if name is None or name not in schemas:
        raise access_denied_module(name)
    statement = parse(text)
    if statement.module not in schemas:
        raise access_denied_module(statement.module)
    schema = schemas[statement.module]
    _check_ids(statement)
    _check_columns(statement, schema)
    builder = _Builder(schema)
    conditions: list[str] = []
    for cond in statement.conditions:
        _check_condition(cond, schema)
        conditions.append(builder.condition(cond))
    columns = _columns(statement)
    silent = builder.broken
    if statement.star and quirks == "8.4" and schema.name in _BROKEN_STAR:
        silent = True
    order = _order(statement, schema) if statement.order_by else '"crmid"'
    try:
        offset, count = literals.limit_bounds(statement.limit)
    except Broken:
        silent = True
        offset, count = 0, 0
    if order is None:
        silent = True
        order = '"crmid"'
    if statement.count:
        select = "count(*)"
    elif columns is None:
        select = "*"
    else:
        select = ", ".join(_quote(c) for c in ("crmid", *columns) if c != "id")
    where = " AND ".join(_filters(schema))
    if conditions:
        joined = conditions[0]
        for join, sql in zip(statement.joins, conditions[1:], strict=True):
            joined += f" {join.upper()} {sql}"
        where += f" AND ({joined})"
    table = _quote("mod_" + schema.name)
    tail = "" if statement.count else f" ORDER BY {order}"
    sql = f"SELECT {select} FROM {table} WHERE {where}{tail} LIMIT ? OFFSET ?"
    params = tuple(builder.params)
    window = None if statement.count else _window(table, select, where, order, statement, params)
    return Translation(
        module=schema.name,
        sql=sql,
        params=(*params, count, offset),
        columns=columns,
        count=statement.count,
        silent_empty=silent,
        window=window,
        offset=offset,
        limit=count,
    )


def _window(
    table: str,
    select: str,
    where: str,
    order: str,
    statement: Statement,
    params: tuple[object, ...],
) -> Window:
    """The two-step form of ``SELECT select FROM table WHERE where ORDER BY order``."""
    after, start = None, -1
    if statement.order_by in ((), ("id",)):
        # Ordered by crmid alone: the next matches are found by a seek on the key.
        descending = statement.order_by == ("id",) and statement.direction == "DESC"
        compare, direction, start = ("<", "DESC", _MAX_INTEGER) if descending else (">", "ASC", -1)
        after = (
            f'SELECT "crmid" FROM {table} WHERE {where} AND "crmid" {compare} ?'
            f' ORDER BY "crmid" {direction} LIMIT ? OFFSET ?'
        )
    return Window(
        ids_sql=f'SELECT "crmid" FROM {table} WHERE {where} ORDER BY {order}',
        after_sql=after,
        rows_sql=f'SELECT {select} FROM {table} WHERE "crmid" IN (',
        params=params,
        start=start,
    )
