"""What a coordinator, a librarian and the children do on the two sites, through the
site's own service functions (in this process, on the site's database), and the
figures the scenarios compare: what the box counted, what national counted."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from codekids import db
from tests.sync.harness import STAFF_PASSWORD, Site


@dataclass
class BoxChild:
    id: int
    nickname: str
    join_code: str
    secret: object  # clubs' ChildSecret: .kind, .value (pictures) or .words


@dataclass
class BoxClub:
    id: int
    join_code: str
    librarian: str  # username
    children: list[BoxChild] = field(default_factory=list)


def _county(code: str):
    from codekids.clubs.models import County

    return db.session.scalar(select(County).where(County.code == code))


def seed_box_club(site: Site, nicknames: list[str], *, county: str = "CJ",
                  name: str = "Clubul Laptopului") -> BoxClub:
    """The club a library runs on its own laptop: a librarian and a few children."""
    from codekids.accounts import passwords
    from codekids.accounts import service as accounts
    from codekids.accounts.models import LIBRARIAN
    from codekids.clubs import service as clubs

    with site.app().app_context():
        club = clubs.create_club(name=name, library="Biblioteca Comunală", town="Sat",
                                 county=_county(county))
        lib = accounts.create_staff(role=LIBRARIAN, username="bibliotecara.box",
                                    display_name="Bibliotecara", county=_county(county),
                                    password_hash=passwords.hash_password(STAFF_PASSWORD),
                                    must_change_password=False)
        accounts.set_librarian_clubs(lib, [club])
        created = clubs.create_children(club, "\n".join(nicknames)).created
        result = BoxClub(club.id, club.join_code, lib.username)
        for child in created:
            result.children.append(BoxChild(child.id, child.nickname, club.join_code,
                                            clubs.card_secret(child)))
    return result


def seed_national_club(site: Site, county: str, name: str) -> int:
    """The national copy of the club: the club a box is registered for."""
    from codekids.clubs import service as clubs

    with site.app().app_context():
        club = clubs.create_club(name=name, library="Biblioteca Comunală", town="Sat",
                                 county=_county(county))
        club_id = club.id
    return club_id


def national_coordinator(site: Site) -> int:
    """A national coordinator (made once per site), who registers boxes."""
    from codekids.accounts import passwords
    from codekids.accounts import service as accounts
    from codekids.accounts.models import COORDINATOR, User

    with site.app().app_context():
        user = db.session.scalar(select(User).where(User.username == "coord.sync"))
        if user is None:
            user = accounts.create_staff(
                role=COORDINATOR, username="coord.sync", display_name="Coordonator",
                county=None, password_hash=passwords.hash_password(STAFF_PASSWORD),
                must_change_password=False)
        user_id = user.id
    return user_id


# ---- the coordinator's box (H4's service functions) ---------------------------------------


def register_box(site: Site, club_id: int, label: str) -> tuple[int, str]:
    """(box id, token): what the coordinator's page shows once."""
    from codekids.accounts.models import User
    from codekids.clubs.models import Club
    from codekids.sync import national

    actor = national_coordinator(site)
    with site.app().app_context():
        box, token = national.register_box(db.session.get(Club, club_id), label,
                                           db.session.get(User, actor))
        box_id = box.id
    return box_id, token


def revoke_box(site: Site, box_id: int) -> None:
    from codekids.sync import national
    from codekids.sync.models import SyncBox

    with site.app().app_context():
        national.revoke_box(db.session.get(SyncBox, box_id))


def replace_token(site: Site, box_id: int) -> str:
    from codekids.sync import national
    from codekids.sync.models import SyncBox

    with site.app().app_context():
        token = national.replace_token(db.session.get(SyncBox, box_id))
    return token


# ---- the figures --------------------------------------------------------------------------


@dataclass
class Counts:
    club: int
    county: int
    nation: int


def counted(site: Site, club_id: int) -> Counts:
    """The counter's totals (lines counted, not historical) for a club, its county and
    the nation, read from the totals rows the dashboard shows."""
    from codekids.clubs.models import Club
    from codekids.counter import service as counter
    from codekids.counter.models import CLUB, COUNTY

    with site.app().app_context():
        club = db.session.get(Club, club_id)
        result = Counts(counter.summary(CLUB, club.id).counted,
                        counter.summary(COUNTY, club.county_id).counted,
                        counter.national_summary().counted)
    return result


def ledger_lines(site: Site) -> int:
    from codekids.counter.models import CountedLine

    with site.app().app_context():
        n = db.session.scalar(select(func.count()).select_from(CountedLine))
    return int(n)


def counter_days(site: Site, club_id: int) -> dict:
    """{day: lines} of a club's day buckets."""
    from codekids.counter.models import CLUB, CounterDay

    with site.app().app_context():
        rows = db.session.execute(select(CounterDay.day, CounterDay.lines)
                                  .where(CounterDay.scope == CLUB, CounterDay.key == club_id))
        days = {day: int(lines) for day, lines in rows}
    return days


def today(site: Site):
    from codekids.counter import service as counter

    with site.app().app_context():
        return counter.counter_day()


@dataclass
class BoxState:
    result: str | None
    detail: str | None
    last_success: object
    outbox: dict  # status → rows
    owed: int  # counted submissions not in the outbox yet (made into items at sync time)


def box_state(site: Site) -> BoxState:
    """The box's sync settings row and its outbox, as the librarian's page reads them."""
    from codekids.counter.models import CountedLine
    from codekids.sync.models import SyncOutbox, SyncSettings

    with site.app().app_context():
        settings = db.session.scalar(select(SyncSettings))
        outbox = dict(db.session.execute(
            select(SyncOutbox.status, func.count()).group_by(SyncOutbox.status)).all())
        counted_subs = select(CountedLine.submission_id).distinct()
        owed = db.session.scalar(
            select(func.count()).select_from(counted_subs.subquery())) - sum(outbox.values())
        state = BoxState(settings.last_result if settings else None,
                         settings.last_detail if settings else None,
                         settings.last_success_at if settings else None,
                         {k: int(v) for k, v in outbox.items()}, int(owed))
    return state


def national_batches(site: Site, box_id: int) -> list:
    """(batch key, items, accepted, rejected, lines) of a box's batches, in order."""
    from codekids.sync.models import SyncBatch

    with site.app().app_context():
        rows = db.session.execute(
            select(SyncBatch.batch_key, SyncBatch.items, SyncBatch.accepted, SyncBatch.rejected,
                   SyncBatch.lines).where(SyncBatch.box_id == box_id).order_by(SyncBatch.id))
        out = [tuple(r) for r in rows]
    return out


def national_items(site: Site, box_id: int) -> list:
    """(item key, status, reason, lines, written_at) of a box's items, in order."""
    from codekids.sync.models import SyncItem

    with site.app().app_context():
        rows = db.session.execute(
            select(SyncItem.item_key, SyncItem.status, SyncItem.reason, SyncItem.lines,
                   SyncItem.written_at).where(SyncItem.box_id == box_id).order_by(SyncItem.id))
        out = [tuple(r) for r in rows]
    return out


def exercise_hash(site: Site, exercise_id: str) -> str:
    from codekids.sync import protocol

    app = site.app()
    return protocol.exercise_hash(app.extensions["codekids_bank"].exercises[exercise_id])


def solution(site: Site, exercise_id: str) -> str:
    return site.app().extensions["codekids_bank"].exercises[exercise_id].solution
