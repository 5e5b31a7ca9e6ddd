"""The compiler alone: filters -> statements, no server, no model runtime."""

from __future__ import annotations

import crm_models
import pytest
from query_fakes import Contacts

from vtorm.errors import FieldError, ValidationError
from vtorm.query import Q, UnsupportedQueryError
from vtorm.query.compiler import (
    FALSE,
    TRUE,
    Group,
    leaf,
    resolve,
    stream_groups,
    to_dnf,
    where_groups,
)
from vtorm.query.lookups import like_pattern, quote
from vtorm.query.query import Query


def where(q: Q, negate: bool = False) -> tuple[str, ...]:
    return where_groups(resolve(Contacts, q, negate))  # type: ignore[arg-type]


def test_mission_example_statement() -> None:
    query = Query(
        Contacts,  # type: ignore[arg-type]
        resolve(Contacts, Q(lastname__like="Sm%")),  # type: ignore[arg-type]
        (("email", False),),
        0,
        50,
    )
    assert str(query) == (
        "SELECT * FROM Contacts WHERE lastname LIKE 'Sm%' ORDER BY email LIMIT 50;"
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (Q(lastname="Smith"), "lastname = 'Smith'"),
        (Q(lastname__ne="Smith"), "lastname != 'Smith'"),
        (Q(lastname__lt="M"), "lastname < 'M'"),
        (Q(lastname__lte="M"), "lastname <= 'M'"),
        (Q(lastname__gt="M"), "lastname > 'M'"),
        (Q(lastname__gte="M"), "lastname >= 'M'"),
        (Q(lastname__in=["a", "b", "a"]), "lastname IN ('a', 'b')"),
        (Q(lastname__contains="mi"), "lastname LIKE '%mi%'"),
        (Q(lastname__icontains="mi"), "lastname LIKE '%mi%'"),
        (Q(lastname__startswith="Sm"), "lastname LIKE 'Sm%'"),
        (Q(lastname__endswith="th"), "lastname LIKE '%th'"),
        (Q(lastname__iexact="smith"), "lastname = 'smith'"),
        (Q(class_="A"), "class = 'A'"),
        (Q(pk="12x8"), "id = '12x8'"),
        (Q(account_id="11x2"), "account_id = '11x2'"),
    ],
)
def test_each_lookup(q: Q, expected: str) -> None:
    assert where(q) == (expected,)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (Q(lastname="Smith"), "lastname != 'Smith'"),
        (Q(lastname__ne="Smith"), "lastname = 'Smith'"),
        (Q(lastname__lt="M"), "lastname >= 'M'"),
        (Q(lastname__lte="M"), "lastname > 'M'"),
        (Q(lastname__gt="M"), "lastname <= 'M'"),
        (Q(lastname__gte="M"), "lastname < 'M'"),
        (Q(lastname__in=["a", "b"]), "lastname != 'a' AND lastname != 'b'"),
        (Q(lastname="a", firstname="b"), "lastname != 'a' OR firstname != 'b'"),
    ],
)
def test_negation_is_pushed_to_leaves(q: Q, expected: str) -> None:
    assert where(q, negate=True) == (expected,)
    assert where(~q) == (expected,)


def test_double_negation_is_identity() -> None:
    assert where(~~Q(lastname="x")) == ("lastname = 'x'",)


def test_dnf_distributes_and_over_or() -> None:
    q = (Q(lastname="a") | Q(lastname="b")) & (Q(firstname="c") | Q(firstname="d"))
    assert where(q) == (
        "lastname = 'a' AND firstname = 'c' OR lastname = 'a' AND firstname = 'd' OR "
        "lastname = 'b' AND firstname = 'c' OR lastname = 'b' AND firstname = 'd'",
    )


def test_or_inside_and_under_negation() -> None:
    q = ~(Q(lastname="a") | Q(firstname="b")) | Q(title="t")
    assert where(q) == ("lastname != 'a' AND firstname != 'b' OR title = 't'",)


