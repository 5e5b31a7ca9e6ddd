"""The lexer of the query language, modal as the 8.4 server's.

The real lexer does not classify a word by its spelling alone: what a token
is depends on where the statement is. ``FROM`` is a keyword only after the
column list, the first word after ``WHERE`` or ``AND``/``OR`` is a column
name, the next one a value, a comma inside ``IN`` a separator but elsewhere
in a condition a column name. Those rules decide which statements the server
refuses, and with which message, so they are reproduced here.

A character no token can start with (``"``, ``.``, a letter outside ASCII
outside quotes) is a lexer error, which the server reports as an internal
error. The lexer is pulled one token at a time by the parser, so a syntax
error earlier in the statement wins over a bad character later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from vtorm.testing.vtql.errors import lexer_error

__all__ = ["END", "Lexer", "Token"]

# Token kinds, spelled as the server names them in its syntax errors.
SELECT = "SELECT"
FRM = "FRM"
COLUMNNAME = "COLUMNNAME"
ASTERISK = "ASTERISK"
COUNT = "COUNT"
PARENOPEN = "PARENOPEN"
PARENCLOSE = "PARENCLOSE"
COMMA = "COMMA"
TABLENAME = "TABLENAME"
WHERE = "WHERE"
LOGICAL_AND = "LOGICAL_AND"
LOGICAL_OR = "LOGICAL_OR"
VALUE = "VALUE"
EQ = "EQ"
LT = "LT"
GT = "GT"
LTE = "LTE"
GTE = "GTE"
NE = "NE"
IN = "IN"
LIKE = "LIKE"
ORDERBY = "ORDERBY"
ASC = "ASC"
DESC = "DESC"
LIMIT = "LIMIT"
SEMICOLON = "SEMICOLON"
END = "End of Input"
# A word the lexer gives no kind in its position (the server calls it "Unknown").
UNKNOWN = "Unknown"

# The shapes of tokens; ASCII \w as in the server's byte-oriented regular expression.
_SHAPE = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<tok>\w+|'(?:[^']|'')+'|\(|\)|[+-]\d+|,|\*|<=|>=|!=|<|>|=|;)",
    re.ASCII | re.DOTALL,
)

_OPERATORS = {"=": EQ, "<": LT, ">": GT, "<=": LTE, ">=": GTE, "!=": NE}
_CLAUSES = ("where", "orderby", "limit")


@dataclass(frozen=True)
class Token:
    """One token: its kind (``UNKNOWN`` when its position gives it none) and its text."""

    kind: str
    text: str

    @property
    def quoted(self) -> bool:
        """Whether the token is a single-quoted literal."""
        return self.text.startswith("'")


class _Modes:
    """The position-dependent classification of raw tokens."""

    def __init__(self) -> None:
        self.head = 0  # 0 select, 1 column list, 2 from, 3 table; 4 = in the clauses
        self.clause = "where"
        self.counting = False
        self.value_next = False  # in WHERE: a column was read, a value comes next
        self.in_list = False
        # One flag, as in the server: set by the word "order" (which is skipped)
        # and by the ORDERBY token; "by" while it is set starts an ORDER BY.
        self.order_flag = False

    def classify(self, text: str) -> str | None:
        """The kind of ``text`` here; None when the token is skipped (the word ``order``)."""
        if self.head < 4:
            return self._head(text)
        if text == ";":
            return SEMICOLON
        low = text.lower()
        if low == "order":
            self.order_flag = True
            return None
        if low == "by" and self.order_flag:
            self.order_flag = False
            self.clause = "orderby"
        if low in _CLAUSES:
            self.clause = low
        if self.clause == "where":
            return self._where(text)
        if self.clause == "orderby":
            return self._orderby(text)
        return self._limit(text)

    def _head(self, text: str) -> str:
        low = text.lower()
        if self.head == 0:
            if low == "select":
                self.head = 1
                return SELECT
            return UNKNOWN
        if self.head == 1:
            if low == "from":
                self.head = 3
                return FRM
            if text == "*":
                if not self.counting:
                    # a plain "*" must be followed by FROM: nothing else has a kind
                    self.head = 2
                return ASTERISK
            if low == "count":
                self.counting = True
                return COUNT
            return {"(": PARENOPEN, ")": PARENCLOSE, ",": COMMA}.get(text, COLUMNNAME)
        if self.head == 2:
            if low == "from":
                self.head = 3
                return FRM
            return UNKNOWN
        self.head = 4
        return UNKNOWN if low == "where" else TABLENAME

    def _where(self, text: str) -> str:
        low = text.lower()
        if text in _OPERATORS:
            return _OPERATORS[text]
        if low == "where":
            return WHERE
        if text == "(":
            return PARENOPEN
        if text == ")":
            if self.in_list:
                self.in_list = False
                self.value_next = False
            return PARENCLOSE
        if low == "and":
            return LOGICAL_AND
        if low == "or":
            return LOGICAL_OR
        if not self.value_next:
            self.value_next = True
            return COLUMNNAME
        if low == "in":
            self.in_list = True
            return IN
        if text == ",":
            return COMMA
        if low == "like":
            return LIKE
        if not self.in_list:
            self.value_next = False
        return VALUE

    def _orderby(self, text: str) -> str:
        if not self.order_flag:
            self.order_flag = True
            return ORDERBY
        if text == ",":
            return COMMA
        low = text.lower()
        if low == "asc":
            return ASC
        if low == "desc":
            return DESC
        return COLUMNNAME

    def _limit(self, text: str) -> str:
        if text.lower() == "limit":
            return LIMIT
        return {"(": PARENOPEN, ")": PARENCLOSE, ",": COMMA}.get(text, VALUE)


class Lexer:
    """Tokens of one statement, pulled one at a time.

    ``last`` is the text the lexer read last (a token, a skipped word or a run
    of whitespace) and ``line`` its line counter: both appear in the server's
    syntax errors, the line counter with the server's miscount (it only moves
    on a whitespace run that is exactly one newline).
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._modes = _Modes()
        self.last = ""
        self.line = 1

    def __iter__(self) -> Iterator[Token]:
        return self

    def __next__(self) -> Token:
        text = self._text
        while self._pos < len(text):
            match = _SHAPE.match(text, self._pos)
            if match is None:
                raise lexer_error()
            self._pos = match.end()
            self.last = match.group(0)
            if self.last == "\n":
                self.line += 1
            raw = match.group("tok")
            if raw is None:
                continue
            kind = self._modes.classify(raw)
            if kind is not None:
                return Token(kind, raw)
        return Token(END, "0")
