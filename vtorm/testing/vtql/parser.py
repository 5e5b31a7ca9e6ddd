"""The grammar of the query language, and the syntax errors 8.4 answers.

::

    statement  := SELECT columns FROM module [WHERE condition {(AND|OR) condition}]
                  [ORDER BY column {, column} [ASC|DESC]] [LIMIT value [, value]] ;
    columns    := * | count(*) {, column} | column {, column}
    condition  := column op values
    op         := = | != | < | > | <= | >= | IN | LIKE
    values     := ( value {, value} ) | value {, value}

The server's parser is table-driven and reports, on a syntax error, the
tokens it would have accepted instead. Some of its reports are not what the
grammar suggests (a bug in its error recovery corrupts its stack): a stray
token after the module name answers "There is an syntax error in query", a
stray token after AND/OR or after a value expects a SEMICOLON. The expected
lists below are the ones the server answers, recorded or derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtorm.testing.vtql import lexer as k
from vtorm.testing.vtql.errors import VtqlError, syntax_error
from vtorm.testing.vtql.lexer import Lexer, Token

__all__ = ["Condition", "Statement", "parse"]

_OPS = {
    k.EQ: "=",
    k.LT: "<",
    k.GT: ">",
    k.LTE: "<=",
    k.GTE: ">=",
    k.NE: "!=",
    k.IN: "IN",
    k.LIKE: "LIKE",
}
_OP_NAMES = "EQ,LT,GT,LTE,GTE,NE,IN,LIKE"
_CORRUPTED = "There is an syntax error in query"


@dataclass(frozen=True)
class Condition:
    """One ``field op value(s)`` of the WHERE clause; values as their tokens."""

    field: str
    op: str
    values: tuple[Token, ...]

    @property
    def listed(self) -> bool:
        """Whether the server holds the values as a list (more than one value)."""
        return len(self.values) > 1


@dataclass(frozen=True)
class Statement:
    """A parsed statement, still in the words of the text."""

    columns: tuple[str, ...]  # "*", "count(*)" or field names, as written
    module: str
    conditions: tuple[Condition, ...] = ()
    joins: tuple[str, ...] = ()  # "AND"/"OR" between conditions, as written
    order_by: tuple[str, ...] = ()
    direction: str | None = None  # "ASC"/"DESC": applies to the last ORDER BY column
    limit: tuple[Token, ...] = ()

    @property
    def star(self) -> bool:
        """``SELECT *``."""
        return self.columns == ("*",)

    @property
    def count(self) -> bool:
        """``SELECT count(*)`` (with or without columns after it)."""
        return "count(*)" in self.columns


class _Parser:
    def __init__(self, text: str) -> None:
        self.lexer = Lexer(text)

    def next(self) -> Token:
        return next(self.lexer)

    def fail(self, token: Token, expected: str) -> VtqlError:
        lexer = self.lexer
        current = lexer.last if token.kind == k.END else token.text
        return syntax_error(
            f"Syntax Error on line {lexer.line}: token '{current}' Unexpected"
            f" {token.kind}({token.text}), expected one of: {expected}"
        )

    def expect(self, kind: str, expected: str | None = None) -> Token:
        token = self.next()
        if token.kind != kind:
            raise self.fail(token, expected or kind)
        return token

    def statement(self) -> Statement:
        self.expect(k.SELECT)
        columns = self.columns()
        module = self.expect(k.TABLENAME).text
        token = self.next()
        if token.kind not in (k.WHERE, k.ORDERBY, k.LIMIT, k.SEMICOLON, k.END):
            raise syntax_error(_CORRUPTED)
        conditions: tuple[Condition, ...] = ()
        joins: tuple[str, ...] = ()
        order_by: tuple[str, ...] = ()
        direction: str | None = None
        limit: tuple[Token, ...] = ()
        if token.kind == k.WHERE:
            conditions, joins, token = self.where()
        if token.kind == k.ORDERBY:
            order_by, direction, token = self.order()
        if token.kind == k.LIMIT:
            limit, token = self.limit()
        if token.kind != k.SEMICOLON:
            raise self.fail(token, "SEMICOLON")
        token = self.next()
        if token.kind != k.END:
            raise self.fail(token, "")
        return Statement(columns, module, conditions, joins, order_by, direction, limit)

    def columns(self) -> tuple[str, ...]:
        token = self.next()
        if token.kind == k.ASTERISK:
            after = self.next()
            if after.kind != k.FRM:
                raise self.fail(after, "FRM,COMMA")
            return ("*",)
        names: list[str] = []
        if token.kind == k.COUNT:
            self.expect(k.PARENOPEN)
            self.expect(k.ASTERISK)
            self.expect(k.PARENCLOSE)
            names.append("count(*)")
        elif token.kind == k.COLUMNNAME:
            names.append(token.text)
        else:
            raise self.fail(token, "COLUMNNAME")
        while True:
            token = self.next()
            if token.kind == k.FRM:
                return tuple(names)
            if token.kind == k.END:
                raise self.fail(token, "FRM,COMMA")
            if token.kind == k.COLUMNNAME and names[-1] == "count(*)":
                # the server swallows one column right after count(*), then fails
                raise self.fail(self.next(), "SELECT")
            if token.kind != k.COMMA:
                raise self.fail(token, "SELECT")
            token = self.next()
            if token.kind != k.COLUMNNAME:
                raise self.fail(token, "COLUMNNAME" if token.kind == k.END else "SELECT")
            names.append(token.text)

    def where(self) -> tuple[tuple[Condition, ...], tuple[str, ...], Token]:
        conditions: list[Condition] = []
        joins: list[str] = []
        while True:
            column = self.next()
            if column.kind != k.COLUMNNAME:
                raise self.fail(column, _after_separator(column) if joins else "COLUMNNAME")
            op = self.next()
            if op.kind not in _OPS:
                raise self.fail(op, _OP_NAMES)
            values, token = self.values()
            conditions.append(Condition(column.text, _OPS[op.kind], values))
            if token.kind in (k.LOGICAL_AND, k.LOGICAL_OR):
                joins.append(token.text)
                continue
            if token.kind in (k.ORDERBY, k.LIMIT, k.SEMICOLON, k.END):
                return tuple(conditions), tuple(joins), token
            raise self.fail(token, "SEMICOLON")

    def values(self) -> tuple[tuple[Token, ...], Token]:
        """The value(s) of a condition and the token after them."""
        token = self.next()
        parens = token.kind == k.PARENOPEN
        if parens:
            token = self.next()
        if token.kind != k.VALUE:
            raise self.fail(token, "VALUE")
        values = [token]
        while True:
            token = self.next()
            if token.kind != k.COMMA:
                break
            token = self.next()
            if token.kind != k.VALUE:
                raise self.fail(token, "VALUE" if parens else _OP_NAMES)
            values.append(token)
        if parens:
            if token.kind != k.PARENCLOSE:
                raise self.fail(token, "SEMICOLON")
            token = self.next()
        return tuple(values), token

    def order(self) -> tuple[tuple[str, ...], str | None, Token]:
        columns = [self.expect(k.COLUMNNAME).text]
        direction: str | None = None
        while True:
            token = self.next()
            if token.kind == k.COMMA:
                column = self.next()
                if column.kind != k.COLUMNNAME:
                    raise self.fail(column, _after_separator(column))
                columns.append(column.text)
                continue
            if token.kind in (k.ASC, k.DESC):
                direction = token.kind
                token = self.next()
            if token.kind in (k.LIMIT, k.SEMICOLON, k.END):
                return tuple(columns), direction, token
            raise self.fail(token, "SEMICOLON")

    def limit(self) -> tuple[tuple[Token, ...], Token]:
        values = [self.expect(k.VALUE)]
        token = self.next()
        if token.kind == k.COMMA:
            values.append(self.expect(k.VALUE))
            token = self.next()
        if token.kind not in (k.SEMICOLON, k.END):
            raise self.fail(token, "SEMICOLON")
        return tuple(values), token


def _after_separator(token: Token) -> str:
    """What the server expects instead of ``token`` after AND, OR or an ORDER BY comma."""
    ends = (k.ORDERBY, k.LIMIT, k.SEMICOLON, k.END)
    return "COLUMNNAME" if token.kind in ends else "SEMICOLON"


def parse(text: str) -> Statement:
    """Parse ``text``; raises :class:`VtqlError` as the server does for a malformed statement."""
    return _Parser(text).statement()
