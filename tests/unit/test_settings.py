"""Settings come from CODEKIDS_* variables with safe defaults in the instance folder."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from codekids import create_app
from codekids.settings import Settings, SettingsError

INT_SETTINGS = [
    "CODEKIDS_IDLE_LOGOUT_MINUTES",
    "CODEKIDS_CHILD_MAX_FAILURES",
    "CODEKIDS_ACCOUNT_DEVICE_MAX_FAILURES",
    "CODEKIDS_DEVICE_MAX_FAILURES",
    "CODEKIDS_ANONYMOUS_MAX_FAILURES",
    "CODEKIDS_DEVICE_SLOW_AFTER",
    "CODEKIDS_DEVICE_SLOW_SECONDS",
    "CODEKIDS_STAFF_MAX_FAILURES",
    "CODEKIDS_STAFF_ADDRESS_MAX_FAILURES",
    "CODEKIDS_CLUB_CODE_DEVICE_MAX_FAILURES",
    "CODEKIDS_CLUB_CODE_MAX_FAILURES",
    "CODEKIDS_CLUB_CODE_MINUTES",
    "CODEKIDS_LOCKOUT_MINUTES",
    "CODEKIDS_INVITATION_DAYS",
    "CODEKIDS_TRUSTED_PROXIES",
    "CODEKIDS_PORT",
    "CODEKIDS_WORKERS",
    "CODEKIDS_DB_POOL_SIZE",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """A developer's own CODEKIDS_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("CODEKIDS_") and not name.startswith("CODEKIDS_TEST_"):
            monkeypatch.delenv(name)


def make_app(tmp_path, **config):
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", **config})
    return app


def test_database_url_from_the_environment_is_used(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    monkeypatch.setenv("CODEKIDS_DATABASE_URL", url)
    app = make_app(tmp_path)
    assert app.config["CODEKIDS"].database_url == url
    assert app.extensions["codekids_engine"].url.database == str(tmp_path / "elsewhere.sqlite3")


def test_default_database_is_sqlite_in_the_instance_folder_in_wal_mode(tmp_path):
    app = make_app(tmp_path, secret_key="k")
    path = tmp_path / "instance" / "codekids.sqlite3"
    assert app.config["CODEKIDS"].database_url == f"sqlite:///{path}"
    with app.extensions["codekids_engine"].connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert path.exists()


def test_secret_key_is_generated_once_owner_only_and_reused(tmp_path):
    first = make_app(tmp_path)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32
    second = make_app(tmp_path)
    assert second.secret_key == first.secret_key


def test_secret_key_from_the_environment_wins_and_writes_no_file(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEKIDS_SECRET_KEY", "from-the-environment")
    app = make_app(tmp_path)
    assert app.secret_key == "from-the-environment"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_demo_never_prints_the_generated_secret_key(tmp_path):
    app = make_app(tmp_path, argon2_time_cost=1, argon2_memory_kib=64)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    key = (tmp_path / "instance" / "secret_key").read_text().strip()
    assert key and key not in result.output
    app.extensions["codekids_engine"].dispose()


@pytest.mark.parametrize("name", INT_SETTINGS)
def test_bad_whole_number_names_the_setting(monkeypatch, name):
    monkeypatch.setenv(name, "twenty")
    with pytest.raises(SettingsError, match=f"{name} must be a whole number, not 'twenty'"):
        Settings.from_env()


def test_whole_numbers_and_blanks(monkeypatch):
    monkeypatch.setenv("CODEKIDS_IDLE_LOGOUT_MINUTES", " 45 ")
    monkeypatch.setenv("CODEKIDS_WORKERS", "")
    settings = Settings.from_env()
    assert settings.idle_logout_minutes == 45
    assert settings.serve_workers == 2  # blank means the default


@pytest.mark.parametrize("raw, expected", [("1", True), ("yes", True), ("ON", True),
                                           ("0", False), ("no", False), ("", False)])
def test_secure_cookies_flag(monkeypatch, raw, expected):
    monkeypatch.setenv("CODEKIDS_SECURE_COOKIES", raw)
    assert Settings.from_env().session_cookie_secure is expected


def test_unknown_default_locale_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEKIDS_DEFAULT_LOCALE", "fr")
    with pytest.raises(SettingsError, match="CODEKIDS_DEFAULT_LOCALE"):
        make_app(tmp_path, secret_key="k")


def test_test_overrides_win_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEKIDS_LOCKOUT_MINUTES", "99")
    app = make_app(tmp_path, secret_key="k", lockout_minutes=3)
    assert app.config["CODEKIDS"].lockout_minutes == 3


# A PostgreSQL URL that is never connected to: creating an engine does not connect.
UNUSED_PG = "postgresql+psycopg://nobody@127.0.0.1:1/never"


def test_database_pool_size_follows_the_setting(monkeypatch, tmp_path):
    assert make_app(tmp_path, secret_key="k", database_url=UNUSED_PG).extensions[
        "codekids_engine"].pool.size() == 5
    monkeypatch.setenv("CODEKIDS_DB_POOL_SIZE", "12")
    assert make_app(tmp_path, secret_key="k", database_url=UNUSED_PG).extensions[
        "codekids_engine"].pool.size() == 12
    monkeypatch.setenv("CODEKIDS_DB_POOL_SIZE", "-1")
    with pytest.raises(SettingsError, match="CODEKIDS_DB_POOL_SIZE"):
        make_app(tmp_path, secret_key="k")


@pytest.mark.parametrize(("env", "expected"), [(None, 8), ("3", 3)])
def test_serve_gives_each_worker_one_connection_per_thread(monkeypatch, tmp_path, env,
                                                            expected):
    """Fewer pooled connections than threads: a thread that finds the pool empty opens a
    new connection (a new PostgreSQL backend) and closes it again after its request."""
    from codekids import cli

    if env:
        monkeypatch.setenv("CODEKIDS_DB_POOL_SIZE", env)
    monkeypatch.setenv("CODEKIDS_DATABASE_URL", f"sqlite:///{tmp_path / 'site.sqlite3'}")
    monkeypatch.setenv("CODEKIDS_SECRET_KEY", "k")
    started = []
    monkeypatch.setattr(cli._GunicornApp, "run", lambda self: started.append(self))
    app = make_app(tmp_path)
    with app.app_context():
        from codekids import db, migrate

        migrate.upgrade(db.get_engine())
    result = app.test_cli_runner().invoke(args=["serve", "--threads", "8"])
    assert result.exit_code == 0, result.output
    (gunicorn_app,) = started
    assert gunicorn_app.options["threads"] == 8
    monkeypatch.setenv("CODEKIDS_DATABASE_URL", UNUSED_PG)
    worker_app = gunicorn_app.load()  # what each worker builds after the fork
    assert worker_app.extensions["codekids_engine"].pool.size() == expected
