"""`./dev test` gets a browser for tests/e2e by itself, and says what to run when it cannot.

The real `dev` script is copied into a folder of its own and its functions are
called one by one (`source ./dev; ensure_browser`), on a PATH that holds only the
few tools it needs and stubs for the rest: `id` (who runs it), `sudo`, `apt-get`,
and the virtual environment's `python` (Playwright's download and the launch
check) and `ruff`. Each stub writes what it was asked to the calls log, so each
test asserts which way the script took, what it ran, its exit code and its words.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The real tools the script may use besides the stubs, and those the stubs use.
TOOLS = ("bash", "env", "dirname", "timeout", "cat", "sha256sum", "cut")
STUB_TOOLS = ("chmod", "touch", "true")

PYTHON_STUB = r"""#!/bin/bash
case "$1" in
    -c)
        echo "python launch-check" >> "$STUB_LOG"
        [ -e "$STUB_STATE/downloaded" ] && [ "${STUB_LAUNCH:-ok}" = ok ] && exit 0
        exit 1 ;;
    -m)
        echo "python $*" >> "$STUB_LOG"
        if [ "$2" = playwright ]; then
            if [ "${STUB_DOWNLOAD:-fail}" = ok ]; then
                touch "$STUB_STATE/downloaded"
                echo "Chrome Headless Shell downloaded to $STUB_STATE"
                exit 0
            fi
            echo "Error: getaddrinfo EAI_AGAIN cdn.playwright.dev" >&2
            exit 1
        fi
        exit 0 ;;
esac
echo "python $*" >> "$STUB_LOG"
exit 0
"""

RUFF_STUB = r"""#!/bin/bash
echo "ruff $*" >> "$STUB_LOG"
"""

ID_STUB = r"""#!/bin/bash
[ "$1" = -u ] && echo "${STUB_UID:-1000}"
"""

SUDO_STUB = r"""#!/bin/bash
echo "sudo $*" >> "$STUB_LOG"
[ "${STUB_SUDO:-fail}" = ok ] || { echo "sudo: a password is required" >&2; exit 1; }
[ "$1" = -n ] && shift
exec "$@"
"""

APT_STUB = r"""#!/bin/bash
echo "apt-get $* (DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-})" >> "$STUB_LOG"
[ "${STUB_APT:-ok}" = ok ] || { echo "E: Unable to locate package chromium" >&2; exit 100; }
if [ "$1" = install ]; then
    printf '#!/bin/sh\n' > "$CODEKIDS_TEST_CHROMIUM"
    chmod +x "$CODEKIDS_TEST_CHROMIUM"
