"""The site's one way to the sandbox: a lazily started ``Sandbox`` per web process.

Nothing starts at import time or in ``create_app``: the fork server is started
by the first program that needs it (so a gunicorn master that forks workers
never holds one), and stopped when the process exits.

``Retrying`` is how the site runs a child's program (Run, Submit, the
playground): a run the sandbox lost (its server died, its queue was full, it
answered too late) is sent once more, and a second loss raises
``SandboxUnavailable``, so nothing about it is recorded as the child's.
``get_sandbox`` alone is for callers that want the sandbox's raw answer
(``/healthz``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from sandbox import Sandbox
from sandbox.result import ErrorInfo, RunResult

log = logging.getLogger(__name__)

_lock = threading.Lock()
_sandbox: Sandbox | None = None
_owner_pid: int | None = None
_stop_registered = False


def get_sandbox() -> Sandbox:
    global _sandbox, _owner_pid, _stop_registered
    with _lock:
        # A sandbox started before a fork belongs to the parent: start our own.
        if _sandbox is None or _owner_pid != os.getpid():
            _sandbox = Sandbox()
            _sandbox.start()
            _owner_pid = os.getpid()
            if not _stop_registered:
                atexit.register(stop)
                _stop_registered = True
        return _sandbox


def stop() -> None:
    global _sandbox
    with _lock:
        sandbox, _sandbox = _sandbox, None
    if sandbox is not None and _owner_pid == os.getpid():
        sandbox.close()


# ---- a run lost to the sandbox is never the child's ----------------------------------------
#
# Whose fault a result is, read from its error type (sandbox/README.md, "RunResult"):
# the program's own verdicts (ok, error, refused, timeout, memory, output_limit) are
# the child's and are recorded; these three are not, or not yet.
LOST = "SandboxError"  # the server died, answered garbage or too late, no child could start
BUSY = "SandboxBusy"  # the queue was full: never run at all
CRASH = "Crash"  # the interpreter died: the program's if it happens again, else the host's
# Before the one retry of a busy queue: long enough for a few runs to leave it, short
# enough that the child hardly waits. Never more than one retry (no retry storm).
BUSY_PAUSE = 0.5


class SandboxUnavailable(Exception):
    """The sandbox failed twice on this program: nothing is known about the program, so
    nothing may be recorded as the child's (the site says "try again in a minute")."""

    def __init__(self, fault: str, message: str):
        super().__init__(f"{fault}: {message}")
        self.fault = fault  # LOST or BUSY


def fault_of(result) -> str | None:
    """LOST, BUSY or CRASH when the sandbox may be to blame for ``result``; None when the
    verdict is the program's own."""
    error = result.error if result.status == "error" else None
    kind = error.get("type") if error else None
    return kind if kind in (LOST, BUSY, CRASH) else None


def _lost(message: str) -> RunResult:
    return RunResult(
        status="error", error=ErrorInfo(type=LOST, message=message, line=None, column=None)
    )


class Retrying:
    """The site's way to run a child's program: a ``Sandbox`` (the site's own, started
    when first needed, when ``sandbox`` is None) whose lost tests run once more.

    ``grade`` sends every test once; the tests whose results the sandbox lost (LOST,
    BUSY, CRASH) are sent once more, only those (each test runs in a fresh namespace,
    so a test's verdict does not depend on the tests sent with it), after
    ``BUSY_PAUSE`` when the queue was full. A second loss raises ``SandboxUnavailable``;
    a second crash is the program's own verdict. ``run`` is a grade of one stdin test.
    """

    def __init__(self, sandbox=None, *, busy_pause: float = BUSY_PAUSE):
        self.sandbox = sandbox
        self.busy_pause = busy_pause
        self.attempts = 0  # grade calls sent to the sandbox (for tests and logs)

    def grade(self, source: str, tests, limits=None) -> list:
        tests = list(tests)
        results = self._once(source, tests, limits)
        again = [i for i, r in enumerate(results) if fault_of(r)]
        if not again:
            return results
        faults = sorted({fault_of(results[i]) for i in again})
        log.warning(
            "sandbox: %d of %d tests lost (%s), running them again",
            len(again),
            len(tests),
            ", ".join(faults),
        )
        if BUSY in faults:
            time.sleep(self.busy_pause)
        retried = self._once(source, [tests[i] for i in again], limits)
        for i, result in zip(again, retried, strict=True):
            fault = fault_of(result)
            if fault in (LOST, BUSY):
                log.error(
                    "sandbox: lost twice (%s: %s); nothing recorded",
                    fault,
                    (result.error or {}).get("message"),
                )
                raise SandboxUnavailable(fault, str((result.error or {}).get("message")))
            results[i] = result  # a crash that happens twice is the program's
        return results

    def _once(self, source: str, tests: list, limits) -> list:
        self.attempts += 1
        try:
            sandbox = self.sandbox if self.sandbox is not None else get_sandbox()
            found = (
                sandbox.grade(source, tests)
                if limits is None
                else sandbox.grade(source, tests, limits)
            )
        except (OSError, RuntimeError) as exc:  # a server that will not start, a closed one
            return [_lost(f"the sandbox could not be used: {exc}")] * len(tests)
        found = list(found)
        if len(found) != len(tests):
            return [_lost("the sandbox answered the wrong number of tests")] * len(tests)
        return found

    def run(self, source: str, stdin: str = "", limits=None) -> RunResult:
        return self.grade(source, [{"stdin": stdin}], limits)[0]
