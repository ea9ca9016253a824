"""Layer 2, the process: the fork server and the life of one child.

The server is started by ``sandbox.client`` as ``python -I -S`` with an empty
environment; it imports only this package's runtime and RestrictedPython,
warms them up, raises the host walls, then forks one child per run. It never
sees the site's configuration, secrets or database connections.

Protocol (both directions): 4-byte big-endian length + JSON. The client sends
requests ``{"id", "source", "stdin", "limits", "call", "raw"}`` and receives
one result per request (``{"id", "status", "stdout", ...}``), in completion
order. At start the server sends ``{"hello": ..., "walls": ...}``.

Warm children. The server keeps ``warm`` (3 x pool) children forked ahead
of need. Right after ``fork`` such a child starts its own session, keeps only
its three pipes (job on fd 0, stdout, results) and /dev/null, sets the
job-independent rlimits, drops to an unprivileged uid that no other live
child has, cannot gain privileges, loads the child seccomp filter, dies with
the server, and blocks reading its job pipe. (With ``prefault`` on, it also
runs the server's warm-up program once more, taking a run's copy-on-write
faults before the job arrives; off by default: it spends ~2 ms of CPU per
child to save less than that in latency, and under load CPU is what runs out.)
A job (marshalled by the server: source or the cached compiled code, stdin,
limits) goes to one warm child, which never gets another: one
fresh process per run, as before. Only after the job arrived does the child
set the CPU and address-space limits and arm its CPU timer, and only then
compile the program (a hostile source can exhaust the compiler). Runs in
flight are capped at ``pool``; refills (and the exits of finished children,
which wait idle to be dismissed) happen when no run is in flight.

Frames on the result pipe: ``C`` + marshalled code (sent before any child
code runs, so the server may cache it for the next run of the same source)
and ``R`` + JSON verdict. A warm child that dies before it took its job
(bytes left unread in its job pipe) has the job run in another one.

Compiling once. The runs of one graded submission share a source. While one
child compiles a source that is not in the code cache, the other runs of that
source wait in the queue (other sources go ahead of them); they then start
with the cached code, or, when the compile failed (a syntax error, a refused
name), they are answered with that child's verdict without a fork: a program
that does not compile fails the same way whatever its input. Only an ``R``
frame with no ``C`` frame before it, from a child that was given no code, is
such a verdict: it is written by our compile step before any child code runs.
"""

from __future__ import annotations

import fcntl
import gc
import json
import marshal
import math
import os
import resource
import selectors
import signal
import struct
import sys
import termios
import time
from collections import OrderedDict, deque

from . import bounds, policy, runtime, walls

HEADER = struct.Struct("!I")
MAX_REQUEST = 8 * 1024 * 1024
MAX_RESULT_FRAME = bounds.RESULT_FRAME_BYTES
CODE_CACHE_ENTRIES = 512
CODE_CACHE_BYTES = 64 * 1024 * 1024  # all compiled code kept, in marshalled bytes
CODE_ENTRY_BYTES = 8 * 1024 * 1024  # a larger compiled program is not kept
ADDRESS_SPACE_STEP = 16 * 1024 * 1024  # see Server._grown_address_space
COMPILE_FAILURE_ENTRIES = 256
CHILD_JOB, CHILD_STDOUT, CHILD_RESULTS = 0, 1, 3
MAX_RETRIES = 3
IDLE_SWEEP_SECONDS = 1.0  # longest block before a stray-child sweep
UID_BASE = 61000
EXIT_SETUP_FAILED = 71


def _read_exact(fd, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _unread(fd) -> int:
    """Bytes written to a pipe and not yet read from it."""
    buf = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buf, True)
    return int.from_bytes(buf, sys.byteorder)


def _failure_key(req) -> tuple:
    # Every limit a compile's outcome depends on is part of it: "too large" on the
    # source limit, "too complex" (the compiler out of memory or time) on memory and
    # CPU; a refusal under a small limit is never the answer under a larger one.
    limits = req["limits"]
    return (
        req["source"],
        int(limits["source_bytes"]),
        int(limits["memory_mb"]),
        float(limits["cpu_seconds"]),
    )


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Job:
    __slots__ = (
        "req",
        "pid",
        "pidfd",
        "out_fd",
        "res_fd",
        "out",
        "res",
        "start",
        "deadline",
        "uid_index",
        "job_w",
        "unread",
        "released",
        "killed",
        "cache_key",
        "had_code",
        "answered",
        "compiling",
    )

    def __init__(self, req):
        self.req = req
        self.out = bytearray()
        self.res = bytearray()
        self.killed = None
        self.answered = False
        self.compiling = False
        self.released = False
        self.unread = 0
        self.pid = self.pidfd = self.out_fd = self.res_fd = self.job_w = None


