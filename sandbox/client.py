"""The site's side of the sandbox: ``Sandbox`` starts and talks to the fork server.

One ``Sandbox`` may be shared by the threads of a web process: requests are
written under a lock and a reader thread hands each answer to the thread
waiting for it. If the server dies, every run in flight is answered with an
error at once (never left hanging) and the next run starts a new server.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

from . import bounds
from .result import ErrorInfo, Limits, RunResult

HEADER = struct.Struct("!I")
START_TIMEOUT = 30.0
# How long past its own wall limits a caller waits, from when its run started,
# before declaring the server broken.
ANSWER_GRACE = 60.0
# How long a run told "queued" may wait for a child. The server's queue is
# bounded (a full one answers SandboxBusy), so this is reached only when the
# server is broken.
QUEUE_WAIT = 600.0

_BOOT = (
    "import sys\nsys.path.extend({paths!r})\nfrom sandbox.server import main\nmain(sys.argv[1])\n"
)


def _package_paths() -> list[str]:
    """Directories the server needs on sys.path: only ours and RestrictedPython's."""
    import RestrictedPython

    paths = [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    paths.append(os.path.dirname(os.path.dirname(os.path.abspath(RestrictedPython.__file__))))
    try:
        import pyseccomp

        paths.append(os.path.dirname(os.path.abspath(pyseccomp.__file__)))
    except Exception:  # noqa: BLE001, S110 - optional wall, reported absent
        pass
    return list(dict.fromkeys(paths))


def _sandbox_error(message: str) -> RunResult:
    return RunResult(
        status="error",
        error=ErrorInfo(type="SandboxError", message=message, line=None, column=None),
    )


class _Pending:
    __slots__ = ("event", "result", "generation", "submitted", "queued", "started")

    def __init__(self, generation):
        self.event = threading.Event()
        self.result = None
        self.generation = generation
        self.submitted = time.monotonic()
        self.queued = False
        self.started = None  # when the server told us the run left its queue


class Graded(list):
    """``Sandbox.grade``'s answer: one ``RunResult`` per test, in order;
    ``processes`` is how many child processes ran them (1 unless a test
    ended its process and the tests after it ran one process each)."""

    processes = 0


class Sandbox:
    """Runs children's programs. ``with Sandbox() as sb: sb.run(source)``."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        pool_size: int | None = None,
        walls: dict | None = None,
        allow_raw: bool = False,
        debug: bool = False,
    ):
        self.limits = limits or Limits()
        self.pool_size = pool_size or os.cpu_count() or 1
        self._wanted_walls = dict(walls or {})
        self._allow_raw = allow_raw
        self._debug = debug
        # Tuning of the fork server (tests and benchmarks): "warm" (how many
        # pre-forked children wait for a job), "prefault" (bool).
        self._server_options: dict = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._proc: subprocess.Popen | None = None
        self._generation = 0
        self._alive = False
        self._closed = False
        self.walls: dict = {}
        self.server_pid: int | None = None
        self.warm_size = 0  # pre-forked children the server keeps waiting for jobs
        self.uid_range: tuple[int, int] | None = None  # (first uid, count) of the server's children
        self.answer_grace = ANSWER_GRACE
        self.restarts = -1

    # -- life cycle ----------------------------------------------------------
    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        with self._lock:
            self._closed = False
            if not self._alive:
                self._spawn()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            proc = self._proc
            self._proc = None
            self._alive = False
        if proc is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def _spawn(self) -> None:
        """Start a fork server (caller holds the lock)."""
        config = {
            "pool_size": self.pool_size,
            "allow_raw": self._allow_raw,
            "debug": self._debug,
            "walls": self._wanted_walls,
        }
        config.update(self._server_options)
        root = tempfile.mkdtemp(prefix="sandbox-root-")
        config["chroot"] = root
        boot = _BOOT.format(paths=_package_paths())
        try:
            proc = subprocess.Popen(
                # -s -P -S, not -I (which ignores PYTHONHASHSEED): the one variable
                # of the environment fixes string hashing, so a printed set reads
                # the same on every server.
                [sys.executable, "-s", "-P", "-S", "-B", "-c", boot, json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None if self._debug else subprocess.DEVNULL,
                # The server holds none of the site's settings or secrets.
                env={"PYTHONHASHSEED": "0"},
                cwd="/",
                close_fds=True,
                start_new_session=True,
            )
            hello = self._read_frame(proc.stdout.fileno())
        finally:
            # The server is chrooted into this empty directory; once deleted,
            # nothing can ever be created inside it.
            shutil.rmtree(root, ignore_errors=True)
        if not hello or not hello.get("hello"):
            proc.kill()
            proc.wait()
            raise RuntimeError("the sandbox fork server failed to start")
        self._proc = proc
        self._generation += 1
        self._alive = True
        self.walls = hello["walls"]
        self.server_pid = hello["pid"]
        self.warm_size = int(hello.get("warm", 0))
        uids = hello.get("uids")
        self.uid_range = (int(uids[0]), int(uids[1])) if uids else None
        self.restarts += 1
        reader = threading.Thread(
            target=self._reader, args=(proc, self._generation), name="sandbox-reader", daemon=True
        )
        reader.start()

    @staticmethod
    def _read_frame(fd):
        def exact(n):
            buf = bytearray()
            while len(buf) < n:
                chunk = os.read(fd, n - len(buf))
                if not chunk:
                    return None
                buf += chunk
            return bytes(buf)

        head = exact(4)
        if head is None:
            return None
        (n,) = HEADER.unpack(head)
        if n > bounds.ANSWER_FRAME_BYTES:
            # Never from a working server (it bounds every answer): the
            # reader treats it as the server broken, and reads no further.
            raise ValueError(f"an answer of {n} bytes from the sandbox")
        body = exact(n)
        if body is None:
            return None
        # Standard JSON only reaches the caller: a NaN or infinity that got
        # this far reads as its documented string (bounds.py).
        message = json.loads(body, parse_constant=bounds.CONSTANT_TEXT.get)
        results = message.get("results") if isinstance(message, dict) else None
        for result in results if isinstance(results, list) else [message]:
            stdout = result.get("stdout") if isinstance(result, dict) else None
            if isinstance(stdout, str) and len(stdout) > bounds.MAX_OUTPUT_BYTES:
                result["stdout"] = stdout[: bounds.MAX_OUTPUT_BYTES]
                result["stdout_truncated"] = True
        return message

    def _reader(self, proc, generation) -> None:
        fd = proc.stdout.fileno()
        try:
            while True:
                message = self._read_frame(fd)
                if message is None:
                    break
                with self._lock:
                    if "results" in message:
                        pending = self._pending.pop(message.get("id"), None)
                    else:  # "queued" or "started": the run is still ours to wait for
                        pending = self._pending.get(message.get("id"))
                if pending is None:
                    continue
                if message.get("queued"):
                    pending.queued = True
                elif message.get("started"):
                    pending.started = time.monotonic()
                else:
                    graded = Graded(RunResult.from_dict(r) for r in message["results"])
                    graded.processes = int(message.get("processes") or 0)
                    pending.result = graded
                    pending.event.set()
        except (OSError, ValueError):
            pass
        # The server is gone: answer every run it had, start afresh next time.
        with self._lock:
            if self._generation == generation:
                self._alive = False
            lost = [(i, p) for i, p in self._pending.items() if p.generation == generation]
            for i, _ in lost:
                del self._pending[i]
        for _, p in lost:
            p.result = "the sandbox stopped while this program was running"
            p.event.set()
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()

    def kill_server(self) -> None:
        """For tests and operators: kill the fork server as a crash would."""
        with self._lock:
            proc = self._proc
        if proc is not None:
            proc.kill()

    # -- running -------------------------------------------------------------
    def _submit(self, requests: list[dict]) -> list[_Pending]:
        data = bytearray()
        with self._lock:
            if self._closed:
                raise RuntimeError("this Sandbox is closed")
            # A server that died since the last answer (its reader thread may
            # not have seen the end of its pipe yet) is replaced before this
            # run is sent, not answered "stopped" for a run it never had.
            if not self._alive or self._proc.poll() is not None:
                self._spawn()
            pendings = []
            for req in requests:
                req["id"] = next(self._ids)
                p = _Pending(self._generation)
                self._pending[req["id"]] = p
                pendings.append(p)
                body = json.dumps(req).encode()
                data += HEADER.pack(len(body)) + body
            try:
                self._proc.stdin.write(data)
                self._proc.stdin.flush()
            except (OSError, ValueError):
                pass  # the reader thread sees the death and answers these runs
        return pendings

    def _wait(self, pending: _Pending, tests: int, limits: Limits) -> list[RunResult]:
        """The request's results. The deadline counts from when the run started:
        a run the server said is queued waits its turn (the queue is bounded)."""
        # Every test may run twice at worst: in the shared process, then, when
        # one before it ended that process, in one of its own.
        budget = 2 * tests * limits.wall_seconds + self.answer_grace
        while True:
            if pending.started is not None:
                deadline = pending.started + budget
            elif pending.queued:
                deadline = pending.submitted + QUEUE_WAIT
            else:
                deadline = pending.submitted + budget
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill_server()
                return [_sandbox_error("the sandbox did not answer in time")] * tests
            if pending.event.wait(min(left, 1.0)):
                break
        if isinstance(pending.result, str):
            return [_sandbox_error(pending.result)] * tests
        if len(pending.result) != tests:
            return [_sandbox_error("the sandbox answered the wrong number of tests")] * tests
        return pending.result

    def _request(self, source, tests, limits, raw=False) -> dict:
        if not isinstance(source, str):
            raise TypeError("source must be a str")
        req = {"source": source, "tests": tests, "limits": limits.to_dict()}
        if raw:
            req["raw"] = True
        return req

    def _too_large(self, source: str, limits: Limits) -> RunResult | None:
        if len(source.encode("utf-8", "surrogatepass")) > limits.source_bytes:
            return RunResult(
                status="refused",
                error=ErrorInfo(
                    type="Refused",
                    message="the program is longer than the allowed size",
                    line=None,
                    column=None,
                    reason="source_too_large",
                    name=None,
                ),
            )
        return None

    def grade(self, source: str, tests, limits: Limits | None = None) -> list[RunResult]:
        """Grade one submission: ``tests`` is a list of ``{"stdin": str}`` (a
        plain run) or ``{"call": [function_name, args], "stdin": str}`` (run the
        program, then call the function). One result per test, in order.

        One fresh process runs them all: compiled once, each test in a fresh
        namespace (new globals, newly seeded ``random``, new turtle, its own
        stdin, stdout, CPU budget and verdict). A test that ends the process (a
        limit, a crash, a refusal) gets that verdict and each test after it runs
        in a process of its own. The answer's ``processes`` says how many ran."""
        limits = limits or self.limits
        wire = [self._wire_test(t) for t in tests]
        if not wire:
            return Graded()
        refused = self._too_large(source, limits)
        if refused is not None:
            return Graded(refused for _ in wire)
        (pending,) = self._submit([self._request(source, wire, limits)])
        return self._wait(pending, len(wire), limits)

    @staticmethod
    def _wire_test(test) -> dict:
        if not isinstance(test, dict):
            raise TypeError("a test is a dict")
        stdin = test.get("stdin", "")
        if not isinstance(stdin, str):
            raise TypeError("stdin must be a str")
        out = {"stdin": stdin}
        call = test.get("call")
        if call is not None:
            function_name, args = call
            # Only JSON-able arguments cross.
            out["call"] = {
                "function": str(function_name),
                "args": json.loads(json.dumps(list(args))),
            }
        return out

    def run(self, source: str, stdin: str = "", limits: Limits | None = None) -> RunResult:
        return self.run_many(source, [stdin], limits)[0]

    def run_many(self, source: str, stdins, limits: Limits | None = None) -> list[RunResult]:
        """The program run once per input, isolated from each other: one
        ``grade`` of plain tests."""
        return self.grade(source, [{"stdin": s} for s in stdins], limits)

    def call(
        self,
        source: str,
        function_name: str,
        args,
        limits: Limits | None = None,
        stdin: str = "",
    ) -> RunResult:
        """Run the program, then call ``function_name(*args)``; the JSON-able
        return value lands in ``RunResult.value``. ``stdin`` feeds ``input()``,
        in the program's top level and in the function alike."""
        test = {"call": [function_name, list(args)], "stdin": stdin}
        return self.grade(source, [test], limits)[0]

    def run_unrestricted(
        self, source: str, stdin: str = "", limits: Limits | None = None
    ) -> RunResult:
        """Run raw Python through the process layer alone (RestrictedPython
        bypassed). Only for tests of the lower walls and ``doctor``; refused
        unless the Sandbox was made with ``allow_raw=True``."""
        limits = limits or self.limits
        req = self._request(source, [self._wire_test({"stdin": stdin})], limits, raw=True)
        (pending,) = self._submit([req])
        return self._wait(pending, 1, limits)[0]
