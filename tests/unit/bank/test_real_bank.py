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