fi
exit 0
"""


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@dataclass
class Run:
    code: int
    stderr: str
    calls: list[str]

    @property
    def last_line(self) -> str:
        return self.stderr.strip().splitlines()[-1]


@dataclass
class Machine:
    """A clone holding the real `dev`, and the stubs around it."""

    root: Path
    bin: Path
    log: Path
    state: Path
    chromium: Path

    def without(self, tool: str) -> None:
        (self.bin / tool).unlink()

    def run(self, *call: str, **stub_env: str) -> Run:
        env = {
            "PATH": str(self.bin),
            "HOME": str(self.state),
            "STUB_LOG": str(self.log),
            "STUB_STATE": str(self.state),
            "CODEKIDS_TEST_CHROMIUM": str(self.chromium),
            **stub_env,
        }
        self.log.write_text("")
        done = subprocess.run(
            ["bash", "-c", 'source ./dev && "$@"', "bash", *call],
            cwd=self.root,
            env=env,
            executable=str(self.bin / "bash"),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return Run(done.returncode, done.stderr, self.log.read_text().splitlines())


@pytest.fixture
def machine(tmp_path) -> Machine:
    root = tmp_path / "clone"
    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    shutil.copy(REPO / "dev", root / "dev")
    _write(venv_bin / "python", PYTHON_STUB)
    _write(venv_bin / "ruff", RUFF_STUB)
    path = tmp_path / "bin"
    path.mkdir()
    for tool in TOOLS + STUB_TOOLS:
        real = shutil.which(tool)
        assert real, tool
        os.symlink(real, path / tool)
    _write(path / "id", ID_STUB)
    _write(path / "sudo", SUDO_STUB)
    _write(path / "apt-get", APT_STUB)
    state = tmp_path / "state"
    state.mkdir()
    return Machine(root, path, tmp_path / "calls.log", state, tmp_path / "usr-bin-chromium")


LAUNCH = "python launch-check"
DOWNLOAD = "python -m playwright install --only-shell --no-progress chromium"
APT_UPDATE = "apt-get update -qq (DEBIAN_FRONTEND=)"
APT_INSTALL = (
    "apt-get install -y -qq --no-install-recommends chromium fonts-liberation "
    "(DEBIAN_FRONTEND=noninteractive)"
)


def assert_says_what_to_run(run: Run) -> None:
    assert run.code == 1
    line = run.last_line
    assert line.startswith("dev: no browser for the browser tests: ")
    assert "apt-get install chromium" in line
    assert "playwright install --only-shell --no-progress chromium" in line
    assert './dev test -m "not e2e"' in line


def test_debians_chromium_present_needs_nothing(machine):
    machine.chromium.write_text("#!/bin/sh\n")
    machine.chromium.chmod(0o755)
    run = machine.run("ensure_browser")
    assert (run.code, run.calls, run.stderr) == (0, [], "")


def test_playwrights_chromium_from_an_earlier_run_is_used(machine):
    (machine.state / "downloaded").touch()
    run = machine.run("ensure_browser")
    assert (run.code, run.calls) == (0, [LAUNCH])


def test_network_open_downloads_playwrights_chromium(machine):
    run = machine.run("ensure_browser", STUB_DOWNLOAD="ok", STUB_UID="0")
    assert run.code == 0
    assert run.calls == [LAUNCH, DOWNLOAD, LAUNCH]  # checked again after the download
    assert "Playwright's Chromium" in run.last_line
    # The download's own output goes to a log, not to the terminal.
    assert "downloaded to" in (machine.root / ".venv" / "playwright-install.log").read_text()


def test_network_closed_as_root_installs_debians_chromium(machine):
    run = machine.run("ensure_browser", STUB_UID="0")
    assert run.code == 0, run.stderr
    assert run.calls == [LAUNCH, DOWNLOAD, APT_UPDATE, APT_INSTALL]
    assert machine.chromium.exists()
    assert "apt-get" in run.stderr and "sudo" not in run.stderr


def test_network_closed_with_passwordless_sudo_installs_through_sudo(machine):
    run = machine.run("ensure_browser", STUB_SUDO="ok")
    assert run.code == 0, run.stderr
    assert run.calls == [
        LAUNCH,
        DOWNLOAD,
        "sudo -n true",
        "sudo -n apt-get update -qq",
        APT_UPDATE,
        "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
        "--no-install-recommends chromium fonts-liberation",
        APT_INSTALL,
    ]
    assert machine.chromium.exists()


def test_network_closed_without_root_or_sudo_says_what_to_run(machine):
    run = machine.run("ensure_browser")
    assert_says_what_to_run(run)
    assert run.calls == [LAUNCH, DOWNLOAD, "sudo -n true"]  # asked, never used
    assert not machine.chromium.exists()


def test_no_sudo_at_all_says_what_to_run(machine):
    machine.without("sudo")
    run = machine.run("ensure_browser")
    assert_says_what_to_run(run)
    assert run.calls == [LAUNCH, DOWNLOAD]


def test_apt_get_failing_says_what_to_run(machine):
    run = machine.run("ensure_browser", STUB_UID="0", STUB_APT="fail")
    assert_says_what_to_run(run)
    assert run.calls == [LAUNCH, DOWNLOAD, APT_UPDATE]


def test_a_system_without_apt_get_says_what_to_run(machine):
    machine.without("apt-get")
    run = machine.run("ensure_browser", STUB_UID="0")
    assert_says_what_to_run(run)
    assert run.calls == [LAUNCH, DOWNLOAD]


def test_a_download_that_does_not_start_falls_back_to_debians(machine):
    # Downloaded, but missing the libraries it needs: Debian's chromium brings them.
    run = machine.run("ensure_browser", STUB_DOWNLOAD="ok", STUB_LAUNCH="fail", STUB_UID="0")
    assert run.code == 0, run.stderr
    assert run.calls == [LAUNCH, DOWNLOAD, LAUNCH, APT_UPDATE, APT_INSTALL]


def test_tests_run_only_once_there_is_a_browser(machine):
    run = machine.run("run_tests", "-x")
    assert_says_what_to_run(run)
    assert not [c for c in run.calls if c.startswith(("ruff", "python -m pytest"))]

    run = machine.run("run_tests", "-x", STUB_DOWNLOAD="ok")
    assert run.code == 0, run.stderr
    assert run.calls[-2:] == ["ruff check .", "python -m pytest -x"]


def test_browser_tests_left_out_need_no_browser(machine):
    run = machine.run("run_tests", "-m", "not e2e")
    assert run.code == 0, run.stderr
    assert run.calls == ["ruff check .", "python -m pytest -m not e2e"]
