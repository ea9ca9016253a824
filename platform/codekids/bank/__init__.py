"""The exercise bank: exercises loaded from TOML files, their tests, and grading.

    bank = load_bank(path)                 # cheap: parses TOML, runs nothing
    report = grade(exercise, source, "ro") # runs every test through the sandbox

Test kinds (``kinds/``) and friendly error explanations (``explanations/``) are
small registries: a new kind or a new explanation is one new class in one file.
"""

from __future__ import annotations

from codekids.bank.grading import GradeReport, TestResult, grade
from codekids.bank.loader import load_bank
from codekids.bank.models import Bank, Exercise, ExerciseSet, Problem, TestCase

__all__ = [
    "Bank",
    "Exercise",
    "ExerciseSet",
    "GradeReport",
    "Problem",
    "TestCase",
    "TestResult",
    "grade",
    "load_bank",
]
