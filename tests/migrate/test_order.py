"""Copy order and second-pass fields (vtorm.migrate.order)."""

from __future__ import annotations

import attrs
import pytest
from crm_models import Accounts, Contacts, HelpDesk, Potentials

from vtorm import Model, field
from vtorm.migrate.order import plan_copy
from vtorm.migrate.rows import UsageError

MODELS: dict[str, type[Model]] = {
    "Accounts": Accounts, "Contacts": Contacts, "Potentials": Potentials, "HelpDesk": HelpDesk
}  # fmt: skip


def test_modules_follow_their_references() -> None:
    plan = plan_copy(MODELS, ["HelpDesk", "Potentials", "Contacts", "Accounts"])
    order = list(plan.order)
    assert order.index("Accounts") < order.index("Contacts") < order.index("Potentials")
    assert order.index("Contacts") < order.index("HelpDesk")
    assert plan.deferred["Accounts"] == {"account_id"}
    assert plan.deferred["Contacts"] == {"contact_id"}
    assert plan.deferred["Potentials"] == frozenset()


@attrs.define(kw_only=True, eq=False, slots=False)
class Eggs(Model):
    class Meta:
        module = "Eggs"
        id_prefix = "90"

    hen_id: str | None = field("hen_id", "reference", refers_to=("Hens",))


@attrs.define(kw_only=True, eq=False, slots=False)
class Hens(Model):
    class Meta:
        module = "Hens"
        id_prefix = "91"

    egg_id: str | None = field("egg_id", "reference", refers_to=("Eggs",), mandatory=True)


@attrs.define(kw_only=True, eq=False, slots=False)
class Rocks(Model):
    class Meta:
        module = "Rocks"
        id_prefix = "92"

    paper_id: str | None = field("paper_id", "reference", refers_to=("Papers",), mandatory=True)


@attrs.define(kw_only=True, eq=False, slots=False)
class Papers(Model):
    class Meta:
        module = "Papers"
        id_prefix = "93"

    rock_id: str | None = field("rock_id", "reference", refers_to=("Rocks",), mandatory=True)


def test_a_cycle_is_broken_at_a_field_that_is_not_mandatory() -> None:
    plan = plan_copy({"Eggs": Eggs, "Hens": Hens}, ["Eggs", "Hens"])
    assert plan.order == ("Eggs", "Hens")
    assert plan.deferred == {"Eggs": {"hen_id"}, "Hens": frozenset()}


def test_a_cycle_of_mandatory_fields_cannot_be_copied() -> None:
    with pytest.raises(UsageError, match="mandatory fields only"):
        plan_copy({"Rocks": Rocks, "Papers": Papers}, ["Rocks", "Papers"])
