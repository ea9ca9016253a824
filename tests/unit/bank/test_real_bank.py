"""The real bank in exercises/ passes `codekids exercises check` (CI runs this)."""

from __future__ import annotations

from click.testing import CliRunner

from codekids.bank import load_bank
from codekids.bank.check import check_bank
from codekids.settings import DEFAULT_EXERCISES_PATH


def test_the_real_bank_passes_the_check(sandbox):
    bank = load_bank(DEFAULT_EXERCISES_PATH)
    problems = check_bank(bank, sandbox)
    assert not problems, "\n".join(str(p) for p in problems)
    assert bank.exercises, "the bank is empty"


def test_the_check_command_passes_on_the_real_bank(runner):
    result = runner.invoke(args=["exercises", "check", "--quiet", str(DEFAULT_EXERCISES_PATH)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")


def test_the_cli_entry_point_exists():
    from codekids.cli import cli

    result = CliRunner().invoke(cli, ["exercises", "--help"])
    assert result.exit_code == 0 and "check" in result.output


def test_the_readme_example_is_a_valid_exercise_that_passes_the_check(tmp_path, sandbox):
    import re

    readme = (DEFAULT_EXERCISES_PATH / "README.md").read_text(encoding="utf-8")
    set_toml, exercise_toml = re.findall(r"```toml\n(.*?)```", readme, re.S)[:2]
    folder = tmp_path / "exercises" / "01-example"
    folder.mkdir(parents=True)
    (folder / "set.toml").write_text(set_toml, encoding="utf-8")
    (folder / "04-double.toml").write_text(exercise_toml, encoding="utf-8")
    bank = load_bank(tmp_path / "exercises")
    assert list(bank.exercises) == ["double-the-apples"]
    assert check_bank(bank, sandbox) == []


def test_the_bank_has_the_content_the_initiative_asked_for():
    """Issue 4: at least 60 exercises in at least 8 sets, at least 6 graded by drawing,
    Romanian, English and Hungarian everywhere (issue 16)."""
    bank = load_bank(DEFAULT_EXERCISES_PATH)
    assert not bank.problems, "\n".join(map(str, bank.problems))
    assert len(bank.sets) >= 8
    assert len(bank.exercises) >= 60
    turtle_graded = [e for e in bank.exercises.values()
                     if any(t.kind == "turtle" for t in e.tests)]
    assert len(turtle_graded) >= 6
    for exercise_set in bank.sets:
        assert exercise_set.title.get("hu") and exercise_set.description.get("hu"), exercise_set.id
        for ex in exercise_set.exercises:
            assert ex.title.get("hu") and ex.statement.get("hu") and ex.hints.get("hu"), ex.id
    text = "".join(p.read_text(encoding="utf-8") for p in DEFAULT_EXERCISES_PATH.rglob("*.toml"))
    assert "ş" not in text and "ţ" not in text, "Romanian uses ș ț with a comma below"


def test_the_first_exercise_needs_no_coding_knowledge(sandbox):
    """The very first exercise: the starter already runs; only the text in quotes changes."""
    bank = load_bank(DEFAULT_EXERCISES_PATH)
    first_set = min(bank.sets, key=lambda s: s.order)
    first = min(first_set.exercises, key=lambda e: e.order)
    assert first.starter.strip()
    assert sandbox.run(first.starter).status == "ok"
    starter_lines = [ln for ln in first.starter.splitlines() if ln.strip()]
    solution_lines = [ln for ln in first.solution.splitlines() if ln.strip()]
    assert len(starter_lines) == len(solution_lines) == 1
