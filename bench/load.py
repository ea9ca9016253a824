"""Load benchmark of the whole site: simulated children, librarians and embed widgets.

    .venv/bin/python bench/load.py [--children N] [--database sqlite|postgres|both]
                                   [--workers W] [--threads T] [--duration S]
                                   [--search] [--profile PREFIX]

Figures (2 cores, 24 GB, 2026-12-01; PostgreSQL; defaults: 6 workers x 2 threads,
children logging in at 20 a second, 30 s of settling, then 60 s of steady state;
every program text different). The machine was slow that day: the code of the
2026-11-24 figures (1,750-2,000 children, see git history) spent 14.7 ms of worker
CPU on an exercise page where those figures had 5.1 ms.

    .venv/bin/python bench/load.py --database postgres --children 1000 --duration 60
    (Debian 3.11.2: the same, from a venv made by /usr/bin/python3.11 -m venv)

    code              Python          children  steady p95  server CPU            verdict
    before 665dc4a    pyenv 3.11.7         800      295 ms  1.27 cores, 33 r/s    pass
    before 665dc4a    pyenv 3.11.7        1000      5.1 s   1.55 cores, 41 r/s    fail
    now               pyenv 3.11.7        1000      227 ms  1.17 cores, 41 r/s    pass
    now               pyenv 3.11.7        1150      7.7 s   1.59 cores, 47 r/s    fail
    now               Debian 3.11.2       1150      191 ms  1.18 cores, 47 r/s    pass
    now               Debian 3.11.2       1300      5.2 s   1.53 cores, 54 r/s    fail

PostgreSQL used 0.16-0.20 cores, the generator 0.08-0.10. The 3,900 goal is not
reached. bench/request_cost.py (one request at a time) puts one child's 30 s at
~31 ms of CPU (~42 ms before): ~45 % sandbox (a forked process per run and per
test, ~6-8 ms each, mostly the kernel's fork, copy-on-write faults and exit), the
rest the workers (~6 ms for any request before the app's own work) and PostgreSQL.
Profile of the slowest endpoint under load (py-spy --gil on one worker, 1,000
children, Debian's Python): Submit ~30 % of the worker's time (recording it ~20 %:
the submission INSERT, the progress row locked and updated, the counter ~7 %);
loading the user for the route policy ~13 %; Flask's request set-up ~10 %; Run ~8 %;
the exercise page ~5 %.

What one run does, end to end:

1. Setup, in this process: a fresh database (an SQLite file in a temporary
   folder, or a fresh PostgreSQL database ``codekids_load_<pid>`` created on the
   server of ``--postgres-url`` and dropped afterwards), migrations, and the
   national network world of ``codekids demo --network``
   (``codekids.network_world``: 95 clubs in 18 counties, 1,300 children, a
   librarian per club, a season of submissions and the counter's ledger); when N
   is larger, clubs of about 15 children are added over the same 18 counties until
   it has N children. The N children driven are whole clubs, taken county by county
   in turn, and only those clubs' librarians watch their grids (as before: a
   librarian per ~15 children); their secrets are read with
   ``clubs.service.card_secret``.
2. The real server: ``codekids serve`` in a subprocess on a free loopback port
   (``--workers``/``--threads``), waited for on ``/healthz`` (``/copii`` before
   that route existed). ``--profile PREFIX`` serves the same app through
   ``bench/load_profile.py`` instead: cProfile around the requests whose path
   starts with PREFIX, the top of the merged profile printed at the end.
3. Every librarian logs in once (argon2, CSRF form) before the clock starts and
   keeps the session.
4. The load, asyncio with a minimal HTTP/1.1 keep-alive client (a cookie jar
   per simulated person). Each child logs in at a random moment of the ramp-up
   (``--ramp``, default N / ``--login-rate`` s: GET the secret page for its CSRF token, POST the three
   pictures), opens an exercise page, then every 30 s (+-20 % jitter) alternately
   Runs and Submits it through the JSON API (``X-CSRFToken`` from the page's
   meta tag): the bank's reference solution half the time, a wrong one
   (NameError at the end, or a syntax error) otherwise, each program with a
   first-line comment of its own (a child's id and a counter) so that, as with
   real children, no two texts are the same and the sandbox compiles each one
   (``--shared-sources``: the bank's texts as they are, the runs before
   2026-12-01); one action in eight first opens another exercise. Each
   librarian polls their club's progress grid every 20 s
   (``/cluburi/<id>/progres`` when it exists, else the club page
   ``/cluburi/<id>``); a few embed widgets poll ``/api/v1/counter`` every 10 s.
5. Bounded: ramp-up + ``--settle`` seconds (default 30; the server drains what the
   login storm queued: reported, not judged) + ``--duration`` seconds of steady
   state, a hard cap on the number of requests (``--max-requests``), a 30 s
   timeout per request. Only 127.0.0.1 is ever contacted.
6. Report, per endpoint and overall: p50/p95/p99 latency, errors (any status
   other than 2xx/3xx, timeouts and connection errors), throughput; the CPU
   seconds used by the server's process tree (gunicorn master, workers,
   sandbox fork servers and, through their ``cutime``, the finished sandbox
   children) against this generator's own.

``--search`` looks for the largest N the machine sustains with p95 < 500 ms
(steady state) and zero errors: doubling from ``--children`` until a run fails, then
bisecting (to a step of ``--resolution``), each step a bounded run of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

# Run as a script, this file's folder comes first on sys.path and bench/sandbox.py
# would shadow the sandbox package the site imports.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this benchmark ever contacts
CHILDREN_PER_CLUB = 15
PASSWORD = "load-bench-parola-1"
P95_LIMIT_MS = 500.0
REQUEST_TIMEOUT = 30.0

_CSRF_INPUT = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


# ---- setup -------------------------------------------------------------------------------


@dataclass
class Child:
    id: int
    club_code: str
    sequence: tuple[str, ...]
    kind: str = "pictures"  # or "words": the secret's kind decides the login form


@dataclass
class Librarian:
    username: str
    club_id: int


@dataclass
class World:
    database_url: str
    secret_key: str
    children: list[Child] = field(default_factory=list)
    librarians: list[Librarian] = field(default_factory=list)
    exercises: list[dict] = field(default_factory=list)
    grid_path: str = "/cluburi/{club_id}"


def world_scale(n_children: int):
    """The network world, or a larger one (more clubs over the same counties, about
    CHILDREN_PER_CLUB children each) when N asks for more children than it has."""
    from codekids.network_world import Scale

    base = Scale()
    if n_children <= base.children:
        return base
    extra = -(-(n_children - base.children) // CHILDREN_PER_CLUB)
    return Scale(clubs=base.clubs + extra, children=n_children, weeks=base.weeks)


def build_world(database_url: str, n_children: int) -> World:
    """A migrated database holding the network world; the first ``n_children`` of
    ``World.children`` (whole clubs, county by county in turn) are the ones to drive,
    ``World.librarians`` the librarians of their clubs."""
    from codekids import create_app, db, migrate, network_world, sandbox_client

    secret_key = secrets.token_urlsafe(48)
    app = create_app({"database_url": database_url, "secret_key": secret_key,
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="codekids-load-instance-")})
    world = World(database_url, secret_key)
    with app.app_context():
        migrate.upgrade(db.get_engine())
        seeded = network_world.seed(world_scale(n_children), password=PASSWORD,
                                    progress=lambda m: print(f"  {m}", flush=True))
        # Its graded programs came from this process's sandbox; the server has its own.
        sandbox_client.stop()
        by_county: dict[str, list] = {}
        for club in seeded.clubs:
            by_county.setdefault(club.county, []).append(club)
        rounds = max(len(v) for v in by_county.values())
        order = [v[i] for i in range(rounds) for v in by_county.values() if i < len(v)]
        children_of: dict[int, list] = {}
        for child in seeded.children:
            children_of.setdefault(child.club_id, []).append(child)
        for club in order:
            for child in children_of.get(club.id, []):
                world.children.append(Child(child.id, child.join_code, tuple(child.secret.value),
                                            child.secret.kind))
            if len(world.children) - len(children_of.get(club.id, [])) < n_children:
                world.librarians.append(Librarian(club.librarian, club.id))
        bank = app.extensions["codekids_bank"]
        for exercise in bank.exercises.values():
            if exercise.solution.strip():
                stdin = exercise.tests[0].stdin if exercise.tests else ""
                world.exercises.append({"id": exercise.id, "solution": exercise.solution,
                                        "stdin": stdin})
        if any(r.rule in ("/cluburi/<int:club_id>/progres", "/cluburi/<id:club_id>/progres")
               for r in app.url_map.iter_rules()):
            world.grid_path = "/cluburi/{club_id}/progres"
        db.get_engine().dispose()
    return world


class Database:
    """A fresh database for one run, removed afterwards."""

    def __init__(self, kind: str, postgres_url: str):
        self.kind = kind
        self.postgres_url = postgres_url
        self.tmp = tempfile.mkdtemp(prefix="codekids-load-")
        self.pg_name = f"codekids_load_{os.getpid()}_{secrets.token_hex(3)}"
        if kind == "sqlite":
            self.url = f"sqlite:///{self.tmp}/load.sqlite3"
        else:
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            base, _, _ = postgres_url.rpartition("/")
            self.url = f"{base}/{self.pg_name}"

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        url = self.postgres_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    @property
    def app_url(self) -> str:
        if self.url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.url[len("postgresql://"):]
        return self.url

    def drop(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.kind == "postgres":
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


# ---- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, world: World, workers: int, threads: int, profile: str | None,
                 log_dir: str):
        self.port = free_port()
        self.profile_dir = tempfile.mkdtemp(prefix="codekids-load-profile-") if profile else None
        env = dict(os.environ, CODEKIDS_DATABASE_URL=world.database_url,
                   CODEKIDS_SECRET_KEY=world.secret_key)
        env.pop("CODEKIDS_TRUSTED_PROXIES", None)
        python = str(Path(sys.executable))
        if profile:
            cmd = [python, str(ROOT / "bench" / "load_profile.py"), "--bind", f"{HOST}:{self.port}",
                   "--workers", str(workers), "--threads", str(threads), "--prefix", profile,
                   "--out", self.profile_dir]
        else:
            cmd = [str(Path(sys.executable).with_name("codekids")), "serve", "--host", HOST,
                   "--port", str(self.port), "--workers", str(workers), "--threads", str(threads)]
        self.log_path = Path(log_dir) / "server.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=str(ROOT), start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped at start; see {self.log_path}:\n"
                                 + self.log_path.read_text()[-3000:])
            for path in ("/healthz", "/copii"):
                status = _blocking_get(self.port, path)
                if status == 200:
                    return
            time.sleep(0.3)
        raise SystemExit(f"the server did not answer within {timeout:.0f} s")

    def tree(self) -> list[int]:
        """The master and every descendant (workers, sandbox servers, their children)."""
        return descendants(self.proc.pid, children_by_parent())

    def cpu_seconds(self) -> float:
        """utime+stime+cutime+cstime over the live tree (finished sandbox children are
        in their fork server's cutime once reaped)."""
        return sum(cpu_seconds(pid, with_children=True) for pid in self.tree())

    def stop(self) -> None:
        stop_group(self.proc)
        self.log.close()


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first); None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def stop_group(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """End a server started in a process group of its own: SIGTERM to the group,
    then SIGKILL if it is not gone within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def children_by_parent() -> dict[int, list[int]]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields_ = proc_stat(int(entry))
            if fields_:
                parents.setdefault(int(fields_[1]), []).append(int(entry))
    return parents


def descendants(root: int, parents: dict[int, list[int]]) -> list[int]:
    """``root`` and every process below it, from a ``children_by_parent()`` reading."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(pid: int, *, with_children: bool) -> float:
    """utime+stime of a live process (+ cutime+cstime: its reaped children's); 0 if gone."""
    fields_ = proc_stat(pid)
    if not fields_:
        return 0.0
    return sum(int(x) for x in fields_[11:15 if with_children else 13]) / os.sysconf(
        "SC_CLK_TCK")


def _blocking_get(port: int, path: str) -> int | None:
    try:
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
        return int(head.split()[1])
    except (OSError, ValueError, IndexError):
        return None


# ---- a minimal HTTP/1.1 client -----------------------------------------------------------


class HTTPError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes


class Stats:
    def __init__(self, max_requests: int, deadline: float):
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.count = 0
        self.outcomes: dict[str, int] = {}  # what the runs and submissions answered
        self.max_requests = max_requests
        self.deadline = deadline
        self.settle_from = 0.0
        self.steady_from = 0.0
        self.trace: list[tuple[float, float, str, str]] | None = None  # --trace

    def allowed(self) -> bool:
        return self.count < self.max_requests and time.monotonic() < self.deadline

    def outcome(self, response: Response | None, kind: str) -> None:
        if response is None:
            return
        try:
            data = json.loads(response.body)
        except ValueError:
            key = f"{kind}: not JSON"
        else:
            key = (f"run: {data.get('status')}" if kind == "run"
                   else f"submit: {'solved' if data.get('solved') else 'not solved'}")
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def record(self, name: str, ms: float, error: str | None, started: float = 0.0) -> None:
        """Samples are kept per phase: "ramp" (children still logging in), "settle" (all
        logged in, the server catching up with the login storm) or "steady"."""
        phase = ("steady" if started >= self.steady_from
                 else "settle" if started >= self.settle_from else "ramp")
        if self.trace is not None:
            self.trace.append((started, ms, name, error or ""))
        self.samples.setdefault((phase, name), []).append(ms)
        if error:
            self.errors.setdefault((phase, name), []).append(error)


class Client:
    """One person's browser: one keep-alive connection (reopened when the server closed
    it, as gunicorn does after its keep-alive timeout), and a cookie jar."""

    def __init__(self, port: int, stats: Stats):
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, name: str, method: str, path: str, *, body: bytes = b"",
                      content_type: str = "", headers: dict | None = None) -> Response | None:
        """Send one request and record it under ``name``; None when it failed."""
        if not self.stats.allowed():
            return None
        self.stats.count += 1
        start = time.perf_counter()
        started = time.monotonic()
        error = None
        response = None
        try:
            response = await asyncio.wait_for(
                self._exchange(method, path, body, content_type, headers or {}), REQUEST_TIMEOUT)
            if not 200 <= response.status < 400:
                error = f"HTTP {response.status}"
        except TimeoutError:
            error = "timeout"
            await self.close()
        except (OSError, HTTPError, asyncio.IncompleteReadError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:120]
            await self.close()
        self.stats.record(name, (time.perf_counter() - start) * 1000, error, started)
        return None if error else response

    async def _exchange(self, method, path, body, content_type, headers) -> Response:
        # A connection idle longer than gunicorn's keep-alive (2 s) is closed by the
        # server; open a new one rather than race its close.
        reused = self.writer is not None and time.monotonic() - self.last_used < 1.5
        if not reused:
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
            if content_type:
                lines.append(f"Content-Type: {content_type}")
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            await self.writer.drain()
            status_line = await self.reader.readline()
            if not status_line and reused:
                raise ConnectionResetError("closed while idle")
        except (ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            # The server closed the kept-alive connection just before our request
            # reached it: nothing was processed, so sending again is safe.
            await self.close()
            self.last_used = 0.0
            return await self._exchange(method, path, body, content_type, headers)
        if not status_line:
            raise HTTPError("connection closed before the answer")
        status = int(status_line.split()[1])
        resp_headers: dict[str, str] = {}
        keep_alive = True
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "set-cookie":
                cookie = value.split(";", 1)[0]
                cname, _, cvalue = cookie.partition("=")
                if cvalue and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[cname.strip()] = cvalue.strip()
                else:
                    self.cookies.pop(cname.strip(), None)
            else:
                resp_headers[key] = value
            if key == "connection" and value.lower() == "close":
                keep_alive = False
        if resp_headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(chunks)
        elif "content-length" in resp_headers:
            data = await self.reader.readexactly(int(resp_headers["content-length"]))
        else:
            data = await self.reader.read()
            keep_alive = False
        self.last_used = time.monotonic()
        if not keep_alive:
            await self.close()
        return Response(status, resp_headers, data)


# ---- the simulated people ----------------------------------------------------------------


WRONG_ENDINGS = {"name": "\nprint(rezultat_necunoscut)\n",  # NameError
                 "syntax": "\nif True print('x')\n"}  # SyntaxError


def wrong_program(solution: str, kind: str) -> str:
    return solution.rstrip("\n") + WRONG_ENDINGS[kind]


def wrong_variant(solution: str, rng: random.Random) -> str:
    return wrong_program(solution, "name" if rng.random() < 0.5 else "syntax")


def distinct(source: str, tag: str) -> str:
    """Real children's programs all differ: each one is compiled, none is found in the
    sandbox's cache of compiled programs. A first-line comment makes this one differ."""
    return f"# {tag}\n" + source


async def child_login(c: Client, child: Child) -> Response | None:
    """GET the secret page (its CSRF token), POST the pictures; the POST's answer, or
    None when a request failed (recorded as an error) or the login was refused."""
    page = f"/copii/{child.club_code}/{child.id}"
    r = await c.request("GET /copii/<club>/<child>", "GET", page)
    if r is None:
        return None
    token = _CSRF_INPUT.search(r.body)
    form = {"csrf_token": token.group(1).decode() if token else ""}
    if child.kind == "words":
        form["words"] = " ".join(child.sequence)
    else:
        form["sequence"] = ",".join(child.sequence)
    r = await c.request("POST /copii/<club>/<child> (login)", "POST", page,
                        body=urlencode(form).encode(),
                        content_type="application/x-www-form-urlencoded")
    if r is None:
        return None
    if r.status != 302 or "/acasa" not in r.headers.get("location", ""):
        c.stats.record("POST /copii/<club>/<child> (login)", 0.0,
                       f"login refused ({r.status})", time.monotonic())
        return None
    return r


async def sleep_until(t: float, stats: Stats) -> bool:
    delay = t - time.monotonic()
    if delay > 0:
        await asyncio.sleep(min(delay, max(0.0, stats.deadline - time.monotonic())))
    return stats.allowed()


async def child_session(child: Child, world: World, port: int, stats: Stats, t0: float,
                        ramp: float, rng: random.Random, shared_sources: bool = False) -> None:
    c = Client(port, stats)
    try:
        if not await sleep_until(t0 + rng.uniform(0, ramp), stats):
            return
        if await child_login(c, child) is None:
            return
        exercise = rng.choice(world.exercises)
        csrf = await open_exercise(c, exercise)
        if csrf is None:
            return
        run_next = rng.random() < 0.5
        next_at = time.monotonic() + rng.uniform(0, 30.0)
        sent = 0
        while await sleep_until(next_at, stats):
            if rng.random() < 0.125:
                exercise = rng.choice(world.exercises)
                csrf = await open_exercise(c, exercise) or csrf
            source = exercise["solution"] if rng.random() < 0.5 else wrong_variant(
                exercise["solution"], rng)
            sent += 1
            if not shared_sources:
                source = distinct(source, f"{child.id}.{sent}")
            headers = {"X-CSRFToken": csrf}
            if run_next:
                payload = {"source": source, "stdin": exercise["stdin"]}
                r = await c.request("POST /api/v1/exercises/<id>/run", "POST",
                                f"/api/v1/exercises/{exercise['id']}/run",
                                body=json.dumps(payload).encode(),
                                content_type="application/json", headers=headers)
                stats.outcome(r, "run")
            else:
                payload = {"source": source, "client_key": secrets.token_urlsafe(12)}
                r = await c.request("POST /api/v1/exercises/<id>/submit", "POST",
                                f"/api/v1/exercises/{exercise['id']}/submit",
                                body=json.dumps(payload).encode(),
                                content_type="application/json", headers=headers)
                stats.outcome(r, "submit")
            run_next = not run_next
            next_at += 30.0 * rng.uniform(0.8, 1.2)
    finally:
        await c.close()


async def open_exercise(c: Client, exercise: dict) -> str | None:
    r = await c.request("GET /exercitii/<id>", "GET", f"/exercitii/{exercise['id']}")
    if r is None:
        return None
    meta = _CSRF_META.search(r.body)
    return meta.group(1).decode() if meta else None


async def librarian_login(lib: Librarian, port: int, stats: Stats) -> Client | None:
    c = Client(port, stats)
    r = await c.request("GET /autentificare", "GET", "/autentificare")
    if r is None:
        return None
    token = _CSRF_INPUT.search(r.body)
    form = {"csrf_token": token.group(1).decode() if token else "", "username": lib.username,
            "password": PASSWORD, "next": ""}
    r = await c.request("POST /autentificare (librarian login)", "POST", "/autentificare",
                        body=urlencode(form).encode(),
                        content_type="application/x-www-form-urlencoded")
    if r is None or r.status != 302:
        stats.record("POST /autentificare (librarian login)", 0.0, "librarian login refused")
        return None
    return c


async def librarian_watch(c: Client, lib: Librarian, world: World, stats: Stats, t0: float,
                          rng: random.Random) -> None:
    path = world.grid_path.format(club_id=lib.club_id)
    name = "GET " + world.grid_path.replace("{club_id}", "<club>")
    next_at = t0 + rng.uniform(0, 20.0)
    try:
        while await sleep_until(next_at, stats):
            await c.request(name, "GET", path)
            next_at += 20.0 * rng.uniform(0.9, 1.1)
    finally:
        await c.close()


async def embed_poll(port: int, stats: Stats, t0: float, rng: random.Random) -> None:
    c = Client(port, stats)
    next_at = t0 + rng.uniform(0, 10.0)
    try:
        while await sleep_until(next_at, stats):
            await c.request("GET /api/v1/counter (embed)", "GET", "/api/v1/counter")
            next_at += 10.0
    finally:
        await c.close()


# ---- one run -----------------------------------------------------------------------------


@dataclass
class Phase:
    rows: list[tuple]
    overall: tuple
    wall: float
    server_cpu: float


@dataclass
class RunResult:
    database: str
    children: int
    phases: dict[str, Phase]
    errors: int
    error_samples: list[str]
    server_cpu: float
    generator_cpu: float
    wall: float
    outcomes: dict = field(default_factory=dict)
    machine_cpu: float = 0.0
    postgres_cpu: float = 0.0
    profile: str = ""

    @property
    def p95(self) -> float:
        """The criterion's p95: the steady state, every child logged in."""
        steady = self.phases.get("steady")
        return steady.overall[2] if steady and steady.overall[4] else float("inf")

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.p95 < P95_LIMIT_MS


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summarize(stats: Stats, phase: str, wall: float) -> tuple[list[tuple], tuple]:
    rows = []
    everything: list[float] = []
    n_errors = 0
    for (ph, name) in sorted(stats.samples, key=lambda k: k[1]):
        if ph != phase:
            continue
        values = stats.samples[(ph, name)]
        n_err = len(stats.errors.get((ph, name), []))
        everything += values
        n_errors += n_err
        rows.append((name, pct(values, 50), pct(values, 95), pct(values, 99), len(values), n_err,
                     len(values) / wall))
    overall = ("overall", pct(everything, 50), pct(everything, 95), pct(everything, 99),
               len(everything), n_errors, len(everything) / wall)
    return rows, overall


def run_once(kind: str, n: int, args) -> RunResult:
    database = Database(kind, args.postgres_url)
    server = None
    try:
        scale = world_scale(n)
        print(f"[{kind}] seeding the network world ({scale.clubs} clubs, {scale.children} "
              f"children, {scale.weeks} weeks of submissions); {n} children will be driven...",
              flush=True)
        world = build_world(database.app_url, n)
        server = Server(world, args.workers, args.threads, args.profile, database.tmp)
        server.wait_ready()
        result = asyncio.run(drive(world, server, n, args, kind))
        if args.profile:
            server.stop()
            result.profile = read_profile(server.profile_dir, args.profile_lines)
        return result
    finally:
        if server is not None:
            server.stop()
            if server.profile_dir:
                shutil.rmtree(server.profile_dir, ignore_errors=True)
        database.drop()


async def drive(world: World, server: Server, n: int, args, kind: str) -> RunResult:
    rng = random.Random(args.seed)
    ramp = ramp_seconds(n, args)
    # The librarians log in before the clock starts (argon2 is meant to be slow);
    # those logins are not part of the figures.
    setup_stats = Stats(10 * len(world.librarians) + 10, time.monotonic() + 600)
    librarians = []
    sem = asyncio.Semaphore(4)

    async def login(lib):
        async with sem:
            return await librarian_login(lib, server.port, setup_stats)

    for lib, c in zip(world.librarians, await asyncio.gather(*(login(lib) for lib in
                                                                world.librarians)), strict=True):
        if c is None:
            raise SystemExit(f"librarian {lib.username} could not log in: {setup_stats.errors}")
        c.stats = None  # set below
        librarians.append((lib, c))

    t0 = time.monotonic()
    stats = Stats(args.max_requests, t0 + ramp + args.settle + args.duration)
    for _lib, c in librarians:
        c.stats = stats
        c.last_used = 0.0
    stats.settle_from = t0 + ramp
    stats.steady_from = t0 + ramp + args.settle
    if args.trace:
        stats.trace = []
    cpu0_server, cpu0_gen, busy0 = server.cpu_seconds(), _own_cpu(), machine_busy()
    pg0 = postgres_cpu()
    marks = {}

    async def mark_phase_ends():
        await asyncio.sleep(ramp)
        marks["ramp"] = server.cpu_seconds()
        await asyncio.sleep(args.settle)
        marks["settle"] = server.cpu_seconds()

    tasks = [child_session(child, world, server.port, stats, t0, ramp,
                           random.Random(rng.random()), args.shared_sources)
             for child in world.children[:n]]
    tasks += [librarian_watch(c, lib, world, stats, t0, random.Random(rng.random()))
              for lib, c in librarians]
    tasks += [embed_poll(server.port, stats, t0, random.Random(rng.random()))
              for _ in range(args.embeds)]
    tasks.append(mark_phase_ends())
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    cpu_end = server.cpu_seconds()
    cpu_server, cpu_gen = cpu_end - cpu0_server, _own_cpu() - cpu0_gen
    busy = machine_busy() - busy0
    pg_end = postgres_cpu()
    # Per process: a backend that exited during the run must not count as negative.
    pg = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg_end.items())
    after_ramp = marks.get("ramp", cpu_end)
    after_settle = marks.get("settle", cpu_end)
    phases = {}
    for phase, span, cpu in (("ramp", min(ramp, wall), after_ramp - cpu0_server),
                             ("settle", max(min(args.settle, wall - ramp), 1e-9),
                              after_settle - after_ramp),
                             ("steady", max(wall - ramp - args.settle, 1e-9),
                              cpu_end - after_settle)):
        rows, overall = summarize(stats, phase, span)
        phases[phase] = Phase(rows, overall, span, cpu)
    if args.trace:
        write_trace(args.trace, stats.trace, t0)
    samples = [e for errs in stats.errors.values() for e in errs]
    return RunResult(kind, n, phases, len(samples), sorted(set(samples))[:8], cpu_server,
                     cpu_gen, wall, dict(sorted(stats.outcomes.items())), machine_cpu=busy,
                     postgres_cpu=pg)


