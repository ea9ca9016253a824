"""Two real servers on loopback, and the link between them (issue 19, point 6).

- `Site`: the real site as `codekids serve` (gunicorn) in a subprocess on a free
  loopback port, on its own database: a box on a fresh SQLite file, the national
  server on a fresh PostgreSQL database. `Site.app()` is the same site in this
  process, on the same database and secret key, for what a coordinator or a
  librarian does through the site's own service functions (registering a box,
  making a club and its children) and for reading totals back.
- `Proxy`: a TCP proxy between the box and national that understands just enough
  HTTP/1.1 to find where an answer ends. It paces the bytes to a rate (both
  directions, each its own link), can go offline (its port refuses connections)
  and can cut a connection after national's answer to a batch was read from
  upstream but before the box gets any of it (the "cut after commit" case). It
  keeps a copy of every batch the box POSTed, to send one again by hand.
- `Browser`: a child at a library PC: cookies, the login with the secret
  pictures or words, the JSON API with the page's CSRF token (README, "JSON API").

Used by tests/sync/ and by bench/sync_link.py. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPErrorProcessor, Request, build_opener

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CODEKIDS = str(Path(sys.executable).with_name("codekids"))
BATCH_PATH = "/api/v1/sync/batches"
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 64}
STAFF_PASSWORD = "sync-harness-parola-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def psycopg_url(url: str) -> str:
    """SQLAlchemy's URL for psycopg 3 (CODEKIDS_TEST_POSTGRES_URL is libpq's form)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# ---- databases ---------------------------------------------------------------------------


