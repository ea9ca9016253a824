"""The command line: `codekids demo`, `create-coordinator`, `serve`, and one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from codekids import cli, db
from codekids.accounts import passwords
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
from codekids.clubs.models import Club

ROOT = Path(__file__).resolve().parents[2]


def demo(runner):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_prints_every_login(app, runner):
    out = demo(runner).output
    assert cli.DEMO_JOIN_CODE in out
    assert "http://127.0.0.1:5000/" in out
    for nickname in cli.DEMO_CHILDREN:
        assert nickname in out
    assert "bibliotecara.demo" in out and cli.DEMO_LIBRARIAN[2] in out
    assert "coordonator.demo" in out and cli.DEMO_COORDINATOR[2] in out
    assert app.config["CODEKIDS"].secret_key not in out


def test_demo_builds_a_club_with_librarian_coordinator_and_eight_children(app, runner):
    demo(runner)
    with app.app_context():
        club = db.session.scalar(select(Club).where(Club.join_code == cli.DEMO_JOIN_CODE))
        assert club.county.code == "CJ"
        children = accounts.club_children(club)
        assert sorted(c.nickname for c in children) == sorted(cli.DEMO_CHILDREN)
        librarian = db.session.scalar(select(User).where(User.username == "bibliotecara.demo"))
        assert librarian.role == LIBRARIAN and [c.id for c in librarian.clubs] == [club.id]
        coordinator = db.session.scalar(select(User).where(User.username == "coordonator.demo"))
        assert coordinator.role == COORDINATOR and coordinator.is_national


def test_demo_printed_logins_work(app, runner):
    demo(runner)
    with app.app_context():
        logins = cli.seed_demo()
        for username, password in (logins.librarian, logins.coordinator):
            outcome = accounts.staff_login(username, password, "127.0.0.1")
            assert outcome.ok and not outcome.user.must_change_password
        for child in logins.children:
            user = db.session.get(User, child.id)
            assert accounts.child_login(user, child.kind, child.secret, "127.0.0.1").ok


def test_demo_twice_creates_nothing_new_and_prints_the_same_logins(app, runner):
    first = demo(runner).output
    with app.app_context():
        counts = (
            db.session.scalar(select(func.count(Club.id))),
            db.session.scalar(select(func.count(User.id))),
        )
    assert demo(runner).output == first
    with app.app_context():
        assert counts == (
            db.session.scalar(select(func.count(Club.id))),
            db.session.scalar(select(func.count(User.id))),
        )


def test_demo_repairs_logins_that_stopped_working(app, runner):
    demo(runner)
    with app.app_context():
        librarian = db.session.scalar(select(User).where(User.username == "bibliotecara.demo"))
        accounts.set_password(librarian, "someone-changed-it-99")
        ana = db.session.scalar(select(User).where(User.role == CHILD, User.nickname == "Ana"))
        ana.active = False
        for _ in range(app.config["CODEKIDS"].child_max_failures):
            accounts.child_login(ana, "pictures", ("sun", "sun", "sun"), "10.0.0.9")
        db.session.commit()
    demo(runner)
    with app.app_context():
        logins = cli.seed_demo()
        assert accounts.staff_login(*logins.librarian, "127.0.0.1").ok
        child = next(c for c in logins.children if c.nickname == "Ana")
        ana = db.session.get(User, child.id)
        assert ana.active
        assert accounts.child_login(ana, child.kind, child.secret, "10.0.0.9").ok


def test_demo_refuses_a_demo_username_held_by_another_role(app, runner):
    with app.app_context():
        from codekids.accounts import service as accounts

        accounts.create_staff(role=COORDINATOR, username="bibliotecara.demo", display_name="x",
                              county=None, password_hash=None)
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 1
    assert "belongs to a coordinator" in result.output


def test_demo_serve_reports_a_busy_port_in_one_line(app):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(click.ClickException, match=f"cannot listen on 127.0.0.1:{port}"):
            cli._serve_development(app, "127.0.0.1", port)


# ---- create-coordinator -------------------------------------------------------------------


def test_create_coordinator_prints_a_temporary_password(app, runner):
    result = runner.invoke(args=["create-coordinator", "--username", "Maria.Pop",
                                 "--county", "cj", "--display-name", "Maria Pop"])
    assert result.exit_code == 0, result.output
    password = next(line.split(": ", 1)[1] for line in result.output.splitlines()
                    if line.startswith("Temporary password: "))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "maria.pop"))
        assert user.role == COORDINATOR and user.county.code == "CJ"
        assert user.display_name == "Maria Pop"
        assert user.must_change_password
        assert passwords.verify_password(user.password_hash, password)


def test_create_coordinator_without_county_is_national(app, runner):
    result = runner.invoke(args=["create-coordinator", "--username", "echipa.nationala"])
    assert result.exit_code == 0, result.output
    assert "whole country" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "echipa.nationala")).is_national


@pytest.mark.parametrize(
    "args, message",
    [
        (["--username", "ion.pop", "--county", "ZZ"], "unknown county code 'ZZ'"),
        (["--username", "x"], "is not valid"),
        (["--username", "nu are voie"], "is not valid"),
    ],
)
def test_create_coordinator_errors_are_one_line(app, runner, args, message):
    result = runner.invoke(args=["create-coordinator", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_create_coordinator_refuses_a_taken_username(app, runner):
    assert runner.invoke(args=["create-coordinator", "--username", "ion.pop"]).exit_code == 0
    result = runner.invoke(args=["create-coordinator", "--username", "ION.POP"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: the username 'ion.pop' is already taken"


# ---- serve --------------------------------------------------------------------------------


@pytest.fixture
def gunicorn_options(monkeypatch):
    seen: dict = {}
    monkeypatch.setattr(cli._GunicornApp, "run", lambda self: seen.update(self.options))
    return seen


def test_serve_uses_the_configured_workers(app, runner, gunicorn_options):
    app.config["CODEKIDS"].serve_workers = 3
    result = runner.invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert gunicorn_options["workers"] == 3
    assert gunicorn_options["bind"] == "127.0.0.1:8123"


def test_serve_workers_option_wins(app, runner, gunicorn_options):
    result = runner.invoke(args=["serve", "--workers", "5", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert gunicorn_options["workers"] == 5
    assert gunicorn_options["bind"] == "0.0.0.0:5000"


@pytest.fixture
def empty_database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_serve_refuses_a_schema_that_is_behind(tmp_path, empty_database_url, gunicorn_options):
    from codekids import create_app

    app = create_app({"database_url": empty_database_url, "secret_key": "k",
                      "INSTANCE_PATH": tmp_path / "instance"})
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 1
    assert "run `codekids init-db` first" in result.output
    assert gunicorn_options == {}
    result = app.test_cli_runner().invoke(args=["serve", "--migrate"])
    assert result.exit_code == 0, result.output
    assert gunicorn_options["workers"] == 2


def test_gunicorn_app_builds_the_site_in_the_worker(monkeypatch, tmp_path, empty_database_url):
    monkeypatch.setenv("CODEKIDS_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("CODEKIDS_SECRET_KEY", "k")
    application = cli._GunicornApp({"bind": "127.0.0.1:0", "workers": 1})
    assert application.cfg.workers == 1
    assert application.load().name == "codekids"


# ---- main(): one clear line, exit 1 -------------------------------------------------------


def run_main(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CODEKIDS_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "from codekids.cli import main; main()", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


def assert_one_line_error(proc, fragment):
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


def test_main_bad_setting_is_one_line(tmp_path):
    proc = run_main("init-db", CODEKIDS_WORKERS="many", CODEKIDS_SECRET_KEY="k",
                    CODEKIDS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert_one_line_error(proc, "CODEKIDS_WORKERS must be a whole number, not 'many'")


def test_main_unreachable_database_is_one_line():
    proc = run_main("init-db", CODEKIDS_SECRET_KEY="k",
                    CODEKIDS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing")
    assert_one_line_error(proc, "cannot use the database")


def test_main_unusable_database_url_is_one_line():
    proc = run_main("init-db", CODEKIDS_SECRET_KEY="k", CODEKIDS_DATABASE_URL="not a url")
    assert_one_line_error(proc, "CODEKIDS_DATABASE_URL is not a database URL")


def test_main_help_with_a_bad_setting_is_not_a_traceback():
    proc = run_main("--help", CODEKIDS_PORT="eighty")
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    assert "CODEKIDS_PORT" in proc.stderr


def test_main_init_db_then_demo_without_serving(tmp_path):
    env = {"CODEKIDS_SECRET_KEY": "k", "CODEKIDS_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    proc = run_main("init-db", **env)
    assert proc.returncode == 0 and "up to date" in proc.stdout
    proc = run_main("demo", "--no-serve", "--port", "5099", **env)
    assert proc.returncode == 0, proc.stderr
    assert "http://127.0.0.1:5099/" in proc.stdout and cli.DEMO_JOIN_CODE in proc.stdout
