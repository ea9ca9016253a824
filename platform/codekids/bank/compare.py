"""Comparison modes for printed output and returned values, and the visible diff.

A mode normalises each line before comparing; the same normalisation finds the
first difference, so the marked spot is one the mode actually cares about.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MODE = "trailing_whitespace"
DEFAULT_TOLERANCE = 1e-6

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


def _trimmed_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in _lines(text)]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _lines_equal_numbers(expected: str, actual: str, tolerance: float) -> bool:
    exp_parts, act_parts = _NUMBER.split(expected), _NUMBER.split(actual)
    exp_nums, act_nums = _NUMBER.findall(expected), _NUMBER.findall(actual)
    if exp_parts != act_parts or len(exp_nums) != len(act_nums):
        return False
    return all(numbers_close(float(e), float(a), tolerance) for e, a in zip(exp_nums, act_nums, strict=True))


def numbers_close(expected: float, actual: float, tolerance: float) -> bool:
    return math.isclose(expected, actual, rel_tol=tolerance, abs_tol=tolerance)


@dataclass(frozen=True)
class Mode:
    """How two outputs are compared, line by line."""

    name: str
    split: Callable[[str], list[str]]
    line_equal: Callable[[str, str, float], bool]

    def equal(self, expected: str, actual: str, tolerance: float = DEFAULT_TOLERANCE) -> bool:
        exp, act = self.split(expected), self.split(actual)
        return len(exp) == len(act) and all(
            self.line_equal(e, a, tolerance) for e, a in zip(exp, act, strict=True)
        )


MODES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("exact", _lines, lambda e, a, t: e == a),
        Mode("trailing_whitespace", _trimmed_lines, lambda e, a, t: e == a),
        Mode("ignore_case", _trimmed_lines, lambda e, a, t: e.casefold() == a.casefold()),
        Mode("numbers", _trimmed_lines, _lines_equal_numbers),
    )
}


def outputs_equal(expected: str, actual: str, mode: str = DEFAULT_MODE,
                  tolerance: float = DEFAULT_TOLERANCE) -> bool:
    return MODES[mode].equal(expected, actual, tolerance)


def values_equal(expected, actual, mode: str = DEFAULT_MODE,
                 tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """A function's returned value against the expected one (JSON-shaped values).

    ``True`` is not ``1``: a child returning 1 for "is it even?" has not answered
    the question asked. Whole numbers and floats compare by value (6 == 6.0).
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        if mode == "numbers" or isinstance(expected, float) or isinstance(actual, float):
            tol = tolerance if mode == "numbers" else 1e-9
            return numbers_close(float(expected), float(actual), tol)
        return expected == actual
    if isinstance(expected, str) and isinstance(actual, str):
        if mode == "exact":
            return expected == actual
        if mode == "ignore_case":
            return expected.strip().casefold() == actual.strip().casefold()
        if mode == "numbers":
            return outputs_equal(expected, actual, "numbers", tolerance)
        return outputs_equal(expected, actual, "trailing_whitespace")
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(
            values_equal(e, a, mode, tolerance) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return set(map(str, expected)) == set(map(str, actual)) and all(
            values_equal(expected[k], _lookup(actual, k), mode, tolerance) for k in expected
        )
    return expected == actual


def _lookup(mapping: dict, key):
    return mapping[key] if key in mapping else mapping[str(key)]


# ---- making whitespace visible ------------------------------------------------------------

SPACE, NEWLINE, TAB, CR = "␣", "↵", "→", "␍"


def visible_line(line: str) -> str:
    """Tabs as →, and the spaces a reader cannot see (at the line's end) as ␣."""
    body = line.rstrip(" ")
    shown = body + SPACE * (len(line) - len(body))
    return shown.replace("\t", TAB).replace("\r", CR)


def visible(text: str) -> str:
    """Every line ends in ↵ where the program printed a newline; nothing printed shows as ∅."""
    if text == "":
        return "∅"
    parts = text.split("\n")
    shown = [visible_line(p) + NEWLINE for p in parts[:-1]]
    if parts[-1]:
        shown.append(visible_line(parts[-1]))
    return "\n".join(shown)


_WHITESPACE_MARKS = frozenset(" \t\u2423\u21b5\u2192")  # space, tab, ␣, ↵, →


def needs_legend(*shown: str | None, difference: dict | None = None) -> bool:
    """Whether what a test shows needs the ↵ ␣ ∅ legend: one of the ``shown`` texts is
    ∅ (nothing printed), or the first ``difference`` (``Difference.to_dict()``) is at a
    space, a tab or a line's end."""
    if any(text == "\u2205" for text in shown):
        return True
    diff = difference or {}
    column = diff.get("column") or 0
    for line in (diff.get("expected_line"), diff.get("actual_line")):
        if line is not None and (column > len(line) or (column >= 1 and line[column - 1]
                                                          in _WHITESPACE_MARKS)):
            return True
    return False


@dataclass(frozen=True)
class Difference:
    """Where two outputs first differ, 1-based, with both lines shown visibly."""

    line: int
    column: int
    expected_line: str | None  # None: the program printed more lines than expected
    actual_line: str | None  # None: the program stopped before this line

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "expected_line": self.expected_line,
            "actual_line": self.actual_line,
            "marker": " " * (self.column - 1) + "^",
        }


def first_difference(expected: str, actual: str, mode: str = DEFAULT_MODE,
                     tolerance: float = DEFAULT_TOLERANCE) -> Difference | None:
    m = MODES[mode]
    # Raw lines are shown (with their invisible characters); normalised ones are compared.
    raw_exp, raw_act = _lines(expected), _lines(actual)
    if mode == "exact":
        raw_exp = [line + "\n" for line in raw_exp[:-1]] + ([raw_exp[-1]] if raw_exp[-1] else [])
        raw_act = [line + "\n" for line in raw_act[:-1]] + ([raw_act[-1]] if raw_act[-1] else [])
        exp, act = raw_exp, raw_act
    else:
        exp, act = m.split(expected), m.split(actual)
    for i in range(max(len(exp), len(act))):
        e = exp[i] if i < len(exp) else None
        a = act[i] if i < len(act) else None
        if e is not None and a is not None and m.line_equal(e.rstrip("\n"), a.rstrip("\n"),
                                                            tolerance) and (
            mode != "exact" or e == a
        ):
            continue
        column = _first_column(e or "", a or "", mode) if e is not None and a is not None else 1
        shown_e = _show(raw_exp[i]) if e is not None else None
        shown_a = _show(raw_act[i]) if a is not None and i < len(raw_act) else None
        return Difference(i + 1, column, shown_e, shown_a)
    return None


def _show(raw: str) -> str:
    if raw.endswith("\n"):
        return visible_line(raw[:-1]) + NEWLINE
    return visible_line(raw)


def _first_column(expected: str, actual: str, mode: str) -> int:
    if mode == "ignore_case":
        expected, actual = expected.casefold(), actual.casefold()
    for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
        if e != a:
            return i + 1
    return min(len(expected), len(actual)) + 1