class PostgresDatabase:
    """A fresh database on the server of ``admin_url``, dropped by ``drop()``.

    Fails (never skips) when the server does not answer: a backend that was set and
    is missing is an error, as everywhere in tests/."""

    def __init__(self, admin_url: str, prefix: str = "codekids_sync"):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.admin_url = psycopg_url(admin_url)
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self._run(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(self.admin_url).set(database=self.name).render_as_string(False)

    def _run(self, statement: str) -> None:
        from sqlalchemy import text

        with self._admin.connect() as conn:
            conn.execute(text(statement))

    def drop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.dispose()


# ---- a real site ---------------------------------------------------------------------------


class Site:
    """One real site: `codekids serve` in a subprocess, and the same site in this process."""

    def __init__(self, name: str, database_url: str, root: Path, *, env: dict | None = None):
        self.name = name
        self.database_url = database_url
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.secret_key = secrets.token_urlsafe(32)
        self.port = free_port()
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.log_path = self.root / f"{name}-server.log"
        self._log = None
        self._app = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def env(self, **more) -> dict:
        env = dict(os.environ)
        for key in list(env):
            # The machine's own settings must not leak into a test site.
            if key.startswith("CODEKIDS_") and not key.startswith("CODEKIDS_TEST_"):
                env.pop(key)
        env.update(
            CODEKIDS_DATABASE_URL=self.database_url,
            CODEKIDS_SECRET_KEY=self.secret_key,
            CODEKIDS_LOG_FORMAT="text",
            CODEKIDS_LOG_LEVEL="WARNING",
            # The background syncer is not what these tests time: `codekids sync` is
            # run by hand, so it should not wake up in the middle of a scenario.
            CODEKIDS_SYNC_INTERVAL="86400",
            **self.extra_env,
        )
        env.update({k: str(v) for k, v in more.items()})
        return env

    # -- in this process

    def app(self):
        """The site in this process (same database, same secret key), created once."""
        if self._app is None:
            import codekids.models  # noqa: F401  - every room's tables, before the app
            from codekids import create_app

            self._app = create_app({
                "database_url": self.database_url,
                "secret_key": self.secret_key,
                "INSTANCE_PATH": self.root / "instance",
                **FAST_HASHING,
            })
        return self._app

    def migrate(self) -> None:
        from codekids import db, migrate

        with self.app().app_context():
            migrate.upgrade(db.get_engine())

    def dispose(self) -> None:
        """Let go of this process's engine, and of the files a box keeps in the
        instance folder `codekids` uses (named after its database: its sync lock and
        progress)."""
        if self._app is not None:
            with contextlib.suppress(Exception):
                self._app.extensions["codekids_engine"].dispose()
        import hashlib

        tag = hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
        for path in (ROOT / "platform" / "instance").glob(f"sync*-{tag}.*"):
            with contextlib.suppress(OSError):
                path.unlink()

    # -- the command line

    def cli(self, *args: str, check: bool = True, timeout: float = 600, **env
            ) -> subprocess.CompletedProcess:
        """`codekids ARGS` on this site's database; output as text."""
        proc = subprocess.run([CODEKIDS, *args], env=self.env(**env), cwd=str(ROOT),
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"`codekids {' '.join(args)}` on {self.name} exited {proc.returncode}:\n"
                f"{proc.stdout}\n{proc.stderr}")
        return proc

    # -- the server

    def start(self, *, workers: int = 1, threads: int = 4, timeout: float = 120) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [CODEKIDS, "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(workers), "--threads", str(threads)],
            env=self.env(), cwd=str(ROOT), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name}'s server stopped at start:\n{self.log_tail()}")
            if _status(self.port, "/healthz") == 200:
                return
            time.sleep(0.3)
        self.stop()
        raise AssertionError(f"{self.name}'s server did not answer within {timeout:.0f} s:\n"
                             f"{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _status(port: int, path: str) -> int | None:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except (OSError, http.client.HTTPException):
        return None


# ---- the link: a throttling, failing TCP proxy ---------------------------------------------


class Link:
    """One direction of a link of ``rate`` bytes a second (None: as fast as loopback).

    Shared by every connection through the proxy, like a real line: bytes are paced
    one after the other, whoever sends them."""

    def __init__(self, rate: float | None):
        self.rate = rate
        self.waited = 0.0  # seconds senders spent waiting for the line, in all
        self._lock = threading.Lock()
        self._free_at = 0.0

    def pace(self, n: int) -> None:
        if not self.rate:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._free_at)
            self._free_at = start + n / self.rate
            wait = self._free_at - now
            self.waited += wait
        time.sleep(wait)


class _Cut(Exception):
    pass


@dataclass
class Message:
    head: bytes  # the start line and headers, up to and with the blank line
    body: bytes
    start: str  # the start line: "POST /path HTTP/1.1" or "HTTP/1.1 200 OK"
    headers: dict = field(default_factory=dict)  # lower-case names

    @property
    def raw(self) -> bytes:
        return self.head + self.body

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"


@dataclass
class Recorded:
    """A batch the box POSTed, byte for byte, with what national answered."""

    headers: dict
    body: bytes
    status: int | None = None
    answer: bytes = b""  # as it came from national (gzip when it says so)
    answer_headers: dict = field(default_factory=dict)
    cut: bool = False

    def batch(self) -> dict:
        body = self.body
        if self.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)

    def answered(self) -> dict:
        """National's answer, decoded."""
        body = self.answer
        if self.answer_headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)