class Warm:
    """A pre-forked child that has applied everything job-independent and
    waits, blocked on its job pipe, for the one job it will ever run."""

    __slots__ = ("pid", "pidfd", "out_r", "res_r", "job_w", "uid_index")


# ---------------------------------------------------------------------------
# The child


class _Child:
    """Owns the verdict of the one run in this child process."""

    state = None
    res_fd = CHILD_RESULTS
    cpu_limit = 2.0
    cpu_before_job = 0.0  # what the warm child used before its job arrived
    inherited_as = 0  # forked by the server itself: what the server had grown by then

    @classmethod
    def finish(cls, result: dict):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cls.cpu_before_job
        result["cpu_ms"] = round(max(0.0, cpu) * 1000, 3)
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError):
            result["turtle"] = None
            result["value"] = None
            payload = json.dumps(result, default=repr).encode()
        try:
            _write_all(cls.res_fd, b"R" + HEADER.pack(len(payload)) + payload)
            # Wait, idle, until the server dismisses us (closes the job pipe):
            # tearing down this address space then happens when the server is
            # not waiting on other runs, off their critical path.
            os.read(CHILD_JOB, 1)
        finally:
            os._exit(0)

    @classmethod
    def stop(cls, state):
        cls.finish(runtime.verdict(state, state.status_override, None))

    @classmethod
    def on_cpu_limit(cls, signum, frame):
        error = {
            "type": "TimeLimit",
            "message": f"the program used more than {cls.cpu_limit:g} seconds of processor time",
            "line": None,
            "column": None,
            "limit": "cpu",
        }
        state = cls.state or runtime.RunState()
        result = runtime.verdict(state, "timeout", error)
        result["status"], result["error"] = "timeout", error
        cls.finish(result)


def _emit_stdout(data: bytes):
    _write_all(CHILD_STDOUT, data)


def _child_prepare(server, uid_index, out_w, res_w, job_r, prefault=None):
    """Everything that does not depend on the job, done by a warm child
    before it waits for one: no program code has run, none will before the
    job-dependent limits are set in ``_child_take_job``."""
    os.setsid()
    out_fd, res_fd, job_fd = os.dup(out_w), os.dup(res_w), os.dup(job_r)
    os.dup2(out_fd, CHILD_STDOUT)
    os.dup2(job_fd, CHILD_JOB)
    os.dup2(server.devnull, 2)
    os.dup2(res_fd, CHILD_RESULTS)
    os.closerange(CHILD_RESULTS + 1, server.max_fd)
    setr = resource.setrlimit
    setr(resource.RLIMIT_FSIZE, (0, 0))
    setr(resource.RLIMIT_CORE, (0, 0))
    setr(resource.RLIMIT_NOFILE, (8, 8))
    setr(resource.RLIMIT_MEMLOCK, (0, 0))
    setr(resource.RLIMIT_MSGQUEUE, (0, 0))
    if server.drop_uid:
        uid = UID_BASE + uid_index
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    setr(resource.RLIMIT_NPROC, (0, 0))
    if not server.child_walls.no_new_privs():
        os._exit(EXIT_SETUP_FAILED)
    if server.child_walls.filter is not None and not server.child_walls.load_filter():
        os._exit(EXIT_SETUP_FAILED)
    server.child_walls.parent_death_kill(signal.SIGKILL)
    if os.getppid() != server.pid:  # the server died before we could notice
        os._exit(EXIT_SETUP_FAILED)
    signal.signal(signal.SIGPROF, _Child.on_cpu_limit)
    if server.prefault if prefault is None else prefault:
        # Take the copy-on-write faults a run causes now, while waiting, not
        # once the job is here: run the server's own warm-up program again
        # (the server already ran it before forking, so the state a job finds
        # is the same as without it). No child code has run in this process.
        state = runtime.RunState("", write=lambda b: None)
        marshal.loads(marshal.dumps(server.warm_code))  # noqa: S302 - our own code
        runtime.run_code(server.warm_code, state)
        _Child.state = None


