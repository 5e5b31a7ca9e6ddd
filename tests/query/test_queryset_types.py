"""What mypy --strict sees of a QuerySet: instances, or the rows values()/values_list() yield."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from strict_mypy import strict_mypy

ROOT = Path(__file__).resolve().parent.parent.parent

SNIPPET = '''\
from typing import Any, ClassVar

import attrs
from crm_models import Contacts
from vtorm import Q
from vtorm.query.manager import Manager
from vtorm.query.queryset import QuerySet


class ContactQuerySet(QuerySet[Contacts]):
    def managers(self) -> ContactQuerySet:
        return self.filter(title__like="%manager%")


@attrs.define(kw_only=True, eq=False, slots=False)
class Staff(Contacts):
    objects: ClassVar[Any] = Manager.from_queryset(ContactQuerySet)()


def names(qs: QuerySet[Contacts]) -> list[str | None]:
    return [c.firstname for c in qs]


flag = bool(len(Contacts.__name__) % 2)
qs: QuerySet[Contacts] = Contacts.objects.filter(Q(lastname="x") | Q(firstname="y"))
reveal_type(Contacts.objects)
reveal_type(qs)
reveal_type(Contacts.objects.exclude(lastname="x").order_by("-lastname")[:5])
reveal_type(Contacts.objects.all()[0])
reveal_type(Contacts.objects.get(lastname="x"))
reveal_type(Contacts.objects.first())
reveal_type([c for c in Contacts.objects.all().iterator()])
reveal_type([d for d in Contacts.objects.values("lastname")])
reveal_type([d for d in Contacts.objects.values()])
reveal_type([t for t in Contacts.objects.values_list("lastname", "firstname")])
reveal_type([v for v in Contacts.objects.values_list("lastname", flat=True)])
reveal_type(Contacts.objects.values_list("lastname", flat=flag))
reveal_type(qs.values("lastname").filter(firstname="y").order_by("lastname")[:3].first())
reveal_type(qs.values_list("lastname")[0])
reveal_type(qs.values_list("lastname").get(firstname="y"))
reveal_type(ContactQuerySet(Contacts).managers())
reveal_type(ContactQuerySet(Contacts).filter(lastname="x").managers().order_by("email")[:9])
reveal_type(ContactQuerySet(Contacts).values("lastname"))
reveal_type(Contacts.objects.get_or_create(lastname="x"))
reveal_type(Contacts.objects.in_bulk())
manager: Manager[Contacts] = Contacts.objects
names(Contacts.objects.all())
names(ContactQuerySet(Contacts))
rows: QuerySet[Contacts, dict[str, Any]] = Contacts.objects.values("lastname")
wrong: QuerySet[Contacts] = Contacts.objects.values("lastname")
names(Contacts.objects.values_list("lastname"))
[d.lastname for d in Contacts.objects.values("lastname")]
'''

CONTACTS = "crm_models.Contacts"
QS = "vtorm.query.queryset.QuerySet"
EXPECTED = [
    f'Revealed type is "vtorm.query.manager.Manager[{CONTACTS}]"',
    f'Revealed type is "{QS}[{CONTACTS}, {CONTACTS}]"',
    f'Revealed type is "{QS}[{CONTACTS}, {CONTACTS}]"',
    f'Revealed type is "{CONTACTS}"',
    f'Revealed type is "{CONTACTS}"',
    f'Revealed type is "{CONTACTS} | None"',
    f'Revealed type is "builtins.list[{CONTACTS}]"',
    'Revealed type is "builtins.list[builtins.dict[builtins.str, Any]]"',
    'Revealed type is "builtins.list[builtins.dict[builtins.str, Any]]"',
    'Revealed type is "builtins.list[builtins.tuple[Any, ...]]"',
    'Revealed type is "builtins.list[Any]"',
    f'Revealed type is "{QS}[{CONTACTS}, Any]"',
    'Revealed type is "builtins.dict[builtins.str, Any] | None"',
    'Revealed type is "builtins.tuple[Any, ...]"',
    'Revealed type is "builtins.tuple[Any, ...]"',
    'Revealed type is "use_querysets.ContactQuerySet"',
    'Revealed type is "use_querysets.ContactQuerySet"',
    f'Revealed type is "{QS}[{CONTACTS}, builtins.dict[builtins.str, Any]]"',
    f'Revealed type is "tuple[{CONTACTS}, builtins.bool]"',
    f'Revealed type is "builtins.dict[Any, {CONTACTS}]"',
    'Incompatible types in assignment (expression has type "QuerySet[Contacts, dict[str, '
    'Any]]", variable has type "QuerySet[Contacts, Contacts]")  [assignment]',
    'Argument 1 to "names" has incompatible type "QuerySet[Contacts, tuple[Any, ...]]"; '
    'expected "QuerySet[Contacts, Contacts]"  [arg-type]',
    '"dict[str, Any]" has no attribute "lastname"  [attr-defined]',
]


def _normalise(message: str) -> str:
    # mypy writes builtins unqualified in some versions and qualified in others.
    return re.sub(r"\bbuiltins\.", "", message)


def test_mypy_strict_sees_instances_dicts_tuples_and_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = tmp_path / "use_querysets.py"
    snippet.write_text(SNIPPET, encoding="utf-8")
    monkeypatch.setenv("MYPYPATH", str(ROOT / "tests"))
    stdout, stderr, status = strict_mypy(
        snippet, options=("--hide-error-context", "--no-error-summary")
    )
    # (mypy may name the file by the path it had when it was cached.)
    found = [
        line.rpartition("use_querysets.py:")[2].partition(": ")[2].partition(": ")[2]
        for line in stdout.splitlines()
        if "use_querysets.py:" in line
    ]
    assert [_normalise(m) for m in found] == [_normalise(m) for m in EXPECTED], stdout + stderr
    assert status == 1
