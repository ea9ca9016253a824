"""Layer 2, the process: the fork server and the life of one child.

The server is started by ``sandbox.client`` as ``python -s -P -S`` with an
environment holding only ``PYTHONHASHSEED=0``; it imports only this package's runtime and RestrictedPython,
warms them up, raises the host walls, then forks one child per run. It never
sees the site's configuration, secrets or database connections.

Protocol (both directions): 4-byte big-endian length + JSON. The client sends
requests ``{"id", "source", "limits", "tests": [{"stdin", "call"?}, ...],
"raw"?}`` and receives one answer per request, in completion order:
``{"id", "results": [one result per test], "processes"}``; a request that
waits in the queue is first told ``{"id", "queued"}``, then ``{"id",
"started"}``. At start the server sends ``{"hello": ..., "walls": ...,
"uids": [first, count]}``. One child runs all the tests of a request (see
``_child_run``); a test that ends it leaves each later test to a child of its
own (``_fall_back``).

The zygote. At its first refill the server forks one still copy of itself,
the zygote (``_zygote_serve``: warmed up, walls raised, nothing cached yet),
which forks every child after that: the server sends it "fork these" (up to
ZYGOTE_BURST children in one message: each child's uid index and its three
pipe ends, over a socket pair with SCM_RIGHTS), the zygote clones the
children with CLONE_PARENT (so each child is the server's own, reaped and
limited as before) and answers their pids in one message, an event of the
server's loop like any other. The server then never forks, so its pages are never shared and its
own writes never fault (~270 page faults a run before); the zygote writes to
few of its pages; the raw clone skips CPython's at-fork handlers; and no
child inherits the server's code cache. A zygote that dies, or does not
answer within ZYGOTE_TIMEOUT, is killed and the server forks children itself.

Warm children. The server keeps ``warm`` (3 x pool) children forked ahead
of need. Right after ``fork`` such a child starts its own session, keeps only
its three pipes (job on fd 0, stdout, results) and /dev/null, sets the
job-independent rlimits, drops to an unprivileged uid that no other live
child has, cannot gain privileges, loads the child seccomp filter, dies with
the server, and blocks reading its job pipe. Once the server has had nothing
to do for ``prefault_idle`` (PREFAULT_IDLE, 25 ms), it tells each warm child
that has not done so to *prefault*: to run a small program of ours down a
job's path, taking a run's copy-on-write faults before the job arrives (a
spaced run's child then works ~0.7 ms instead of ~1.1 ms), with CPU the
machine had to spare; under load the sandbox is never idle that long and
spends nothing on it. (``prefault`` on makes every child do it at fork: it
adds ~0.3 ms of CPU per child, and under load CPU is what runs out.)
A job (marshalled by the server: source or the cached compiled code, stdin,
limits) goes to one warm child, which never gets another: one
fresh process per run, as before. Only after the job arrived does the child
set the CPU and address-space limits and arm its CPU timer, and only then
compile the program (a hostile source can exhaust the compiler). Runs in
flight are capped at ``pool``. The exits of finished children (which wait
idle to be dismissed) happen when no run is in flight; refills too without a
zygote. With one, the missing children are asked for in one burst when the
pool runs low (no more warm children than ``pool``: the next runs could find
it dry), or once no run has been in flight for ``refill_idle`` (REFILL_IDLE,
2 ms): back-to-back runs find a warm child and are not slowed by refills.

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

import ctypes
import fcntl
import gc
import json
import marshal
import math
import os
import resource
import selectors
import signal
import socket
import stat
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
# Uids per host: each fork server holds a range of UID_SLOT uids (slots of
# UID_BASE + k * UID_SLOT) by an flock on ``slot-k`` in a root-owned directory,
# so two servers' children never share a uid. /tmp only when /run is not ours.
UID_SLOT = 64
UID_SLOTS = 64
# The /tmp one is checked as ours (owner, mode) and opened without following links.
UID_LOCK_DIRS = ("/run/codekids-sandbox", "/tmp/codekids-sandbox-{euid}")  # noqa: S108
EXIT_SETUP_FAILED = 71
MAX_TESTS = 256  # tests in one request
QUEUE_PER_SLOT = 8  # runs waiting per pool slot before the newest are told "busy"
BUSY_MESSAGE = "the sandbox is busy: try again in a moment"


def _take_uid_slots(count: int) -> tuple[int, list[int]]:
    """Lock enough consecutive uid slots for ``count`` uids; the first uid
    index and the lock files (held open, and so locked, for the server's life)."""
    slots = max(1, math.ceil(count / UID_SLOT))
    euid = os.geteuid()
    for template in UID_LOCK_DIRS:
        folder = template.format(euid=euid)
        try:
            os.makedirs(folder, mode=0o755, exist_ok=True)
            st = os.lstat(folder)
        except OSError:
            continue
        # A folder someone else could write to could hand out fake locks.
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != euid or st.st_mode & 0o022:
            continue
        for first in range(UID_SLOTS - slots + 1):
            held = []
            for k in range(first, first + slots):
                try:
                    fd = os.open(
                        f"{folder}/slot-{k}",
                        os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                        0o600,
                    )
                except OSError:
                    break
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    break
                held.append(fd)
            if len(held) == slots:
                return first * UID_SLOT, held
            for fd in held:
                os.close(fd)
    raise RuntimeError("no range of child uids is free on this host")


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


def _error_result(kind: str, message: str) -> dict:
    return {
        "status": "error",
        "stdout": "",
        "stdout_truncated": False,
        "error": {"type": kind, "message": message, "line": None, "column": None},
        "value": None,
        "turtle": None,
        "cpu_ms": 0.0,
        "wall_ms": 0.0,
    }


# What the server accepts as a run's limits, whatever the caller sends: each
# named limit a number within these bounds (out of range: cut to the bound).
LIMIT_BOUNDS = {
    "cpu_seconds": (0.01, 60.0),
    "wall_seconds": (0.05, 120.0),
    "memory_mb": (16, 2048),
    "output_bytes": (0, bounds.MAX_OUTPUT_BYTES),
    "source_bytes": (1, 1024 * 1024),
    "max_turtle_segments": (0, bounds.MAX_TURTLE_SEGMENTS),
}


def _clamp_limits(req) -> str | None:
    """Put the request's limits within LIMIT_BOUNDS, in place; the problem, if
    they are not numbers at all. The caller is the site, not a child, but a
    bug there (or a caller asking for 1 GB of output) must not take the
    server's bounds with it: the frame caps of bounds.py hold on these."""
    limits = req.get("limits")
    if not isinstance(limits, dict):
        return "a request needs its limits"
    out = {}
    for name, (low, high) in LIMIT_BOUNDS.items():
        value = limits.get(name)
        if type(value) not in (int, float) or value != value:  # bool and NaN refused too
            return f"limit {name} must be a number"
        value = min(max(value, low), high)
        out[name] = int(value) if type(low) is int else float(value)
    seed = limits.get("random_seed", 0)
    out["random_seed"] = seed if seed is None or type(seed) is int else 0
    req["limits"] = out
    return None


def _child_test(test) -> dict:
    """One test as the child gets it: ``stdin`` and, for a function test, ``call``."""
    out = {"stdin": test.get("stdin", "") if isinstance(test, dict) else ""}
    call = test.get("call") if isinstance(test, dict) else None
    if call is not None:
        out["call"] = {"function": str(call.get("function")), "args": list(call.get("args", ()))}
    return out


class Job:
    """One child process and the tests of a submission it runs (``indices``,
    in order; ``pos`` is the one running now)."""

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
        "grade",
        "indices",
        "pos",
        "frames_seen",
        "cpu_done",
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
        self.grade = req["grade"]
        self.indices = req["indices"]
        self.pos = 0
        self.frames_seen = 0
        self.cpu_done = 0.0  # CPU ms of this child's tests already answered


class Grade:
    """One request of the client: a submission's tests, answered together once
    each has its result (from the shared child or from a fallback's own)."""

    __slots__ = ("id", "results", "left", "processes", "queued", "started")

    def __init__(self, request_id, n):
        self.id = request_id
        self.results = [None] * n
        self.left = n
        self.processes = 0
        self.queued = self.started = False


class Warm:
    """A pre-forked child that has applied everything job-independent and
    waits, blocked on its job pipe, for the one job it will ever run."""

    __slots__ = ("pid", "pidfd", "out_r", "res_r", "job_w", "uid_index", "prefaulted")


# ---------------------------------------------------------------------------
# The child


class _ChildState:
    """What the child's code below keeps between calls. An instance with slots,
    never class attributes: assigning to a class attribute changes the type,
    which invalidates its version tag, so each later attribute lookup on it
    missed CPython's type cache and wrote it again (~70 page faults a child,
    copied from the zygote; and one per ``print``, through ``out_bytes``)."""

    __slots__ = (
        "state",
        "res_fd",
        "cpu_limit",
        "cpu_before_job",
        "inherited_as",
        "hard_cpu",
        "index",
        "test_cpu",
        "test_wall",
        "out_bytes",
        "test_out",
    )

    def __init__(self):
        self.state = None
        self.res_fd = CHILD_RESULTS
        self.cpu_limit = 2.0
        self.cpu_before_job = 0.0  # what the warm child used before its job arrived
        self.inherited_as = 0  # forked by the server itself: what the server had grown by then
        self.hard_cpu = 3  # RLIMIT_CPU hard limit: every test's share together
        self.index = 0  # the submission's index of the test running now
        self.test_cpu = 0.0  # CPU seconds used when that test started
        self.test_wall = 0.0
        self.out_bytes = 0  # stdout bytes written, all tests
        self.test_out = 0  # out_bytes when the test started


_CS = _ChildState()


class _Child:
    """Owns the verdicts of the tests run in this child process: one ``R``
    frame per test, tagged with its index, each test with its own CPU budget,
    wall clock and stdout count (its state: ``_CS``)."""

    @staticmethod
    def cpu_used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    @classmethod
    def begin(cls, index, cpu_now=None):
        """Test ``index`` starts: its own CPU timer and its own share of the
        hard limit (the soft RLIMIT_CPU, whose SIGXCPU ends the process)."""
        _CS.index = index
        _CS.test_cpu = cls.cpu_used() if cpu_now is None else cpu_now
        _CS.test_wall = time.monotonic()
        _CS.test_out = _CS.out_bytes
        soft = min(_CS.hard_cpu, math.ceil(_CS.test_cpu + _CS.cpu_limit) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, _CS.hard_cpu))
        signal.setitimer(signal.ITIMER_PROF, _CS.cpu_limit)

    @classmethod
    def report(cls, result: dict, end: bool):
        """Write the current test's frame. ``end``: no test runs after it here."""
        # Disarmed first: the timer firing while this frame is written would
        # write a second frame for the same test.
        signal.setitimer(signal.ITIMER_PROF, 0)
        _write_all(_CS.res_fd, cls.frame(result, end))

    @classmethod
    def frame(cls, result: dict, end: bool) -> bytes:
        """The ``R`` frame of the current test's result (no side effect)."""
        result["cpu_ms"] = round(max(0.0, cls.cpu_used() - _CS.test_cpu) * 1000, 3)
        result["wall_ms"] = round((time.monotonic() - _CS.test_wall) * 1000, 3)
        result["index"] = _CS.index
        result["end"] = end
        result["stdout_bytes"] = _CS.out_bytes - _CS.test_out
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError):
            result["turtle"] = None
            result["value"] = None
            payload = json.dumps(result, default=repr).encode()
        return b"R" + HEADER.pack(len(payload)) + payload

    @classmethod
    def finish(cls, result: dict):
        """The last frame of this process: no test runs here after this one."""
        try:
            cls.report(result, True)
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
            "message": f"the program used more than {_CS.cpu_limit:g} seconds of processor time",
            "line": None,
            "column": None,
            "limit": "cpu",
        }
        state = _CS.state or runtime.RunState()
        result = runtime.verdict(state, "timeout", error)
        result["status"], result["error"] = "timeout", error
        cls.finish(result)


