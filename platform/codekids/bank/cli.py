"""`codekids exercises list | check [PATH]`: the bank seen from the command line."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from codekids.bank.check import check_bank
from codekids.bank.loader import load_bank


def _bank_path(path: str | None) -> Path:
    return Path(path) if path else Path(current_app.config["CODEKIDS"].exercises_path)


@click.group("exercises")
def exercises_group() -> None:
    """The exercise bank: list it, or check every exercise."""


@exercises_group.command("list")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_appcontext
def list_command(path: str | None) -> None:
    """List the sets and exercises that load, and count the broken files."""
    bank = load_bank(_bank_path(path))
    for exercise_set in bank.sets:
        click.echo(f"{exercise_set.order:>3}. {exercise_set.id} — {exercise_set.title['ro']} "
                   f"({len(exercise_set.exercises)} exercises, level {exercise_set.level})")
        for ex in exercise_set.exercises:
            hidden = sum(t.hidden for t in ex.tests)
            kinds = ", ".join(sorted({t.kind for t in ex.tests}))
            click.echo(f"       {ex.order:>3}. {ex.id:<28} {ex.title['ro']}  "
                       f"[{len(ex.tests)} tests, {hidden} hidden; {kinds}]")
    click.echo(f"{len(bank.exercises)} exercises in {len(bank.sets)} sets.")
    if bank.problems:
        click.echo(f"{len(bank.problems)} problems: run `codekids exercises check` to see them.")


@exercises_group.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.option("--quiet", is_flag=True, help="No progress, only the result.")
@with_appcontext
def check_command(path: str | None, quiet: bool) -> None:
    """Check the bank: files, languages, ids, hints, and that every reference
    solution passes its tests while every starter code fails at least one.

    Exits with code 1 and a list of `file: field: problem` lines otherwise.
    """
    from sandbox import Sandbox

    root = _bank_path(path)
    bank = load_bank(root)
    total = sum(len(s.exercises) for s in bank.sets)
    done = [0]
    lock = threading.Lock()

    def progress(exercise) -> None:
        with lock:
            done[0] += 1
            if not quiet:
                click.echo(f"\r  checked {done[0]}/{total}: {exercise.id:<30}", nl=False,
                           err=True)
                if done[0] == total:
                    click.echo(err=True)

    if not quiet:
        click.echo(f"Checking {total} exercises in {len(bank.sets)} sets from {root} ...",
                   err=True)
    with Sandbox() as sandbox:
        problems = check_bank(bank, sandbox, progress)
    if problems:
        click.echo(f"{len(problems)} problems in the exercise bank:")
        for problem in sorted(problems, key=lambda p: (p.path, p.field)):
            click.echo(f"  {problem}")
        sys.exit(1)
    counts = ", ".join(f"{s.id} {len(s.exercises)}" for s in bank.sets)
    click.echo(f"OK: {total} exercises in {len(bank.sets)} sets ({counts}).")
