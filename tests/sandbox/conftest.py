"""Fixtures for the sandbox's tests: one fork server for the whole session.

``sandbox`` is the shared ``Sandbox`` (thread-safe, restarted transparently
if a test kills its server). ``raw_sandbox`` also accepts unrestricted runs,
to test the process and host walls with RestrictedPython bypassed.
"""

from __future__ import annotations

import pytest

from sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="session")
def raw_sandbox():
    with Sandbox(allow_raw=True) as sb:
        yield sb


@pytest.fixture(scope="session")
def sb(sandbox):
    """The corpus files' short name for the shared session sandbox."""
    return sandbox