def test_true_and_false_fold_away() -> None:
    assert where(Q(lastname__in=[])) == ()
    assert where(Q(lastname__in=[]) | Q(lastname="x")) == ("lastname = 'x'",)
    assert where(~Q(lastname__in=[])) == ("",)
    assert where(Q(lastname="x") | ~Q(lastname__in=[])) == ("",)
    assert where(Q()) == ("",)
    assert where(~Q()) == ("",)
    assert where(~Q() & Q(lastname="x")) == ("lastname = 'x'",)
    assert to_dnf(TRUE) == [()]
    assert to_dnf(FALSE) == []


def test_duplicate_conjunctions_and_leaves_collapse() -> None:
    q = (Q(lastname="a") | Q(lastname="a")) & Q(lastname="a")
    assert where(q) == ("lastname = 'a'",)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("O'Brien", "'O''Brien'"),
        ("Slash\\Name", "'Slash\\\\Name'"),
        ("trail\\", "'trail\\\\'"),
        ("' OR 1=1", "''' OR 1=1'"),
        ("100% _x_", "'100% _x_'"),
        ('Dwayne "The Rock"', "'Dwayne \"The Rock\"'"),
        ("山田", "'山田'"),
        ("a;b", "'a;b'"),
    ],
)
def test_values_are_quoted_literally(value: str, literal: str) -> None:
    assert quote(value) == literal
    assert where(Q(lastname=value)) == (f"lastname = {literal}",)


@pytest.mark.parametrize(
    ("lookup", "value", "pattern"),
    [
        ("contains", "100%", "%100\\%%"),
        ("contains", "a_b", "%a\\_b%"),
        ("contains", "a\\b", "%a\\\\b%"),
        ("startswith", "50%", "50\\%%"),
        ("endswith", "_x", "%\\_x"),
        ("like", "a_%", "a_%"),
        ("contains", "", "%%"),
    ],
)
def test_like_family_escapes_wildcards_but_like_passes_through(
    lookup: str, value: str, pattern: str
) -> None:
    assert like_pattern(lookup, value) == pattern


def test_literal_backslash_in_contains_needs_four() -> None:
    assert where(Q(lastname__contains="\\")) == ("lastname LIKE '%\\\\\\\\%'",)


@pytest.mark.parametrize(
    "value",
    ["11x0 or 1=1", "11x2'", "2", "x2", "11x", "", "11x2 ", " 11x2", "abc"],
)
def test_reference_values_are_validated(value: str) -> None:
    with pytest.raises(ValidationError, match="account_id"):
        where(Q(account_id=value))
    with pytest.raises(ValidationError, match="assigned_user_id"):
        where(Q(assigned_user_id__in=["19x1", value]))


def test_id_prefix_must_be_the_models() -> None:
    with pytest.raises(ValidationError, match="not a Contacts id"):
        where(Q(id="11x8"))
    with pytest.raises(ValidationError, match="12x8 or"):
        where(Q(id="12x8 or 1=1"))


def test_empty_values_are_refused() -> None:
    for value in ("", "   ", None):
        with pytest.raises(ValidationError, match="empty"):
            where(Q(lastname=value))
    with pytest.raises(ValidationError):
        where(Q(lastname__like=""))
    with pytest.raises(ValidationError, match="NUL"):
        where(Q(lastname="a\x00b"))


def test_unknown_field_and_lookup_name_model_and_field() -> None:
    with pytest.raises(FieldError, match=r"Contacts has no field 'nosuch'"):
        where(Q(nosuch="x"))
    with pytest.raises(FieldError, match=r"Contacts\.lastname: unknown lookup 'regex'"):
        where(Q(lastname__regex="x"))
    with pytest.raises(FieldError, match="not possible on a reference"):
        where(Q(account_id__contains="11"))
    with pytest.raises(FieldError, match="not possible on a id"):
        where(Q(id__startswith="12x"))


