"""The coordinator's pages for club laptops: by role and scope, register, revoke, replace."""

from __future__ import annotations

import re

from sqlalchemy import select

from codekids import db
from codekids.sync import national, protocol
from codekids.sync.models import SyncBatch, SyncBox, SyncItem
from tests.unit.lookups import club as club_row


def _register(client, club_id, label="Laptopul sălii"):
    return client.post("/coordonare/laptopuri", data={"club_id": str(club_id), "label": label})


def test_a_national_coordinator_registers_a_box_and_sees_the_token_once(app, world, login):
    client = login(world.national_coordinator)
    page = client.get("/coordonare/laptopuri")
    assert page.status_code == 200
    assert "No laptop is registered in your area yet." in page.get_data(as_text=True)
    answer = _register(client, world.far_club)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    token = re.search(r'id="box-token">([^<]+)<', html).group(1)
    assert f"codekids sync setup --server http://localhost --token {token}" in html
    with app.app_context():
        box = db.session.scalar(select(SyncBox))
        assert box.club_id == world.far_club and box.label == "Laptopul sălii"
        assert box.token_hash == protocol.token_hash(token)  # only its hash is kept
        assert box.token_hint == token[-4:]
        assert box.created_by_id == world.national_coordinator
    listing = client.get("/coordonare/laptopuri").get_data(as_text=True)
    assert "Laptopul sălii" in listing and token not in listing and f"…{token[-4:]}" in listing
    assert token not in client.get(f"/coordonare/laptopuri/{box.id}").get_data(as_text=True)


def test_a_county_coordinator_sees_and_registers_only_their_countys_boxes(app, world, login):
    with app.app_context():
        cluj_box = national.register_box(club_row(world.club), "Cluj", None)[0].id
        alba_box = national.register_box(club_row(world.far_club), "Alba", None)[0].id
    client = login(world.county_coordinator)  # Cluj
    listing = client.get("/coordonare/laptopuri").get_data(as_text=True)
    assert f"/coordonare/laptopuri/{cluj_box}" in listing
    assert f"/coordonare/laptopuri/{alba_box}" not in listing
    assert client.get(f"/coordonare/laptopuri/{cluj_box}").status_code == 200
    assert client.get(f"/coordonare/laptopuri/{alba_box}").status_code == 404
    assert client.post(f"/coordonare/laptopuri/{alba_box}/revocare").status_code == 404
    assert client.post(f"/coordonare/laptopuri/{alba_box}/token-nou").status_code == 404
    # A club of another county, posted by hand, is refused.
    assert _register(client, world.far_club).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(SyncBox).where(SyncBox.label == "Laptopul sălii")) is None
    assert _register(client, world.other_club).status_code == 200


def test_librarians_and_children_do_not_see_the_box_pages(app, world, login):
    client = login(world.librarian)
    assert client.get("/coordonare/laptopuri").status_code == 403
    client = login(world.children[0])
    assert client.get("/coordonare/laptopuri").status_code == 403


def test_revoking_asks_first_then_refuses_the_box(app, world, login):
    with app.app_context():
        box_id, token = (lambda b: (b[0].id, b[1]))(
            national.register_box(club_row(world.club), "Sala", None))
    client = login(world.county_coordinator)
    confirm = client.get(f"/coordonare/laptopuri/{box_id}/revocare")
    assert confirm.status_code == 200
    assert "Yes, revoke" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SyncBox, box_id).revoked_at is None  # asking changed nothing
    done = client.post(f"/coordonare/laptopuri/{box_id}/revocare")
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(SyncBox, box_id).revoked_at is not None
        try:
            national.box_for_token(token)
        except national.SyncError as err:
            assert err.error == protocol.TOKEN_REVOKED
        else:
            raise AssertionError("a revoked token still works")
    page = client.get(f"/coordonare/laptopuri/{box_id}").get_data(as_text=True)
    assert "revoked" in page


def test_replacing_shows_a_new_token_once(app, world, login):
    with app.app_context():
        box, old = national.register_box(club_row(world.club), "Sala", None)
        box_id = box.id
    client = login(world.national_coordinator)
    answer = client.post(f"/coordonare/laptopuri/{box_id}/token-nou")
    assert answer.status_code == 200
    new = re.search(r'id="box-token">([^<]+)<', answer.get_data(as_text=True)).group(1)
    assert new != old
    with app.app_context():
        assert national.box_for_token(new).id == box_id
        row = db.session.get(SyncBox, box_id)
        assert row.replaced_at is not None and row.token_hint == new[-4:]


def test_the_box_page_shows_lines_waiting_and_rejections_with_their_reasons(app, world, login):
    with app.app_context():
        box, _token = national.register_box(club_row(world.club), "Sala", None)
        batch = SyncBatch(box_id=box.id, batch_key=protocol.new_key(), items=3,
                          box_totals={"lines": 40, "items": 3, "children": 2, "waiting": 12})
        db.session.add(batch)
        db.session.flush()
        for status, reason, lines, written in (
                ("accepted", None, 5, None), ("rejected", "fails_tests", 0, "2020-01-01T09:30:00Z"),
                ("rejected", "other_version", 0, "not a time")):
            db.session.add(SyncItem(box_id=box.id, batch_id=batch.id, item_key=protocol.new_key(),
                                    kind="exercise", exercise_id="hello", child_key="a" * 32,
                                    source="print(2)", status=status, reason=reason,
                                    lines=lines, written_at=written))
        db.session.commit()
        box_id = box.id
    client = login(world.national_coordinator)
    listing = client.get("/coordonare/laptopuri").get_data(as_text=True)
    assert "12 programs" in listing
    page = client.get(f"/coordonare/laptopuri/{box_id}").get_data(as_text=True)
    assert "does not pass the tests" in page and "another version of the exercise" in page
    assert "12 programs" in page and ">5 " in page.replace("\n", " ")
    # In Romanian, the reasons read as the issue says.
    with client.session_transaction() as sess:
        sess["locale"] = "ro"
    page = client.get(f"/coordonare/laptopuri/{box_id}").get_data(as_text=True)
    assert "nu trece testele" in page and "altă versiune a exercițiului" in page
    # The laptop's clock, as a time in the site's zone; what is not a time, as it came.
    assert "1 ian. 2020, 11:30" in page and "2020-01-01T09" not in page
    assert "not a time" in page
