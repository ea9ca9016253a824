"""The proxy of the two-server tests does what the scenarios rely on (no PostgreSQL,
no site: a tiny HTTP server stands in for national)."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.sync.harness import BATCH_PATH, HOST, Link, Proxy, gzip_json, post_batch


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn
    handled: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.handled.append(body)
        answer = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802
        chunks = [b"a" * 3000, b"b" * 10]
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    _Upstream.handled = []
    server = ThreadingHTTPServer((HOST, 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream):
    p = Proxy(upstream.server_address[1])
    yield p
    p.close()


def _post(port: int, body: bytes = b"{}"):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("POST", BATCH_PATH, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    return conn, resp.status, resp.read()


def test_relays_keep_alive_requests_and_chunked_answers_and_counts_bytes(proxy):
    conn, status, body = _post(proxy.port, b'{"a": 1}')
    assert (status, body) == (200, b'{"ok": true}')
    conn.request("GET", "/x")  # the same connection
    resp = conn.getresponse()
    assert resp.read() == b"a" * 3000 + b"b" * 10
    conn.close()
    assert proxy.connections == 1
    assert proxy.bytes_down > 3010 and proxy.bytes_up > len(b'{"a": 1}')
    assert [r.body for r in proxy.batches()] == [b'{"a": 1}']


def test_offline_refuses_connections_and_online_accepts_them_again(proxy, upstream):
    proxy.offline()
    with pytest.raises(ConnectionRefusedError):
        _post(proxy.port)
    proxy.online()
    _conn, status, _body = _post(proxy.port)
    assert status == 200


def test_a_cut_answer_was_handled_upstream_but_never_reaches_the_client(proxy):
    proxy.cut_next_batches(1)
    body = gzip_json({"batch": "x"})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _post(proxy.port, body)
    assert _Upstream.handled == [body]  # national got it and answered
    cut = proxy.batches()[0]
    assert cut.cut and cut.status == 200 and cut.answer == b'{"ok": true}'
    # The next one goes through, and a recorded batch can be posted again by hand.
    status, answer = post_batch(f"http://{HOST}:{proxy.port}", cut.body,
                                {"Content-Type": "application/json"})
    assert (status, answer) == (200, {"ok": True})
    assert _Upstream.handled == [body, body]


def test_the_link_paces_bytes_one_after_the_other(monkeypatch):
    from tests.sync import harness

    now, slept = [100.0], []
    monkeypatch.setattr(harness.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(harness.time, "sleep", slept.append)
    link = Link(rate=1000.0)  # bytes a second
    link.pace(500)
    link.pace(500)  # sent by another connection at the same moment: after the first
    assert slept == [pytest.approx(0.5), pytest.approx(1.0)]
    now[0] = 200.0  # idle since: the line is free at once
    link.pace(100)
    assert slept[-1] == pytest.approx(0.1)
    Link(None).pace(10**9)  # no rate: loopback speed
    assert len(slept) == 3
