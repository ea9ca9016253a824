"""The national total by source: written on the site, synced from club laptops, from before."""

from __future__ import annotations

import datetime as dt

import pytest

from codekids.bank import current_bank
from codekids.counter import service as counter
from codekids.learning import service as learning
from codekids.sync import national
from tests.unit.lookups import club as club_row
from tests.unit.lookups import user as user_row
from tests.unit.sync_national.test_national import SOLVED, batch, exercise_item, post, project_item

pytestmark = pytest.mark.usefixtures("real_sandbox")


@pytest.fixture
def mixed(app, world, client):
    """1 line written on the site (club B, Cluj), 1 + 2 synced from club A's laptop
    (Cluj), 500 historical lines for Alba."""
    with app.test_request_context():
        learning.record_submission(user_row(world.other_children[0]),
                                   current_bank().get("two-lines"), SOLVED, "site-key-0001",
                                   "ro", bank=current_bank())
        _box, token = national.register_box(club_row(world.club), "Sala", None)
        counter.record_adjustment(user_row(world.national_coordinator), scope="county",
                                  amount=500, day=dt.date(2024, 5, 1), reason="Arhiva",
                                  county_id=club_row(world.far_club).county_id)
    answer = post(client, token, batch([exercise_item(app),
                                        project_item("print(1)\nprint(2)\n")]))
    assert answer.get_json()["lines"] == 3


def test_the_public_api_splits_counted_by_source_with_new_keys_only(app, world, client, mixed):
    body = client.get("/api/v1/counter").get_json()
    nat = body["national"]
    assert (nat["counted"], nat["historical"], nat["total"]) == (4, 500, 504)
    assert (nat["on_site"], nat["synced"]) == (1, 3)
    cj = next(c for c in body["counties"] if c["code"] == "CJ")
    assert (cj["counted"], cj["on_site"], cj["synced"]) == (4, 1, 3)
    ab = next(c for c in body["counties"] if c["code"] == "AB")
    assert (ab["counted"], ab["historical"], ab["on_site"], ab["synced"]) == (0, 500, 0, 0)
    assert set(nat) == {"counted", "historical", "total", "on_site", "synced"}


def test_the_dashboard_shows_the_total_by_source(app, world, client, mixed, login):
    page = login(world.national_coordinator).get("/coordonare/contor").get_data(as_text=True)
    assert "1 line written on the site" in page
    assert "3 lines synced from club laptops" in page
    assert "500 lines written before the platform existed" in page
    page = login(world.other_county_coordinator).get("/coordonare/contor").get_data(as_text=True)
    assert "0 lines synced from club laptops" in page  # Alba has no laptop


def test_counter_verify_agrees_after_syncs(runner, mixed):
    result = runner.invoke(args=["counter", "verify"])
    assert result.exit_code == 0, result.output
