"""The dashboard, its CSV downloads, the adjustments page, the public API and the embed."""

import re
from datetime import date

from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.counter import service
from codekids.counter.models import NATION, Adjustment
from codekids.learning.models import SUBMIT, Submission


def count(app, child_id, source, exercise="ex1"):
    with app.app_context():
        child = db.session.get(User, child_id)
        sub = Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                         exercise_id=exercise, source=source, status="passed", solved=True)
        db.session.add(sub)
        n = service.count_submission(sub, cap=10)
        db.session.commit()
        return n


def test_api_gives_totals_with_etag_and_304(app, client, world):
    count(app, world.children[0], "x = 1\nprint(x)\n")
    resp = client.get("/api/v1/counter")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["national"] == {"counted": 2, "historical": 0, "total": 2}
    cluj = next(c for c in data["counties"] if c["code"] == "CJ")
    assert cluj["counted"] == 2 and len(data["counties"]) == 42
    assert data["updated_at"].endswith("Z")
    assert "max-age=10" in resp.headers["Cache-Control"]
    etag = resp.headers["ETag"]
    again = client.get("/api/v1/counter", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    count(app, world.children[1], "y = 2\n")
    changed = client.get("/api/v1/counter", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["national"]["counted"] == 3


def test_embed_is_frameable_without_inline_script(app, client, world):
    count(app, world.children[0], "x = 1\n")
    resp = client.get("/counter/embed")
    assert resp.status_code == 200
    assert "X-Frame-Options" not in resp.headers
    assert "frame-ancestors *" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    assert 'id="embed-total"' in html and ">1<" in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    assert 'data-interval="10000"' in html


def test_dashboard_national_shows_total_counties_clubs_and_charts(app, client, world, login):
    count(app, world.children[0], "x = 1\nprint(x)\n")
    with app.app_context():
        nat = db.session.get(User, world.national_coordinator)
        service.record_adjustment(nat, scope=NATION, amount=3_000_000, day=date(2024, 1, 1),
                                  reason="history")
    login(world.national_coordinator)
    html = client.get("/coordonare/contor").get_data(as_text=True)
    assert 'id="counter-total">2<' in html
    assert "3,000,000" in html  # the historical lines, apart
    assert "Clubul Bufnițelor" in html  # a club in Alba, too
    assert 'class="counter-map"' in html and "<rect" in html


def test_a_county_coordinator_sees_their_county(app, client, world, login):
    count(app, world.children[0], "x = 1\n")
    login(world.county_coordinator)
    html = client.get("/coordonare/contor").get_data(as_text=True)
    assert "Clubul Albinelor" in html and "Clubul Bufnițelor" not in html
    assert "Alba" not in client.get("/coordonare/contor/judete.csv").get_data(as_text=True)


def test_clubs_sort_and_csv(app, client, world, login):
    count(app, world.other_children[0], "a = 1\nb = 2\n")
    count(app, world.children[0], "x = 1\n")
    with app.app_context():
        db.session.get(Club, world.far_club).name = "=cmd|' /C calc'!A0"
        db.session.commit()
    login(world.national_coordinator)
    html = client.get("/coordonare/contor?sort=lines").get_data(as_text=True)
    assert html.index("Clubul Vulpilor") < html.index("Clubul Albinelor")
    by_name = client.get("/coordonare/contor?sort=name").get_data(as_text=True)
    assert by_name.index("Clubul Albinelor") < by_name.index("Clubul Vulpilor")
    resp = client.get("/coordonare/contor/cluburi.csv")
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    rows = [r.split(",") for r in text.strip().splitlines()]
    assert rows[0][:5] == ["club_id", "club", "town", "county", "counted_lines"]
    vulpi = next(r for r in rows if r[1] == "Clubul Vulpilor")
    assert vulpi[4] == "2" and vulpi[7] == "1"  # lines, active children this week
    assert "'=cmd" in text  # a formula stays text
    for path in ("judete.csv", "evolutie.csv", "ajustari.csv"):
        assert client.get(f"/coordonare/contor/{path}").mimetype == "text/csv"


def test_adjustment_form_records_and_refuses_out_of_scope(app, client, world, login):
    login(world.national_coordinator)
    resp = client.post("/coordonare/contor/ajustari", data={
        "scope": "nation", "amount": "3000000", "day": "2024-06-01",
        "reason": "The initiative's historical total"})
    assert resp.status_code == 302
    page = client.get("/coordonare/contor/ajustari").get_data(as_text=True)
    assert "The initiative&#39;s historical total" in page and "coord.national" in page
    login(world.county_coordinator)
    far = client.post("/coordonare/contor/ajustari", data={
        "scope": "club", "club_id": str(world.far_club), "amount": "10", "day": "2024-06-01",
        "reason": "not my county"})
    assert far.status_code == 400
    nation = client.post("/coordonare/contor/ajustari", data={
        "scope": "nation", "amount": "10", "day": "2024-06-01", "reason": "no"})
    assert nation.status_code == 400
    with app.app_context():
        assert len(db.session.scalars(select(Adjustment)).all()) == 1


def test_librarian_sees_the_club_lines(app, client, world, login):
    count(app, world.children[0], "x = 1\nprint(x)\n")
    login(world.librarian)
    html = client.get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert 'id="lines-h"' in html
    assert re.search(r'big-number">2</span>\s*lines written', html)