def _emit_stdout(data: bytes):
    view = memoryview(data)
    while view:
        n = os.write(CHILD_STDOUT, view)
        _CS.out_bytes += n  # the server splits the stream per test by these counts
        view = view[n:]


# ---------------------------------------------------------------------------
# The zygote: a still copy of the warmed-up server that forks the children

# clone(2) with CLONE_PARENT: the child's parent is the zygote's parent, the
# server, which reaps it and gets its SIGCHLD as if it had forked it itself.
CLONE_PARENT = 0x00008000
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
PR_SET_NAME = 15
ZYGOTE_NAME = b"sandbox-zygote"  # its /proc/<pid>/comm (children rename themselves)
CHILD_NAME = b"sandbox-child"
ZYGOTE_REQUEST = struct.Struct("!i?")  # uid index, prefault
ZYGOTE_REPLY = struct.Struct("!q")  # the child's pid, or -errno
ZYGOTE_TIMEOUT = 5.0  # seconds an announcement may take before the zygote counts as stuck
ZYGOTE_BURST = 8  # requests the zygote clones in one burst at most
REFILL_IDLE = 0.002  # seconds with no run in flight before the warm pool is refilled
PREFAULT_IDLE = 0.025  # seconds with nothing to do before warm children prefault
# Held for the whole call: the child starts with this thread holding the GIL.
_LIBC = ctypes.PyDLL(None, use_errno=True)


