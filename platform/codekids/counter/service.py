"""The lines-of-code counter: what counts (DESIGN.md §4), the roll-ups, and the checks.

    count_submission(child_id=..., club_id=..., county_id=..., target=..., source=...,
                     starter=..., cap=..., submission_id=...)  # inside the caller's transaction
    child_total(child), national_summary(), county_rows(), club_rows(...), trend(...)
    record_adjustment(actor, ...)                        # historical lines, audited
    verify(programs=...)                                 # every total against the ledger

The counter takes plain values (ids and strings) and knows nothing of submissions: the
room that keeps them (learning) decides which program works and hands it over, and for
`verify`'s trace it hands back the programs the ledger names (`Program`). So a club
laptop's synced batch can be counted by the same rules without a Submission object.

Concurrency: totals only ever change by adding in the database (``lines = lines + :n``
in an INSERT … ON CONFLICT DO UPDATE, or an UPDATE for adjustments), so two
submissions at once can never lose an increment, and nothing assumes SQLite (both
dialects' upserts). Within one transaction the rows are always touched in the same
order — child, club, county, nation, then the day buckets — so concurrent
submissions cannot deadlock each other.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import BigInteger, Date, DateTime, and_, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from codekids import db
from codekids.accounts.models import CHILD as CHILD_ROLE
from codekids.accounts.models import COORDINATOR, User
from codekids.clubs.models import Club, County
from codekids.collation import sort_key, sorted_by
from codekids.counter.models import (
    CHILD,
    CLUB,
    COUNTY,
    NATION,
    NATION_KEY,
    Adjustment,
    AuditEntry,
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.db import utcnow
from codekids.i18n import local_day

DEFAULT_PLAYGROUND_DAILY_CAP = 200
SCRATCH = "-"  # a playground run that belongs to no saved project


# ---- what counts ----------------------------------------------------------------------


def normalise(line: str) -> str:
    """Whitespace-normalised: every run of whitespace is one space, none at the ends."""
    return " ".join(line.split())


def is_code(normalised: str) -> bool:
    """Not blank, not only a comment."""
    return bool(normalised) and not normalised.startswith("#")


def line_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def countable_lines(source: str, starter: str = "") -> list[str]:
    """The distinct normalised code lines of `source`, in order, without the starter's."""
    given = {normalise(line) for line in (starter or "").splitlines()}
    seen: set[str] = set()
    out = []
    for raw in (source or "").splitlines():
        line = normalise(raw)
        if is_code(line) and line not in given and line not in seen:
            seen.add(line)
            out.append(line)
    return out


# What a line is distinct within: "ex:<exercise id>" (capped per exercise, for good) or
# "pj:<project id>" (capped per project per day); SCRATCH stands for no saved project.
EXERCISE, PROJECT = "ex:", "pj:"


def exercise_target(exercise_id: str) -> str:
    return f"{EXERCISE}{exercise_id}"


def project_target(project_id: int | None) -> str:
    return f"{PROJECT}{project_id if project_id is not None else SCRATCH}"


def _ledger_ids(target: str) -> tuple[str | None, int | None]:
    """The ledger row's (exercise_id, project_id) columns for a target."""
    if target.startswith(EXERCISE):
        return target[len(EXERCISE):], None
    if target.startswith(PROJECT):
        rest = target[len(PROJECT):]
        return None, None if rest == SCRATCH else int(rest)
    raise ValueError(f"not a counter target: {target!r}")


def counter_day(at: datetime | None = None) -> date:
    """The day a line is counted on, in the site's time zone (naive datetimes are UTC)."""
    return local_day(at or utcnow())


def playground_daily_cap() -> int:
    try:
        return int(current_app.config["CODEKIDS"].counter_playground_daily_cap)
    except (RuntimeError, KeyError, AttributeError):
        return DEFAULT_PLAYGROUND_DAILY_CAP


# ---- race-free row creation -----------------------------------------------------------


