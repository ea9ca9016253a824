"""`codekids exercises check|list`, and the bank loaded when the site starts."""

from __future__ import annotations

import logging

import pytest

from .conftest import EXERCISE_TOML, BankDir

BROKEN_SOLUTION = '''
id = "wrong"
order = 2
solution = """
print("Salut")
"""
[title]
ro = "T"
en = "T"
hu = "T"
[statement]
ro = "S"
en = "S"
hu = "S"
[hints]
ro = ["h"]
en = ["h"]
hu = ["h"]
[[tests]]
kind = "io"
stdout = "Salut, lume!\\n"
'''

PASSING_STARTER = BROKEN_SOLUTION.replace('id = "wrong"', 'id = "easy"').replace(
    'print("Salut")', 'print("Salut, lume!")').replace("order = 2", 'order = 3\nstarter = "print(\\"Salut, lume!\\")\\n"')


@pytest.fixture
def small_bank(tmp_path) -> BankDir:
    bank = BankDir(tmp_path / "exercises")
    bank.set()
    bank.exercise("01-hello.toml", ex_id="hello")
    bank.exercise("02-wrong.toml", BROKEN_SOLUTION)
    bank.exercise("03-easy.toml", PASSING_STARTER)
    bank.exercise("04-nohints.toml", BROKEN_SOLUTION.replace('id = "wrong"', 'id = "nohints"')
                  .replace('ro = ["h"]\nen = ["h"]\nhu = ["h"]\n', ""))
    return bank


@pytest.fixture
def app_config(app_config, small_bank):
    return {**app_config, "exercises_path": str(small_bank.root)}


def test_check_lists_every_problem_readably_and_fails(runner, small_bank):
    result = runner.invoke(args=["exercises", "check", str(small_bank.root)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "5 problems in the exercise bank:" in out
    assert "exercises/01-first/02-wrong.toml: tests[1]: the solution does not pass (failed)" in out
    assert "'Salut, lume!'" in out and "'Salut'" in out
    assert ("exercises/01-first/03-easy.toml: starter: the starter code passes every test; "
            "it must fail at least one") in out
    assert ("exercises/01-first/04-nohints.toml: hints.ro: "
            "missing (Romanian, English and Hungarian are required)") in out
    assert "exercises/01-first/04-nohints.toml: hints.hu: missing" in out
    assert "hello" not in out.split("problems in the exercise bank:")[1]
    assert "checked 3/3" in out  # the progress line (stderr, mixed in by the runner)


def test_check_passes_on_a_good_bank(runner, tmp_path):
    bank = BankDir(tmp_path / "good")
    bank.set()
    bank.exercise("01-hello.toml", ex_id="hello")
    result = runner.invoke(args=["exercises", "check", "--quiet", str(bank.root)])
    assert result.exit_code == 0, result.output
    assert "OK: 1 exercises in 1 sets (first 1)." in result.output


def test_check_fails_on_a_bank_that_lacks_only_hungarian(runner, tmp_path):
    bank = BankDir(tmp_path / "nohu" / "exercises")
    bank.set(text='id = "first"\norder = 1\n[title]\nro = "Primii"\nen = "First"\n')
    text = EXERCISE_TOML.format(id="hello", order=1)
    bank.exercise("01-hello.toml", "".join(line for line in text.splitlines(keepends=True)
                                           if not line.startswith("hu = ")))
    result = runner.invoke(args=["exercises", "check", "--quiet", str(bank.root)])
    assert result.exit_code == 1, result.output
    missing = "missing (Romanian, English and Hungarian are required)"
    assert result.output.splitlines() == [
        "4 problems in the exercise bank:",
        f"  exercises/01-first/01-hello.toml: hints.hu: {missing}",
        f"  exercises/01-first/01-hello.toml: statement.hu: {missing}",
        f"  exercises/01-first/01-hello.toml: title.hu: {missing}",
        f"  exercises/01-first/set.toml: title.hu: {missing}",
    ]


def test_check_defaults_to_the_configured_bank(runner):
    result = runner.invoke(args=["exercises", "check", "--quiet"])
    assert result.exit_code == 1 and "02-wrong.toml" in result.output


def test_list_shows_the_sets_and_counts_problems(runner):
    result = runner.invoke(args=["exercises", "list"])
    assert result.exit_code == 0, result.output
    assert "first" in result.output and "hello" in result.output and "wrong" in result.output
    assert "3 exercises in 1 sets." in result.output
    assert "3 problems" in result.output


def test_the_site_starts_with_the_valid_exercises_and_logs_the_broken(app_config, caplog):
    from codekids import create_app

    with caplog.at_level(logging.WARNING, logger="codekids.bank"):
        app = create_app(app_config)
    try:
        bank = app.extensions["codekids_bank"]
        assert set(bank.exercises) == {"hello", "wrong", "easy"}
        assert "04-nohints.toml: hints.en: missing" in caplog.text
    finally:
        app.extensions["codekids_engine"].dispose()


def test_exercises_path_comes_from_the_environment(monkeypatch, tmp_path):
    from codekids.settings import DEFAULT_EXERCISES_PATH, Settings

    monkeypatch.setenv("CODEKIDS_EXERCISES_PATH", str(tmp_path))
    assert Settings.from_env().exercises_path == str(tmp_path)
    monkeypatch.delenv("CODEKIDS_EXERCISES_PATH")
    settings = Settings.from_env()
    settings.resolve(tmp_path / "instance")
    assert settings.exercises_path == str(DEFAULT_EXERCISES_PATH)
    assert DEFAULT_EXERCISES_PATH.name == "exercises"