def test_a_misspelt_field_or_lookup_names_the_closest_one() -> None:
    with pytest.raises(FieldError, match=r"has no field 'lastnme' \(did you mean 'lastname'\?\)"):
        where(Q(lastnme="x"))
    with pytest.raises(FieldError) as caught:
        where(Q(lastname__startwith="x"))
    assert "unknown lookup 'startwith' (did you mean 'startswith'?); lookups are:" in str(
        caught.value
    )


def test_lookups_of_other_orms_say_what_to_write_instead() -> None:
    contacts = crm_models.Contacts.objects
    with pytest.raises(FieldError) as caught:
        contacts.filter(email__isnull=True)
    assert str(caught.value).endswith(
        "The query language has no IS NULL and cannot write an empty text: "
        "exclude(email__like='_%') finds the records whose text is empty"
    )
    with pytest.raises(FieldError, match="an empty date is NULL"):
        contacts.filter(birthday__isnull=True)
    # Following a reference, as Django's account__name does: no joins.
    with pytest.raises(FieldError) as caught:
        contacts.filter(account_id__accountname="Acme")
    assert "A query cannot follow a reference (account_id__accountname)" in str(caught.value)
    assert "account_id__in=<its QuerySet>.values_list('id', flat=True)" in str(caught.value)


def test_an_id_of_the_wrong_shape_shows_one_of_the_right_shape() -> None:
    contacts = crm_models.Contacts.objects
    with pytest.raises(ValidationError, match=r"5 is not a record id like '11x8'"):
        contacts.filter(account_id=5)
    with pytest.raises(ValidationError, match="'admin' is not a user's or group's id like '19x1'"):
        contacts.filter(assigned_user_id="admin")
    with pytest.raises(ValidationError, match=r"'999' is not a record id like '12x8'"):
        contacts.filter(id="999")


def streams(q: Q, negate: bool = False) -> tuple[Group, ...]:
    return stream_groups(resolve(Contacts, q, negate))  # type: ignore[arg-type]


def test_negated_like_has_no_where_clause() -> None:
    with pytest.raises(UnsupportedQueryError, match="NOT LIKE"):
        where(~Q(lastname__contains="x"))
    with pytest.raises(UnsupportedQueryError):
        where(Q(lastname__startswith="x"), negate=True)


@pytest.mark.parametrize(
    ("q", "pattern"),
    [
        (~Q(lastname__contains="x"), "'%x%'"),
        (~Q(lastname__icontains="x"), "'%x%'"),
        (~Q(lastname__startswith="a_"), "'a\\\\_%'"),
        (~Q(lastname__istartswith="a"), "'a%'"),
        (~Q(lastname__endswith="z"), "'%z'"),
        (~Q(lastname__iendswith="z"), "'%z'"),
        (~Q(lastname__like="Sm%"), "'Sm%'"),
        (~Q(lastname__ilike="Sm%"), "'Sm%'"),
    ],
)
def test_a_lone_negated_like_reads_everything_minus_the_positive(q: Q, pattern: str) -> None:
    assert streams(q) == (Group("", (f"lastname LIKE {pattern}",), ("lastname",)),)


def test_negated_likes_in_one_group_share_the_rest() -> None:
    q = Q(firstname="Ann") & ~Q(lastname__like="Sm%") & ~Q(email__contains="@x")
    assert streams(q) == (
        Group(
            "firstname = 'Ann'",
            ("firstname = 'Ann' AND lastname LIKE 'Sm%'",
             "firstname = 'Ann' AND email LIKE '%@x%'"),
            ("lastname", "email"),
        ),
    )
    # exclude() of an AND is an OR: one stream per negated leaf.
    assert set(streams(Q(lastname__like="a%", title="CTO"), negate=True)) == {
        Group("", ("lastname LIKE 'a%'",), ("lastname",)),
        Group("title != 'CTO'"),
    }


