"""The exercise bank: exercises loaded from TOML files, their tests, and grading.

    bank = load_bank(path)                 # cheap: parses TOML, runs nothing
    report = grade(exercise, source, "ro") # runs every test through the sandbox

Test kinds (``kinds/``) and friendly error explanations (``explanations/``) are
small registries: a new kind or a new explanation is one new class in one file.
"""

from __future__ import annotations

import logging

from flask import Flask

from codekids.bank.grading import GradeReport, TestResult, grade
from codekids.bank.loader import load_bank
from codekids.bank.models import Bank, Exercise, ExerciseSet, Problem, TestCase

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Load the bank named by the settings into ``app.extensions["codekids_bank"]``.

    Cheap (TOML only, no program runs). Broken files are logged and left out;
    the site starts with the valid exercises. A text missing only in Hungarian
    is logged too, and shown in Romanian.
    """
    path = app.config["CODEKIDS"].exercises_path
    bank = load_bank(path)
    for problem in bank.problems:
        log.warning("exercise bank: %s", problem)
    log.info("exercise bank: %d exercises in %d sets from %s", len(bank.exercises),
             len(bank.sets), path)
    app.extensions["codekids_bank"] = bank


def current_bank() -> Bank:
    from flask import current_app

    return current_app.extensions["codekids_bank"]


__all__ = [
    "current_bank",
    "init_app",
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
