"""The engine: a pooled PostgreSQL connection cut while idle never fails a request.

codekids.db pings a pooled connection only when it sat unused for a while (instead of
pool_pre_ping on every checkout); these tests cut a connection's backend while it
waits in the pool, as a PostgreSQL restart does, and use the engine again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from codekids.db import make_engine
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="CODEKIDS_TEST_POSTGRES_URL is not set")


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _kill_backend(pid: int) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def _pooled_backend(engine) -> int:
    with engine.connect() as conn:  # checked out, then back in the pool
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _count_pings(engine) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_conn):
        pings.append(1)
        return real(dbapi_conn)

    engine.dialect.do_ping = counting
    return pings


def test_an_idle_connection_cut_meanwhile_is_replaced_before_use():
    engine = make_engine(_psycopg(POSTGRES_URL), pool_size=1, idle_ping_seconds=0.0)
    try:
        first = _pooled_backend(engine)
        _kill_backend(first)
        # The pool's only connection is dead: the ping finds it, a new one is used.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 42")).scalar() == 42
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        engine.dispose()


def test_without_the_ping_the_cut_connection_fails_the_request():
    """What the ping guards against (and that the test above really cut the link)."""
    engine = make_engine(_psycopg(POSTGRES_URL), pool_size=1, idle_ping_seconds=3600.0)
    try:
        _kill_backend(_pooled_backend(engine))
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 42"))
    finally:
        engine.dispose()


@pytest.mark.parametrize(("idle_ping_seconds", "pinged"), [(5.0, 0), (0.0, 1)])
def test_only_a_connection_that_sat_idle_is_pinged(idle_ping_seconds, pinged):
    """Under load every checkout finds a connection used a moment ago: no extra round
    trip for it; one idle longer than the threshold is asked first."""
    engine = make_engine(_psycopg(POSTGRES_URL), pool_size=1,
                         idle_ping_seconds=idle_ping_seconds)
    try:
        _pooled_backend(engine)
        pings = _count_pings(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 42")).scalar() == 42
        assert len(pings) == pinged
    finally:
        engine.dispose()