def test_a_negated_like_group_is_a_stream_of_its_own() -> None:
    q = Q(title="a") | Q(title="b") | (Q(firstname="c") & ~Q(lastname__endswith="x"))
    assert set(streams(q)) == {
        Group("title = 'a' OR title = 'b'"),
        Group("firstname = 'c'", ("firstname = 'c' AND lastname LIKE '%x'",), ("lastname",)),
    }
    # The positive and the negated LIKE together match nothing: the rest is skipped whole.
    both = streams(Q(lastname__like="a%") & ~Q(lastname__like="a%"))
    assert both == (Group("lastname LIKE 'a%'", ("lastname LIKE 'a%'",), ("lastname",)),)


def test_negated_like_plan_and_statement() -> None:
    query = Query(Contacts, resolve(Contacts, ~Q(lastname__contains="x")),  # type: ignore[arg-type]
                  (("firstname", False),), 0, 10, ("firstname",))
    assert query.client_side
    # The ids to skip are read first; the rest is then read from its start.
    assert str(query) == "SELECT id FROM Contacts WHERE lastname LIKE '%x%' ORDER BY id LIMIT 100;"
    assert query.extra_columns == ("lastname",)
    assert query.statement("", 0, 100) == (
        "SELECT firstname, lastname FROM Contacts ORDER BY firstname, id LIMIT 100;"
    )
    descending = query.clone(ordering=(("firstname", True),))
    assert descending.plan.kind == "descending"  # pages by keyset, ties in id order
    mixed = query.clone(ordering=(("firstname", True), ("lastname", True)))
    with pytest.raises(UnsupportedQueryError, match="negated LIKE"):
        mixed.plan  # noqa: B018
    assert mixed.clone(high=None).plan.reverse  # the whole result, read backwards
    merged = query.with_where(resolve(Contacts, Q(title="a") | ~Q(lastname__like="b")))  # type: ignore[arg-type]
    with pytest.raises(UnsupportedQueryError, match="merged in id order"):
        merged.plan  # noqa: B018
    assert merged.clone(ordering=()).plan.server == (("id", False),)
    plain_first = Query(Contacts, resolve(Contacts, Q(title="a") | ~Q(lastname__like="b")),  # type: ignore[arg-type]
                        (), 0, 10)
    assert [g.minus for g in plain_first.streams] == [(), ("lastname LIKE 'b'",)]
    assert str(plain_first) == "SELECT * FROM Contacts WHERE title = 'a' ORDER BY id LIMIT 10;"


def test_negated_like_keeps_the_length_checks() -> None:
    with pytest.raises(UnsupportedQueryError, match="too long"):
        streams(~Q(lastname__contains="ü" * 1000))


def test_in_needs_a_list() -> None:
    with pytest.raises(ValidationError, match="list"):
        leaf(Contacts, "lastname__in", "abc", False)  # type: ignore[arg-type]


def test_long_in_list_is_split_over_requests() -> None:
    ids = [f"12x{n}" for n in range(1, 1041)]
    groups = where(Q(id__in=ids))
    assert len(groups) > 1
    seen = []
    for group in groups:
        assert len(group) < 5100
        for part in group.split(" OR "):
            assert part.startswith("id IN (")
            seen += part[len("id IN (") : -1].split(", ")
    assert seen == [f"'{i}'" for i in ids]


def test_many_conjunctions_are_split_by_count() -> None:
    q = Q()
    for n in range(120):
        q |= Q(lastname=f"n{n}")
    groups = where(q)
    assert [g.count(" OR ") + 1 for g in groups] == [50, 50, 20]


def test_exploding_filter_is_refused() -> None:
    q = Q()
    for n in range(12):
        q &= Q(lastname=f"a{n}") | Q(firstname=f"b{n}")
    with pytest.raises(UnsupportedQueryError, match="more than"):
        where(q)


def test_long_not_in_chain_is_refused_not_truncated() -> None:
    q = ~Q(lastname__in=[f"name{n:04d}" for n in range(400)])
    with pytest.raises(UnsupportedQueryError, match="too long"):
        where(q)
