"""Database: engine, one session per request, and the declarative base.

Nothing here assumes SQLite: SQLite gets its pragmas (WAL, foreign keys, a busy
timeout) only when the URL says SQLite; PostgreSQL needs none.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.local import LocalProxy

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


# A pooled PostgreSQL connection unused for this long is asked whether it is still
# alive before a request gets it (see make_engine).
IDLE_PING_SECONDS = 5.0


def make_engine(url: str, pool_size: int = 0, idle_ping_seconds: float = IDLE_PING_SECONDS
                ) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no branch
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # A thread that finds the pool empty opens an overflow connection and closes it
    # again afterwards (a new PostgreSQL backend each time): size the pool to the threads.
    engine = create_engine(url, pool_size=pool_size or 5, max_overflow=10)
    _ping_when_idle(engine, idle_ping_seconds)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's pool_pre_ping, only for connections that sat unused for a while.

    A connection the pool hands out may have been cut while it waited (PostgreSQL
    restarted, a firewall dropped an idle link); asking it first keeps that from
    failing a child's request. pool_pre_ping asks on every checkout: a round trip
    and ~0.1 ms of CPU on every request, when under load every connection was in
    use a moment ago. A connection that fails the ping is replaced by a new one.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The pool drops this connection and checks out a fresh one instead.
            raise DisconnectionError("a pooled connection did not answer") from exc


def init_app(app: Flask) -> None:
    settings = app.config["CODEKIDS"]
    engine = make_engine(settings.database_url, settings.db_pool_size)
    app.extensions["codekids_engine"] = engine
    app.extensions["codekids_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)


def get_engine() -> Engine:
    return current_app.extensions["codekids_engine"]


def _get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["codekids_sessionmaker"]()
    return g.db_session


def close_session(_exc: BaseException | None) -> None:
    sess = g.pop("db_session", None)
    if sess is not None:
        sess.close()


session: Session = LocalProxy(_get_session)  # type: ignore[assignment]
