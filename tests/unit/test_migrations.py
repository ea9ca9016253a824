"""Alembic migrations: up, down and up again on every backend; models match them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from codekids import migrate
from codekids.db import make_engine
from codekids.models import Base


def test_counties_are_seeded_with_official_codes(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("select code, name from counties")).all())
    engine.dispose()
    assert len(rows) == 42  # 41 counties and Bucharest
    assert rows["B"] == "București"
    assert rows["CJ"] == "Cluj"
    assert rows["IS"] == "Iași"
    # Romanian letters with comma below, never the cedilla look-alikes.
    names = "".join(rows.values())
    assert "ș" in names and "ț" in names
    assert "ş" not in names and "ţ" not in names


def test_models_match_the_migrations(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_downgrade_to_base_and_upgrade_again(database_url):
    engine = make_engine(database_url)
    head = migrate.head_revision(engine)
    assert migrate.current_revision(engine) == head
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "users" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == head
    assert {"users", "clubs", "counties"} <= set(inspect(engine).get_table_names())
    engine.dispose()
