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


@pytest.fixture
def server(_sqlite_template, tmp_path):
    database = tmp_path / "site.sqlite3"
    shutil.copy(_sqlite_template, database)
    port = free_port()
    env = {**os.environ, "CODEKIDS_DATABASE_URL": f"sqlite:///{database}",
           "CODEKIDS_SECRET_KEY": "serve-test-secret-key"}
    env.pop("CODEKIDS_LOG_FORMAT", None)
    stderr = open(tmp_path / "stderr.log", "w+")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("codekids")), "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while len(children_of(proc.pid)) < 2 or not _answers(port):
        assert proc.poll() is None, (tmp_path / "stderr.log").read_text()
        assert time.monotonic() < deadline, "codekids serve did not start"
        time.sleep(0.2)
    yield proc, port, tmp_path / "stderr.log"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    stderr.close()


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
        resp, body = get(port, "/healthz")
        assert resp.status == 200, body
        assert time.monotonic() < deadline, "the requests never reached both workers"
    sandboxes = [children_of(w) for w in workers]
    assert all(len(s) == 1 for s in sandboxes)  # one fork server per worker
    assert sandboxes[0] != sandboxes[1]
    assert [c for c in children_of(proc.pid) if c not in workers] == []  # none in the master


def test_json_logs_headers_and_healthz(server):
    _proc, port, log = server
    resp, body = get(port, "/healthz")
    assert resp.status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "sandbox": "ok"}
    request_id = resp.getheader("X-Request-ID")
    resp, _ = get(port, "/autentificare")
    assert resp.status == 200
    assert "frame-ancestors 'none'" in resp.getheader("Content-Security-Policy")
    assert resp.getheader("X-Frame-Options") == "DENY"
    time.sleep(0.5)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    requests = [e for e in entries if e["logger"] == "codekids.request"]
    assert {"request_id": request_id, "path": "/healthz", "status": 200}.items() <= \
        next(e for e in requests if e["request_id"] == request_id).items()
    assert any(e["logger"] == "gunicorn.error" for e in entries)  # gunicorn's own, as JSON
    assert "serve-test-secret-key" not in log.read_text()
