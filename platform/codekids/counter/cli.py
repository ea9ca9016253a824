"""`codekids counter verify`: every stored total against the ledger."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("counter")
def counter_group() -> None:
    """The lines-of-code counter."""


@counter_group.command("verify")
@click.option("--no-trace", is_flag=True,
              help="Skip checking every ledger row against its submission's source.")
@with_appcontext
def verify_command(no_trace: bool) -> None:
    """Recompute every total from the ledger; exit 1 listing each difference."""
    from sqlalchemy import func, select

    from codekids import db
    from codekids.counter import service
    from codekids.counter.models import CountedLine

    problems = service.verify(trace=not no_trace)
    lines = db.session.scalar(select(func.count()).select_from(CountedLine))
    if problems:
        click.echo(f"{len(problems)} difference(s) between the stored totals and the ledger:")
        for problem in problems:
            click.echo(f"  {problem}")
        sys.exit(1)
    click.echo(f"OK: {lines} counted lines in the ledger; every total matches.")
