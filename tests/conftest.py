"""Fixtures that build the world in a line.

Every test that uses `app` gets a fresh database made by the real Alembic
migrations: they run once per backend into a template, and each test gets a copy
(a file copy for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL).

PostgreSQL: when CODEKIDS_TEST_POSTGRES_URL is set, every such test runs on
SQLite *and* PostgreSQL. When it is set and the server is not there, the tests
fail (never skip): a silently skipped backend is a backend nobody tested.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from codekids import create_app, db, migrate
from codekids.db import make_engine

POSTGRES_URL = os.environ.get("CODEKIDS_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 64}


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> str:
    """Migrates a template database once per session; returns its name."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"codekids_tpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "codekids.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("_postgres_template")
    name = f"codekids_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """Override in a test module to change settings (e.g. lockout thresholds)."""
    return {
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "INSTANCE_PATH": tmp_path / "instance",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        **FAST_HASHING,
    }


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    yield application
    application.extensions["codekids_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session inside an app context, for service tests."""
    with app.app_context():
        yield db.session


# ---- the world ------------------------------------------------------------------------

STAFF_PASSWORD = "correct-horse-battery"


@dataclass
class World:
    """Ids and credentials of a small, realistic network (see `world` fixture)."""

    club: int = 0  # club A in Cluj, run by `librarian`
    other_club: int = 0  # club B in Cluj, run by `other_librarian`
    far_club: int = 0  # club C in Alba
    librarian: int = 0
    other_librarian: int = 0
    county_coordinator: int = 0  # Cluj
    other_county_coordinator: int = 0  # Alba
    national_coordinator: int = 0
    children: list[int] = field(default_factory=list)  # of club A
    other_children: list[int] = field(default_factory=list)  # of club B
    usernames: dict[int, str] = field(default_factory=dict)
    join_codes: dict[int, str] = field(default_factory=dict)


def build_world(app) -> World:
    from sqlalchemy import select

    from codekids.accounts import passwords
    from codekids.accounts import service as accounts
    from codekids.accounts.models import COORDINATOR, LIBRARIAN
    from codekids.clubs import service as clubs
    from codekids.clubs.models import County

    w = World()
    with app.app_context():
        s = db.session
        cj = s.scalar(select(County).where(County.code == "CJ"))
        ab = s.scalar(select(County).where(County.code == "AB"))
        a = clubs.create_club(name="Clubul Albinelor", library="Biblioteca Comunală Feleacu",
                              town="Feleacu", county=cj)
        b = clubs.create_club(name="Clubul Vulpilor", library="Biblioteca Orășenească Gherla",
                              town="Gherla", county=cj, secret_kind="words")
        c = clubs.create_club(name="Clubul Bufnițelor", library="Biblioteca Blaj", town="Blaj",
                              county=ab)
        pw = passwords.hash_password(STAFF_PASSWORD)

        def staff(role, username, county):
            u = accounts.create_staff(role=role, username=username, display_name=username,
                                      county=county, password_hash=pw,
                                      must_change_password=False)
            w.usernames[u.id] = username
            return u

        lib = staff(LIBRARIAN, "ana.bibliotecara", cj)
        other = staff(LIBRARIAN, "ion.bibliotecar", cj)
        accounts.set_librarian_clubs(lib, [a])
        accounts.set_librarian_clubs(other, [b])
        w.county_coordinator = staff(COORDINATOR, "coord.cluj", cj).id
        w.other_county_coordinator = staff(COORDINATOR, "coord.alba", ab).id
        w.national_coordinator = staff(COORDINATOR, "coord.national", None).id
        w.librarian, w.other_librarian = lib.id, other.id
        w.children = [u.id for u in clubs.create_children(a, "Ana\nMihai\nIoana").created]
        w.other_children = [u.id for u in clubs.create_children(b, "Radu\nElena").created]
        w.club, w.other_club, w.far_club = a.id, b.id, c.id
        w.join_codes = {a.id: a.join_code, b.id: b.join_code, c.id: c.join_code}
    return w


@pytest.fixture
def world(app) -> World:
    return build_world(app)


def child_secret(app, child_id: int):
    from codekids.accounts.models import User
    from codekids.clubs import service as clubs

    with app.app_context():
        return clubs.card_secret(db.session.get(User, child_id))


class Auth:
    """Logs a test client in through the real routes."""

    def __init__(self, app, client, world: World):
        self.app, self.client, self.world = app, client, world

    def staff(self, user_id: int, password: str = STAFF_PASSWORD):
        return self.client.post(
            "/autentificare",
            data={"username": self.world.usernames[user_id], "password": password},
        )

    def child(self, child_id: int, secret=None):
        from codekids.accounts.models import User

        with self.app.app_context():
            club = db.session.get(User, child_id).club
            code = club.join_code
        secret = secret or child_secret(self.app, child_id)
        data = (
            {"sequence": ",".join(secret.value)}
            if secret.kind == "pictures"
            else {"words": secret.words}
        )
        return self.client.post(f"/copii/{code}/{child_id}", data=data)

    def logout(self):
        return self.client.post("/iesire")


@pytest.fixture
def auth(app, client, world) -> Auth:
    return Auth(app, client, world)
