"""`codekids backup` and `codekids restore`: round trips on SQLite (while a writer
writes) and on PostgreSQL (pg_dump, then pg_restore into a fresh database)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from codekids import backup, create_app, db
from codekids.accounts.models import User
from codekids.learning.models import SUBMIT, Submission
from codekids.learning.service import count_lines
from tests.conftest import FAST_HASHING, POSTGRES_URL, build_world

TABLES = ("submissions", "counted_lines", "counter_totals", "users")


def submit(child_id: int, n: int) -> None:
    child = db.session.get(User, child_id)
    sub = Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                     exercise_id=f"ex{n}", source=f"x = {n}\nprint(x + {n})\n",
                     status="passed", solved=True)
    db.session.add(sub)
    count_lines(sub, starter="", cap=10)
    db.session.commit()


def table_rows(url: str) -> dict[str, list]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {t: sorted(map(tuple, conn.execute(text(f"select * from {t}"))), key=repr)
                for t in TABLES}
    engine.dispose()
    return rows


def app_for(url: str, tmp_path: Path):
    return create_app({"database_url": url, "secret_key": "test-secret-key-not-for-production",
                       "INSTANCE_PATH": tmp_path / "instance", "TESTING": True, **FAST_HASHING})


def verify_clean(app) -> None:
    result = app.test_cli_runner().invoke(args=["counter", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")


@pytest.fixture
def sqlite_world(_sqlite_template, tmp_path):
    path = tmp_path / "live.sqlite3"
    shutil.copy(_sqlite_template, path)
    app = app_for(f"sqlite:///{path}", tmp_path)
    world = build_world(app)
    yield app, world, path
    app.extensions["codekids_engine"].dispose()


def test_sqlite_backup_while_a_writer_writes_then_restore(sqlite_world, tmp_path):
    app, world, path = sqlite_world
    stop = threading.Event()
    written = []

    def writer():
        n = 0
        with app.app_context():
            while not stop.is_set():
                submit(world.children[n % 3], n)
                written.append(n)
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        out = tmp_path / "backups" / "during.sqlite3"
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == str(out)
        time.sleep(0.1)  # keep writing a little after the backup
    finally:
        stop.set()
        thread.join()
    assert len(written) > 20

    # Restore into a new file: a consistent snapshot (the counter checks out) of a
    # moment during the writes: fewer submissions than at the end, more than at the start.
    restored = tmp_path / "restored.sqlite3"
    restored_app = app_for(f"sqlite:///{restored}", tmp_path / "r")
    result = restored_app.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(restored) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        count = conn.execute("select count(*) from submissions").fetchone()[0]
    assert 20 <= count <= len(written)
    verify_clean(restored_app)
    # The snapshot is a prefix of what was written: no submission missing before the last.
    ids = [row[0] for row in table_rows(f"sqlite:///{restored}")["submissions"]]
    assert sorted(ids) == list(range(min(ids), min(ids) + count))

    # Quiet now: a backup and restore give back exactly the same data.
    quiet = tmp_path / "quiet.sqlite3"
    assert app.test_cli_runner().invoke(args=["backup", "--output", str(quiet)]).exit_code == 0
    again = tmp_path / "again.sqlite3"
    backup.restore(quiet, f"sqlite:///{again}")
    assert table_rows(f"sqlite:///{again}") == table_rows(f"sqlite:///{path}")
    restored_app.extensions["codekids_engine"].dispose()


def test_default_output_in_the_instance_folder(sqlite_world, tmp_path):
    app, _world, _path = sqlite_world
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip())
    assert written.parent == Path(app.instance_path) / "backups"
    assert written.name.startswith("codekids-") and written.suffix == ".sqlite3"
    # A second backup in the same second never overwrites the first.
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup(app.config["CODEKIDS"].database_url, written)


def test_restore_refuses_a_database_with_data_unless_replace(sqlite_world, tmp_path):
    app, _world, path = sqlite_world
    out = backup.backup(f"sqlite:///{path}", tmp_path / "b.sqlite3")
    result = app.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 1
    assert "already holds data" in result.output and "--replace" in result.output
    result = app.test_cli_runner().invoke(args=["restore", "--replace", str(out)])
    assert result.exit_code == 0, result.output


def test_missing_pg_dump_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(backup.BackupError) as info:
        backup.backup("postgresql+psycopg://u:p@127.0.0.1/x", tmp_path / "x.pgdump")
    assert str(info.value) == (
        "pg_dump is not installed; on Debian: sudo apt-get install postgresql-client")


@pytest.mark.skipif(not POSTGRES_URL, reason="CODEKIDS_TEST_POSTGRES_URL is not set")
def test_postgres_backup_and_restore_into_a_fresh_database(_postgres_template, tmp_path):
    for program in ("pg_dump", "pg_restore"):
        assert shutil.which(program), f"{program} is missing: install postgresql-client"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    source, target = (f"codekids_b_{uuid.uuid4().hex[:8]}" for _ in range(2))
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{source}" TEMPLATE "{_postgres_template}"'))
        conn.execute(text(f'CREATE DATABASE "{target}"'))
    url = make_url(POSTGRES_URL)
    source_url = url.set(database=source).render_as_string(False)
    target_url = url.set(database=target).render_as_string(False)
    try:
        app = app_for(source_url, tmp_path)
        world = build_world(app)
        with app.app_context():
            for n in range(10):
                submit(world.children[n % 3], n)
        out = tmp_path / "site.pgdump"
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
        restored_app = app_for(target_url, tmp_path / "r")
        result = restored_app.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        assert table_rows(target_url) == table_rows(source_url)
        verify_clean(restored_app)
        app.extensions["codekids_engine"].dispose()
        restored_app.extensions["codekids_engine"].dispose()
    finally:
        with admin.connect() as conn:
            for name in (source, target):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_no_password_on_pg_dumps_command_line(monkeypatch, tmp_path):
    seen = {}

    def fake_run(args, env, **_kw):
        seen["args"], seen["env"] = args, env

        class Done:
            returncode, stdout, stderr = 0, "", ""

        return Done()

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    backup.backup("postgresql+psycopg://codekids:hunter2@db.example/codekids",
                  tmp_path / "x.pgdump")
    assert "hunter2" not in " ".join(seen["args"])
    assert seen["env"]["PGPASSWORD"] == "hunter2"
    assert seen["args"][-1] == "postgresql://codekids@db.example/codekids"
    assert os.environ.get("PGPASSWORD") != "hunter2"
