"""Club meetings: attendance from logins (editable), what was done, the monthly report,
and that another club's librarian reaches none of it."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from codekids import db
from codekids.accounts.models import LoginAttempt, User
from codekids.clubs.models import FROM_LIBRARIAN, FROM_LOGIN, Attendance, Club, ClubSession
from codekids.counter.models import CountedLine
from codekids.db import utcnow
from codekids.following import service as meetings
from codekids.learning.models import SUBMIT, Submission
from codekids.learning.service import count_lines


def login_at(child_id: int, at: datetime, *, ok: bool = True) -> None:
    child = db.session.get(User, child_id)
    db.session.add(LoginAttempt(user_id=child.id, club_id=child.club_id, address="10.0.0.1",
                                succeeded=ok, at=at))
    db.session.commit()


def solve(child_id: int, source: str, *, exercise: str = "hello", at: datetime | None = None,
          solved: bool = True) -> int:
    """A graded submission made directly (no sandbox), counted like the real one."""
    child = db.session.get(User, child_id)
    sub = Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                     exercise_id=exercise, source=source, solved=solved,
                     status="passed" if solved else "failed", created_at=at or utcnow())
    db.session.add(sub)
    n = count_lines(sub, starter="", cap=20)
    db.session.commit()
    return n


def start(world, at: datetime | None = None) -> ClubSession:
    club = db.session.get(Club, world.club)
    return meetings.start_session(club, db.session.get(User, world.librarian), at=at)


# ---- service ---------------------------------------------------------------------------


def test_one_meeting_at_a_time_and_ending_twice_is_refused(session, world):
    meeting = start(world)
    with pytest.raises(meetings.MeetingError) as err:
        start(world)
    assert err.value.code == "already_open"
    meetings.end_session(meeting)
    assert meeting.ended_at is not None
    with pytest.raises(meetings.MeetingError):
        meetings.end_session(meeting)
    # Once ended, a new meeting may start.
    assert start(world).id != meeting.id


def test_attendance_comes_from_this_clubs_logins_during_the_meeting(session, world):
    ana, mihai, ioana = world.children
    t0 = utcnow() - timedelta(hours=2)
    meeting = start(world, at=t0)
    login_at(ana, t0 + timedelta(minutes=5))
    login_at(mihai, t0 - timedelta(minutes=30))  # before the meeting: not counted
    login_at(ioana, t0 + timedelta(minutes=6), ok=False)  # a wrong secret is no attendance
    login_at(world.other_children[0], t0 + timedelta(minutes=7))  # another club
    rows = {r.child.id: r for r in meetings.attendance(meeting)}
    assert set(rows) == set(world.children)
    assert rows[ana].present and rows[ana].source == FROM_LOGIN
    assert not rows[mihai].present and not rows[ioana].present
    assert meetings.present_ids(meeting) == {ana}


def test_ending_writes_the_logins_down_and_the_librarians_mark_wins(session, world):
    ana, mihai, ioana = world.children
    t0 = utcnow() - timedelta(hours=2)
    meeting = start(world, at=t0)
    login_at(ana, t0 + timedelta(minutes=1))
    login_at(mihai, t0 + timedelta(minutes=2))
    meetings.mark(meeting, mihai, False)  # logged in from home, say
    meetings.mark(meeting, ioana, True)  # came, never logged in
    meetings.end_session(meeting, at=t0 + timedelta(hours=1))
    stored = {a.child_id: (a.present, a.source) for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == meeting.id))}
    assert stored == {ana: (True, FROM_LOGIN), mihai: (False, FROM_LIBRARIAN),
                      ioana: (True, FROM_LIBRARIAN)}
    assert meetings.present_ids(meeting) == {ana, ioana}
    # A login after the meeting ended changes nothing.
    login_at(mihai, t0 + timedelta(hours=1, minutes=5))
    assert meetings.present_ids(meeting) == {ana, ioana}


def test_marking_a_child_of_another_club_is_refused(session, world):
    meeting = start(world)
    for bad in (world.other_children[0], world.librarian, "x", None, 999999):
        with pytest.raises(meetings.MeetingError):
            meetings.mark(meeting, bad, True)
    assert db.session.scalar(select(Attendance.id)) is None


def test_what_was_solved_and_written_in_the_meeting_window(session, world):
    ana, mihai, _ioana = world.children
    before = solve(ana, 'print("Bună ziua!")\nx = 1\n', exercise="before")
    assert before == 2
    meeting = start(world, at=utcnow())
    assert solve(ana, 'print("Bună ziua!")\n') == 1
    assert solve(ana, 'print("Bună ziua!")\n') == 0  # re-solved: not a new exercise
    assert solve(mihai, 'print("Bună ziua!")\ny = 2\n') == 2
    solve(mihai, "print(1)\n", exercise="other", solved=False)
    solve(world.other_children[0], 'print("Bună ziua!")\n')  # another club
    work = meetings.session_work(meeting)
    assert work.lines == 3
    assert sorted((s.child, s.exercise_id) for s in work.solved) == [
        ("Ana", "hello"), ("Mihai", "hello")]


def test_the_monthly_report_counts_meetings_children_exercises_and_lines(session, world):
    ana, mihai, ioana = world.children
    year, month = meetings.this_month()
    first, _end = meetings.month_bounds(year, month)
    one = start(world, at=first + timedelta(hours=10))
    login_at(ana, first + timedelta(hours=10, minutes=5))
    login_at(mihai, first + timedelta(hours=10, minutes=6))
    meetings.end_session(one, at=first + timedelta(hours=12))
    two = start(world, at=first + timedelta(days=1, hours=10))
    meetings.mark(two, ana, True)
    meetings.mark(two, ioana, True)
    meetings.end_session(two, at=first + timedelta(days=1, hours=12))
    # A meeting of the month before is not in this month's report.
    older = start(world, at=first - timedelta(days=3))
    meetings.mark(older, ioana, True)
    meetings.end_session(older, at=first - timedelta(days=3) + timedelta(hours=1))
    solve(ana, 'print("Bună ziua!")\nx = 1\n')
    solve(mihai, 'print("Bună ziua!")\n', exercise="other")

    report = meetings.month_report(db.session.get(Club, world.club), year, month)
    assert report.sessions_held == 2
    assert [line.present for line in report.sessions] == [2, 2]
    assert report.children_attending == 3
    assert report.exercises_solved == 2
    assert report.lines == 3
    other = db.session.get(Club, world.other_club)
    assert meetings.month_report(other, year, month).sessions_held == 0


def test_month_bounds_are_romanian_months_in_utc(session):
    start_, end = meetings.month_bounds(2026, 7)  # summer: UTC+3
    assert start_ == datetime(2026, 6, 30, 21, 0) and end == datetime(2026, 7, 31, 21, 0)
    start_, end = meetings.month_bounds(2026, 12)  # winter: UTC+2, and the year turns
    assert start_ == datetime(2026, 11, 30, 22, 0) and end == datetime(2026, 12, 31, 22, 0)
    with pytest.raises(meetings.MeetingError):
        meetings.month_bounds(2026, 13)


# ---- pages -----------------------------------------------------------------------------


def _meeting_id(app, club_id):
    with app.app_context():
        return db.session.scalar(select(ClubSession.id).where(ClubSession.club_id == club_id))


def test_librarian_starts_marks_and_ends_a_meeting(app, client, world, login):
    login(world.librarian)
    resp = client.post(f"/cluburi/{world.club}/intalniri/incepe")
    assert resp.status_code == 302
    sid = _meeting_id(app, world.club)
    assert resp.headers["Location"].endswith(f"/cluburi/{world.club}/intalniri/{sid}")
    page = client.get(f"/cluburi/{world.club}/intalniri/{sid}").get_data(as_text=True)
    assert "Who came" in page and "Ana" in page and "End the meeting" in page
    resp = client.post(f"/cluburi/{world.club}/intalniri/{sid}/prezenta",
                       data={"child_id": world.children[1], "present": "1"})
    assert resp.status_code == 302
    page = client.get(f"/cluburi/{world.club}/intalniri/{sid}").get_data(as_text=True)
    assert "marked by you" in page
    assert client.post(f"/cluburi/{world.club}/intalniri/{sid}/incheie").status_code == 302
    page = client.get(f"/cluburi/{world.club}/intalniri/{sid}").get_data(as_text=True)
    assert "End the meeting" not in page
    listing = client.get(f"/cluburi/{world.club}/intalniri").get_data(as_text=True)
    assert "Start a meeting now" in listing


def test_report_page_and_csv(app, client, world, login):
    with app.app_context():
        meeting = start(world, at=utcnow() - timedelta(seconds=5))
        meetings.mark(meeting, world.children[0], True)
        solve(world.children[0], 'print("Bună ziua!")\nx = 1\n')
        meetings.end_session(meeting)
        year, month = meetings.this_month()
    login(world.librarian)
    resp = client.get(f"/cluburi/{world.club}/raport")
    assert resp.status_code == 302 and f"/raport/{year}/{month}" in resp.headers["Location"]
    page = client.get(f"/cluburi/{world.club}/raport/{year}/{month}").get_data(as_text=True)
    assert 'id="sessions-held">1<' in page and 'id="lines-written">2<' in page
    resp = client.get(f"/cluburi/{world.club}/raport/{year}/{month}.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = read_csv(resp)
    assert rows[0] == ["Kind of row", "Date", "Start time", "End time", "Meetings held",
                       "Children present", "Exercises solved", "Lines written"]
    assert rows[1][0] == "meeting" and rows[1][4:] == ["1", "1", "1", "2"]
    assert rows[-1] == ["whole month", f"{year:04d}-{month:02d}", "", "", "1", "1", "1", "2"]
    assert client.get(f"/cluburi/{world.club}/raport/{year}/13").status_code == 404


def read_csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def reads_in(client, locale: str) -> None:
    with client.session_transaction() as sess:
        sess["locale"] = locale


# The README's table of the report's columns says the same, in this order.
REPORT_HEADERS = {
    "ro": ["Tipul rândului", "Data", "Ora de început", "Ora de sfârșit", "Întâlniri ținute",
           "Copii prezenți", "Exerciții rezolvate", "Linii de cod scrise"],
    "hu": ["A sor fajtája", "Dátum", "Kezdés", "Befejezés", "Megtartott foglalkozások",
           "Jelen lévő gyerekek", "Megoldott feladatok", "Megírt kódsorok"],
    "en": ["Kind of row", "Date", "Start time", "End time", "Meetings held",
           "Children present", "Exercises solved", "Lines written"],
}
ROW_WORDS = {"ro": ("întâlnire", "toată luna"), "hu": ("foglalkozás", "egész hónap"),
             "en": ("meeting", "whole month")}


@pytest.mark.parametrize("locale", ["ro", "hu", "en"])
def test_report_csv_speaks_the_readers_language_in_a_fixed_column_order(
        app, client, world, login, locale):
    with app.app_context():
        # A meeting of 14:00-15:30 Bucharest time (winter: UTC+2) on 4 December 2026.
        meeting = start(world, at=datetime(2026, 12, 4, 12, 0))
        meetings.mark(meeting, world.children[0], True)
        meetings.mark(meeting, world.children[1], True)
        solve(world.children[0], 'x = 1\nprint(x)\nprint(x + 1)\n',
              at=datetime(2026, 12, 4, 12, 30))
        # The ledger's own time: counted during the meeting, not at the test's hour.
        db.session.execute(update(CountedLine).values(counted_at=datetime(2026, 12, 4, 12, 30)))
        meetings.end_session(meeting, at=datetime(2026, 12, 4, 13, 30))
    login(world.librarian)
    reads_in(client, locale)
    rows = read_csv(client.get(f"/cluburi/{world.club}/raport/2026/12.csv"))
    meeting_word, month_word = ROW_WORDS[locale]
    assert rows == [
        REPORT_HEADERS[locale],
        [meeting_word, "2026-12-04", "14:00", "15:30", "1", "2", "1", "3"],
        [month_word, "2026-12", "", "", "1", "2", "1", "3"],
    ]


@pytest.mark.parametrize("locale, month_name", [
    ("ro", "decembrie 2026"), ("hu", "2026. december"), ("en", "December 2026")])
def test_report_names_its_month_in_the_readers_language(client, world, login, locale,
                                                         month_name):
    login(world.librarian)
    reads_in(client, locale)
    page = client.get(f"/cluburi/{world.club}/raport/2026/12").get_data(as_text=True)
    assert f": {month_name}</h1>" in page and f": {month_name} · " in page
    assert "12.2026" not in page


def test_another_clubs_librarian_reaches_none_of_club_as_meetings(app, client, world, login):
    with app.app_context():
        meeting = start(world)
        sid = meeting.id
    year, month = 2026, 11
    login(world.other_librarian)
    a = f"/cluburi/{world.club}"
    for url in (f"{a}/intalniri", f"{a}/intalniri/{sid}", f"{a}/raport",
                f"{a}/raport/{year}/{month}", f"{a}/raport/{year}/{month}.csv"):
        assert client.get(url).status_code == 403, url
    for url in (f"{a}/intalniri/incepe", f"{a}/intalniri/{sid}/incheie",
                f"{a}/intalniri/{sid}/prezenta"):
        assert client.post(url, data={"child_id": world.children[0], "present": "1"}
                           ).status_code == 403, url
    # Their own club in the URL does not open club A's meeting either.
    b = f"/cluburi/{world.other_club}"
    assert client.get(f"{b}/intalniri/{sid}").status_code == 404
    assert client.post(f"{b}/intalniri/{sid}/incheie").status_code == 404
    assert client.post(f"{b}/intalniri/{sid}/prezenta",
                       data={"child_id": world.children[0], "present": "0"}).status_code == 404
    # Nor may a child of club A be marked in club B's meeting.
    client.post(f"{b}/intalniri/incepe")
    own = _meeting_id(app, world.other_club)
    assert client.post(f"{b}/intalniri/{own}/prezenta",
                       data={"child_id": world.children[0], "present": "1"}).status_code == 404
    with app.app_context():
        assert db.session.get(ClubSession, sid).ended_at is None
        assert db.session.scalar(select(Attendance.id)) is None
