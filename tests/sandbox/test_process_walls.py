"""The walls below the language policy, tried with raw, unrestricted Python.

These programs bypass RestrictedPython entirely (``run_unrestricted``), so
each assertion shows what the process and host layers alone hold back: a
program that escaped the language policy still cannot fork, write files,
read the server's environment or (where that wall is active) open a socket.
"""

from __future__ import annotations

import os

import pytest


def probe(raw_sandbox, source):
    r = raw_sandbox.run_unrestricted(source)
    assert r.status in ("ok", "error"), r
    return r


def test_raw_runs_are_refused_by_a_default_sandbox(sandbox):
    r = sandbox.run_unrestricted("print('raw')")
    assert r.status == "error"
    assert r.error.type == "SandboxError"
    assert r.stdout == ""


def test_raw_python_really_is_unrestricted(raw_sandbox):
    # Proves the probes below test the lower walls, not the language policy.
    r = probe(
        raw_sandbox,
        "import os, sys\nprint(type(os).__name__, sys.__name__, (1).__class__.__name__)",
    )
    assert r.stdout == "module sys int\n"


def test_forking_fails(raw_sandbox):
    r = probe(raw_sandbox, "import os\nos.fork()\nprint('forked')")
    assert r.status == "error"
    assert r.error.type in ("PermissionError", "BlockingIOError", "OSError")
    assert "forked" not in r.stdout


def test_writing_files_fails(raw_sandbox, tmp_path):
    target = tmp_path / "written-by-child"
    tmp_path.chmod(0o777)
    r = probe(
        raw_sandbox, f"f = open({str(target)!r}, 'w')\nf.write('x' * 10)\nf.close()\nprint('wrote')"
    )
    assert r.status == "error"
    assert "wrote" not in r.stdout
    assert not target.exists()


def test_writing_to_tmp_fails(raw_sandbox):
    r = probe(raw_sandbox, "open('/tmp/sandbox-wall-test', 'w').write('x')\nprint('wrote')")
    assert r.status == "error"
    assert not os.path.exists("/tmp/sandbox-wall-test")


def test_server_environment_is_empty(raw_sandbox, monkeypatch):
    # The site's own environment (secrets, database URLs) never reaches the server.
    assert os.environ.get("PATH")
    r = probe(raw_sandbox, "import os\nprint(sorted(os.environ))")
    assert r.stdout == "[]\n"


def test_server_never_loaded_the_site(raw_sandbox):
    r = probe(
        raw_sandbox,
        "import sys\nprint(sorted(m for m in sys.modules if 'codekids' in m or m in ('flask', 'sqlalchemy')))",
    )
    assert r.stdout == "[]\n"


def test_inherited_descriptors_are_closed(raw_sandbox):
    r = probe(
        raw_sandbox,
        "import os\nopen_fds = []\nfor fd in range(4, 256):\n"
        "    try:\n        os.fstat(fd)\n        open_fds.append(fd)\n    except OSError:\n        pass\n"
        "print(open_fds)",
    )
    assert r.stdout == "[]\n"


def test_child_has_its_own_session_and_no_new_privileges(raw_sandbox):
    r = probe(
        raw_sandbox,
        "import os, ctypes\nprint(os.getsid(0) == os.getpid(), ctypes.CDLL(None).prctl(39, 0, 0, 0, 0))",
    )
    assert r.stdout == "True 1\n"


def test_rlimits_are_set(raw_sandbox):
    r = probe(
        raw_sandbox,
        "import resource as r\nprint([r.getrlimit(x)[1] for x in (r.RLIMIT_FSIZE, r.RLIMIT_CORE, r.RLIMIT_NPROC)],"
        " r.getrlimit(r.RLIMIT_NOFILE)[1] <= 16, r.getrlimit(r.RLIMIT_AS)[1] == 256 * 1024 * 1024)",
    )
    assert r.stdout == "[0, 0, 0] True True\n"


def test_children_run_as_an_unprivileged_uid_when_the_site_is_root(raw_sandbox):
    r = probe(raw_sandbox, "import os\nprint(os.getuid(), os.geteuid(), os.getgroups())")
    uid, euid, groups = r.stdout.split(" ", 2)
    if os.geteuid() == 0:
        assert raw_sandbox.walls["uid"] is True
        assert int(uid) != 0 and int(euid) != 0
        assert groups.strip() == "[]"
    else:
        assert int(uid) == os.geteuid() or raw_sandbox.walls.get("userns")


def test_opening_a_socket_fails_where_that_wall_is_active(raw_sandbox):
    if not raw_sandbox.walls.get("seccomp"):
        pytest.skip("no seccomp wall on this machine (reported by doctor)")
    r = probe(raw_sandbox, "import socket\ns = socket.socket()\nprint('socket')")
    assert r.status == "error" and r.error.type == "PermissionError"
    assert "socket" not in r.stdout


def test_no_network_where_the_namespace_wall_is_active(raw_sandbox):
    if not raw_sandbox.walls.get("netns"):
        pytest.skip("no network namespace on this machine (reported by doctor)")
    r = probe(
        raw_sandbox,
        "import socket\ns = socket.create_connection(('127.0.0.1', 5432), timeout=1)\nprint('connected')",
    )
    assert r.status == "error"
    assert "connected" not in r.stdout


def test_no_files_are_visible_where_the_chroot_wall_is_active(raw_sandbox):
    if not raw_sandbox.walls.get("chroot"):
        pytest.skip("no chroot on this machine (reported by doctor)")
    r = probe(raw_sandbox, "print(open('/etc/passwd').read())")
    assert r.status == "error"
    assert "root:" not in r.stdout


def test_walls_are_reported_not_assumed(raw_sandbox):
    walls = raw_sandbox.walls
    for key in ("seccomp", "seccomp_child", "netns", "chroot", "uid"):
        assert isinstance(walls[key], bool)
    from sandbox.__main__ import doctor_report

    report = doctor_report()
    probes = report["probes"]
    # Probes are real attempts; whatever the server claims must hold.
    if report["server_walls"]["seccomp"]:
        assert probes["no sockets"] == "blocked"
    assert probes["empty environment"] == "blocked"
    assert probes["no file writes"] == "blocked"
    assert probes["no new processes"] == "blocked"
    assert probes["language policy (import os)"] == "blocked"
