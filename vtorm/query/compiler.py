"""Compile a filter tree to statements of the query language.

The language has no brackets, no NOT and no IS NULL, but AND binds tighter
than OR, so any filter can be written in disjunctive normal form once every
negation is pushed down to a leaf operator that exists. Values are converted
to their wire form and checked when a filter is added to a QuerySet, so an
error is raised before anything is sent; compiling the tree later is pure
string work.

A resolved tree (:data:`Node`) is a leaf -- the SQL text of one comparison --
or ``(connector, children)``. ``TRUE`` is the empty AND, ``FALSE`` the empty OR.

The one negation the language lacks is NOT LIKE. A negated LIKE stays a leaf:
the positive comparison's text behind :data:`NOT_LIKE`. The ANDed group holding
it is answered with the server's own LIKE (see :class:`Group`): the rows of the
rest of the group, minus the ids matching the rest AND the positive LIKE.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Union
from urllib.parse import quote as url_quote

import attrs

from vtorm.errors import FieldError, UnsupportedQueryError, ValidationError, did_you_mean
from vtorm.query.lookups import LIKE_FAMILY, OPERATORS, canonical, like_pattern, quote
from vtorm.query.q import AND, OR, Q
from vtorm.types import ASTRAL, WSID, example_id, field_type, to_wire

if TYPE_CHECKING:
    from vtorm.model import FieldInfo, Model

Node = Union[str, tuple[str, tuple["Node", ...]]]  # noqa: UP007 (a runtime alias on 3.10)
TRUE: Final[Node] = (AND, ())
FALSE: Final[Node] = (OR, ())

#: Rows the server answers at most per query.
PAGE: Final = 100
#: Conjunctions ORed in one statement before the filter is split.
MAX_TERMS: Final = 50
#: URL-encoded length of a WHERE clause before the filter is split (the web
#: server refuses URLs over about 8 KB; the rest of the URL needs room too).
MAX_WHERE_CHARS: Final = 5000
#: Encoded length of the values of one IN list before it is split.
IN_CHUNK_CHARS: Final = 1500
#: Conjunctions a filter may expand to before it is refused.
MAX_CONJUNCTIONS: Final = 1000
#: Marks a negated LIKE leaf: NUL can be in no value or pattern (they are
#: refused), so no real comparison text starts with it.
NOT_LIKE: Final = "\x00NOT "


# --------------------------------------------------------------------------- fields


_FIELD_CACHE: dict[type[Any], dict[str, FieldInfo]] = {}
_LOOKUP_CACHE: dict[type[Any], dict[str, tuple[FieldInfo, str]]] = {}


def fields_of(model: type[Model]) -> dict[str, FieldInfo]:
    """Attribute name, wire name and ``pk`` -> FieldInfo, built once per model."""
    known = _FIELD_CACHE.get(model)
    if known is None:
        meta = model._meta
        known = dict(meta.by_wire)
        known.update(meta.fields)
        if "id" in known:
            known["pk"] = known["id"]
        _FIELD_CACHE[model] = known
    return known


def field_info(model: type[Model], name: str) -> FieldInfo:
    """The field called ``name`` (attribute or wire name), or FieldError."""
    info = fields_of(model).get(name)
    if info is None:
        choices = ", ".join(sorted(model._meta.fields))
        raise FieldError(
            f"{model.__name__} has no field {name!r}{did_you_mean(name, model._meta.fields)} "
            f"(module {model._meta.module}); choices are: {choices}"
        )
    return info


def resolve_key(model: type[Model], key: str) -> tuple[FieldInfo, str]:
    """``"lastname__like"`` -> (the lastname FieldInfo, ``"like"``), cached per model."""
    cache = _LOOKUP_CACHE.setdefault(model, {})
    hit = cache.get(key)
    if hit is not None:
        return hit
    name, sep, lookup_name = key.partition("__")
    info = field_info(model, name)
    lookup = canonical(lookup_name) if sep else "exact"
    if lookup is None:
        raise FieldError(
            f"{model.__name__}.{name}: unknown lookup {lookup_name!r}"
            f"{did_you_mean(lookup_name, OPERATORS)}; lookups are: {', '.join(OPERATORS)}"
            + _lookup_advice(info, lookup_name)
        )
    if lookup in LIKE_FAMILY and _is_id_like(info):
        raise FieldError(
            f"{model.__name__}.{name}: lookup {lookup!r} is not possible on a "
            f"{'id' if info.wire == 'id' else info.type} field (the server compares "
            "ids as numbers); use exact, ne, in, lt, lte, gt or gte"
        )
    cache[key] = (info, lookup)
    return info, lookup


def _lookup_advice(info: FieldInfo, lookup_name: str) -> str:
    """What to write instead of a lookup other ORMs have and the query language has not."""
    head = lookup_name.partition("__")[0]
    if head == "isnull":
        if field_type(info.type).text_like:
            instead = f"exclude({info.attr}__like='_%') finds the records whose text is empty"
        else:
            instead = (
                "an empty value of this field cannot be found by a query (an empty date "
                "is NULL, which matches no comparison; an empty number is stored as 0)"
            )
        return f". The query language has no IS NULL and cannot write an empty text: {instead}"
    if info.type == "reference" and head not in OPERATORS:
        return (
            f". A query cannot follow a reference ({info.attr}__{head}): the query language "
            f"has no joins. Filter on the record itself: {info.attr}=<instance or id>, or "
            f"{info.attr}__in=<its QuerySet>.values_list('id', flat=True)"
        )
    return ""


def _is_id_like(info: FieldInfo) -> bool:
    # The server pastes these values into SQL without quotes (after stripping
    # the ``<prefix>x`` part): they must be validated, never escaped.
    return info.wire == "id" or field_type(info.type).id_like


# --------------------------------------------------------------------------- values


def _empty_error(model: type[Model], info: FieldInfo, value: Any) -> ValidationError:
    return ValidationError(
        f"{model.__name__}.{info.attr}: cannot filter on the empty value {value!r}: "
        "the query language has no IS NULL and cannot write an empty string"
    )


def wire_text(model: type[Model], info: FieldInfo, value: Any) -> str:
    """The text of ``value`` as the server stores it in ``info``'s column.

    Raises ValidationError naming model, field and value when the value cannot
    be converted, is empty, or (for ids and references) is not ``<n>x<n>``.
    """
    if value is None:
        raise _empty_error(model, info, value)
    if isinstance(value, str) and info.wire == "id":
        text = _check_id(model, info, value, value)
    elif isinstance(value, str) and field_type(info.type).text_like:
        text = value
        if not text.isascii():
            _check_bmp(model, info, text)
    else:
        converted = to_wire(info, value, model._meta.module)
        text = _as_text(model, info, value, converted)
        if _is_id_like(info):
            text = _check_id(model, info, value, text)
    if not text.strip():
        raise _empty_error(model, info, value)
    if "\x00" in text:
        raise ValidationError(
            f"{model.__name__}.{info.attr}: the value {value!r} holds a NUL character"
        )
    return text


def _check_bmp(model: type[Model], info: FieldInfo, text: str) -> None:
    # The utf8mb3 database stores such characters as '????': nothing can match.
    if ASTRAL.search(text):
        raise ValidationError(
            f"{model.__name__}.{info.attr}: {text!r} holds a character outside the Basic "
            "Multilingual Plane (such as an emoji), which the server cannot store or match"
        )


def _as_text(model: type[Model], info: FieldInfo, value: Any, converted: Any) -> str:
    if converted is None:
        raise _empty_error(model, info, value)
    if isinstance(converted, bool):
        return "1" if converted else "0"
    if isinstance(converted, (str, int, Decimal)):
        return str(converted)
    if isinstance(converted, float):
        return repr(converted)
    if isinstance(converted, (datetime.date, datetime.time)):
        return str(converted)
    raise ValidationError(
        f"{model.__name__}.{info.attr}: cannot filter on {value!r} "
        f"(wire form {converted!r} is not a single value)"
    )


def _check_id(model: type[Model], info: FieldInfo, value: Any, text: str) -> str:
    # The server pastes these values into SQL without quotes, so only a
    # validated <prefix>x<number> may ever reach it.
    if WSID.fullmatch(text) is None:
        raise ValidationError(
            f"{model.__name__}.{info.attr}: {value!r} is not "
            f"{example_id(model._meta.module, info)}"
        )
    meta = model._meta
    if info.wire == "id" and text.partition("x")[0] != meta.id_prefix:
        raise ValidationError(
            f"{model.__name__}.id: {value!r} is not a {meta.module} id "
            f"(their prefix is {meta.id_prefix})"
        )
    return text


# --------------------------------------------------------------------------- resolve


def resolve(model: type[Model], q: Q, negate: bool = False) -> Node:
    """Check ``q`` against ``model`` and return it with every negation pushed to a leaf.

    An empty ``Q()`` (negated or not) filters nothing out.
    """
    if not q.children:
        return TRUE
    negate = negate != q.negated
    connector = q.connector
    if negate:
        connector = OR if connector == AND else AND
    parts: list[Node] = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(resolve(model, child, negate))
        else:
            parts.append(leaf(model, child[0], child[1], negate))
    return combine(connector, parts)


def combine(connector: str, parts: Iterable[Node]) -> Node:
    """``parts`` joined by ``connector``, flattened, with TRUE/FALSE folded away."""
    absorbing = FALSE if connector == AND else TRUE
    out: list[Node] = []
    for part in parts:
        if part == absorbing:
            return absorbing
        if isinstance(part, tuple) and part[0] == connector:
            out.extend(part[1])
        else:
            out.append(part)
    if len(out) == 1:
        return out[0]
    return (connector, tuple(out))


def leaf(model: type[Model], key: str, value: Any, negate: bool) -> Node:
    """The resolved form of one ``key=value`` filter argument."""
    info, lookup = resolve_key(model, key)
    wire = info.wire
    if lookup in LIKE_FAMILY:
        if not isinstance(value, str):
            raise ValidationError(
                f"{model.__name__}.{info.attr}: {lookup} needs a string, not {value!r}"
            )
        if "\x00" in value or (lookup == "like" and not value.strip()):
            raise ValidationError(
                f"{model.__name__}.{info.attr}: the pattern {value!r} cannot be sent"
            )
        if not value.isascii():
            _check_bmp(model, info, value)
        text = f"{wire} LIKE {quote(like_pattern(lookup, value))}"
        # No NOT LIKE to send: answered client-side per ANDed group (see Group).
        return NOT_LIKE + text if negate else text
    if lookup == "in":
        return _in_leaf(model, info, value, negate)
    positive, negative = OPERATORS[lookup]
    op = negative if negate else positive
    return f"{wire} {op} {quote(wire_text(model, info, value))}"


def _in_leaf(model: type[Model], info: FieldInfo, values: Any, negate: bool) -> Node:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{model.__name__}.{info.attr}: 'in' needs a list of values, not {values!r}"
        )
    literals = list(dict.fromkeys(quote(wire_text(model, info, v)) for v in values))
    wire = info.wire
    if negate:
        # NOT IN does not exist: x != a AND x != b ...
        return combine(AND, (f"{wire} != {lit}" for lit in literals))
    chunks: list[Node] = []
    chunk: list[str] = []
    size = 0
    for lit in literals:
        cost = _encoded_len(lit) + 6
        if chunk and size + cost > IN_CHUNK_CHARS:
            chunks.append(f"{wire} IN ({', '.join(chunk)})")
            chunk, size = [], 0
        chunk.append(lit)
        size += cost
    if chunk:
        chunks.append(f"{wire} IN ({', '.join(chunk)})")
    return combine(OR, chunks)


def _encoded_len(text: str) -> int:
    # An upper bound is enough here: the WHERE clauses are measured exactly.
    return 3 * (len(text) if text.isascii() else len(text.encode("utf-8")))


# --------------------------------------------------------------------------- DNF


def to_dnf(node: Node) -> list[tuple[str, ...]]:
    """The conjunctions whose OR is ``node``; ``[]`` is FALSE, ``[()]`` TRUE."""
    if isinstance(node, str):
        return [(node,)]
    connector, children = node
    if connector == OR:
        out: dict[tuple[str, ...], None] = {}
        for child in children:
            for conj in to_dnf(child):
                if not conj:
                    return [()]
                out[conj] = None
        return list(out)
    result: list[tuple[str, ...]] = [()]
    for child in children:
        terms = to_dnf(child)
        if len(result) * len(terms) > MAX_CONJUNCTIONS:
            raise UnsupportedQueryError(
                f"the filter expands to more than {MAX_CONJUNCTIONS} ANDed groups once "
                "written without brackets; simplify it or split it into several querysets"
            )
        result = [
            a + b if not a or not b else tuple(dict.fromkeys(a + b))
            for a in result
            for b in terms
        ]
    return list(dict.fromkeys(result))


@attrs.frozen
class Group:
    """One stream of requests: rows matching ``where`` ("" : every record).

    ``terms`` are the ANDed groups ORed in ``where``, so that a condition can
    be ANDed into each of them (the language has no brackets); ``("",)``
    when ``where`` is empty.

    A group with negated LIKE leaves is sent without them (``where`` is the rest
    of the group) and answered client-side: rows whose id matches one of the
    ``minus`` clauses (the rest AND one positive LIKE) are skipped, and so are
    rows with NULL (an empty date) in one of the ``required`` columns, since no
    comparison, negated or not, holds on NULL; an empty text is ``''`` and does.
    """

    where: str
    minus: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    terms: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)

    def disjuncts(self) -> tuple[str, ...]:
        """The ANDed groups ORed in ``where``."""
        if self.terms:
            return self.terms
        if " OR " in self.where:
            raise ValueError(f"a Group with an OR in {self.where!r} needs its terms")
        return (self.where,)


def where_groups(node: Node) -> tuple[str, ...]:
    """WHERE clauses, one per request, whose results' union is ``node``.

    ``()`` means the filter matches nothing (no request needed); ``("",)``
    means it matches everything (no WHERE). A filter with a negated LIKE needs
    a client-side step and is refused here: use :func:`stream_groups`.
    """
    groups = stream_groups(node)
    if any(g.minus for g in groups):
        raise UnsupportedQueryError(
            "a negated LIKE cannot be written in the query language (it has no NOT "
            "LIKE) and needs a client-side step"
        )
    return tuple(g.where for g in groups)


def stream_groups(node: Node) -> tuple[Group, ...]:
    """The request streams whose results' union is ``node``.

    ``()`` means the filter matches nothing (no request needed); a group whose
    ``where`` is ``""`` matches every record (no WHERE).
    """
    conjunctions: list[tuple[str, ...]]
    if isinstance(node, str):
        conjunctions = [(node,)]
    elif node[0] == AND and node[1] and all(isinstance(c, str) for c in node[1]):
        # A plain AND of comparisons, the usual case: already in normal form.
        conjunctions = [tuple(dict.fromkeys(c for c in node[1] if isinstance(c, str)))]
    else:
        conjunctions = to_dnf(node)
    if not conjunctions:
        return ()
    if conjunctions == [()]:
        return (Group("", terms=("",)),)
    groups: list[Group] = []
    filtered: list[Group] = []
    current: list[str] = []
    size = 0
    for conj in conjunctions:
        if any(term.startswith(NOT_LIKE) for term in conj):
            # Its rows are filtered client-side: a stream of its own.
            filtered.append(_minus_group(conj))
            continue
        text = " AND ".join(conj)
        cost = _checked_len(text)
        if current and (len(current) >= MAX_TERMS or size + cost > MAX_WHERE_CHARS):
            groups.append(Group(" OR ".join(current), terms=tuple(current)))
            current, size = [], 0
        current.append(text)
        size += cost
    if current:
        groups.append(Group(" OR ".join(current), terms=tuple(current)))
    return (*groups, *filtered)


def _minus_group(conj: tuple[str, ...]) -> Group:
    rest = tuple(term for term in conj if not term.startswith(NOT_LIKE))
    likes = tuple(dict.fromkeys(t[len(NOT_LIKE):] for t in conj if t.startswith(NOT_LIKE)))
    where = " AND ".join(rest)
    if where:
        _checked_len(where)
    minus = tuple(" AND ".join(dict.fromkeys((*rest, like))) for like in likes)
    for text in minus:
        _checked_len(text)
    # The comparison text starts with the column's wire name.
    required = tuple(dict.fromkeys(like.partition(" ")[0] for like in likes))
    return Group(where, minus, required, terms=(where,))


def _checked_len(text: str) -> int:
    cost = _where_len(text) + 4
    if cost > MAX_WHERE_CHARS:
        raise UnsupportedQueryError(
            f"one ANDed group of the filter is too long for one request "
            f"({cost} characters in the URL): {text[:120]}..."
        )
    return cost


def where_length(text: str) -> int:
    """An upper bound of the URL-encoded length of a WHERE clause (exact when long)."""
    raw = len(text.encode("utf-8"))
    if raw * 3 <= MAX_WHERE_CHARS:
        return raw * 3
    return len(url_quote(text, safe=""))


def _where_len(text: str) -> int:
    # Cheap upper bound first: most filters are far below the limit.
    raw = len(text.encode("utf-8"))
    if raw * 3 <= MAX_WHERE_CHARS:
        return raw
    return len(url_quote(text, safe=""))
