"""Command line: `codekids init-db | demo | create-coordinator | serve | …`.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from codekids import db, migrate


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest version."""
    migrate.upgrade(db.get_engine())
    click.echo("The database is up to date.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)


def _factory():
    from codekids import create_app

    return create_app()


cli = FlaskGroup(create_app=_factory, add_default_commands=False, add_version_option=False)


def main() -> None:
    try:
        cli.main(prog_name="codekids")
    except click.exceptions.Exit as exc:  # pragma: no cover - click plumbing
        sys.exit(exc.exit_code)
