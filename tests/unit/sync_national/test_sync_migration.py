"""The sync tables' migration (0007): up, down to 0006 and up again, on every backend."""

from __future__ import annotations

from sqlalchemy import inspect

from codekids import migrate
from codekids.db import make_engine

SYNC_TABLES = {
    "sync_boxes", "sync_batches", "sync_items", "sync_children", "sync_projects",
    "sync_settings", "sync_pseudonyms", "sync_project_keys", "sync_outbox",
}


def test_sync_tables_go_down_and_up_again(database_url):
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    assert SYNC_TABLES <= tables
    migrate.downgrade(engine, "0006")
    after = set(inspect(engine).get_table_names())
    assert not (SYNC_TABLES & after)
    assert after == tables - SYNC_TABLES  # nothing else dropped
    migrate.upgrade(engine, "0007")
    assert SYNC_TABLES <= set(inspect(engine).get_table_names())
    uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("sync_items")}
    assert ("box_id", "item_key") in uniques
    engine.dispose()
