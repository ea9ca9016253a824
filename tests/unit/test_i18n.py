"""codekids.i18n: plural forms, numbers, dates and times in the reader's language and the
site's time zone, and one word per meaning (issue 16, points 3, 5 and 7)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale, gettext, ngettext

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.following import service as meetings
from codekids.i18n import format_number, iso_local, local_time, to_utc
from codekids.settings import Settings, SettingsError

COUNTS = (0, 1, 2, 19, 20, 101)


def ro_form(n: int) -> int:
    """The Plural-Forms formula of Romanian (CLDR): 1 | 0, 2-19, 101-119 … | 20-100, …"""
    return 0 if n == 1 else 1 if (n == 0 or 0 < n % 100 < 20) else 2


# Every noun the site counts: (singular msgid, plural msgid) -> the text per language,
# "{n}" for the number. Romanian has three forms, English two, Hungarian one (a
# Hungarian noun after a number stays singular: "20 feladat").
COUNTED = {
    ("%(num)s meeting held", "%(num)s meetings held"): {
        "ro": ["{n} întâlnire ținută", "{n} întâlniri ținute", "{n} de întâlniri ținute"],
        "en": ["{n} meeting held", "{n} meetings held"],
        "hu": ["{n} megtartott foglalkozás"]},
    ("%(num)s child came at least once", "%(num)s children came at least once"): {
        "ro": ["{n} copil a venit cel puțin o dată", "{n} copii au venit cel puțin o dată",
               "{n} de copii au venit cel puțin o dată"],
        "en": ["{n} child came at least once", "{n} children came at least once"],
        "hu": ["{n} gyerek jött el legalább egyszer"]},
    ("%(num)s exercise solved this month", "%(num)s exercises solved this month"): {
        "ro": ["{n} exercițiu rezolvat luna aceasta", "{n} exerciții rezolvate luna aceasta",
               "{n} de exerciții rezolvate luna aceasta"],
        "en": ["{n} exercise solved this month", "{n} exercises solved this month"],
        "hu": ["{n} megoldott feladat ebben a hónapban"]},
    ("%(num)s line of code written this month", "%(num)s lines of code written this month"): {
        "ro": ["{n} linie de cod scrisă luna aceasta", "{n} linii de cod scrise luna aceasta",
               "{n} de linii de cod scrise luna aceasta"],
        "en": ["{n} line of code written this month", "{n} lines of code written this month"],
        "hu": ["{n} megírt kódsor ebben a hónapban"]},
    ("%(num)s child present", "%(num)s children present"): {
        "ro": ["{n} copil prezent", "{n} copii prezenți", "{n} de copii prezenți"],
        "en": ["{n} child present", "{n} children present"],
        "hu": ["{n} jelen lévő gyerek"]},
    ("%(num)s exercise solved", "%(num)s exercises solved"): {
        "ro": ["{n} exercițiu rezolvat", "{n} exerciții rezolvate", "{n} de exerciții rezolvate"],
        "en": ["{n} exercise solved", "{n} exercises solved"],
        "hu": ["{n} megoldott feladat"]},
    ("%(num)s line of code written", "%(num)s lines of code written"): {
        "ro": ["{n} linie de cod scrisă", "{n} linii de cod scrise", "{n} de linii de cod scrise"],
        "en": ["{n} line of code written", "{n} lines of code written"],
        "hu": ["{n} megírt kódsor"]},
    ("%(num)s line written by the club's children",
     "%(num)s lines written by the club's children"): {
        "ro": ["{n} linie de cod scrisă de copiii clubului", "{n} linii de cod scrise de copiii clubului",
               "{n} de linii de cod scrise de copiii clubului"],
        "en": ["{n} line written by the club's children", "{n} lines written by the club's children"],
        "hu": ["{n} kódsort írtak a klub gyerekei"]},
    ("%(num)s club", "%(num)s clubs"): {
        "ro": ["{n} club", "{n} cluburi", "{n} de cluburi"],
        "en": ["{n} club", "{n} clubs"],
        "hu": ["{n} klub"]},
    ("%(num)s librarian", "%(num)s librarians"): {
        "ro": ["{n} bibliotecar", "{n} bibliotecari", "{n} de bibliotecari"],
        "en": ["{n} librarian", "{n} librarians"],
        "hu": ["{n} könyvtáros"]},
    ("%(num)s child with an active account", "%(num)s children with an active account"): {
        "ro": ["{n} copil cu cont activ", "{n} copii cu cont activ", "{n} de copii cu cont activ"],
        "en": ["{n} child with an active account", "{n} children with an active account"],
        "hu": ["{n} gyerek aktív fiókkal"]},
    ("%(num)s failed try in a row", "%(num)s failed tries in a row"): {
        "ro": ["{n} încercare greșită la rând", "{n} încercări greșite la rând",
               "{n} de încercări greșite la rând"],
        "en": ["{n} failed try in a row", "{n} failed tries in a row"],
        "hu": None},  # Hungarian: written by the Hungarian translators, checked for its number only
    ("trying for %(num)s minute without a pass", "trying for %(num)s minutes without a pass"): {
        "ro": ["{n} minut de încercări fără reușită", "{n} minute de încercări fără reușită",
               "{n} de minute de încercări fără reușită"],
        "en": ["trying for {n} minute without a pass", "trying for {n} minutes without a pass"],
        "hu": ["{n} perce próbálkozik eredmény nélkül"]},
    ("%(num)s letter", "%(num)s letters"): {
        "ro": ["{n} literă", "{n} litere", "{n} de litere"], "en": ["{n} letter", "{n} letters"],
        "hu": ["{n} betű"]},
    ("%(num)s nickname", "%(num)s nicknames"): {
        "ro": ["{n} poreclă", "{n} porecle", "{n} de porecle"],
        "en": ["{n} nickname", "{n} nicknames"], "hu": ["{n} becenév"]},
    ("%(num)s try", "%(num)s tries"): {
        "ro": ["{n} încercare", "{n} încercări", "{n} de încercări"],
        "en": ["{n} try", "{n} tries"], "hu": None},
    ("%(num)s child", "%(num)s children"): {
        "ro": ["{n} copil", "{n} copii", "{n} de copii"],
        "en": ["{n} child", "{n} children"], "hu": None},
    ("+%(num)s line of code for you!", "+%(num)s lines of code for you!"): {
        "ro": ["+{n} linie de cod pentru tine!", "+{n} linii de cod pentru tine!",
               "+{n} de linii de cod pentru tine!"],
        "en": ["+{n} line of code for you!", "+{n} lines of code for you!"], "hu": None},
    ("Now you have %(num)s line of code in all.", "Now you have %(num)s lines of code in all."): {
        "ro": ["Acum ai în total {n} linie de cod.", "Acum ai în total {n} linii de cod.",
               "Acum ai în total {n} de linii de cod."],
        "en": ["Now you have {n} line of code in all.", "Now you have {n} lines of code in all."],
        "hu": None},
}


def _form(locale: str, n: int) -> int:
    return {"ro": ro_form(n), "en": 0 if n == 1 else 1, "hu": 0}[locale]


def test_plural_forms_headers(app):
    from babel.messages.pofile import read_po

    from codekids import ROOT

    def header(locale):
        path = ROOT / "platform/codekids/translations" / locale / "LC_MESSAGES/messages.po"
        with open(path, "rb") as fh:
            return read_po(fh, locale=locale).plural_forms

    assert header("ro") == ("nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20))"
                            " ? 1 : 2);")
    assert header("hu") == "nplurals=1; plural=0;"
    assert header("en") == "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize("locale", ["ro", "en", "hu"])
@pytest.mark.parametrize("ids", list(COUNTED), ids=lambda ids: ids[0])
def test_every_counted_noun_in_every_language(app, locale, ids):
    """0, 1, 2, 19, 20, 101 of each noun, through the templates' ngettext (the pages' path)."""
    forms = COUNTED[ids][locale]
    with app.test_request_context(), force_locale(locale):
        for n in COUNTS:
            text = render_template_string("{{ ngettext(s, p, n) }}", s=ids[0], p=ids[1], n=n)
            if forms is None:
                assert str(n) in text and text != ids[n != 1].replace("%(num)s", str(n))
            else:
                assert text == forms[_form(locale, n)].format(n=n), (locale, n)


def test_romanian_says_the_plural_forms_out_loud(app):
    with app.test_request_context(), force_locale("ro"):
        said = {n: ngettext("%(num)s meeting held", "%(num)s meetings held", n)
                for n in COUNTS}
    assert said == {0: "0 întâlniri ținute", 1: "1 întâlnire ținută", 2: "2 întâlniri ținute",
                    19: "19 întâlniri ținute", 20: "20 de întâlniri ținute",
                    101: "101 întâlniri ținute"}


def test_big_number_keeps_the_noun_in_step_and_the_locale_format(app):
    page = ('{% import "macros.html" as m %}'
            '{{ ngettext("%(num)s meeting held", "%(num)s meetings held", n, '
            'num=m.big_number(n, "held")) }}')
    with app.test_request_context():
        with force_locale("ro"):
            assert render_template_string(page, n=3_000_000) == (
                '<span class="big-number" id="held">3.000.000</span> de întâlniri ținute')
            assert render_template_string(page, n=1) == (
                '<span class="big-number" id="held">1</span> întâlnire ținută')
        with force_locale("hu"):
            assert render_template_string(page, n=3_000_000) == (
                '<span class="big-number" id="held">3\xa0000\xa0000</span> megtartott foglalkozás')
        with force_locale("en"):
            assert render_template_string(page, n=3_000_000) == (
                '<span class="big-number" id="held">3,000,000</span> meetings held')


def test_numbers_in_each_language(app):
    with app.test_request_context():
        said = {}
        for locale in ("ro", "hu", "en"):
            with force_locale(locale):
                said[locale] = format_number(3_000_000)
    assert said == {"ro": "3.000.000", "hu": "3\xa0000\xa0000", "en": "3,000,000"}


def _visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_report_page_counts_one_meeting_in_the_singular(app, client, world, login):
    with app.app_context():
        club = db.session.get(Club, world.club)
        meeting = meetings.start_session(club, db.session.get(User, world.librarian),
                                         at=to_utc(datetime(2026, 3, 10, 15, 0)))
        meetings.end_session(meeting, at=to_utc(datetime(2026, 3, 10, 17, 0)))
    login(world.librarian)
    with client.session_transaction() as sess:
        sess["locale"] = "ro"
    text = _visible(client.get(f"/cluburi/{world.club}/raport/2026/3").get_data(as_text=True))
    assert "1 întâlnire ținută" in text
    assert "0 copii au venit cel puțin o dată" in text
    assert "0 linii de cod scrise luna aceasta" in text
    assert "15:00–17:00" in text and "10 mar. 2026" in text


# ---- time ------------------------------------------------------------------------------

# One stored instant (naive UTC), in summer (UTC+3) and winter (UTC+2) in Bucharest.
SUMMER = datetime(2026, 7, 4, 11, 13)
WINTER = datetime(2026, 1, 15, 11, 13)


def _pages_at(app, client, world, login, at: datetime, locale: str = "ro") -> dict[str, str]:
    with app.app_context():
        club = db.session.get(Club, world.club)
        child = db.session.get(User, world.children[0])
        child.last_login_at = at
        db.session.commit()
        meeting = meetings.start_session(club, db.session.get(User, world.librarian), at=at)
        sid = meeting.id
    login(world.librarian)
    with client.session_transaction() as sess:
        sess["locale"] = locale
    urls = {
        "club": f"/cluburi/{world.club}",
        "meetings": f"/cluburi/{world.club}/intalniri",
        "meeting": f"/cluburi/{world.club}/intalniri/{sid}",
        "child": f"/cluburi/copil/{world.children[0]}",
        "report": f"/cluburi/{world.club}/raport/{at.year}/{at.month}",
        "help": f"/cluburi/{world.club}/ajutor",
    }
    pages = {}
    for name, url in urls.items():
        resp = client.get(url)
        assert resp.status_code == 200, url
        pages[name] = _visible(resp.get_data(as_text=True))
    return pages


@pytest.mark.parametrize(("at", "wall"), [(SUMMER, "14:13"), (WINTER, "13:13")],
                         ids=["summer", "winter"])
def test_club_and_meetings_pages_show_the_same_local_hour(app, client, world, login, at, wall):
    pages = _pages_at(app, client, world, login, at)
    assert wall in pages["club"]  # the child's last login
    assert wall in pages["meetings"] and wall in pages["meeting"] and wall in pages["report"]
    assert wall in pages["child"]
    for name, text in pages.items():
        assert "UTC" not in text, name
        assert "11:13" not in text, name


def test_the_time_zone_setting_moves_every_page(app, client, world, login):
    app.config["CODEKIDS"].time_zone = "UTC"
    pages = _pages_at(app, client, world, login, SUMMER)
    for name in ("club", "meetings", "meeting", "child"):
        assert "11:13" in pages[name] and "14:13" not in pages[name], name
        assert "UTC" not in pages[name], name


def test_dates_and_times_in_each_language(app, client, world, login):
    hu = _pages_at(app, client, world, login, SUMMER, locale="hu")
    assert "2026. júl. 4. 14:13" in hu["club"]
    with app.test_request_context(), force_locale("en"):
        assert render_template_string("{{ at|local_datetime }}", at=SUMMER) == (
            "Jul 4, 2026, 2:13\u202fPM")
    with app.test_request_context(), force_locale("ro"):
        assert render_template_string("{{ at|local_datetime }}", at=SUMMER) == "4 iul. 2026, 14:13"
        # Late evening in UTC is already the next day in Bucharest.
        assert render_template_string("{{ at|local_date }}", at=datetime(2026, 7, 4, 22, 30)) == (
            "5 iul. 2026")


def test_local_time_round_trips_across_summer_time(app):
    with app.app_context():
        assert local_time(SUMMER) == datetime(2026, 7, 4, 14, 13)
        assert local_time(WINTER) == datetime(2026, 1, 15, 13, 13)
        assert to_utc(datetime(2026, 7, 4, 14, 13)) == SUMMER
        assert to_utc(datetime(2026, 1, 15, 13, 13)) == WINTER
        # Files for programs: local, with the offset, so the instant is exact.
        assert iso_local(SUMMER) == "2026-07-04T14:13:00+03:00"
        assert iso_local(WINTER) == "2026-01-15T13:13:00+02:00"


def test_time_zone_setting_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEKIDS_TIME_ZONE", "Europe/Budapest")
    assert Settings.from_env().time_zone == "Europe/Budapest"
    monkeypatch.delenv("CODEKIDS_TIME_ZONE")
    assert Settings.from_env().time_zone == "Europe/Bucharest"
    for wrong in ("Mars/Olympus", "../etc/passwd"):
        settings = Settings(time_zone=wrong)
        with pytest.raises(SettingsError, match="CODEKIDS_TIME_ZONE"):
            settings.resolve(tmp_path)


# ---- one word per meaning ---------------------------------------------------------------


@pytest.mark.parametrize(("locale", "stuck_word", "locked_word"),
                         [("ro", "ajutor", "blocat"), ("hu", "akad", "zárol")])
def test_stuck_and_locked_out_are_different_words(app, client, world, login, locale,
                                                   stuck_word, locked_word):
    with app.test_request_context(), force_locale(locale):
        stuck = [gettext("stuck"), gettext("Nobody is stuck right now.")]
        locked = [gettext("Locked out?"), gettext("Locked computers"),
                  gettext("locked until %(time)s, except on computers where this child "
                          "logged in before", time="14:13")]
    assert all(stuck_word in s.lower() and locked_word not in s.lower() for s in stuck), stuck
    assert all(locked_word in s.lower() and stuck_word not in s.lower() for s in locked), locked
    # And on the pages: the help list says "needs help", the club page's column "locked".
    pages = _pages_at(app, client, world, login, SUMMER, locale=locale)
    assert stuck[1] in pages["help"] and locked_word not in pages["help"].lower()
    assert locked[0] in pages["club"]