def _child_take_job():
    """Block until the server hands this warm child its one job, acknowledge
    it, then apply the job's own limits before anything is compiled or run."""
    head = _read_exact(CHILD_JOB, 4)
    if head is None:  # the server retired this warm child
        os._exit(0)
    body = _read_exact(CHILD_JOB, HEADER.unpack(head)[0])
    if body is None:
        os._exit(0)
    # Written by the server (trusted), never by a child.
    req = marshal.loads(body)  # noqa: S302
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _Child.cpu_before_job = usage.ru_utime + usage.ru_stime
    limits = req["limits"]
    cpu = float(limits["cpu_seconds"])
    hard_cpu = math.ceil(cpu) + 1
    # The job's own memory on top of what fork handed over from the server (its
    # heap and code cache, see Server._cache_code): no cached code counts.
    mem = int(limits["memory_mb"]) * 1024 * 1024 + _Child.inherited_as
    resource.setrlimit(resource.RLIMIT_CPU, (hard_cpu, hard_cpu))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    _Child.cpu_limit = cpu
    signal.setitimer(signal.ITIMER_PROF, cpu)
    return req


def _child_run(server, req):
    limits = req["limits"]
    if req.get("raw"):
        _child_run_raw(req)
    state = runtime.RunState(
        req.get("stdin", ""),
        output_limit=int(limits["output_bytes"]),
        write=_emit_stdout,
        stop=_Child.stop,
        max_segments=int(limits.get("max_turtle_segments", 50_000)),
        seed=limits.get("random_seed", 0),
    )
    _Child.state = state
    source = req["source"]
    code_bytes = req.get("code")
    if code_bytes is not None:
        # Bytes this server got from an earlier child's compile step, before
        # that child ran any program code (see _compose): not child-controlled.
        code = marshal.loads(code_bytes)  # noqa: S302
    else:
        if len(source.encode("utf-8", "surrogatepass")) > int(limits["source_bytes"]):
            _Child.finish(
                runtime.refusal_verdict(
                    state, policy.Refusal("source_too_large", policy.REASONS["source_too_large"])
                )
            )
        try:
            code = policy.compile_program(source, server.module_names)
        except policy.CompileRefused as exc:
            _Child.finish(runtime.refusal_verdict(state, exc.refusal))
        except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in source
            if not isinstance(exc, SyntaxError):
                exc = SyntaxError(str(exc), (policy.FILENAME, None, None, None))
            _Child.finish(runtime.verdict(state, "error", runtime.error_from_exception(exc)))
        # Sent before any child code runs: safe for the server to cache.
        blob = marshal.dumps(code)
        _write_all(CHILD_RESULTS, b"C" + HEADER.pack(len(blob)) + blob)
    _Child.finish(runtime.run_code(code, state, req.get("call")))


def _child_run_raw(req):
    """Unrestricted Python through the process layer alone (tests and doctor)."""
    import builtins
    import io

    sys.stdin = io.StringIO(req.get("stdin", ""))
    sys.stdout = io.TextIOWrapper(io.FileIO(CHILD_STDOUT, "w", closefd=False), write_through=True)
    status, error = "ok", None
    try:
        code = compile(req["source"], "<raw>", "exec")
        exec(code, {"__builtins__": builtins, "__name__": "__main__"})  # noqa: S102
    except BaseException as exc:  # noqa: BLE001
        status = "error"
        error = {"type": type(exc).__name__, "message": str(exc), "line": None, "column": None}
    _Child.finish(
        {"status": status, "error": error, "value": None, "turtle": None, "stdout_truncated": False}
    )


