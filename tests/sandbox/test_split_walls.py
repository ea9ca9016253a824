"""The child walls split between the zygote and each child (walls.ChildWalls).

The zygote raises, once, everything of a child's setup that no job changes:
no_new_privs, the job-independent resource limits, and the child seccomp
filter but its tail (``walls.CHILD_TAIL``: clone and taking a uid, which the
zygote and each child still need). Each child then loads only that tail. These
tests try, with raw Python in children of a zygote *and* of a server forking on
its own, everything the whole filter forbids, so the two halves together are
shown to hold what the whole one held.
"""

from __future__ import annotations

import os

import pytest

from sandbox import Sandbox
from sandbox.walls import CHILD_TAIL

PROBES = {
    "fork": "import os\nos.fork()",
    "clone by the raw system call": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "r = libc.syscall(56, 17, 0, 0, 0, 0)\n"
        "if r == 0:\n    libc._exit(0)\n"
        "raise OSError(ctypes.get_errno(), 'clone') if r < 0 else SystemExit('cloned')"
    ),
    "setuid to root": "import os\nos.setuid(0)",
    "setresuid": "import os\nos.setresuid(0, 0, 0)",
    "setgroups": "import os\nos.setgroups([0])",
    "kill": "import os\nos.kill(1, 0)",
    "write a file": "open('/x', 'w')",
    "make a directory": "import os\nos.mkdir('/made-by-a-child')",
    "memfd": "import os\nos.memfd_create('x')",
}


@pytest.fixture(scope="module", params=["zygote", "server"])
def forked_by(request):
    sb = Sandbox(allow_raw=True)
    if request.param == "server":
        sb._server_options["zygote"] = False
    sb.run_unrestricted("pass")
    yield request.param, sb
    sb.close()


@pytest.mark.parametrize("what", sorted(PROBES))
def test_each_forbidden_call_fails_in_a_child(forked_by, what):
    _, sb = forked_by
    r = sb.run_unrestricted(PROBES[what] + "\nprint('went through')")
    assert r.status == "error", (what, r)
    assert "went through" not in r.stdout
    assert r.error.type in ("PermissionError", "BlockingIOError", "OSError", "FileNotFoundError")


def _status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return None


def _zygote(sb):
    with open(f"/proc/{sb.server_pid}/task/{sb.server_pid}/children") as f:
        for pid in f.read().split():
            with open(f"/proc/{pid}/comm") as c:
                if c.read().strip() == "sandbox-zygote":
                    return int(pid)
    return None


def test_the_zygote_holds_the_job_independent_walls(forked_by):
    kind, sb = forked_by
    zygote = _zygote(sb)
    if kind == "server":
        assert zygote is None
        return
    assert zygote is not None
    assert _status(zygote, "NoNewPrivs") == "1"
    if sb.walls.get("seccomp_child"):
        # The server's filter and the zygote's share of the child filter.
        assert int(_status(zygote, "Seccomp_filters")) == 2
    with open(f"/proc/{zygote}/limits") as f:
        limits = {line[:26].strip(): line[26:].split()[:2] for line in f}
    for name in ("Max file size", "Max core file size", "Max locked memory", "Max msgqueue size"):
        assert limits[name] == ["0", "0"], name
    # A raw child of it: one filter more (its tail), never the whole one again.
    r = sb.run_unrestricted(
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith('Seccomp_filters'):\n        print(line.split()[1])\n"
    )
    if r.status == "ok" and r.stdout.strip():  # /proc is not visible behind the chroot wall
        assert int(r.stdout) == 3


def test_the_tail_is_what_the_zygote_needs_and_children_must_not_have():
    assert set(CHILD_TAIL) == {
        "clone",
        "setuid",
        "setgid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
    }


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are only dropped when the site runs as root")
def test_children_of_the_zygote_still_run_as_their_own_uid(forked_by):
    _, sb = forked_by
    r = sb.run_unrestricted("import os\nprint(os.getuid(), os.geteuid())")
    uid, euid = map(int, r.stdout.split())
    assert uid == euid != 0
