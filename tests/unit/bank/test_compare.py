"""Comparison modes, values, and the diff that makes whitespace visible."""

from __future__ import annotations

import pytest

from codekids.bank.compare import (
    MODES,
    first_difference,
    outputs_equal,
    values_equal,
    visible,
    visible_line,
)


@pytest.mark.parametrize(
    ("mode", "expected", "actual", "equal"),
    [
        ("exact", "Salut!\n", "Salut!\n", True),
        ("exact", "Salut!\n", "Salut! \n", False),
        ("exact", "Salut!\n", "Salut!", False),
        ("trailing_whitespace", "Salut!\n", "Salut!   \n\n", True),
        ("trailing_whitespace", "Salut!\n", "Salut!", True),
        ("trailing_whitespace", "a\nb\n", "a  \nb\t\n", True),
        ("trailing_whitespace", "Salut!\n", " Salut!\n", False),
        ("trailing_whitespace", "Salut!\n", "salut!\n", False),
        ("trailing_whitespace", "a\nb\n", "a\n\nb\n", False),
        ("ignore_case", "Salut, ANA!\n", "salut, ana!  \n", True),
        ("ignore_case", "Salut\n", "Salutt\n", False),
        ("numbers", "Aria: 3.14159\n", "Aria: 3.1415901\n", True),
        ("numbers", "3\n", "3.0\n", True),
        ("numbers", "Aria: 3.14\n", "Aria: 3.15\n", False),
        ("numbers", "Aria: 3\n", "Arie: 3\n", False),
        ("numbers", "1 2\n", "1 2 3\n", False),
    ],
)
def test_modes(mode, expected, actual, equal):
    assert outputs_equal(expected, actual, mode) is equal


def test_numbers_mode_uses_the_tolerance():
    assert outputs_equal("2.5\n", "2.6\n", "numbers", tolerance=0.2)
    assert not outputs_equal("2.5\n", "2.6\n", "numbers", tolerance=0.01)


def test_the_default_mode_is_trailing_whitespace_and_all_four_exist():
    assert set(MODES) == {"exact", "trailing_whitespace", "ignore_case", "numbers"}


@pytest.mark.parametrize(
    ("expected", "actual", "mode", "equal"),
    [
        (6, 6, "trailing_whitespace", True),
        (6, 6.0, "trailing_whitespace", True),
        (6, 7, "trailing_whitespace", False),
        (True, 1, "trailing_whitespace", False),
        (1, True, "trailing_whitespace", False),
        (False, False, "exact", True),
        (0.1 + 0.2, 0.3, "trailing_whitespace", True),
        (3.14, 3.1415, "numbers", False),
        ("Ana", "ana", "ignore_case", True),
        ("Ana", "ana", "trailing_whitespace", False),
        ("Ana", "Ana ", "exact", False),
        ([1, [2, 3]], [1, [2, 3]], "exact", True),
        ([1, 2], [2, 1], "exact", False),
        ({"a": 1}, {"a": 1}, "exact", True),
        ({"a": 1}, {"a": 2}, "exact", False),
        ({"a": 1}, {"a": 1, "b": 2}, "exact", False),
        (None, None, "exact", True),
        (6, None, "exact", False),
        ("6", 6, "exact", False),
    ],
)
def test_values(expected, actual, mode, equal):
    assert values_equal(expected, actual, mode) is equal


def test_numbers_mode_for_values_uses_the_tolerance():
    assert values_equal(3.14, 3.1415, "numbers", tolerance=0.01)


def test_whitespace_made_visible():
    assert visible("Salut, Ana!  \n") == "Salut, Ana!␣␣↵"
    assert visible("a\tb\n\nc") == "a→b↵\n↵\nc"
    assert visible("") == "∅"
    assert visible_line("in the middle stays") == "in the middle stays"
    assert visible_line("x\r") == "x␍"


def test_first_difference_line_and_column():
    diff = first_difference("Salut, Ana!\nLa revedere\n", "Salut, Ana!\nLa revedre\n")
    assert (diff.line, diff.column) == (2, 9)
    assert diff.to_dict()["marker"] == "        ^"
    assert diff.expected_line == "La revedere" and diff.actual_line == "La revedre"


def test_first_difference_in_exact_mode_finds_a_trailing_space_and_shows_it():
    diff = first_difference("Salut\n", "Salut \n", "exact")
    assert (diff.line, diff.column) == (1, 6)
    assert diff.actual_line == "Salut␣↵" and diff.expected_line == "Salut↵"


def test_first_difference_ignores_what_the_mode_ignores():
    assert first_difference("Salut\n", "SALUT  \n", "ignore_case") is None
    diff = first_difference("Salut\nAna\n", "SALUT\nAnna\n", "ignore_case")
    assert (diff.line, diff.column) == (2, 3)


def test_first_difference_when_lines_are_missing_or_extra():
    missing = first_difference("a\nb\n", "a\n")
    assert (missing.line, missing.column, missing.actual_line) == (2, 1, None)
    extra = first_difference("a\n", "a\nb\n")
    assert (extra.line, extra.expected_line, extra.actual_line) == (2, None, "b")


def test_no_difference_between_equal_outputs():
    assert first_difference("a\n", "a\n", "exact") is None
