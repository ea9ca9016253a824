"""Backups and restores of the site's database, while the site runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a
consistent snapshot page by page, even while children submit; copying the file
with ``cp`` would not (a half-written WAL). PostgreSQL: ``pg_dump`` in its custom
format, restored with ``pg_restore``; both read one snapshot of the database.

The password of a PostgreSQL URL goes to pg_dump through PGPASSWORD, never on
its command line, where any user of the machine could read it in ``ps``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why in one line."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def default_backup_path(url: str, folder: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if is_sqlite(url) else "pgdump"
    return folder / f"codekids-{stamp}.{suffix}"


def backup(url: str, output: Path) -> Path:
    """Write a consistent copy of the database at `url` to `output`; returns the path."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} already exists; choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        _sqlite_copy(_sqlite_path(url), output)
    else:
        _run_pg("pg_dump", url, ["--format=custom", "--no-owner", "--file", str(output)])
    return output


def restore(path: Path, url: str, *, replace: bool = False) -> None:
    """Load the backup at `path` into the database at `url`.

    The target must be empty unless `replace` is given: a restore over a live
    site's data is a decision, not a default. Stop the site first when replacing.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if is_sqlite(url):
        target = _sqlite_path(url)
        if not replace and _sqlite_has_tables(target):
            raise BackupError(f"{target} already holds data; pass --replace to overwrite it")
        _sqlite_copy(path, target)
    else:
        args = ["--no-owner", "--exit-on-error", "--single-transaction"]
        if replace:
            args += ["--clean", "--if-exists"]
        _run_pg("pg_restore", url, [*args, str(path)], database_flag=True)


# ---- SQLite ---------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with _connect(path) as conn:
        return conn.execute("select count(*) from sqlite_master where type = 'table'").fetchone()[0] > 0


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = _connect(source)
    dst = _connect(target)
    try:
        # pages=-1: the whole database in one step, so the copy is one snapshot
        # even while others write (a stepwise copy restarts on every write).
        src.backup(dst, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source}: {exc}") from exc
    finally:
        dst.close()
        src.close()


# ---- PostgreSQL -----------------------------------------------------------------------


def _run_pg(program: str, url: str, args: list[str], *, database_flag: bool = False) -> None:
    exe = shutil.which(program)
    if exe is None:
        raise BackupError(
            f"{program} is not installed; on Debian: sudo apt-get install postgresql-client")
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    # libpq does not know SQLAlchemy's "+psycopg" driver suffix.
    # (URL.set ignores None, so the password is left out by building a new URL.)
    libpq = URL.create("postgresql", username=parsed.username, host=parsed.host,
                       port=parsed.port, database=parsed.database,
                       query=parsed.query).render_as_string(False)
    target = ["--dbname", libpq] if database_flag else [libpq]
    try:
        done = subprocess.run([exe, *args, *target], env=env, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise BackupError(f"could not run {program}: {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout or "").strip().splitlines()
        reason = lines[0] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{program} failed: {reason}")
