"""Under gunicorn (the server `codekids serve` runs), an app exception whose error page
also fails still gets our static 500 page with the security headers, never gunicorn's
bare "Internal Server Error" page without them (bad_input._LastResort)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

from tests.unit.test_serve import _answers, free_port, get

SERVER = textwrap.dedent("""
    import sys

    from codekids import security_policy
    from codekids.cli import _GunicornApp


    class Broken(_GunicornApp):
        # The serve path's own application class; only a failing route and a failing
        # 500 handler are added, as a bug in both would.
        def load(self):
            app = super().load()
            security_policy.ROUTES["boom"] = security_policy.ANYONE

            def view():
                raise RuntimeError("a bug")

            def broken_page(_error):
                raise RuntimeError("and a bug in the error page")

            app.add_url_rule("/boom", "boom", view)
            app.register_error_handler(500, broken_page)
            return app


    Broken({"bind": f"127.0.0.1:{sys.argv[1]}", "workers": 1, "worker_class": "gthread",
            "threads": 2, "accesslog": None, "errorlog": "-",
            "control_socket_disable": True}).run()
""")


def test_gunicorn_sends_our_page_and_headers_when_the_error_page_fails(_sqlite_template, tmp_path):
    database = tmp_path / "site.sqlite3"
    shutil.copy(_sqlite_template, database)
    (tmp_path / "broken_server.py").write_text(SERVER)
    port = free_port()
    env = {
        **os.environ,
        "CODEKIDS_DATABASE_URL": f"sqlite:///{database}",
        "CODEKIDS_SECRET_KEY": "serve-test-secret-key",
    }
    log = open(tmp_path / "stderr.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "broken_server.py"), str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert proc.poll() is None, (tmp_path / "stderr.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        resp, body = get(port, "/boom")
        page = body.decode("utf-8")
        assert resp.status == 500
        assert "Internal Server Error" not in page  # gunicorn's own page
        assert "Ceva s-a stricat la noi" in page and 'class="card error-page"' in page
        assert "default-src 'self'" in resp.getheader("Content-Security-Policy", "")
        assert resp.getheader("X-Frame-Options") == "DENY"
        assert resp.getheader("X-Content-Type-Options") == "nosniff"
        assert resp.getheader("Referrer-Policy") == "same-origin"
        # The worker lives on and serves the next request normally.
        ok, _ = get(port, "/copii")
        assert ok.status == 200 and ok.getheader("Content-Security-Policy")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    assert "the error page itself failed" in (tmp_path / "stderr.log").read_text()