def _read_message(reader, *, request: bool, method: str = "GET") -> Message | None:
    """One HTTP/1.1 message from a socket's file; None when the peer closed first."""
    first = reader.readline(65537)
    while first in (b"\r\n", b"\n"):  # stray blank lines between messages
        first = reader.readline(65537)
    if not first:
        return None
    lines = [first]
    headers: dict[str, str] = {}
    while True:
        line = reader.readline(65537)
        if not line:
            raise ConnectionError("closed inside a message's head")
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    start = first.decode("latin-1").strip()
    body = b""
    status = 0 if request else int(start.split()[1])
    no_body = not request and (method == "HEAD" or status in (204, 304) or 100 <= status < 200)
    if no_body:
        pass
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size_line = reader.readline(65537)
            chunks.append(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = reader.readline(65537)
                    chunks.append(trailer)
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                break
            chunks.append(_read_exactly(reader, size + 2))
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = _read_exactly(reader, int(headers["content-length"]))
    elif not request:
        body = reader.read()  # until the server closes
        headers["connection"] = "close"
    return Message(b"".join(lines), body, start, headers)


def _read_exactly(reader, n: int) -> bytes:
    data = reader.read(n)
    if len(data) != n:
        raise ConnectionError("closed inside a message's body")
    return data


def _reset(sock: socket.socket) -> None:
    """Close with a RST, as a link that drops does (no orderly end of the stream)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class Proxy:
    """127.0.0.1:<port> → 127.0.0.1:<upstream_port>, paced, and failing on demand."""

    CHUNK = 1400  # about one TCP segment

    def __init__(self, upstream_port: int, rate: float | None = None):
        self.upstream_port = upstream_port
        self.up = Link(rate)  # box → national
        self.down = Link(rate)  # national → box
        self.port = free_port()
        self.recorded: list[Recorded] = []
        self.bytes_up = 0
        self.bytes_down = 0
        self.connections = 0
        self.refused_while_offline = 0
        self._cuts = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.online()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def set_rate(self, rate: float | None) -> None:
        self.up.rate = self.down.rate = rate

    # -- online / offline

    def online(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,),
                                        name=f"proxy-{self.port}", daemon=True)
        self._thread.start()

    def offline(self) -> None:
        """The port refuses connections from now on; open connections drop."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            open_now, self._open = list(self._open), set()
        for sock in open_now:
            _reset(sock)

    @property
    def is_online(self) -> bool:
        return self._listener is not None

    def close(self) -> None:
        self.offline()

    # -- the cut

    def cut_next_batches(self, n: int = 1) -> None:
        """The next ``n`` answers to a batch POST: read from national (so it has
        committed), then the connection to the box is reset instead."""
        with self._lock:
            self._cuts += n

    @property
    def cuts_pending(self) -> int:
        return self._cuts

    def _take_cut(self) -> bool:
        with self._lock:
            if self._cuts > 0:
                self._cuts -= 1
                return True
        return False

    def batches(self) -> list[Recorded]:
        return list(self.recorded)

    # -- relaying

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # offline(): the listener was closed
            with self._lock:
                self.connections += 1
                self._open.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _send(self, sock: socket.socket, data: bytes, link: Link, up: bool) -> None:
        for i in range(0, len(data), self.CHUNK):
            chunk = data[i:i + self.CHUNK]
            link.pace(len(chunk))
            sock.sendall(chunk)
            with self._lock:
                if up:
                    self.bytes_up += len(chunk)
                else:
                    self.bytes_down += len(chunk)

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            upstream = socket.create_connection((HOST, self.upstream_port), timeout=600)
            with self._lock:
                self._open.add(upstream)
            from_client = client.makefile("rb")
            from_upstream = upstream.makefile("rb")
            while True:
                request = _read_message(from_client, request=True)
                if request is None:
                    return
                parts = request.start.split()
                method, path = (parts + ["", ""])[:2]
                is_batch = method == "POST" and path.split("?")[0] == BATCH_PATH
                record = Recorded(dict(request.headers), request.body) if is_batch else None
                self._send(upstream, request.raw, self.up, up=True)
                response = _read_message(from_upstream, request=False, method=method)
                if response is None:
                    return
                if record is not None:
                    record.status = int(response.start.split()[1])
                    record.answer = response.body
                    record.answer_headers = dict(response.headers)
                    self.recorded.append(record)
                    if self._take_cut():
                        record.cut = True
                        raise _Cut
                self._send(client, response.raw, self.down, up=False)
                if request.closes or response.closes:
                    return
        except (_Cut, OSError, ConnectionError, ValueError):
            _reset(client)
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.close()


# ---- a child at a library PC ---------------------------------------------------------------

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class _KeepErrors(HTTPErrorProcessor):
    """Answers of any status come back as answers (the API's errors are JSON), and
    redirects are not followed (a login answers 302 to the child's home)."""

    def http_response(self, request, response):
        return response

    https_response = http_response


@dataclass
class Answer:
    status: int
    body: bytes
    url: str
    location: str = ""

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One person's browser: a cookie jar and the site's forms and JSON API."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _KeepErrors())
        self.csrf = ""

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict | None = None) -> Answer:
        req = Request(self.base + path, data=data, method=method, headers=headers or {})
        with self.opener.open(req, timeout=120) as resp:
            return Answer(resp.status, resp.read(), resp.geturl(),
                          resp.headers.get("Location", ""))

    def get(self, path: str) -> Answer:
        answer = self.request("GET", path)
        meta = _CSRF_META.search(answer.text)
        if meta:
            self.csrf = meta.group(1)
        return answer

    def post_form(self, path: str, form: dict) -> Answer:
        page = self.get(path)
        token = _CSRF_INPUT.search(page.text)
        form = {"csrf_token": token.group(1) if token else self.csrf, **form}
        return self.request("POST", path, data=urlencode(form).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def api(self, method: str, path: str, payload: dict) -> Answer:
        return self.request(method, path, data=json.dumps(payload).encode(),
                            headers={"Content-Type": "application/json",
                                     "X-CSRFToken": self.csrf})

    # -- a child

    def child_login(self, join_code: str, child_id: int, secret) -> None:
        form = ({"sequence": ",".join(secret.value)} if secret.kind == "pictures"
                else {"words": secret.words})
        answer = self.post_form(f"/copii/{join_code}/{child_id}", form)
        if answer.status != 302 or "/acasa" not in answer.location:
            raise AssertionError(f"child {child_id} could not log in: {answer.status} "
                                 f"{answer.location}")

    def staff_login(self, username: str, password: str = STAFF_PASSWORD) -> None:
        answer = self.post_form("/autentificare", {"username": username, "password": password})
        if answer.status != 302:
            raise AssertionError(f"{username} could not log in: {answer.status}")

    def submit(self, exercise_id: str, source: str) -> dict:
        self.get(f"/exercitii/{exercise_id}")
        answer = self.api("POST", f"/api/v1/exercises/{exercise_id}/submit",
                          {"source": source, "client_key": secrets.token_urlsafe(12)})
        if answer.status != 200:
            raise AssertionError(f"submit {exercise_id}: {answer.status} {answer.text[:300]}")
        return answer.json()

    def new_project(self, name: str, source: str) -> int:
        self.get("/joaca")
        answer = self.api("POST", "/api/v1/projects", {"name": name, "source": source})
        if answer.status != 201:
            raise AssertionError(f"new project: {answer.status} {answer.text[:300]}")
        return answer.json()["id"]

    def run_project(self, project_id: int, source: str) -> dict:
        answer = self.api("POST", "/api/v1/playground/run",
                          {"source": source, "stdin": "", "project_id": project_id})
        if answer.status != 200:
            raise AssertionError(f"playground run: {answer.status} {answer.text[:300]}")
        return answer.json()


def post_batch(url: str, body: bytes, headers: dict, timeout: float = 600
               ) -> tuple[int, dict | None]:
    """POST a batch's bytes to national directly (not through the box); (status, JSON)."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    keep = {k: v for k, v in headers.items()
            if k.lower() in ("authorization", "content-type", "content-encoding")}
    conn.request("POST", BATCH_PATH, body=body, headers=keep)
    resp = conn.getresponse()
    data = resp.read()
    if (resp.getheader("Content-Encoding") or "").lower() == "gzip":
        data = gzip.decompress(data)
    conn.close()
    try:
        return resp.status, json.loads(data)
    except ValueError:
        return resp.status, None


def gzip_json(obj) -> bytes:
    return gzip.compress(json.dumps(obj).encode("utf-8"))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