# ---------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, config):
        self.config = config
        self.pid = os.getpid()
        self.pool = max(1, int(config.get("pool_size") or os.cpu_count() or 1))
        self.allow_raw = bool(config.get("allow_raw"))
        os.environ.clear()  # started with env={}; drop what CPython itself added
        self.ctl_in = os.dup(0)
        self.ctl_out = os.dup(1)
        self.devnull = os.open("/dev/null", os.O_RDWR)
        os.dup2(self.devnull, 0)
        os.dup2(self.devnull, 1)
        if not config.get("debug"):
            os.dup2(self.devnull, 2)
        self.max_fd = 1 << 16
        self.module_names = runtime.module_names()
        self.drop_uid = os.geteuid() == 0 and config.get("walls", {}).get("uid", True)
        want = config.get("walls", {})
        self.child_walls = walls.ChildWalls(use_seccomp=want.get("seccomp", True))
        self._warm_up()
        if self.allow_raw:
            # Raw runs exist to test the walls below the language policy: have
            # the modules an escaped program would use already imported, so a
            # failing attempt shows a wall and not a missing file in the chroot.
            import socket  # noqa: F401
        # Read before a fork from the server itself (_address_space): before the chroot.
        self.statm_fd = os.open("/proc/self/statm", os.O_RDONLY)
        self.base_as = self._address_space()
        self.walls = walls.raise_server_walls(config.get("chroot"), want)
        self.walls["seccomp_child"] = self.child_walls.filter is not None and self.walls["seccomp"]
        if not self.walls["seccomp"]:
            self.child_walls.filter = None
            self.walls["seccomp_child"] = False
        self.walls["uid"] = bool(self.drop_uid)
        # Concurrency: at most ``pool`` runs at once. Warm children: ready,
        # pre-forked, each with an unprivileged uid of its own that no other
        # live child shares (returned only once the child is reaped).
        self.running = 0
        self.finished = deque()  # answered jobs whose child waits to be dismissed
        self.warm_target = max(0, int(config.get("warm", 3 * self.pool)))
        self.warm = deque()
        self.prefault = bool(config.get("prefault", False))
        self.free_uids = list(range(4 * (self.warm_target + self.pool) + 4))[::-1]
        self.pending = deque()
        self.jobs = {}
        self.code_cache = OrderedDict()
        self.code_cache_bytes = 0
        # Sources that did not compile -> the verdict (same for every input).
        self.compile_failures = OrderedDict()
        # Sources being compiled by a child right now -> how many such children.
        self.compiling = {}
        self.sel = selectors.DefaultSelector()
        self.ctl_buf = bytearray()
        # Every live child of this server, by pid: its Warm until a job is
        # handed to it, then its Job. The stray-child sweep reaps by this map.
        self.children = {}

    def _warm_up(self):
        """Run a representative program once so lazily-loaded code is loaded
        before the walls go up and before children are forked."""
        src = (
            "import math, random, string, turtle\n"
            "class A:\n    def __init__(self):\n        self.n = 0\n"
            "a = A()\na.n += 1\nd = {'k': 1}\nd['k'] += 1\n"
            "print('{} {:>3} {!r}'.format(1, 2, 'x'), '%d' % 3, f'{a.n:05.2f}')\n"
            "print(sorted(zip([2, 1], 'ab')), tuple(reversed([1])), math.sqrt(2), random.random())\n"
            "turtle.forward(10)\nturtle.circle(5)\n"
            "try:\n    int('x')\nexcept ValueError as e:\n    print(e)\n"
            "x = input()\n"
        )
        state = runtime.RunState("", write=lambda b: None)
        self.warm_code = policy.compile_program(src, self.module_names)
        runtime.run_code(self.warm_code, state)
        # And a program that fails, so describing its failing line is loaded too.
        failing = policy.compile_program(
            "n = [1, 'a', {2: 3.5}]\nprint(n[len(n)])\n", self.module_names
        )
        runtime.run_code(failing, runtime.RunState("", write=lambda b: None))
        for encoding in ("ascii", "latin-1", "utf-16", "utf-32", "idna", "cp1252"):
            "x".encode(encoding)
        json.loads(json.dumps({"a": [1, 2.5, None, "é"]}))
        gc.collect()
        gc.freeze()  # forked children then do not dirty the server's pages

    # -- wire ----------------------------------------------------------------
    def send(self, message: dict):
        data = bounds.answer_bytes(message)  # standard JSON, bounded in bytes
        _write_all(self.ctl_out, HEADER.pack(len(data)) + data)

    def serve(self):
        self.send(
            {
                "hello": True,
                "pid": self.pid,
                "walls": self.walls,
                "pool": self.pool,
                "warm": self.warm_target,
            }
        )
        os.set_blocking(self.ctl_in, False)
        self.sel.register(self.ctl_in, selectors.EVENT_READ, ("ctl", None))
        while True:
            timeout = IDLE_SWEEP_SECONDS
            overdue = False
            if self.jobs:
                nearest = min(j.deadline for j in self.jobs.values())
                now = time.monotonic()
                timeout = min(timeout, max(0.0, nearest - now))
                overdue = nearest < now - IDLE_SWEEP_SECONDS  # killed, still not reaped
            if self._refill_wanted():
                timeout = 0.0
            if (timeout > 0.0 and not self.running) or overdue:
                # About to block with no run in flight (or a killed child is
                # long overdue): reap any child whose exit its pidfd did not
                # report, whatever the reason. Cheap: one wait4 when none did.
                if self._sweep():
                    timeout = 0.0  # what the reaps changed is handled below
            for key, _ in self.sel.select(timeout):
                # The batch was listed before any of it was handled: a key an
                # earlier event changed (a warm child handed its job, a pipe
                # closed and its number reused) is not acted on; a still-ready
                # fd shows up again in the next select.
                if self.sel.get_map().get(key.fd) is not key:
                    continue
                kind, job = key.data
                if kind == "ctl":
                    if not self._read_control():
                        self._shutdown()
                        return
                elif kind == "pid":
                    self._reap(job)
                elif kind == "warm":
                    self._reap_warm(job)
                else:
                    self._read_pipe(job, kind)
            now = time.monotonic()
            for job in list(self.jobs.values()):
                if job.killed is None and now >= job.deadline:
                    self._kill(job, "wall")
            self._dispatch()
            # Off the critical path: dismiss finished children once no run is
            # in flight (or too many wait), then refill the warm pool.
            while self.finished and (
                (not self.pending and self.running == 0) or len(self.finished) > 2 * self.pool
            ):
                self._dismiss(self.finished.popleft())
            self._fork_batch()

    def _dispatch(self):
        """Start queued runs, oldest first, while fewer than ``pool`` are in flight. A
        run whose source a child is compiling right now waits for that compile; one
        whose source did not compile is answered at once (module docstring)."""
        held = []
        while self.pending:
            req = self.pending[0]
            if not req.get("raw"):
                key = _failure_key(req)
                failed = self.compile_failures.get(key)
                if failed is not None:
                    self.pending.popleft()
                    self.compile_failures.move_to_end(key)
                    self._answer_compile_failure(req, failed)
                    continue
                if req["source"] in self.compiling and req["source"] not in self.code_cache:
                    held.append(self.pending.popleft())
                    continue
            if self.running >= self.pool or not self._start(req):
                break
            self.pending.popleft()
        self.pending.extendleft(reversed(held))

    def _answer_compile_failure(self, req, failed: dict):
        result = dict(failed, id=req.get("id"), cpu_ms=0.0, wall_ms=0.0)
        self.send(result)

    def _compile_done(self, job):
        """The job's child compiled its source, failed to, or ended: the runs of the same
        source that were held back may start."""
        if not job.compiling:
            return
        job.compiling = False
        left = self.compiling.get(job.cache_key, 0) - 1
        if left > 0:
            self.compiling[job.cache_key] = left
        else:
            self.compiling.pop(job.cache_key, None)

    def _take_code(self, job):
        """Cache the compiled code as soon as its frame is complete, before the run ends,
        so the runs held back for it start now. Only a first "C" frame is trusted: it is
        written before any child code runs (a child compiling was given no code)."""
        frames = self._frames(job)
        if not frames:
            return
        if frames[0][0] == b"C":
            self._cache_code(job.cache_key, frames[0][1])
        self._compile_done(job)

    def _cache_code(self, key, code: bytes):
        """Keep ``code``, the oldest giving way, within CODE_CACHE_ENTRIES and
        CODE_CACHE_BYTES (the source counts too): the server stays small.
        The cache never counts against a child's memory limit: children are
        forked by the zygote, which holds no cache; a child forked by the
        server itself (no zygote) gets RLIMIT_AS = its job's limit + what the
        server grew by since its warm-up (``_grown_address_space``)."""
        size = len(code) + len(key)
        if size > CODE_ENTRY_BYTES:
            return
        old = self.code_cache.pop(key, None)
        if old is not None:
            self.code_cache_bytes -= len(old) + len(key)
        self.code_cache[key] = code
        self.code_cache_bytes += size
        while len(self.code_cache) > CODE_CACHE_ENTRIES or self.code_cache_bytes > CODE_CACHE_BYTES:
            old_key, old_code = self.code_cache.popitem(last=False)
            self.code_cache_bytes -= len(old_code) + len(old_key)

    def _address_space(self) -> int:
        """The server's own address space now, in bytes (VmSize, /proc/self/statm)."""
        try:
            pages = int(os.pread(self.statm_fd, 64, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return 0
        return pages * resource.getpagesize()

    def _grown_address_space(self) -> int:
        """How much the server's address space grew since it was warmed up, in
        whole steps of ADDRESS_SPACE_STEP (a few pages of growth leave a
        child's limit exactly the job's)."""
        if not hasattr(self, "base_as"):
            self.base_as = self._address_space()
        grown = max(0, self._address_space() - self.base_as)
        return grown - grown % ADDRESS_SPACE_STEP

    def _refill_wanted(self) -> bool:
        return (
            not self.pending
            and len(self.warm) < self.warm_target
            and bool(self.free_uids)
            # A fork competes with the runs in flight for the cores: refill
            # when none is in flight (``_start`` forks at once if the pool is dry).
            and self.running == 0
        )

    def _fork_batch(self, first_for_job: bool = False) -> None:
        """Fork the missing warm children back to back. After a fork every page of
        the server is shared with the child, and the server's own next write to a
        page copies it; forking several children with no work in between makes
        that one copy per page for the batch instead of one per child (server
        page faults per run: ~250 one at a time, ~100 in batches of 6).
        ``first_for_job``: the pool is dry and a job waits; fork the batch anyway."""
        while first_for_job or self._refill_wanted():
            if self._fork_warm(prefault=False if first_for_job else None) is None:
                return
            if len(self.warm) >= self.warm_target:
                return

    def _fork_warm(self, prefault=None):
        """Fork one warm child; None when no uid is free (a reap frees one).
        A child forked for a job already waiting skips the prefault run: its
        faults would cost the job more than they save."""
        if not self.free_uids:
            return None
        w = Warm()
        w.uid_index = self.free_uids.pop()
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        res_r, res_w = os.pipe2(os.O_CLOEXEC)
        job_r, job_w = os.pipe2(os.O_CLOEXEC)
        # What the server grew by since its warm-up (its code cache, its
        # heap) is not a job's to pay for in a child forked here.
        _Child.inherited_as = self._grown_address_space()
        pid = os.fork()
        if pid != 0:
            _Child.inherited_as = 0
        if pid == 0:  # the child
            try:
                _child_prepare(self, w.uid_index, out_w, res_w, job_r, prefault)
                _child_run(self, _child_take_job())
            finally:  # a child never returns into the server loop
                os._exit(EXIT_SETUP_FAILED)
        for fd in (out_w, res_w, job_r):
            os.close(fd)
        w.pid, w.out_r, w.res_r, w.job_w = pid, out_r, res_r, job_w
        w.pidfd = os.pidfd_open(pid)
        self.sel.register(w.pidfd, selectors.EVENT_READ, ("warm", w))
        self.children[pid] = w
        self.warm.append(w)
        return w

    def _reap_warm(self, w, reaped=False):
        """A warm child died while waiting (or after a failed hand-over).
        Never blocks: a child that has not exited yet stays registered."""
        if self.children.get(w.pid) is not w:
            return  # handed a job meanwhile, or reaped already
        if not reaped:
            try:
                pid, _ = os.waitpid(w.pid, os.WNOHANG)
            except ChildProcessError:
                pid = w.pid
            if pid == 0:
                return
        del self.children[w.pid]
        self.sel.unregister(w.pidfd)
        for fd in (w.pidfd, w.out_r, w.res_r, w.job_w):
            if fd is not None:
                os.close(fd)
        try:
            self.warm.remove(w)
        except ValueError:
            pass
        self.free_uids.append(w.uid_index)

    def _read_control(self) -> bool:
        try:
            chunk = os.read(self.ctl_in, 1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.ctl_buf += chunk
        while len(self.ctl_buf) >= 4:
            (n,) = HEADER.unpack_from(self.ctl_buf)
            if n > MAX_REQUEST:
                return False
            if len(self.ctl_buf) < 4 + n:
                break
            req = json.loads(bytes(self.ctl_buf[4 : 4 + n]))
            del self.ctl_buf[: 4 + n]
            if req.get("raw") and not self.allow_raw:
                self.send(
                    {
                        "id": req.get("id"),
                        "status": "error",
                        "stdout": "",
                        "error": {"type": "SandboxError", "message": "raw runs are not enabled"},
                    }
                )
                continue
            self.pending.append(req)
        return True

    def _start(self, req) -> bool:
        """Hand ``req`` to a warm child (forking one if none is ready)."""
        job = Job(req)
        if not req.get("raw"):
            job.cache_key = req["source"]
            cached = self.code_cache.get(job.cache_key)
            if cached is not None:
                self.code_cache.move_to_end(job.cache_key)
                req["code"] = cached
        else:
            job.cache_key = None
        job.had_code = "code" in req
        if job.cache_key is not None and not job.had_code:
            job.compiling = True
            self.compiling[job.cache_key] = self.compiling.get(job.cache_key, 0) + 1
        payload = marshal.dumps(
            {
                "source": req.get("source", ""),
                "stdin": req.get("stdin", ""),
                "limits": req["limits"],
                "call": req.get("call"),
                "raw": bool(req.get("raw")),
                "code": req.get("code"),
            }
        )
        payload = HEADER.pack(len(payload)) + payload
        for _attempt in range(len(self.warm) + MAX_RETRIES + 1):
            if not self.warm:
                self._fork_batch(first_for_job=True)
            if not self.warm:
                return False  # no uid free until a child is reaped
            w = self.warm.popleft()
            try:
                _write_all(w.job_w, payload)
            except OSError:  # died while waiting: its pidfd will reap it
                continue
            break
        else:  # children die before they can take a job: never spin
            self.send(
                {
                    "id": req.get("id"),
                    "status": "error",
                    "stdout": "",
                    "error": {"type": "SandboxError", "message": "no child could be started"},
                }
            )
            return True
        # job_w stays open until the reap: bytes left unread in it then mean
        # the child died before it took the job (no program code ran).
        job.job_w = w.job_w
        job.pid, job.pidfd, job.uid_index = w.pid, w.pidfd, w.uid_index
        job.out_fd, job.res_fd = w.out_r, w.res_r
        job.start = time.monotonic()
        job.deadline = job.start + float(req["limits"]["wall_seconds"])
        os.set_blocking(job.out_fd, False)
        os.set_blocking(job.res_fd, False)
        self.jobs[job.pid] = job
        self.children[job.pid] = job
        self.running += 1
        self.sel.modify(job.pidfd, selectors.EVENT_READ, ("pid", job))
        self.sel.register(job.out_fd, selectors.EVENT_READ, ("out", job))
        self.sel.register(job.res_fd, selectors.EVENT_READ, ("res", job))
        return True

    def _dismiss(self, job):
        if job.job_w is not None:
            job.unread = _unread(job.job_w)
            os.close(job.job_w)
            job.job_w = None

    def _release(self, job):
        if not job.released:
            job.released = True
            self.running -= 1

    def _kill(self, job, why):
        job.killed = why
        for target in (-job.pid, job.pid):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass

    def _read_pipe(self, job, kind, draining=False):
        fd = job.out_fd if kind == "out" else job.res_fd
        if fd is None:
            return
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            if not data:
                self.sel.unregister(fd)
                os.close(fd)
                if kind == "out":
                    job.out_fd = None
                else:
                    job.res_fd = None
                return
            if kind == "out":
                job.out += data
                # A restricted child stops itself at the limit; this catches
                # a child that escaped and floods the pipe.
                if len(job.out) > int(job.req["limits"]["output_bytes"]) + 4096:
                    del job.out[int(job.req["limits"]["output_bytes"]) + 4096 :]
                    if job.killed is None:
                        self._kill(job, "output")
                    if not draining:
                        return
            else:
                job.res += data
                if len(job.res) > MAX_RESULT_FRAME and job.killed is None:
                    self._kill(job, "result")
                    return
                if job.compiling:
                    self._take_code(job)
                if not draining and not job.answered and job.killed is None:
                    self._answer_early(job)
                    return
            if not draining:
                return

    def _answer_early(self, job):
        """Answer as soon as the verdict frame is complete: the child wrote all
        its output before it, so the pipe holds everything; its exit (and the
        slot's release) then happens off the caller's critical path."""
        if not any(kind == b"R" for kind, _ in self._frames(job)):
            return
        self._read_pipe(job, "out", draining=True)
        try:
            result = self._compose(job, None, 0.0)
        except Exception:  # noqa: BLE001 - let _reap answer from the exit status
            return
        job.answered = True
        self._release(job)
        self.finished.append(job)
        result["id"] = job.req.get("id")
        result["wall_ms"] = round((time.monotonic() - job.start) * 1000, 3)
        self._dispatch()  # the next run starts before this answer is written
        self.send(result)

    def _reap(self, job, waited=None):
        """The job's child exited: account for it and answer if not yet done.
        ``waited`` is ``(status, rusage)`` when the sweep already reaped it.
        Never blocks: a child that has not exited yet stays registered."""
        if self.children.get(job.pid) is not job:
            return
        if waited is None:
            pid, status, usage = os.wait4(job.pid, os.WNOHANG)
            if pid == 0:
                return
        else:
            status, usage = waited
        del self.children[job.pid]
        self.sel.unregister(job.pidfd)
        os.close(job.pidfd)
        for kind in ("out", "res"):
            self._read_pipe(job, kind, draining=True)
            fd = job.out_fd if kind == "out" else job.res_fd
            if fd is not None:  # something else still holds the pipe: stop listening
                self.sel.unregister(fd)
                os.close(fd)
            if kind == "out":
                job.out_fd = None
            else:
                job.res_fd = None
        del self.jobs[job.pid]
        self.free_uids.append(job.uid_index)
        self._compile_done(job)
        self._release(job)
        if job.job_w is not None:
            self._dismiss(job)
        try:
            self.finished.remove(job)
        except ValueError:
            pass
        unread = job.unread
        if job.answered:
            return
        retries = job.req.get("retries", 0)
        if job.killed is None and unread and retries < MAX_RETRIES:
            # The warm child died before it took the job (no program code ran):
            # the job runs in another one.
            job.req["retries"] = retries + 1
            job.req.pop("code", None)
            self.pending.appendleft(job.req)
            return
        wall_ms = (time.monotonic() - job.start) * 1000
        cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
        try:
            result = self._compose(job, status, cpu_ms)
        except Exception as exc:  # noqa: BLE001 - a hostile child's frames must never kill the server
            result = {
                "status": "error",
                "stdout": "",
                "error": {
                    "type": "SandboxError",
                    "message": f"unreadable result from the child: {exc}",
                },
            }
        result["id"] = job.req.get("id")
        result["cpu_ms"] = round(cpu_ms, 3)
        result["wall_ms"] = round(wall_ms, 3)
        self.send(result)

    def _sweep(self) -> bool:
        """Reap, without blocking, every exited child whatever its pidfd said,
        and account for it as its pidfd event would have. True if any."""
        reaped = False
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return reaped
            if pid == 0:
                return reaped
            reaped = True
            owner = self.children.get(pid)
            if isinstance(owner, Job):
                self._reap(owner, (status, usage))
            elif isinstance(owner, Warm):
                self._reap_warm(owner, reaped=True)

    def _frames(self, job):
        data, frames, i = bytes(job.res), [], 0
        while i + 5 <= len(data):
            kind = data[i : i + 1]
            (n,) = HEADER.unpack_from(data, i + 1)
            if i + 5 + n > len(data):
                break
            frames.append((kind, data[i + 5 : i + 5 + n]))
            i += 5 + n
        return frames

    def _compose(self, job, status, cpu_ms):
        limits = job.req["limits"]
        out_limit = int(limits["output_bytes"])
        frames = self._frames(job)  # the code frame, if any, was cached by _take_code
        verdict = None
        for kind, payload in frames:
            if kind == b"R":
                verdict = json.loads(payload)
                break
        stdout = bytes(job.out)
        truncated = False
        if len(stdout) > out_limit:
            stdout, truncated = stdout[:out_limit], True
        result = {
            "status": "error",
            "stdout": stdout.decode("utf-8", "replace"),
            "stdout_truncated": truncated,
            "error": None,
            "value": None,
            "turtle": None,
        }
        cpu_limit = float(limits["cpu_seconds"])
        if job.killed == "wall":
            result["status"] = "timeout"
            result["error"] = {
                "type": "TimeLimit",
                "limit": "wall",
                "line": None,
                "column": None,
                "message": f"the program ran longer than {float(limits['wall_seconds']):g} seconds",
            }
        elif job.killed == "output":
            result["status"] = "output_limit"
            result["stdout_truncated"] = True
            result["error"] = {
                "type": "OutputLimit",
                "line": None,
                "column": None,
                "message": "the program printed more than the output limit",
            }
        elif isinstance(verdict, dict) and verdict.get("status") in bounds.STATUSES:
            cpu = verdict.get("cpu_ms")
            ok_cpu = type(cpu) in (int, float) and 0 <= cpu < 1e9  # NaN fails too
            result["cpu_ms"] = float(cpu) if ok_cpu else 0.0
            # Checked again here: the child could have been made to write anything.
            checked = bounds.check_verdict(verdict, limits.get("max_turtle_segments", 0))
            checked["stdout_truncated"] = checked["stdout_truncated"] or truncated
            result.update(checked)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig in (signal.SIGKILL, signal.SIGXCPU) and cpu_ms >= cpu_limit * 1000 * 0.95:
                result["status"] = "timeout"
                result["error"] = {
                    "type": "TimeLimit",
                    "limit": "cpu",
                    "line": None,
                    "column": None,
                    "message": f"the program used more than {cpu_limit:g} seconds of processor time",
                }
            else:
                try:
                    name = signal.Signals(sig).name
                except ValueError:
                    name = str(sig)
                result["error"] = {
                    "type": "Crash",
                    "signal": name,
                    "line": None,
                    "column": None,
                    "message": f"the program crashed the Python interpreter ({name})",
                }
        else:
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            result["error"] = {
                "type": "Crash",
                "exit_code": code,
                "line": None,
                "column": None,
                "message": "the program ended without giving a result",
            }
        if (
            frames
            and frames[0][0] == b"R"
            and job.cache_key is not None
            and not job.had_code
            and job.killed is None
            and result["status"] in ("error", "refused")
        ):
            # A verdict with no code frame before it, from a child given no code: our
            # compile step wrote it before any child code ran. It holds for every input.
            key = _failure_key(job.req)
            self.compile_failures[key] = {k: v for k, v in result.items() if k != "id"}
            if len(self.compile_failures) > COMPILE_FAILURE_ENTRIES:
                self.compile_failures.popitem(last=False)
        return result

    def _shutdown(self):
        for job in list(self.jobs.values()):
            self._kill(job, "shutdown")
            self._dismiss(job)
        for w in self.warm:
            os.close(w.job_w)  # a warm child reads EOF and leaves
            w.job_w = None
        for pid in [job.pid for job in self.jobs.values()] + [w.pid for w in self.warm]:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def main(config_json: str):
    server = Server(json.loads(config_json))
    server.serve()