_prctl = _LIBC.prctl


def _set_name(name: bytes):
    _prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)


_syscall = _LIBC.syscall
_syscall.restype = ctypes.c_long
_syscall.argtypes = (ctypes.c_long,) + (ctypes.c_ulong,) * 5
_CLONE_ARGS = (_SYS_CLONE or 0, CLONE_PARENT | signal.SIGCHLD, 0, 0, 0, 0)


def _clone_parent() -> int:
    """fork(2) by the raw system call, with the zygote's parent as the parent.
    No at-fork handlers run (CPython's own reseed the ``random`` module and
    touch the thread states: ~80 page faults a child): the zygote has one
    thread, and no child code uses the process-wide ``random``. (The child
    and parent tid pointers and the TLS are unused without their flags.)"""
    pid = _syscall(*_CLONE_ARGS)
    return pid if pid >= 0 else -ctypes.get_errno()


_ANCILLARY = socket.CMSG_SPACE(3 * 4 * ZYGOTE_BURST)


def _receive_request(sock):
    """A burst from the server: [(uid index, prefault, [three fds]), ...] (at
    most ZYGOTE_BURST, one record, the fds in the order of the entries), or
    None when the server closed its end or sent something else."""
    msg, ancillary, _flags, _addr = sock.recvmsg(
        ZYGOTE_REQUEST.size * ZYGOTE_BURST, _ANCILLARY
    )
    fds = None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            got = struct.unpack(f"{len(data) // 4}i", data[: len(data) // 4 * 4])
            if fds is None:
                fds = got
            else:  # never sent by the server: close what came
                for fd in got:
                    os.close(fd)
    count = len(msg) // ZYGOTE_REQUEST.size
    if not count or len(msg) % ZYGOTE_REQUEST.size or fds is None or len(fds) != 3 * count:
        for fd in fds or ():
            os.close(fd)
        return None
    return [
        (*entry, fds[3 * i : 3 * i + 3])
        for i, entry in enumerate(ZYGOTE_REQUEST.iter_unpack(msg))
    ]


def _close_all_but(keep, max_fd):
    low = 0
    for fd in sorted(keep) + [max_fd]:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1


def _zygote_serve(server, sock):
    """The zygote's life. Forked by the server before any warm child, it does
    nothing but wait for "fork one" (a uid index and the child's three pipe
    ends, passed over ``sock``), clone a child and answer its pid. It writes
    to few of its pages, so a fork from it copies few; the server, which does
    all the work, no longer forks at all (its pages are then never shared, so
    its own writes never fault), and no child inherits what the server
    allocated since (its code cache above all)."""
    try:
        _close_all_but({0, 1, 2, server.devnull, sock.fileno()}, server.max_fd)
        server.child_walls.parent_death_kill(signal.SIGKILL)
        if os.getppid() != server.pid:
            os._exit(0)
        _set_name(ZYGOTE_NAME)
        _rehearse(server)
        gc.collect()
        gc.freeze()
        # Hand the heap's free pages back to the kernel (~1.2 MB of the
        # zygote's ~9.7 MB): each clone copies the page-table entries of every
        # page the zygote has, and each child's exit drops them again.
        _LIBC.malloc_trim(0)
        # What every child would raise for itself (see walls.ChildWalls); when
        # this fails, each child still raises all of it.
        server.child_walls.enter_zygote(JOB_INDEPENDENT_LIMITS)
        sock.settimeout(None)
        while True:
            try:
                batch = _receive_request(sock)
            except OSError:
                os._exit(0)
            if batch is None:
                os._exit(0)  # the server closed its end (or never speaks like this)
            # A burst is cloned with no work in between: after a clone each
            # page of the zygote is shared with the new child, and the
            # zygote's own next write to a page copies it, so the copies of
            # the bookkeeping below are made once a burst, not once a child.
            pids = []
            for uid_index, prefault, fds in batch:
                pid = _clone_parent()
                if pid == 0:  # the child: its siblings' pipe ends are closed in _child_prepare
                    try:
                        _child_prepare(server, uid_index, *fds, prefault=prefault)
                        _child_run(server, _child_take_job(server))
                    finally:
                        os._exit(EXIT_SETUP_FAILED)
                pids.append(pid)
            try:
                sock.send(b"".join([ZYGOTE_REPLY.pack(pid) for pid in pids]))
            except OSError:
                os._exit(0)
            for _uid_index, _prefault, fds in batch:
                for fd in fds:
                    os.close(fd)
            batch = pids = None
    finally:
        os._exit(0)


# Limits of every child that no job changes (the zygote raises them once).
JOB_INDEPENDENT_LIMITS = (
    (resource.RLIMIT_FSIZE, (0, 0)),
    (resource.RLIMIT_CORE, (0, 0)),
    (resource.RLIMIT_MEMLOCK, (0, 0)),
    (resource.RLIMIT_MSGQUEUE, (0, 0)),
)


def _child_prepare(server, uid_index, out_w, res_w, job_r, prefault=None):
    """Everything that does not depend on the job, done by a warm child
    before it waits for one: no program code has run, none will before the
    job-dependent limits are set in ``_child_take_job``."""
    os.setsid()
    _set_name(CHILD_NAME)
    out_fd, res_fd, job_fd = os.dup(out_w), os.dup(res_w), os.dup(job_r)
    os.dup2(out_fd, CHILD_STDOUT)
    os.dup2(job_fd, CHILD_JOB)
    os.dup2(server.devnull, 2)
    os.dup2(res_fd, CHILD_RESULTS)
    os.closerange(CHILD_RESULTS + 1, server.max_fd)
    setr = resource.setrlimit
    walled = server.child_walls.in_zygote  # forked by a zygote that raised these
    if not walled:
        for limit, value in JOB_INDEPENDENT_LIMITS:
            setr(limit, value)
    setr(resource.RLIMIT_NOFILE, (8, 8))
    if server.drop_uid:
        uid = UID_BASE + uid_index
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    setr(resource.RLIMIT_NPROC, (0, 0))
    if not walled and not server.child_walls.no_new_privs():
        os._exit(EXIT_SETUP_FAILED)
    if server.child_walls.filter is not None and not server.child_walls.load_filter():
        os._exit(EXIT_SETUP_FAILED)
    server.child_walls.parent_death_kill(signal.SIGKILL)
    if os.getppid() != server.pid:  # the server died before we could notice
        os._exit(EXIT_SETUP_FAILED)
    signal.signal(signal.SIGPROF, _Child.on_cpu_limit)
    if server.prefault if prefault is None else prefault:
        # Take the copy-on-write faults every run causes now, while waiting,
        # not once the job is here: a small program of ours down the path of
        # a job (its code unmarshalled, a fresh namespace, a verdict checked
        # and written as JSON), so the pages it copies are the ones a run would
        # copy anyway. No child code has run in this process.
        _rehearse(server, 1, server.prefault_code, _discard, [{"stdin": "1\n"}])


def _child_take_job(server):
    """Block until the server hands this warm child its one job, acknowledge
    it, then apply the job's own limits before anything is compiled or run.
    An empty frame before it is the server's "nothing to do: prefault now"
    (``Server._prefault_idle``): our own small program down a job's path,
    before any job arrived, as ``_child_prepare`` does with ``prefault``."""
    while True:
        head = _read_exact(CHILD_JOB, 4)
        if head is None:  # the server retired this warm child
            os._exit(0)
        size = HEADER.unpack(head)[0]
        if size:
            break
        _rehearse(server, 1, server.prefault_code, _discard, [{"stdin": "1\n"}])
    body = _read_exact(CHILD_JOB, size)
    if body is None:
        os._exit(0)
    # Written by the server (trusted), never by a child.
    req = marshal.loads(body)  # noqa: S302
    _CS.cpu_before_job = _Child.cpu_used()
    limits = req["limits"]
    cpu = float(limits["cpu_seconds"])
    tests = len(req["tests"])
    # The job's own memory on top of what fork handed over from the server (its
    # heap and code cache, see Server._cache_code): no cached code counts.
    mem = int(limits["memory_mb"]) * 1024 * 1024 + _CS.inherited_as
    _CS.cpu_limit = cpu
    # Each test's soft limit is its own (see _Child.begin); the hard one, which
    # cannot be raised again, holds all of them.
    _CS.hard_cpu = math.ceil(_CS.cpu_before_job + tests * cpu) + tests + 1
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    # The first test's budget also pays for the compile, as a free run's does.
    _Child.begin(req["indices"][0], _CS.cpu_before_job)
    return req


def _test_state(limits, test, write=None):
    """A fresh run for one test: its stdin, output count, seeded random, turtle."""
    state = runtime.RunState(
        test.get("stdin", ""),
        output_limit=int(limits["output_bytes"]),
        write=write or _emit_stdout,
        stop=_Child.stop,
        max_segments=int(limits.get("max_turtle_segments", 50_000)),
        seed=limits.get("random_seed", 0),
    )
    _CS.state = state
    return state


def _child_run(server, req):
    """Compile once, then run each test in a fresh namespace. A test that ends
    the process (a limit, a refusal, memory: ``_Child.finish``) leaves the
    tests after it to the server, which runs each in a process of its own."""
    limits = req["limits"]
    if req.get("raw"):
        _child_run_raw(req)
    tests, indices = req["tests"], req["indices"]
    state = _test_state(limits, tests[0])
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
    last = len(tests) - 1
    for pos, test in enumerate(tests):
        if pos:
            _Child.begin(indices[pos])
            state = _test_state(limits, test)
        result = runtime.run_code(code, state, test.get("call"))
        # After a MemoryError the interpreter's own state may be damaged: the
        # tests after it get fresh processes.
        if pos == last or result["status"] == "memory":
            _Child.finish(result)
        # This test's garbage (cycles, finalizers) is collected on its own budget.
        state = None
        gc.collect()
        _Child.report(result, False)


REHEARSAL_SOURCE = (
    "n = int(input())\n"
    "total = 0\n"
    "for i in range(1, n + 1):\n"
    "    if i % 3 == 0 or i % 5 == 0:\n"
    "        total += i\n"
    "def f(a, b):\n"
    "    return [a, b, str(a) + 'x']\n"
    "print('Suma:', total, f(1, 2))\n"
)
REHEARSALS = 12  # CPython 3.11 quickens a code object on its 8th call


def _discard(data: bytes):
    """The prefault run's stdout (a warm child's stdout is the server's pipe)."""


def _rehearse(server, times=REHEARSALS, compiled=None, write=None, tests=None):
    """Walk a job's path, without its side effects, ``times`` times in the
    process that will fork the children (the zygote; the server when it forks
    them itself), so that what every child would otherwise write for itself
    is written once, here, before the forks: the interpreter's type cache
    (each miss writes an entry and two reference counts), the warm-up
    counters and quickened bytecode of the functions on that path (the
    compile's above all: every child compiling a new program wrote them all
    again), the allocator's free lists. Every such write in a child copies a
    page it shares with the zygote. Output goes to this process's stdout,
    /dev/null; nothing here changes a limit.

    Also a warm child's prefault run (off by default: ``compiled``, the
    marshalled code of a one-line program, as a job with cached code brings
    it; ``write``: stdout discarded; one test): the pages a job's path copies
    are then copied while the child waits for its job, not once the job is
    here. It costs more CPU than it saves time (~0.5 ms a child, measured
    with /tmp-free bench/sandbox.py runs), so it stays a tuning option."""
    limits = {"output_bytes": 65536, "max_turtle_segments": 50_000, "random_seed": 0}
    if tests is None:
        tests = [{"stdin": s} for s in ("7\n", "100\n", "x\n")]
        tests.append({"stdin": "1\n", "call": {"function": "f", "args": [1, "a"]}})
    try:
        for _ in range(times):
            req = marshal.loads(  # noqa: S302 - our own bytes
                marshal.dumps({"source": REHEARSAL_SOURCE, "limits": limits, "tests": tests})
            )
            if compiled is None:
                code = policy.compile_program(req["source"], server.module_names)
                code = marshal.loads(marshal.dumps(code))  # noqa: S302 - as a cached one arrives
            else:
                code = marshal.loads(compiled)  # noqa: S302 - our own code
            for test in req["tests"]:
                state = _test_state(req["limits"], test, write)
                result = runtime.run_code(code, state, test.get("call"))
                _CS.index = 0
                _Child.frame(result, False)
                _CS.state = state = None
            gc.collect()
    finally:
        _CS.state = None
        _CS.out_bytes = _CS.test_out = 0


def _child_run_raw(req):
    """Unrestricted Python through the process layer alone (tests and doctor)."""
    import builtins
    import io

    sys.stdin = io.StringIO(req["tests"][0].get("stdin", ""))
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
        # Before the chroot: the lock files live outside it.
        uid_count = 4 * (max(0, int(config.get("warm", 3 * self.pool))) + self.pool) + 4
        self.uid_first, self.uid_locks = _take_uid_slots(uid_count)
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
        self.last_busy = 0.0  # when a run was last in flight or waiting (monotonic)
        self.refill_idle = float(config.get("refill_idle", REFILL_IDLE))
        # After this long with nothing to do, warm children are told to prefault
        # (None: never; see _prefault_idle).
        idle = config.get("prefault_idle", PREFAULT_IDLE)
        self.prefault_idle = None if idle is None else float(idle)
        self.finished = deque()  # answered jobs whose child waits to be dismissed
        self.warm_target = max(0, int(config.get("warm", 3 * self.pool)))
        self.warm = deque()
        self.prefault = bool(config.get("prefault", False))
        self.free_uids = list(range(self.uid_first, self.uid_first + uid_count))[::-1]
        self.pending = deque()
        self.queue_bound = max(1, int(config.get("queue", QUEUE_PER_SLOT * self.pool)))
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
        # The prefault run of a warm child (_child_prepare): what every run does.
        self.prefault_code = marshal.dumps(
            policy.compile_program("n = int(input())\nprint(n + 1)\n", self.module_names)
        )
        # And a program that fails, so describing its failing line is loaded too.
        failing = policy.compile_program(
            "n = [1, 'a', {2: 3.5}]\nprint(n[len(n)])\n", self.module_names
        )
        runtime.run_code(failing, runtime.RunState("", write=lambda b: None))
        for encoding in ("ascii", "latin-1", "utf-16", "utf-32", "idna", "cp1252"):
            "x".encode(encoding)
        json.loads(json.dumps({"a": [1, 2.5, None, "é"]}))
        # The ctypes calls a child makes while preparing: their functions are
        # looked up (and cached) here, once, not once per child.
        self.child_walls.parent_death_kill(0)  # 0: none, as before
        walls._libc.syscall  # noqa: B018 - load_filter's; looked up and cached
        gc.collect()
        gc.freeze()  # forked children then do not dirty the server's pages
        # The zygote's line to the server, made before the walls forbid sockets;
        # the zygote itself is forked at the first refill, inside the walls.
        self.zygote = self.zygote_pid = None
        self.zygote_pair = None
        self.forking = deque()  # Warm children asked of the zygote, not yet announced
        if _SYS_CLONE is not None and self.config.get("zygote", True):
            self.zygote_pair = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

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
                "uids": [UID_BASE + self.uid_first, len(self.free_uids)],
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
            else:
                due = self._refill_due_in()
                if due is None:
                    due = self._prefault_due_in()
                if due is not None:
                    timeout = min(timeout, due)
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
                elif kind == "zygote":
                    self._zygote_answers()
                else:
                    self._read_pipe(job, kind)
            now = time.monotonic()
            for job in list(self.jobs.values()):
                if job.killed is None and now >= job.deadline:
                    self._kill(job, "wall")
            self._dispatch()
            if self.pending:
                self._notify_queued()
            if self.running or self.pending:
                self.last_busy = now
            # Off the critical path: dismiss finished children once no run is
            # in flight (or too many wait), then refill the warm pool.
            while self.finished and (
                (not self.pending and self.running == 0) or len(self.finished) > 2 * self.pool
            ):
                self._dismiss(self.finished.popleft())
            self._fork_batch()
            self._prefault_idle()

    def _prefault_due_in(self) -> float | None:
        """Seconds until idle warm children are told to prefault, or None."""
        if self.prefault_idle is None or self.running or self.pending or self.forking:
            return None
        if all(w.prefaulted for w in self.warm):
            return None
        return max(0.0, self.prefault_idle - self._idle_for())

    def _prefault_idle(self):
        """Once nothing has been in flight for ``prefault_idle`` (the pool full),
        each warm child that has not yet done so is told to prefault: to take
        the copy-on-write faults a run's path causes now, while the machine has
        nothing else to do, and not once the next job is here (a run's first
        ~0.5 ms). Under load the sandbox is never idle that long and spends no
        CPU on it; ``prefault`` (always, at fork) stays a tuning option."""
        due = self._prefault_due_in()
        if due is None or due > 0.0:
            return
        if self._refill_wanted():
            return  # the refill first; its children prefault once it is done
        for w in self.warm:
            if not w.prefaulted:
                w.prefaulted = True
                try:
                    os.write(w.job_w, HEADER.pack(0))
                except OSError:
                    pass  # dead: reaped as any warm child that died

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
        for index in req["indices"]:
            self._settle(req["grade"], index, dict(failed, cpu_ms=0.0, wall_ms=0.0))

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
        have = len(self.warm) + len(self.forking)
        if have >= self.warm_target or not self.free_uids:
            return False
        if self.zygote is not None or self.zygote_pair is not None:
            # The zygote forks, in bursts: when the pool runs low (the next
            # runs could find it dry), or once no run has been in flight for
            # REFILL_IDLE, so back-to-back runs are not slowed by refills
            # and their children come several to a burst.
            return have <= self.pool or self._idle_for() >= self.refill_idle
        # Forking here makes the server's next writes copy its pages: refill
        # when no run is in flight (``_start`` forks at once if the pool is dry).
        return not self.pending and self.running == 0

    def _idle_for(self) -> float:
        """Seconds since a run was last in flight or waiting (0 while one is)."""
        if self.running or self.pending:
            return 0.0
        return time.monotonic() - self.last_busy

    def _refill_due_in(self) -> float | None:
        """Seconds until an idle refill is due, or None when none will be."""
        if self.zygote is None and self.zygote_pair is None:
            return None
        if len(self.warm) + len(self.forking) >= self.warm_target or not self.free_uids:
            return None
        if self.running or self.pending:
            return None
        return max(0.0, self.refill_idle - self._idle_for())

    def _fork_batch(self, first_for_job: bool = False) -> None:
        """Refill the warm pool. With a zygote, the missing children in one burst
        (``_zygote_serve``). Without one, the missing children back to back:
        after a fork every page of the server is shared with the child, and the
        server's own next write to a page copies it; forking several with no
        work in between makes that one copy per page for the batch (server page
        faults per run: ~250 one at a time, ~100 in batches of 6).
        ``first_for_job``: the pool is dry and a job waits; fork one at once
        (without a zygote, the batch)."""
        if self.forking and time.monotonic() - self.forking[0][1] > ZYGOTE_TIMEOUT:
            self._zygote_lost()
        if first_for_job:
            if self.forking:
                return  # the zygote is forking one: the job takes it when it comes
            if self.config.get("debug"):
                os.write(2, b"sandbox: no warm child ready, forking for a job\n")
        if self.zygote is None and self.zygote_pair is not None and self.free_uids:
            self._start_zygote()
        if self.zygote is not None:
            if first_for_job:
                self._fork_burst(1, prefault=False)
            elif self._refill_wanted():
                missing = self.warm_target - len(self.warm) - len(self.forking)
                self._fork_burst(min(missing, ZYGOTE_BURST))
            if self.zygote is not None:
                return
        while first_for_job or self._refill_wanted():
            if self._fork_warm(prefault=False if first_for_job else None) is None:
                return
            if len(self.warm) + len(self.forking) >= self.warm_target:
                return

    def _start_zygote(self):
        """Fork the zygote (``_zygote_serve``) from the server as it is now:
        warmed up, walls raised, no child and nothing cached yet."""
        ours, theirs = self.zygote_pair
        self.zygote_pair = None
        pid = os.fork()
        if pid == 0:
            _zygote_serve(self, theirs)
        theirs.close()
        ours.setblocking(False)
        self.zygote, self.zygote_pid = ours, pid
        self.sel.register(ours, selectors.EVENT_READ, ("zygote", None))

    def _zygote_lost(self):
        """The zygote is gone or misbehaves: children are forked here from now
        on. The children it was asked for and did not announce are let go
        (their pipes closed: one that exists reads EOF and leaves; the sweep
        reaps it); their uids are not reused, in case one does exist."""
        try:
            os.kill(self.zygote_pid, signal.SIGKILL)  # reaped by the sweep
        except OSError:
            pass
        self.sel.unregister(self.zygote)
        self.zygote.close()
        self.zygote = None
        while self.forking:
            w, _asked = self.forking.popleft()
            for fd in (w.out_r, w.res_r, w.job_w):
                os.close(fd)

    def _zygote_answers(self):
        """The zygote announced children it forked (pids, in the order asked, one
        record per burst): each becomes a warm child, as one forked here would."""
        while self.zygote is not None:
            try:
                reply = self.zygote.recv(ZYGOTE_REPLY.size * ZYGOTE_BURST)
            except BlockingIOError:
                return
            except OSError:
                reply = b""
            count = len(reply) // ZYGOTE_REPLY.size
            if not reply or len(reply) % ZYGOTE_REPLY.size or count > len(self.forking):
                self._zygote_lost()
                return
            for (pid,) in ZYGOTE_REPLY.iter_unpack(reply):
                self._zygote_child(pid)

    def _zygote_child(self, pid):
        """One child the zygote announced: ``pid``, or -errno when its clone failed."""
        w, _asked = self.forking.popleft()
        try:
            if pid <= 0:  # the clone failed (-errno): the next refill tries again
                raise ChildProcessError(-pid, "clone failed")
            w.pidfd = os.pidfd_open(pid)
        except OSError:  # failed, or already dead and reaped by the sweep
            for fd in (w.out_r, w.res_r, w.job_w):
                os.close(fd)
            self.free_uids.append(w.uid_index)
            return
        self._add_warm(w, pid)

    def _add_warm(self, w, pid):
        w.pid = pid
        self.sel.register(w.pidfd, selectors.EVENT_READ, ("warm", w))
        self.children[pid] = w
        self.warm.append(w)

    def _new_warm(self):
        """A warm child's record, its uid and pipes (the child's ends returned)."""
        w = Warm()
        w.uid_index = self.free_uids.pop()
        w.prefaulted = False
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        res_r, res_w = os.pipe2(os.O_CLOEXEC)
        job_r, job_w = os.pipe2(os.O_CLOEXEC)
        w.out_r, w.res_r, w.job_w = out_r, res_r, job_w
        return w, (out_w, res_w, job_r)

    def _fork_burst(self, count, prefault=None):
        """Ask the zygote for ``count`` warm children in one message (each is
        warm once it answers, ``_zygote_answers``); fewer when uids run out."""
        prefault = self.prefault if prefault is None else prefault
        made = [self._new_warm() for _ in range(min(count, len(self.free_uids)))]
        if not made:
            return
        for w, _ in made:
            w.prefaulted = prefault
        message = b"".join([ZYGOTE_REQUEST.pack(w.uid_index, prefault) for w, _ in made])
        theirs = [fd for _, ends in made for fd in ends]
        try:
            socket.send_fds(self.zygote, [message], theirs)
        except OSError:
            for w, _ in made:
                self.free_uids.append(w.uid_index)
                for fd in (w.out_r, w.res_r, w.job_w):
                    os.close(fd)
            self._zygote_lost()
        else:
            asked = time.monotonic()
            self.forking.extend((w, asked) for w, _ in made)
        for fd in theirs:
            os.close(fd)

    def _fork_warm(self, prefault=None):
        """Fork one warm child here (no zygote). None when no uid is free (a
        reap frees one). A child forked for a job already waiting skips the
        prefault run: its faults would cost the job more than they save."""
        if not self.free_uids:
            return None
        prefault = self.prefault if prefault is None else prefault
        w, (out_w, res_w, job_r) = self._new_warm()
        w.prefaulted = prefault
        # What the server grew by since its warm-up (its code cache, its
        # heap) is not a job's to pay for in a child forked here.
        _CS.inherited_as = self._grown_address_space()
        pid = os.fork()
        if pid != 0:
            _CS.inherited_as = 0
        if pid == 0:  # the child (forked here: no zygote)
            try:
                _child_prepare(self, w.uid_index, out_w, res_w, job_r, prefault)
                _child_run(self, _child_take_job(self))
            finally:  # a child never returns into the server loop
                os._exit(EXIT_SETUP_FAILED)
        for fd in (out_w, res_w, job_r):
            os.close(fd)
        w.pidfd = os.pidfd_open(pid)
        self._add_warm(w, pid)
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
            tests = req.get("tests")
            if not isinstance(tests, list) or not 1 <= len(tests) <= MAX_TESTS:
                tests = [{}]
                problem = f"a request needs 1 to {MAX_TESTS} tests"
            elif req.get("raw") and not self.allow_raw:
                problem = "raw runs are not enabled"
            elif req.get("raw") and len(tests) != 1:
                problem = "a raw run has one test"
            else:
                problem = _clamp_limits(req)
            grade = req["grade"] = Grade(req.get("id"), len(tests))
            if problem is not None:
                self._answer_all(grade, _error_result("SandboxError", problem))
                continue
            if sum(1 for r in self.pending if "fallback" not in r) >= self.queue_bound:
                # Never queued: the caller hears at once, and no run waits so long
                # that it outlives its caller's patience.
                self._answer_all(grade, _error_result("SandboxBusy", BUSY_MESSAGE))
                continue
            req["indices"] = list(range(len(tests)))
            self.pending.append(req)
        return True

    def _answer_all(self, grade, result: dict):
        for index in range(len(grade.results)):
            if grade.results[index] is None:
                self._settle(grade, index, dict(result))

    def _settle(self, grade, index, result: dict):
        """One test's result; the request is answered once all its tests have one."""
        result.pop("id", None)
        grade.results[index] = result
        grade.left -= 1
        if grade.left == 0:
            self.send({"id": grade.id, "results": grade.results, "processes": grade.processes})

    def _notify_queued(self):
        """Tell the caller which runs wait in the queue: its deadline counts
        from when a run starts (``started``), never from when it was queued."""
        for req in self.pending:
            grade = req["grade"]
            if not grade.queued and not grade.started:
                grade.queued = True
                self.send({"id": grade.id, "queued": True})

    def _start(self, req) -> bool:
        """Hand ``req`` (one child's share of a submission: its tests ``indices``)
        to a warm child, forking one if none is ready."""
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
        tests = req["tests"]
        payload = marshal.dumps(
            {
                "source": req.get("source", ""),
                "tests": [_child_test(tests[i]) for i in job.indices],
                "indices": job.indices,
                "limits": req["limits"],
                "raw": bool(req.get("raw")),
                "code": req.get("code"),
            }
        )
        payload = HEADER.pack(len(payload)) + payload
        for _attempt in range(len(self.warm) + MAX_RETRIES + 1):
            if not self.warm:
                self._fork_batch(first_for_job=True)
            if not self.warm:
                if job.compiling:
                    self._compile_done(job)
                return False  # no uid free until a child is reaped
            w = self.warm.popleft()
            try:
                _write_all(w.job_w, payload)
            except OSError:  # died while waiting: its pidfd will reap it
                continue
            break
        else:  # children die before they can take a job: never spin
            if job.compiling:
                self._compile_done(job)
            for index in job.indices:
                self._settle(
                    job.grade, index, _error_result("SandboxError", "no child could be started")
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
        job.grade.processes += 1
        self.sel.modify(job.pidfd, selectors.EVENT_READ, ("pid", job))
        self.sel.register(job.out_fd, selectors.EVENT_READ, ("out", job))
        self.sel.register(job.res_fd, selectors.EVENT_READ, ("res", job))
        if not job.grade.started:
            job.grade.started = True
            if job.grade.queued:
                self.send({"id": job.grade.id, "started": True})
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
        """Take each test's verdict frame as soon as it is complete: the child
        wrote that test's output before it, so the pipe holds all of it. The
        last one answers; the child's exit (and the slot's release) then
        happens off the caller's critical path."""
        if not self._frames(job):
            return
        self._read_pipe(job, "out", draining=True)
        try:
            self._take_frames(job)
        except Exception:  # noqa: BLE001 - a hostile child's frames: _reap answers from the exit status
            if job.killed is None:
                self._kill(job, "result")

    def _take_frames(self, job):
        frames = self._frames(job)
        used = 0
        for kind, payload in frames:
            if job.answered or job.killed is not None:
                break
            used += 5 + len(payload)
            job.frames_seen += 1
            if kind != b"R":
                continue  # the code frame (cached by _take_code when it came first)
            verdict = json.loads(payload)
            index = job.indices[job.pos]
            if not isinstance(verdict, dict) or verdict.get("index") != index:
                self._kill(job, "result")
                break
            end = verdict.get("end") is True or job.pos == len(job.indices) - 1
            self._take_verdict(job, verdict, end)
        del job.res[:used]

    def _take_verdict(self, job, verdict: dict, end: bool):
        """The frame of the test running now: its result, then the next test's clock."""
        now = time.monotonic()
        n = verdict.get("stdout_bytes")
        if end or type(n) is not int or not 0 <= n <= len(job.out):
            n = len(job.out)  # nothing runs after the last frame: the rest is its output
        stdout = bytes(job.out[:n])
        del job.out[:n]
        compile_verdict = job.frames_seen == 1 and not job.had_code and job.cache_key is not None
        result = self._compose(job, verdict, stdout, None, 0.0, compile_verdict)
        wall = verdict.get("wall_ms")
        elapsed = (now - job.start) * 1000
        if type(wall) not in (int, float) or not 0 <= wall <= elapsed:
            wall = elapsed
        result["wall_ms"] = round(wall, 3)
        job.cpu_done += result.get("cpu_ms") or 0.0
        index = job.indices[job.pos]
        job.pos += 1
        rest = job.indices[job.pos :]
        if compile_verdict and result["status"] in ("error", "refused"):
            # Written by our compile step before any child code ran: every test
            # of the submission fails the same way, none runs.
            rest, others = [], rest
            for other in others:
                self._settle(job.grade, other, dict(result, cpu_ms=0.0, wall_ms=0.0))
            end = True
        if not end:
            job.deadline = now + float(job.req["limits"]["wall_seconds"])
            self._settle(job.grade, index, result)
            return
        job.answered = True
        self._release(job)
        self.finished.append(job)
        self._fall_back(job, rest)
        self._dispatch()  # the next run starts before this answer is written
        self._settle(job.grade, index, result)

    def _fall_back(self, job, indices):
        """The tests after one that ended the process: each in a process of its
        own, ahead of the queue (they belong to a run already started)."""
        for index in reversed(indices):
            self.pending.appendleft(
                {
                    "source": job.req["source"],
                    "limits": job.req["limits"],
                    "tests": job.req["tests"],
                    "raw": job.req.get("raw", False),
                    "grade": job.grade,
                    "indices": [index],
                    "fallback": True,
                }
            )

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
        if job.job_w is not None:
            self._dismiss(job)
        try:
            self.finished.remove(job)
        except ValueError:
            pass
        if not job.answered and job.killed is None:
            try:  # frames written just before the exit
                self._take_frames(job)
            except Exception:  # noqa: BLE001, S110 - answered from the exit status below
                pass
        self._release(job)
        if job.answered:
            return
        retries = job.req.get("retries", 0)
        if job.killed is None and job.unread and job.frames_seen == 0 and retries < MAX_RETRIES:
            # The warm child died before it took the job (no program code ran):
            # the job runs in another one.
            job.req["retries"] = retries + 1
            job.req.pop("code", None)
            job.grade.processes -= 1
            self.pending.appendleft(job.req)
            return
        # The process ended during the test running now: that test gets how it
        # ended, each test after it runs in a process of its own.
        wall_ms = (time.monotonic() - job.start) * 1000
        cpu_ms = max(0.0, (usage.ru_utime + usage.ru_stime) * 1000 - job.cpu_done)
        try:
            result = self._compose(job, None, bytes(job.out), status, cpu_ms, False)
        except Exception as exc:  # noqa: BLE001 - a hostile child's frames must never kill the server
            result = _error_result("SandboxError", f"unreadable result from the child: {exc}")
        result["cpu_ms"] = round(cpu_ms, 3)
        result["wall_ms"] = round(wall_ms, 3)
        job.answered = True
        index = job.indices[job.pos]
        self._fall_back(job, job.indices[job.pos + 1 :])
        self._settle(job.grade, index, result)

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

    def _compose(self, job, verdict, stdout: bytes, status, cpu_ms, compile_verdict=False):
        """One test's result: from its verdict frame (``verdict``, a dict the
        child wrote), else from how the process ended (``status``)."""
        limits = job.req["limits"]
        out_limit = int(limits["output_bytes"])
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
        elif status is None:
            raise ValueError("a verdict frame that is not a verdict")
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
        if compile_verdict and job.killed is None and result["status"] in ("error", "refused"):
            # The first frame of a child given no code, and no code frame before
            # it: our compile step wrote it before any child code ran. It holds
            # for every input.
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
