"""vtorm.query.collation: the client's model of utf8_general_ci, which the emulator uses too."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from query_brute import fold as brute_fold
from query_brute import fold_no_strip as brute_fold_no_strip

from vtorm.query.collation import fold, fold_each, group_key, is_empty
from vtorm.testing.vtql import functions

TEXTS = st.text(
    alphabet=st.one_of(
        st.sampled_from(" _^%\\ßøØđĐłŁÅåÉéñÑİıǅﬁ"), st.characters(codec="utf-8")
    ),
    max_size=12,
)


def test_case_accents_and_trailing_spaces_do_not_count() -> None:
    assert fold("Émile") == fold("emile") == fold("EMILE  ") == "EMILE"
    assert fold("Ångström ß") == "ANGSTROM S"
    assert fold("Straße") == fold("STRASE")
    assert fold("Øre") == fold("ore")
    assert fold(" lead") != fold("lead")  # leading spaces count
    assert fold("a_b") > fold("azb")  # "_" sorts after the letters, as on the server


def test_fold_each_keeps_trailing_spaces_for_like() -> None:
    assert fold_each("Émile  ") == "EMILE  "
    assert fold_each("ß") == "S"  # one character for one: "_" still stands for one


@given(TEXTS)
def test_fold_is_fold_each_without_trailing_spaces(text: str) -> None:
    assert fold(text) == fold_each(text).rstrip(" ")
    assert len(fold_each(text)) == len(text)


@given(TEXTS)
def test_agrees_with_the_independent_model_of_the_tests(text: str) -> None:
    assert fold(text) == brute_fold(text)
    assert fold_each(text) == brute_fold_no_strip(text)


def test_the_emulator_compares_with_this_model() -> None:
    # One model for client and emulator: the emulator imports it.
    assert functions.fold is fold and functions.fold_each is fold_each


def test_empty_values_and_group_keys() -> None:
    assert all(is_empty(v) for v in (None, "", "   "))
    assert not any(is_empty(v) for v in ("0", 0, " x"))
    assert group_key("string", "Émile ") == group_key("string", "emile") == "EMILE"
    assert group_key("string", "  ") == group_key("date", None) == ""
    assert group_key("date", "2026-01-02") == "2026-01-02"
    assert group_key("integer", 7) == "7"
