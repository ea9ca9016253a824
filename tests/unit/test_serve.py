"""`codekids serve`: gunicorn workers, each starting its own sandbox after the fork
(never the master), JSON log lines on stderr, /healthz and the headers."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may hold spaces and parentheses: the ppid follows the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Connection": "close"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def start_server(template: Path, folder: Path, workers: int = 2, **env_extra: str):
    """A real `codekids serve` on a copy of the migrated template; returns
    (process, port, stderr path, the stderr file to close)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "site.sqlite3"
    shutil.copy(template, database)
    port = free_port()
    env = {
        **os.environ,
        "CODEKIDS_DATABASE_URL": f"sqlite:///{database}",
        "CODEKIDS_SECRET_KEY": "serve-test-secret-key",
        **env_extra,
    }
    env.pop("CODEKIDS_LOG_FORMAT", None)
    env.pop("FORWARDED_ALLOW_IPS", None)  # gunicorn's own variable: must not matter
    log = folder / "stderr.log"
    stderr = open(log, "w+")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("codekids")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        cwd=folder,
    )
    deadline = time.monotonic() + 30
    while len(children_of(proc.pid)) < workers or not _answers(port):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "codekids serve did not start"
        time.sleep(0.2)
    return proc, port, log, stderr


def stop_server(proc, stderr) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    stderr.close()


@pytest.fixture
def server(_sqlite_template, tmp_path):
    proc, port, log, stderr = start_server(_sqlite_template, tmp_path)
    yield proc, port, log
    stop_server(proc, stderr)


def healthy(port: int, within: float = 30.0):
    """/healthz until it says ok: a worker's first probe may find its sandbox still
    starting (503, "slow", by design: answers never wait for more than 2 s)."""
    deadline = time.monotonic() + within
    while True:
        resp, body = get(port, "/healthz")
        if resp.status == 200:
            return resp, body
        assert resp.status == 503 and json.loads(body)["sandbox"] == "slow", body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_each_worker_starts_its_own_sandbox_after_the_fork(server):
    proc, port, _log = server
    workers = children_of(proc.pid)
    assert len(workers) == 2
    # Lazily: no worker holds a sandbox before a program needs one.
    assert all(children_of(w) == [] for w in workers)
    deadline = time.monotonic() + 60
    while not all(children_of(w) for w in workers):
        healthy(port)
        assert time.monotonic() < deadline, "the requests never reached both workers"
    sandboxes = [children_of(w) for w in workers]
    assert all(len(s) == 1 for s in sandboxes)  # one fork server per worker
    assert sandboxes[0] != sandboxes[1]
    assert [c for c in children_of(proc.pid) if c not in workers] == []  # none in the master


def test_json_logs_headers_and_healthz(server):
    _proc, port, log = server
    resp, body = healthy(port)
    assert json.loads(body) == {"status": "ok", "database": "ok", "sandbox": "ok"}
    request_id = resp.getheader("X-Request-ID")
    resp, _ = get(port, "/autentificare")
    assert resp.status == 200
    assert "frame-ancestors 'none'" in resp.getheader("Content-Security-Policy")
    assert resp.getheader("X-Frame-Options") == "DENY"
    time.sleep(0.5)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    requests = [e for e in entries if e["logger"] == "codekids.request"]
    assert {"request_id": request_id, "path": "/healthz", "status": 200}.items() <= next(
        e for e in requests if e["request_id"] == request_id
    ).items()
    assert any(e["logger"] == "gunicorn.error" for e in entries)  # gunicorn's own, as JSON
    assert "serve-test-secret-key" not in log.read_text()


# ---- proxies, keep-alive ------------------------------------------------------------------


def forwarded_get(port: int, path: str, headers: dict):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Connection": "close", **headers})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


# What a client (or a proxy passing it through) sends from the loopback, where
# gunicorn's own default (forwarded_allow_ips=127.0.0.1) used to believe it.
FORGED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Ssl": "on",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-For": "203.0.113.7",
    "X-Request-ID": "forged-request-id-0001",
}


@pytest.mark.parametrize("trusted", ["0", "1"])
def test_forwarded_headers_are_believed_only_as_trusted_proxies_says(
    _sqlite_template, tmp_path, trusted
):
    proc, port, _log, stderr = start_server(
        _sqlite_template, tmp_path, workers=1, CODEKIDS_TRUSTED_PROXIES=trusted
    )
    try:
        # The staff login page starts a session (its CSRF token): the cookie is
        # Secure exactly when the request is taken to have come over HTTPS.
        resp = forwarded_get(port, "/autentificare", FORGED)
        assert resp.status == 200
        cookie = resp.getheader("Set-Cookie")
        assert cookie
        hsts = resp.getheader("Strict-Transport-Security")
        request_id = resp.getheader("X-Request-ID")
        if trusted == "0":
            assert "Secure" not in cookie
            assert hsts is None
            assert request_id != FORGED["X-Request-ID"]
        else:
            assert "Secure" in cookie
            assert hsts and "max-age=" in hsts
            assert request_id == FORGED["X-Request-ID"]
        # A redirect is relative: the forged host never reaches a Location.
        resp = forwarded_get(port, "/", FORGED)
        assert resp.status == 302
        assert "evil.example" not in resp.getheader("Location")
    finally:
        stop_server(proc, stderr)


def test_gunicorn_trusts_no_peer_itself():
    from codekids.cli import gunicorn_options
    from codekids.settings import Settings

    for trusted in (0, 1, 2):
        options = gunicorn_options(Settings(trusted_proxies=trusted))
        assert options["forwarded_allow_ips"] == ""
        assert options["secure_scheme_headers"] == {}
        assert options["forwarder_headers"] == ""


def test_keepalive_outlasts_a_browsers_idle_gap():
    from codekids.cli import gunicorn_options
    from codekids.settings import Settings

    options = gunicorn_options(Settings())
    assert options["keepalive"] > 300  # Chrome keeps an idle connection 300 s
    assert options["worker_class"] == "gthread"  # sync workers never keep alive


def test_an_idle_connection_stays_open(server):
    _proc, port, _log = server
    healthy(port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/autentificare")
        first = conn.getresponse()
        first.read()
        assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
        sock = conn.sock
        local = sock.getsockname()
        # Longer than gunicorn's default keep-alive (2 s), after which it used to close.
        time.sleep(3.5)
        conn.request("GET", "/autentificare")
        second = conn.getresponse()
        second.read()
        assert second.status == 200
        assert conn.sock is sock and sock.getsockname() == local  # the same connection
    finally:
        conn.close()
