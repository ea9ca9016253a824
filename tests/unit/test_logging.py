"""Structured logs: one JSON object a line, a request id per request, no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest

from codekids import create_app, logs
from tests.conftest import STAFF_PASSWORD


@pytest.fixture
def log_lines():
    """The JSON lines the site writes while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        text = stream.getvalue()
        read.raw = text
        return [json.loads(line) for line in text.splitlines()]

    yield read
    root.removeHandler(handler)
    root.setLevel(old_level)


def request_lines(lines):
    return [entry for entry in lines if entry["logger"] == logs.REQUEST_LOGGER]


def test_one_json_line_per_request_with_its_fields(client, log_lines):
    resp = client.get("/autentificare")
    (entry,) = request_lines(log_lines())
    assert entry["level"] == "INFO"
    assert entry["timestamp"].endswith("Z")
    assert entry["method"] == "GET"
    assert entry["path"] == "/autentificare"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["role"] == "anonymous"
    assert entry["request_id"] == resp.headers["X-Request-ID"]
    assert len(entry["request_id"]) == 32


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/autentificare").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_login_never_logs_the_password(client, world, log_lines):
    resp = client.post("/autentificare",
                       data={"username": world.usernames[world.librarian],
                             "password": STAFF_PASSWORD})
    assert resp.status_code == 302
    client.get("/autentificare?password=" + STAFF_PASSWORD)  # even one pasted into a URL
    lines = log_lines()
    assert len(request_lines(lines)) == 2
    assert STAFF_PASSWORD not in log_lines.raw
    assert "test-secret-key" not in log_lines.raw
    login = request_lines(lines)[0]
    assert login["method"] == "POST" and login["status"] == 302


def test_the_role_of_a_signed_in_user(client, world, log_lines):
    client.post("/autentificare", data={"username": world.usernames[world.librarian],
                                        "password": STAFF_PASSWORD})
    from flask import url_for

    with client.application.test_request_context():
        url = url_for("clubs.my_clubs")
    client.get(url)
    assert request_lines(log_lines())[-1]["role"] == "librarian"


def test_invitation_tokens_are_blanked_in_the_path(client, log_lines):
    client.get("/invitatie/s3cr3t-invitation-token")
    (entry,) = request_lines(log_lines())
    assert "s3cr3t-invitation-token" not in log_lines.raw
    assert entry["path"] == "/invitatie/[hidden]"


def test_an_untrusted_request_id_is_replaced(client):
    resp = client.get("/autentificare", headers={"X-Request-ID": "from-the-internet"})
    assert resp.headers["X-Request-ID"] != "from-the-internet"


@pytest.fixture
def proxied(app_config):
    app = create_app({**app_config, "trusted_proxies": 1})
    yield app.test_client()
    app.extensions["codekids_engine"].dispose()


def test_a_trusted_proxys_request_id_is_kept(proxied, log_lines):
    resp = proxied.get("/autentificare", headers={"X-Request-ID": "nginx-4f2a9c"})
    assert resp.headers["X-Request-ID"] == "nginx-4f2a9c"
    assert request_lines(log_lines())[0]["request_id"] == "nginx-4f2a9c"


@pytest.mark.parametrize("forged", ['x" "level": "ERROR', "a b", "x" * 200, ""])
def test_a_malformed_request_id_is_replaced_even_from_a_trusted_proxy(proxied, forged):
    resp = proxied.get("/autentificare", headers={"X-Request-ID": forged})
    assert resp.headers["X-Request-ID"] != forged
    assert len(resp.headers["X-Request-ID"]) == 32


def test_other_loggers_carry_the_request_id(app, client, log_lines):
    @app.get("/_log_probe")
    def _probe():
        logging.getLogger("codekids.probe").warning("inside the request")
        return "ok"

    from codekids import security_policy

    security_policy.ROUTES["_probe"] = security_policy.ANYONE
    try:
        resp = client.get("/_log_probe")
    finally:
        del security_policy.ROUTES["_probe"]
    probe = [e for e in log_lines() if e["logger"] == "codekids.probe"][0]
    assert probe["request_id"] == resp.headers["X-Request-ID"]


def test_text_and_json_configurations():
    assert logs.dict_config("json")["formatters"]["codekids"]["()"].endswith("JsonFormatter")
    assert logs.dict_config("text")["formatters"]["codekids"]["()"].endswith("TextFormatter")
    # gunicorn's access log (full URLs with query strings) is silenced.
    assert logs.dict_config("json")["loggers"]["gunicorn.access"]["handlers"] == []
