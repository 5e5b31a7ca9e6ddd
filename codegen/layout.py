"""Line layout of the few statement shapes the generator writes, as ruff format lays them out.

The generated module must come out already formatted at ruff's (and black's)
default line length, 88, so it stays byte-stable when a user's formatter
runs over it with default settings. These
functions reproduce ruff's choices for exactly the shapes the renderer uses:
``name: annotation = call(args)``, ``name = Literal[items]`` and
``name = (items)``; ``tests/codegen`` checks them against ruff itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import attrs

__all__ = [
    "WIDTH",
    "Arg",
    "assignment",
    "field_statement",
    "py_string",
    "subscript_assignment",
    "width",
]

WIDTH = 88
INDENT = "    "


def py_string(text: str) -> str:
    """``text`` as a Python string literal, quoted as ruff format quotes it.

    Double quotes unless the text holds more double than single quotes;
    control and other unprintable characters escaped, printable ones kept.
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return quote + "".join(out) + quote


@attrs.frozen
class Arg:
    """One call argument: ``text`` flat, or a keyword whose value is a tuple of literals."""

    text: str
    keyword: str | None = None
    items: tuple[str, ...] | None = None

    @classmethod
    def tuple_(cls, keyword: str, items: Sequence[str]) -> Arg:
        """``keyword=(item, ...)``."""
        items = tuple(items)
        return cls(text=f"{keyword}={_flat_tuple(items)}", keyword=keyword, items=items)

    def lines(self, indent: str, suffix: str) -> list[str]:
        """The argument on one line, or (a tuple) exploded one item per line."""
        flat = indent + self.text + suffix
        if _fits(flat) or self.items is None:
            return [flat]
        inner = indent + INDENT
        return [
            f"{indent}{self.keyword}=(",
            *(f"{inner}{item}," for item in self.items),
            f"{indent}){suffix}",
        ]


def width(text: str) -> int:
    """Columns ``text`` takes as ruff counts them: wide East Asian characters count two."""
    if text.isascii():
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _fits(line: str) -> bool:
    return width(line) <= WIDTH


def _flat_tuple(items: Sequence[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def _flat_call(name: str, args: Sequence[Arg]) -> str:
    return f"{name}(" + ", ".join(arg.text for arg in args) + ")"


def _call_lines(head: str, name: str, args: Sequence[Arg], indent: str, tail: str) -> list[str]:
    """``head`` + a call split after its opening bracket; ``tail`` follows the closing one."""
    inner = indent + INDENT
    body = inner + ", ".join(arg.text for arg in args)
    lines = [f"{head}{name}("]
    if _fits(body):
        lines.append(body)
    else:
        for arg in args:
            lines.extend(arg.lines(inner, ","))
    lines.append(f"{indent}){tail}")
    return lines


def field_statement(
    indent: str,
    target: str,
    union: Sequence[str],
    call: str,
    args: Sequence[Arg],
    wrapper: str | None = None,
) -> list[str]:
    """``target: A | B = call(args)`` laid out as ruff format does.

    ``wrapper`` puts the union inside a subscript: ``target: Final[A | B] = ...``.
    """
    annotation = " | ".join(union)
    opening, closing = "(", ")"
    if wrapper is not None:
        # A subscript is split inside its own brackets, not wrapped in parentheses.
        opening, closing = f"{wrapper}[", "]"
        annotation = f"{wrapper}[{annotation}]"
    flat_call = _flat_call(call, args)
    single = f"{indent}{target}: {annotation} = {flat_call}"
    if _fits(single):
        return [single]
    head = f"{indent}{target}: {annotation} = "
    if _fits(f"{head}{call}("):
        return _call_lines(head, call, args, indent, "")
    inner = indent + INDENT
    if _fits(f"{head}("):
        # ruff wraps the whole value in parentheses before splitting the target.
        if _fits(inner + flat_call):
            return [f"{head}(", inner + flat_call, f"{indent})"]
        return [f"{head}(", *_call_lines(inner, call, args, inner, ""), f"{indent})"]
    lines = [f"{indent}{target}: {opening}"]
    inside = annotation if wrapper is None else " | ".join(union)
    if _fits(inner + inside) or len(union) == 1:
        lines.append(inner + inside)
    else:
        lines.append(inner + union[0])
        lines.extend(f"{inner}| {member}" for member in union[1:])
    if _fits(f"{indent}{closing} = {flat_call}"):
        lines.append(f"{indent}{closing} = {flat_call}")
    else:
        lines.extend(_call_lines(f"{indent}{closing} = ", call, args, indent, ""))
    return lines


def subscript_assignment(target: str, name: str, items: Sequence[str]) -> list[str]:
    """``target = name[item, ...]`` at module level."""
    single = f"{target} = {name}[" + ", ".join(items) + "]"
    if _fits(single):
        return [single]
    body = INDENT + ", ".join(items)
    if _fits(body) or len(items) == 1:
        return [f"{target} = {name}[", body, "]"]
    return [f"{target} = {name}[", *(f"{INDENT}{item}," for item in items), "]"]


def assignment(indent: str, target: str, items: Sequence[str]) -> list[str]:
    """``target = (item, ...)``: a tuple of literals."""
    single = f"{indent}{target} = {_flat_tuple(items)}" if items else f"{indent}{target} = ()"
    if _fits(single) or not items:
        return [single]
    inner = indent + INDENT
    return [f"{indent}{target} = (", *(f"{inner}{item}," for item in items), f"{indent})"]