def write_trace(path: str, trace, t0: float) -> None:
    """One line per request: seconds since the clock started, latency, endpoint, error."""
    import csv

    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["start_s", "ms", "endpoint", "error"])
        for started, ms, name, error in sorted(trace):
            out.writerow([f"{started - t0:.3f}", f"{ms:.1f}", name, error])
    print(f"trace of {len(trace)} requests written to {path}")


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of each live PostgreSQL process on this machine (the server runs here)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if stat[stat.index("(") + 1:stat.rindex(")")] in ("postgres", "postmaster"):
                found[int(entry)] = sum(int(x) for x in stat.rpartition(")")[2].split()[11:13])
    return {pid: ticks / tick for pid, ticks in found.items()}


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def read_profile(folder: str, lines: int) -> str:
    import io
    import pstats

    files = sorted(Path(folder).glob("*.prof"))
    if not files:
        return "(no profile written)"
    out = io.StringIO()
    stats = pstats.Stats(str(files[0]), stream=out)
    for f in files[1:]:
        stats.add(str(f))
    stats.sort_stats("cumulative").print_stats(lines)
    out.write("\n-- by own time --\n")
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def print_result(r: RunResult) -> None:
    print(f"\n== {r.database}: {r.children} children, {r.wall:.0f} s "
          f"({'PASS' if r.ok else 'FAIL'}: steady p95 {r.p95:.0f} ms, {r.errors} errors)")
    labels = {"ramp": "ramp-up: children logging in",
              "settle": "settling: all logged in, not counted in the verdict",
              "steady": "steady state"}
    for phase in ("ramp", "settle", "steady"):
        ph = r.phases[phase]
        if not ph.overall[4]:
            continue
        label = labels[phase]
        print(f"-- {label}, {ph.wall:.0f} s, server CPU {ph.server_cpu / ph.wall:.2f} cores")
        print(f"{'endpoint (ms)':<44} {'p50':>7} {'p95':>7} {'p99':>7} {'count':>7} "
              f"{'errors':>6} {'req/s':>7}")
        for row in [*ph.rows, ph.overall]:
            name, p50, p95, p99, count, errors, rate = row
            print(f"{name:<44} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} {count:>7} {errors:>6} "
                  f"{rate:>7.1f}")
    total = r.server_cpu + r.generator_cpu
    share = r.generator_cpu / total if total else 0.0
    print(f"CPU seconds: server {r.server_cpu:.1f} ({r.server_cpu / r.wall:.2f} cores), "
          f"generator {r.generator_cpu:.1f} ({r.generator_cpu / r.wall:.2f} cores): "
          f"generator share {share:.1%}")
    other = r.machine_cpu - r.server_cpu - r.generator_cpu - r.postgres_cpu
    print(f"whole machine busy {r.machine_cpu / r.wall:.2f} of {os.cpu_count()} cores: "
          f"PostgreSQL {r.postgres_cpu / r.wall:.2f}, other processes (not this benchmark) "
          f"{max(0.0, other) / r.wall:.2f}")
    print("answers: " + ", ".join(f"{k} {v}" for k, v in r.outcomes.items()))
    if r.error_samples:
        print("errors, e.g.: " + "; ".join(r.error_samples))
    if r.profile:
        print("\n-- profile --\n" + r.profile)
    sys.stdout.flush()


