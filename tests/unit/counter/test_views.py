"""The dashboard, its CSV downloads, the adjustments page, the public API and the embed."""

import csv
import io
import re
from datetime import date
from pathlib import Path

from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.counter import service
from codekids.counter.models import NATION, Adjustment
from codekids.learning.models import SUBMIT, Submission
from codekids.learning.service import count_lines


def count(app, child_id, source, exercise="ex1"):
    with app.app_context():
        child = db.session.get(User, child_id)
        sub = Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                         exercise_id=exercise, source=source, status="passed", solved=True)
        db.session.add(sub)
        n = count_lines(sub, starter="", cap=10)
        db.session.commit()
        return n


def test_api_gives_totals_with_etag_and_304(app, client, world):
    count(app, world.children[0], "x = 1\nprint(x)\n")
    resp = client.get("/api/v1/counter")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["national"] == {"counted": 2, "historical": 0, "total": 2,
                                "on_site": 2, "synced": 0}  # split by source (issue 19)
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
    assert 'id="counter-total">3,000,002<' in html  # the total first
    assert "2 lines counted on this platform" in html  # then what it is made of
    assert "3,000,000 lines written before the platform existed" in html
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
    assert rows[0][:5] == ["Club number", "Club", "Town", "County",
                           "Lines counted on the platform"]
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


# ---- languages, the embed's words, the map's legend and the charts' axes -------------

RO_MONTHS = ("ianuarie|februarie|martie|aprilie|mai|iunie|iulie|august|septembrie|"
             "octombrie|noiembrie|decembrie")


def historical(app, world, amount=3_000_000):
    with app.app_context():
        nat = db.session.get(User, world.national_coordinator)
        service.record_adjustment(nat, scope=NATION, amount=amount, day=date(2024, 1, 1),
                                  reason="the initiative's total before the platform")


def test_embed_is_romanian_by_default_with_its_date_link_and_total_first(app, client, world):
    count(app, world.children[0], "x = 1\n")
    historical(app, world)
    resp = client.get("/counter/embed")
    html = resp.get_data(as_text=True)
    assert '<html lang="ro">' in html
    assert "Linii de cod scrise de copiii din România" in html
    assert re.search(rf'id="embed-date">la \d{{1,2}} ({RO_MONTHS}) 20\d\d<', html)
    assert 'id="embed-total">3.000.001<' in html
    total = html.index('id="embed-total"')
    assert total < html.index("1 linie numărată pe această platformă")
    assert total < html.index("3.000.000 de linii scrise înainte să existe platforma")
    assert "Istoric" not in html and "ajustări" not in html
    assert re.search(r'<a href="http://localhost/" target="_blank" rel="noopener">', html)
    assert "Accept-Language" in resp.headers["Vary"]


def test_embed_follows_lang_then_accept_language(app, client, world):
    historical(app, world, 2_500_000)
    hu = client.get("/counter/embed?lang=hu", headers={"Accept-Language": "en"})
    html = hu.get_data(as_text=True)
    assert '<html lang="hu">' in html and "Romániai gyerekek által írt kódsorok" in html
    assert re.search(r'id="embed-date">20\d\d\. \w+ \d{1,2}\. állapot szerint<', html)
    assert 'id="embed-total">2\xa0500\xa0000<' in html
    # The refresh asks for the same language.
    assert 'data-refresh="/counter/embed?lang=hu"' in html
    en = client.get("/counter/embed", headers={"Accept-Language": "en-GB,en;q=0.9,ro;q=0.5"})
    html = en.get_data(as_text=True)
    assert '<html lang="en">' in html and "Lines of code written by children in Romania" in html
    assert re.search(r'id="embed-date">as of [A-Z][a-z]+ \d{1,2}, 20\d\d<', html)
    assert 'id="embed-total">2,500,000<' in html
    assert "2,500,000 lines written before the platform existed" in html
    unknown = client.get("/counter/embed?lang=xx", headers={"Accept-Language": "de, fr"})
    assert '<html lang="ro">' in unknown.get_data(as_text=True)
    # A logged-in reader's own language does not leak into a publicly cached answer.
    with client.session_transaction() as sess:
        sess["locale"] = "hu"
    assert '<html lang="ro">' in client.get("/counter/embed").get_data(as_text=True)