def _insert_ignore(s: Session, model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING in the database's own dialect. The rows go as
    execution parameters, so the statement is compiled once per engine and taken from
    SQLAlchemy's cache afterwards."""
    _name, insert = _insert_for(s)
    stmt = insert(model.__table__).on_conflict_do_nothing()
    s.execute(stmt, rows[0] if len(rows) == 1 else rows)


def _ensure_totals(s: Session, keys: list[tuple[str, int]]) -> None:
    now = utcnow()
    _insert_ignore(
        s, CounterTotal,
        [{"scope": sc, "key": k, "lines": 0, "adjusted": 0, "updated_at": now} for sc, k in keys],
    )


def _add_to_totals(s: Session, keys: list[tuple[str, int]], *, lines: int = 0,
                   adjusted: int = 0, activity: datetime | None = None) -> None:
    now = utcnow()
    for scope, key in keys:  # always child → club → county → nation (see the module doc)
        values = {"updated_at": now}
        if lines:
            values["lines"] = CounterTotal.lines + lines
        if adjusted:
            values["adjusted"] = CounterTotal.adjusted + adjusted
        if activity is not None:
            values["last_activity_at"] = activity
        s.execute(
            update(CounterTotal)
            .where(CounterTotal.scope == scope, CounterTotal.key == key)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


# ---- counting ---------------------------------------------------------------------------
#
# A solved submission touches the same rows every time, so its statements are built once
# per dialect and then come from SQLAlchemy's statement cache: each is a one-row
# INSERT … ON CONFLICT DO UPDATE that creates a missing row and adds to an existing one,
# sent once per row in a single round trip (executemany), rows in the order given (child,
# club, county, nation). One row's VALUES, never a list of rows: SQLAlchemy cannot make
# a cache key for a multi-row VALUES, and compiled such a statement again on every
# execution (~15 % of a Submit's CPU). Eight statements per counted submission instead of
# seventeen: the national row is a hot row that every counting transaction locks until
# it commits, so fewer statements after it mean a shorter queue behind it.

_statements: dict[tuple, object] = {}


def _insert_for(s: Session):
    name = s.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the site supports these two
        raise NotImplementedError(f"the counter does not know the {name} dialect")
    return name, insert


def _statement(s: Session, kind: str, build):
    """The statement ``build(insert)`` makes for this dialect, built once and kept, so
    SQLAlchemy compiles it once and takes it from its cache afterwards."""
    name, insert = _insert_for(s)
    key = (kind, name)
    stmt = _statements.get(key)
    if stmt is None:
        stmt = _statements[key] = build(insert)
    return stmt


def _upsert_adding(insert, table, row: dict, conflict: list[str], set_) -> object:
    """INSERT row … ON CONFLICT (conflict) DO UPDATE SET set_(table, excluded)."""
    base = insert(table).values(row)
    return base.on_conflict_do_update(index_elements=conflict, set_=set_(table, base.excluded))


def _upsert_totals(s: Session, rows: list[tuple[str, int, int, datetime | None]],
                   now: datetime) -> None:
    """Add ``lines`` to each (scope, key, lines, activity) total, creating missing rows,
    in the order given; ``activity`` (when not None) becomes the row's last_activity_at."""
    stmt = _statement(s, "totals", lambda insert: _upsert_adding(
        insert, CounterTotal.__table__,
        {"scope": bindparam("s"), "key": bindparam("k"),
         "lines": bindparam("n", type_=BigInteger), "adjusted": 0,
         "last_activity_at": bindparam("a", type_=DateTime),
         "updated_at": bindparam("now", type_=DateTime)},
        ["scope", "key"],
        lambda t, new: {"lines": t.c.lines + new.lines,
                        "last_activity_at": func.coalesce(new.last_activity_at,
                                                          t.c.last_activity_at),
                        "updated_at": new.updated_at}))
    s.execute(stmt, [{"s": scope, "k": key, "n": lines, "a": activity, "now": now}
                     for scope, key, lines, activity in rows])


def _upsert_days(s: Session, keys: list[tuple[str, int]], day: date, lines: int) -> None:
    stmt = _statement(s, "days", lambda insert: _upsert_adding(
        insert, CounterDay.__table__,
        {"scope": bindparam("s"), "key": bindparam("k"),
         "day": bindparam("day", type_=Date), "lines": bindparam("n", type_=BigInteger)},
        ["scope", "key", "day"],
        lambda t, new: {"lines": t.c.lines + new.lines}))
    s.execute(stmt, [{"s": scope, "k": key, "day": day, "n": lines} for scope, key in keys])


def _upsert_child_day(s: Session, child_id: int, day: date, club_id: int, lines: int) -> None:
    stmt = _statement(s, "child_day", lambda insert: _upsert_adding(
        insert, ChildDay.__table__,
        {"child_id": bindparam("child_id"), "day": bindparam("day", type_=Date),
         "club_id": bindparam("club_id"), "programs": 1, "lines": bindparam("n")},
        ["child_id", "day"],
        lambda t, new: {"programs": t.c.programs + 1, "lines": t.c.lines + new.lines}))
    s.execute(stmt, {"child_id": child_id, "day": day, "club_id": club_id, "n": lines})


def _insert_ledger(s: Session, rows: list[dict]) -> int:
    """Insert the ledger rows (a row already there is skipped); returns how many went in."""
    stmt = _statement(s, "ledger", lambda insert: insert(CountedLine.__table__)
                      .on_conflict_do_nothing().returning(CountedLine.id))
    return len(s.execute(stmt, rows).all())


def count_submission(*, child_id: int, club_id: int, county_id: int, target: str, source: str,
                     starter: str = "", cap: int | None = None, submission_id: int) -> int:
    """Count the new lines a working program earns; returns how many were counted.

    The caller hands over only programs that work (DESIGN.md §4: a passing graded
    submission, a playground run that finished without error), already saved:
    `submission_id` is the submission every ledger row points back to. `target` is
    `exercise_target(...)` or `project_target(...)`: what a line is distinct within,
    and which cap applies. `cap` is the exercise's `max_lines` for an exercise and the
    per-project daily cap for a project (None: the setting
    CODEKIDS_COUNTER_PLAYGROUND_DAILY_CAP for a project, nothing for an exercise).

    Runs inside the caller's transaction and never commits: the submission, its
    ledger rows and every total are saved together or not at all.
    """
    s = db.session
    exercise_id, project_id = _ledger_ids(target)
    daily = target.startswith(PROJECT)
    if cap is None:
        cap = playground_daily_cap() if daily else 0
    # Whatever else the caller changed first (the submission's INSERT already gave the
    # ledger its id and, on SQLite, took the write lock before anything is read, so the
    # reads below cannot go stale).
    s.flush()
    now = utcnow()
    today = counter_day(now)
    # The child's own total first, created if missing: its row lock (PostgreSQL; SQLite
    # serialises every writer already) serialises one child's submissions, so two tabs
    # submitting the same exercise at once cannot both pass the cap, nor insert the
    # same ledger line.
    _upsert_totals(s, [(CHILD, child_id, 0, now)], now)

    candidates = countable_lines(source, starter)
    hashes = [line_hash(line) for line in candidates]
    fresh: list[str] = []
    if hashes:
        if daily:
            # A project's ledger grows every day: ask only about these lines, and count
            # today's separately for the daily cap.
            known = set(s.scalars(
                select(CountedLine.line_hash).where(
                    CountedLine.child_id == child_id, CountedLine.target == target,
                    CountedLine.line_hash.in_(hashes))))
            already = s.scalar(select(func.count()).select_from(CountedLine).where(
                CountedLine.child_id == child_id, CountedLine.target == target,
                CountedLine.day == today)) or 0
        else:
            # An exercise's ledger for one child is at most its cap: read it whole, which
            # answers both questions at once.
            known = set(s.scalars(
                select(CountedLine.line_hash).where(
                    CountedLine.child_id == child_id, CountedLine.target == target)))
            already = len(known)
        fresh = [h for h in hashes if h not in known][:max(0, cap - already)]

    counted = 0
    if fresh:
        counted = _insert_ledger(s, [
            {"child_id": child_id, "club_id": club_id, "county_id": county_id,
             "target": target, "exercise_id": exercise_id, "project_id": project_id,
             "line_hash": h, "submission_id": submission_id, "day": today,
             "counted_at": now}
            for h in fresh
        ])

    # The child's day (their own row) before the shared rows, so the club, county and
    # national rows stay locked for as short a time as possible.
    _upsert_child_day(s, child_id, today, club_id, counted)
    if counted:
        # Always child → club → county → nation, then the day buckets (module doc).
        _upsert_totals(s, [(CHILD, child_id, counted, now), (CLUB, club_id, counted, now),
                           (COUNTY, county_id, counted, None),
                           (NATION, NATION_KEY, counted, None)], now)
        _upsert_days(s, [(CLUB, club_id), (COUNTY, county_id), (NATION, NATION_KEY)],
                     today, counted)
    else:
        _upsert_totals(s, [(CLUB, club_id, 0, now)], now)
    return counted


def forget_child(s: Session, child_id: int) -> None:
    """Before a child's account is deleted: their own total row goes with them. Their
    ledger rows stay (anonymous, child_id NULL) and so do the club, county and national
    totals, so `verify` still adds up (DESIGN.md §4)."""
    s.execute(delete(CounterTotal).where(CounterTotal.scope == CHILD,
                                         CounterTotal.key == child_id))


# ---- reading totals (never the ledger, never submissions) -----------------------------


def _total(scope: str, key: int) -> CounterTotal | None:
    return db.session.get(CounterTotal, (scope, key))


def child_total(child) -> int:
    row = _total(CHILD, child.id if hasattr(child, "id") else int(child))
    return int(row.lines) if row else 0


def child_lines_by_exercise(child) -> dict[str, int]:
    """{exercise id: lines counted}; one child's own ledger rows (a few hundred at most)."""
    child_id = child.id if hasattr(child, "id") else int(child)
    rows = db.session.execute(
        select(CountedLine.exercise_id, func.count())
        .where(CountedLine.child_id == child_id, CountedLine.exercise_id.is_not(None))
        .group_by(CountedLine.exercise_id)
    )
    return {ex: int(n) for ex, n in rows}


@dataclass
class Summary:
    counted: int
    historical: int
    updated_at: datetime | None

    @property
    def total(self) -> int:
        return self.counted + self.historical


def summary(scope: str = NATION, key: int = NATION_KEY) -> Summary:
    row = _total(scope, key)
    if row is None:
        return Summary(0, 0, None)
    return Summary(int(row.lines), int(row.adjusted), row.updated_at)


def national_summary() -> Summary:
    return summary(NATION, NATION_KEY)


@dataclass
class CountyRow:
    id: int
    code: str
    name: str
    counted: int
    historical: int

    @property
    def total(self) -> int:
        return self.counted + self.historical


def county_rows(county_id: int | None = None) -> list[CountyRow]:
    # Plain columns, not County and CounterTotal objects: the public counter asks for
    # all 42 counties on every poll, and building 84 ORM objects cost more than the query.
    q = (
        select(County.id, County.code, County.name, CounterTotal.lines, CounterTotal.adjusted)
        .outerjoin(CounterTotal, and_(CounterTotal.scope == COUNTY,
                                      CounterTotal.key == County.id))
    )
    if county_id is not None:
        q = q.where(County.id == county_id)
    # No totals row yet (outer join): both figures are NULL, and count as 0.
    return sorted_by((
        CountyRow(cid, code, name, int(lines or 0), int(adjusted or 0))
        for cid, code, name, lines, adjusted in db.session.execute(q)
    ), lambda r: r.name)


@dataclass
class ClubRow:
    id: int
    name: str
    town: str
    county: str
    counted: int
    historical: int
    children: int
    active_week: int
    last_activity: datetime | None


CLUB_SORTS = ("lines", "children", "active", "last", "name")


def club_rows(county_id: int | None = None, sort: str = "lines") -> list[ClubRow]:
    s = db.session
    q = (
        select(Club, CounterTotal)
        .outerjoin(CounterTotal, and_(CounterTotal.scope == CLUB, CounterTotal.key == Club.id))
    )
    if county_id is not None:
        q = q.where(Club.county_id == county_id)
    pairs = list(s.execute(q))
    ids = [c.id for c, _t in pairs]
    children: dict[int, int] = {}
    active: dict[int, int] = {}
    if ids:
        children = dict(s.execute(
            select(User.club_id, func.count(User.id))
            .where(User.role == CHILD_ROLE, User.active.is_(True), User.club_id.in_(ids))
            .group_by(User.club_id)
        ).all())
        # Each child's total row knows their last working program: one row per child,
        # however busy the week was (scanning the week's child-days would grow with it).
        active = dict(s.execute(
            select(User.club_id, func.count(User.id))
            .join(CounterTotal, and_(CounterTotal.scope == CHILD, CounterTotal.key == User.id))
            .where(CounterTotal.last_activity_at >= utcnow() - timedelta(days=7),
                   User.club_id.in_(ids))
            .group_by(User.club_id)
        ).all())
    rows = [
        ClubRow(c.id, c.name, c.town, c.county.name,
                int(t.lines) if t else 0, int(t.adjusted) if t else 0,
                int(children.get(c.id, 0)), int(active.get(c.id, 0)),
                t.last_activity_at if t else None)
        for c, t in pairs
    ]
    # Ties, and the "name" order, follow the reader's alphabet.
    by = sort_key()
    keys = {
        "lines": lambda r: (-r.counted, by(r.name)),
        "children": lambda r: (-r.children, by(r.name)),
        "active": lambda r: (-r.active_week, by(r.name)),
        "last": lambda r: (-(r.last_activity.timestamp() if r.last_activity else 0), by(r.name)),
        "name": lambda r: (by(r.name), by(r.town), r.id),
    }
    return sorted(rows, key=keys.get(sort, keys["lines"]))


def week_lines(scope: str, key: int, today: date | None = None) -> int:
    """Counted lines of the last seven days (today included), from the day buckets."""
    today = today or counter_day()
    return int(db.session.scalar(
        select(func.coalesce(func.sum(CounterDay.lines), 0)).where(
            CounterDay.scope == scope, CounterDay.key == key,
            CounterDay.day > today - timedelta(days=7), CounterDay.day <= today,
        )
    ) or 0)


@dataclass
class Trend:
    daily: list[tuple[date, int]]
    weekly: list[tuple[date, int]]  # (Monday, lines)


def trend(scope: str = NATION, key: int = NATION_KEY, *, days: int = 60, weeks: int = 26,
          today: date | None = None) -> Trend:
    today = today or counter_day()
    monday = today - timedelta(days=today.weekday())
    first_week = monday - timedelta(weeks=weeks - 1)
    start = min(first_week, today - timedelta(days=days - 1))
    by_day = dict(db.session.execute(
        select(CounterDay.day, CounterDay.lines).where(
            CounterDay.scope == scope, CounterDay.key == key, CounterDay.day >= start,
            CounterDay.day <= today,
        )
    ).all())
    daily = [(d, int(by_day.get(d, 0)))
             for d in (today - timedelta(days=i) for i in range(days - 1, -1, -1))]
    weekly_sum: dict[date, int] = defaultdict(int)
    for d, n in by_day.items():
        if d >= first_week:
            weekly_sum[d - timedelta(days=d.weekday())] += int(n)
    weekly = [(w, weekly_sum.get(w, 0))
              for w in (first_week + timedelta(weeks=i) for i in range(weeks))]
    return Trend(daily, weekly)


# ---- adjustments ----------------------------------------------------------------------


class AdjustmentError(ValueError):
    """The adjustment cannot be recorded; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


MAX_ADJUSTMENT = 10**10


def may_adjust(user, scope: str, club: Club | None, county: County | None) -> bool:
    """National coordinators anywhere; a county coordinator only inside their county."""
    if not getattr(user, "is_authenticated", False) or user.role != COORDINATOR:
        return False
    if user.county_id is None:
        return True
    if scope == CLUB:
        return club is not None and club.county_id == user.county_id
    if scope == COUNTY:
        return county is not None and county.id == user.county_id
    return False


def record_adjustment(actor: User, *, scope: str, amount: int, day: date, reason: str,
                      club_id: int | None = None, county_id: int | None = None) -> Adjustment:
    """Record historical lines attributed to a club, a county or the nation, roll them up
    into the `adjusted` column of every total above, and log who did it, in one commit."""
    s = db.session
    reason = (reason or "").strip()
    if scope not in (CLUB, COUNTY, NATION):
        raise AdjustmentError("scope")
    if not reason:
        raise AdjustmentError("reason")
    if not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise AdjustmentError("amount")
    club = s.get(Club, club_id) if scope == CLUB and club_id is not None else None
    county = s.get(County, county_id) if scope == COUNTY and county_id is not None else None
    if scope == CLUB and club is None or scope == COUNTY and county is None:
        raise AdjustmentError("target")
    if not may_adjust(actor, scope, club, county):
        raise AdjustmentError("scope")
    if scope == CLUB:
        county = club.county
    keys = []
    if club is not None:
        keys.append((CLUB, club.id))
    if county is not None:
        keys.append((COUNTY, county.id))
    keys.append((NATION, NATION_KEY))
    adjustment = Adjustment(
        scope=scope, club_id=club.id if club else None, county_id=county.id if county else None,
        amount=amount, day=day, reason=reason[:2000], created_by_id=actor.id,
    )
    s.add(adjustment)
    s.flush()
    _ensure_totals(s, keys)
    _add_to_totals(s, keys, adjusted=amount)
    s.add(AuditEntry(
        actor_id=actor.id, actor_label=actor.label[:120], action="adjustment.create",
        adjustment_id=adjustment.id,
        details={"scope": scope, "club_id": adjustment.club_id, "county_id": adjustment.county_id,
                 "amount": amount, "day": day.isoformat(), "reason": adjustment.reason},
    ))
    s.commit()
    return adjustment


def adjustments(county_id: int | None = None) -> list[Adjustment]:
    q = select(Adjustment).order_by(Adjustment.created_at.desc(), Adjustment.id.desc())
    if county_id is not None:
        q = q.where(Adjustment.county_id == county_id)
    return list(db.session.scalars(q))


def audit_log(county_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if county_id is not None:
        q = q.join(Adjustment, Adjustment.id == AuditEntry.adjustment_id).where(
            Adjustment.county_id == county_id)
    return list(db.session.scalars(q))


# ---- verify ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    what: str  # "child 12 lines", "club 3 day 2026-11-24", "ledger row 9"
    stored: int | None
    expected: int | None

    def __str__(self) -> str:
        return f"{self.what}: stored {self.stored}, expected {self.expected}"


def expected_totals(s: Session | None = None) -> dict[tuple[str, int], tuple[int, int]]:
    """Every total recomputed from the raw data: {(scope, key): (lines, adjusted)}."""
    s = s or db.session
    lines: dict[tuple[str, int], int] = defaultdict(int)
    for child_id, n in s.execute(select(CountedLine.child_id, func.count())
                                 .where(CountedLine.child_id.is_not(None))
                                 .group_by(CountedLine.child_id)):
        lines[(CHILD, child_id)] = int(n)
    for col, scope in ((CountedLine.club_id, CLUB), (CountedLine.county_id, COUNTY)):
        for key, n in s.execute(select(col, func.count()).group_by(col)):
            lines[(scope, key)] = int(n)
    lines[(NATION, NATION_KEY)] = int(s.scalar(select(func.count()).select_from(CountedLine)))
    adjusted: dict[tuple[str, int], int] = defaultdict(int)
    for scope, club_id, county_id, amount in s.execute(
        select(Adjustment.scope, Adjustment.club_id, Adjustment.county_id,
               func.sum(Adjustment.amount))
        .group_by(Adjustment.scope, Adjustment.club_id, Adjustment.county_id)
    ):
        amount = int(amount)
        if scope == CLUB:
            adjusted[(CLUB, club_id)] += amount
        if county_id is not None:
            adjusted[(COUNTY, county_id)] += amount
        adjusted[(NATION, NATION_KEY)] += amount
    return {k: (lines.get(k, 0), adjusted.get(k, 0)) for k in set(lines) | set(adjusted)}


def expected_days(s: Session | None = None) -> dict[tuple[str, int, date], int]:
    s = s or db.session
    out: dict[tuple[str, int, date], int] = {}
    for col, scope in ((CountedLine.club_id, CLUB), (CountedLine.county_id, COUNTY)):
        for key, day, n in s.execute(select(col, CountedLine.day, func.count())
                                     .group_by(col, CountedLine.day)):
            out[(scope, key, day)] = int(n)
    for day, n in s.execute(select(CountedLine.day, func.count()).group_by(CountedLine.day)):
        out[(NATION, NATION_KEY, day)] = int(n)
    return out


@dataclass(frozen=True)
class Program:
    """A submission as verify's trace sees it, in plain values, from the room that keeps
    submissions (learning.service.counted_programs)."""
    submission_id: int
    child_id: int | None  # None once the child is deleted
    target: str  # exercise_target(...) or project_target(...)
    source: str
    works: bool


def verify(s: Session | None = None, *,
           programs: Iterable[Program] | None = None) -> list[Difference]:
    """Recompute every total and day bucket from the ledger (and the adjustments) and
    list where the stored figures differ. Given `programs` (every submission the ledger
    names, in order of id), also check that every ledger row is a code line of a
    working submission of the same child."""
    s = s or db.session
    problems: list[Difference] = []
    expected = expected_totals(s)
    stored = {(t.scope, t.key): (int(t.lines), int(t.adjusted))
              for t in s.scalars(select(CounterTotal))}
    gone = set()
    child_keys = [k for sc, k in stored if sc == CHILD]
    if child_keys:
        alive = set(s.scalars(select(User.id).where(User.id.in_(child_keys))))
        # A deleted child's lines stay in the club, county and nation, anonymous; the
        # child's own total row is left behind with nobody to point at.
        gone = {(CHILD, k) for k in child_keys if k not in alive}
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[0], k[1])):
        if key in gone:
            continue
        want = expected.get(key, (0, 0))
        have = stored.get(key)
        for i, name in enumerate(("lines", "adjusted")):
            have_value = have[i] if have else 0
            if have_value != want[i]:
                problems.append(Difference(f"{key[0]} {key[1]} {name}",
                                           have[i] if have else None, want[i]))
    days_expected = expected_days(s)
    days_stored = {(d.scope, d.key, d.day): int(d.lines) for d in s.scalars(select(CounterDay))}
    for key in sorted(set(days_expected) | set(days_stored)):
        if days_stored.get(key, 0) != days_expected.get(key, 0):
            problems.append(Difference(f"{key[0]} {key[1]} day {key[2].isoformat()}",
                                       days_stored.get(key), days_expected.get(key, 0)))
    if programs is not None:
        problems.extend(_untraceable(s, programs))
    return problems


def _project_gone_with_child(program: Program, target: str) -> bool:
    """A deleted child's projects are deleted with them, which empties their (anonymous)
    submissions' project_id; the ledger row keeps the project's target."""
    return (program.child_id is None and program.target == project_target(None)
            and target.startswith(PROJECT))


def _untraceable(s: Session, programs: Iterable[Program]) -> list[Difference]:
    problems = []
    rows = s.execute(
        select(CountedLine.id, CountedLine.child_id, CountedLine.target, CountedLine.line_hash,
               CountedLine.submission_id)
        .order_by(CountedLine.submission_id, CountedLine.id)
    ).yield_per(5000)
    # Both in order of submission id: walk them side by side.
    ahead = iter(programs)
    program = next(ahead, None)
    current_id, hashes, sub = None, set(), None
    for row_id, child_id, target, h, submission_id in rows:
        if submission_id != current_id:
            current_id = submission_id
            while program is not None and program.submission_id < submission_id:
                program = next(ahead, None)
            found = program is not None and program.submission_id == submission_id
            sub = program if found else None
            hashes = {line_hash(x) for x in countable_lines(sub.source)} if sub else set()
        ok = (
            sub is not None and sub.works and h in hashes
            and (sub.target == target or _project_gone_with_child(sub, target))
            and (child_id is None or sub.child_id in (None, child_id))
        )
        if not ok:
            problems.append(Difference(f"ledger row {row_id} (submission {submission_id}) "
                                       "is not a code line of a working submission", None, None))
    return problems