def ramp_seconds(n: int, args) -> float:
    """The ramp-up: --ramp, or long enough that N children log in at --login-rate a second.
    A fixed ramp makes the login storm grow with N until it, not the steady load, is what
    a run measures (3,900 logins in 45 s is 87 a second, three requests each)."""
    if args.ramp is not None:
        return args.ramp
    return max(30.0, n / args.login_rate)


def search(kind: str, args) -> int:
    """Largest N with p95 < 500 ms and no errors: double until a failure, then bisect."""
    results: dict[int, bool] = {}

    def ok(n: int) -> bool:
        if n not in results:
            r = run_once(kind, n, args)
            print_result(r)
            results[n] = r.ok
        return results[n]

    good, bad = 0, None
    n = args.children
    while n <= args.search_max and ok(n):
        good, n = n, n * 2
    if good == 0 and not results.get(n, True):
        bad = n
    elif n > args.search_max:
        return good
    else:
        bad = n
    while bad - good > args.resolution:
        mid = (good + bad) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    runs = ", ".join(f"{k}:{'ok' if v else 'fail'}" for k, v in sorted(results.items()))
    print(f"\n[{kind}] largest sustained: {good} children (runs: {runs})")
    return good


def main(argv: list[str] | None = None) -> None:
    cores = os.cpu_count() or 2
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--children", type=int, default=300, help="simulated children (search: start)")
    p.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="a server where this benchmark may CREATE and DROP its own database")
    # 3 x cores workers of 2 threads: same CPU per request as 2 x 8 at 2,000 children,
    # p95 117 ms against 3.3 s (fewer threads per GIL wait less for it between round trips).
    p.add_argument("--workers", type=int, default=3 * cores, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=2, help="threads per worker")
    p.add_argument("--ramp", type=float, default=None,
                   help="seconds over which children log in [default: N / --login-rate]")
    p.add_argument("--login-rate", type=float, default=20.0,
                   help="children logging in per second when --ramp is not given")
    p.add_argument("--settle", type=float, default=30.0,
                   help="seconds after the ramp-up before the steady state is measured: the "
                        "server drains what the login storm queued (reported apart)")
    p.add_argument("--duration", type=float, default=90.0, help="steady seconds after ramp-up")
    p.add_argument("--max-requests", type=int, default=200_000, help="hard cap per run")
    p.add_argument("--embeds", type=int, default=5, help="embed widgets polling the counter")
    p.add_argument("--shared-sources", action="store_true",
                   help="every child sends the bank's own program texts, as before 2026-12-01 "
                        "(the sandbox then finds nearly all of them compiled in its cache); "
                        "by default each program sent differs, as real children's do")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--search", action="store_true", help="find the largest sustained N")
    p.add_argument("--search-max", type=int, default=8000)
    p.add_argument("--resolution", type=int, default=100, help="bisection stops at this step")
    p.add_argument("--profile", metavar="PREFIX", default=None,
                   help="cProfile the requests whose path starts with PREFIX "
                        "(e.g. /api/v1/exercises/)")
    p.add_argument("--profile-lines", type=int, default=25)
    p.add_argument("--trace", metavar="CSV", default=None,
                   help="write every request (start, latency, endpoint, error) to this file")
    args = p.parse_args(argv)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    found = {}
    for kind in kinds:
        if args.search:
            found[kind] = search(kind, args)
        else:
            print_result(run_once(kind, args.children, args))
    for kind, n in found.items():
        print(f"{kind}: largest sustained {n} children (p95 < {P95_LIMIT_MS:.0f} ms, no errors)")


if __name__ == "__main__":
    main()
