"""The site's one way to the sandbox: a lazily started ``Sandbox`` per web process.

Nothing starts at import time or in ``create_app``: the fork server is started
by the first program that needs it (so a gunicorn master that forks workers
never holds one), and stopped when the process exits.
"""

from __future__ import annotations

import atexit
import os
import threading

from sandbox import Sandbox

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
