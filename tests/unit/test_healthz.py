"""`/healthz`: the database and the sandbox, 200 or 503, nothing secret."""

from __future__ import annotations

import pytest

from codekids import create_app, sandbox_client
from codekids.security_policy import ANYONE, ROUTES


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox():
    yield
    sandbox_client.stop()


def test_healthz_is_open_to_anyone():
    assert ROUTES["health.healthz"] is ANYONE


def test_healthy(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok", "sandbox": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in resp.headers  # a probe every few seconds makes no sessions


def test_database_down_is_503_and_names_no_detail(app_config, tmp_path):
    # A SQLite file in a folder that does not exist: every connection fails.
    bad = tmp_path / "no-such-folder" / "codekids.sqlite3"
    app = create_app({**app_config, "database_url": f"sqlite:///{bad}"})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "error", "sandbox": "ok"}
    assert "no-such-folder" not in resp.get_data(as_text=True)
    app.extensions["codekids_engine"].dispose()


def test_postgres_down_is_503(app_config):
    # Nothing listens on port 1: the connection is refused.
    app = create_app({**app_config,
                      "database_url": "postgresql+psycopg://codekids:hunter2@127.0.0.1:1/none"})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_data(as_text=True)
    assert resp.get_json()["database"] == "error"
    assert "hunter2" not in body and "codekids" not in body
    app.extensions["codekids_engine"].dispose()


def test_sandbox_down_is_503(client, monkeypatch):
    def broken():
        raise OSError("the fork server is gone")

    monkeypatch.setattr(sandbox_client, "get_sandbox", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "ok", "sandbox": "error"}
    assert "fork server" not in resp.get_data(as_text=True)


def test_a_sandbox_that_answers_wrongly_is_not_healthy(client, monkeypatch):
    class Wrong:
        def run(self, source):
            from sandbox import RunResult

            return RunResult(status="ok", stdout="41\n")

    monkeypatch.setattr(sandbox_client, "get_sandbox", lambda: Wrong())
    assert client.get("/healthz").status_code == 503