def test_embed_answers_304_while_the_figures_do_not_change(app, client, world):
    first = client.get("/counter/embed?lang=en")
    etag = first.headers["ETag"]
    again = client.get("/counter/embed?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    count(app, world.children[0], "x = 1\n")
    changed = client.get("/counter/embed?lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and 'id="embed-total">1<' in changed.get_data(as_text=True)


def test_dashboard_takes_lang_and_keeps_the_switch_working(app, client, world, login):
    login(world.national_coordinator)
    html = client.get("/coordonare/contor?lang=hu").get_data(as_text=True)
    assert '<html lang="hu">' in html and "Romániai gyerekek által írt kódsorok" in html
    assert 'name="next" value="/coordonare/contor?sort=lines"' in html
    assert "/coordonare/contor/judete.csv?lang=hu" in html
    assert '<html lang="en">' in client.get("/coordonare/contor").get_data(as_text=True)


def test_map_has_a_legend_and_charts_have_labelled_axes(app, client, world, login):
    for i, child in enumerate(world.children):
        count(app, child, "".join(f"v{i}_{k} = {k}\n" for k in range(i + 1)), exercise=f"e{i}")
    count(app, world.other_children[0], "a = 1\nb = 2\nc = 3\nd = 4\n", exercise="e9")
    login(world.national_coordinator)
    html = client.get("/coordonare/contor?lang=ro").get_data(as_text=True)
    legend = html[html.index('id="map-legend"'):html.index("</ul>", html.index('id="map-legend"'))]
    assert "încă nicio linie" in legend and "shade-0" in legend and "shade-5" in legend
    assert "Linii numărate pe platformă, pe județe" in html
    for chart_title in ("Linii de cod", "Ziua", "Săptămâna (de luni)"):
        assert 'class="axis-title"' in html and f">{chart_title}</text>" in html
    assert re.search(r'text-anchor="end" dominant-baseline="middle">10</text>', html)  # top tick
    assert "Harta județelor:" in html and "creativecommons.org/licenses/by/4.0" in html
    assert "@svg-maps" not in html and "npm" not in html


def test_legend_ranges_are_exactly_the_shades_of_the_map():
    from codekids.counter.views import map_legend, shade_of

    for top in range(0, 80):
        rows = [service.CountyRow(1, "AB", "Alba", top, 0)]
        steps = map_legend(rows)
        assert steps[0].shade == 0
        for n in range(1, top + 1):
            holding = [s for s in steps[1:] if s.low <= n <= s.high]
            assert len(holding) == 1 and holding[0].shade == shade_of(n, top), (top, n)
        covered = sum(s.high - s.low + 1 for s in steps[1:])
        assert covered == top


CSV_FILES = ("judete.csv", "cluburi.csv", "evolutie.csv", "ajustari.csv")


def documented_columns() -> dict[str, list[str]]:
    """The column order README.md promises, by file name."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### CSV files of the counter"):]
    columns = {}
    for line in section.splitlines():
        m = re.match(r"\| `/coordonare/contor/([a-z]+\.csv)` \| (.+) \|$", line)
        if m:
            columns[m.group(1)] = m.group(2).split(" · ")
    return columns


def header(client, path):
    text = client.get(f"/coordonare/contor/{path}").get_data(as_text=True).lstrip("\ufeff")
    return next(csv.reader(io.StringIO(text)))


def test_csv_columns_are_the_documented_ones_in_the_documented_order(client, world, login):
    documented = documented_columns()
    assert sorted(documented) == sorted(CSV_FILES)
    login(world.national_coordinator)
    for path in CSV_FILES:
        assert header(client, f"{path}?lang=en") == documented[path], path


def test_csv_header_rows_are_in_the_readers_language(app, client, world, login):
    historical(app, world, 10)
    login(world.national_coordinator)
    assert header(client, "judete.csv?lang=ro") == [
        "Cod județ", "Județ", "Linii numărate pe platformă", "Linii de dinainte de platformă",
        "Toate liniile"]
    assert header(client, "judete.csv?lang=hu") == [
        "Megyekód", "Megye", "A platformon számolt sorok", "A platform előtti sorok",
        "Összes sor"]
    assert header(client, "cluburi.csv?lang=hu")[-2:] == [
        "Az elmúlt 7 napban aktív gyerekek", "Utolsó tevékenység"]
    assert header(client, "evolutie.csv?lang=ro") == [
        "Perioada", "Prima zi", "Linii numărate pe platformă"]
    # Without ?lang= the coordinator's own language (English in these tests).
    assert header(client, "judete.csv")[0] == "County code"
    text = client.get("/coordonare/contor/ajustari.csv?lang=ro").get_data(as_text=True)
    row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert row[1] == "Toată țara" and row[4] == "10"
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+0[23]:00", row[8])
