"""Two real servers on loopback for the sync scenarios (issue 19, point 6).

`national` (one per test session): `codekids serve` on a fresh PostgreSQL database
made on CODEKIDS_TEST_POSTGRES_URL's server and dropped afterwards. The national
side is PostgreSQL or nothing: without CODEKIDS_TEST_POSTGRES_URL these tests are
skipped, each with that reason in the summary (as tests/unit/test_db.py is); when it
is set and the server does not answer, they fail.

`pair` (one per test): a box, i.e. `codekids serve` on a fresh SQLite file, with a
club, its librarian and three children; the national copy of that club, in a
county of its own (so the county's and, as a difference, the nation's totals are
this box's alone); the box registered on national by a coordinator (national's
service functions), a `Proxy` between them, and `codekids sync setup --server
<proxy> --token <token>` run on the box.
"""

from __future__ import annotations

import itertools
import os

import pytest
from sqlalchemy import select

from tests.sync import world
from tests.sync.harness import PostgresDatabase, Proxy, Site

POSTGRES_URL = os.environ.get("CODEKIDS_TEST_POSTGRES_URL", "")
NO_POSTGRES = "CODEKIDS_TEST_POSTGRES_URL is not set: the national server runs on PostgreSQL"
CHILDREN = ["Ana", "Mihai", "Ioana"]


@pytest.fixture(scope="session")
def national(tmp_path_factory):
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    database = PostgresDatabase(POSTGRES_URL)  # fails loudly when the server is missing
    site = Site("national", database.url, tmp_path_factory.mktemp("national"))
    try:
        site.migrate()
        site.start(workers=1, threads=4)
        yield site
    finally:
        site.stop()
        site.dispose()
        database.drop()


@pytest.fixture(scope="session")
def _counties(national):
    """County codes, one per test, so a test's county holds its club alone."""
    from codekids import db
    from codekids.clubs.models import County

    with national.app().app_context():
        codes = list(db.session.scalars(select(County.code).order_by(County.id)))
    return itertools.cycle(codes)


class Pair:
    """One box and the national server, with the proxy between them."""

    def __init__(self, box: Site, national: Site, proxy: Proxy, club: world.BoxClub,
                 national_club: int, box_id: int, token: str, nation_before: int):
        self.box, self.national, self.proxy = box, national, proxy
        self.club, self.national_club = club, national_club
        self.box_id, self.token = box_id, token
        self.nation_before = nation_before

    # -- the box

    def child(self, i: int):
        """A browser on the box with child ``i`` logged in."""
        from tests.sync.harness import Browser

        kid = self.club.children[i]
        browser = Browser(self.box.url)
        browser.child_login(kid.join_code, kid.id, kid.secret)
        return browser

    def solve(self, i: int, exercise_ids: list[str]) -> int:
        """Child ``i`` solves these exercises on the box (the bank's reference
        solutions through the JSON API); the lines the box counted."""
        browser = self.child(i)
        lines = 0
        for exercise_id in exercise_ids:
            report = browser.submit(exercise_id, world.solution(self.box, exercise_id))
            assert report["solved"], (exercise_id, report)
            lines += report["lines_counted"]
        return lines

    def sync(self, *args: str, check: bool = False):
        """`codekids sync` on the box, by hand (the librarian's command)."""
        return self.box.cli("sync", *args, check=check)

    def state(self) -> world.BoxState:
        return world.box_state(self.box)

    # -- the figures

    def box_lines(self) -> int:
        """What the box counted: its own counter's national total."""
        return world.counted(self.box, self.club.id).nation

    def national_counts(self) -> world.Counts:
        counts = world.counted(self.national, self.national_club)
        return world.Counts(counts.club, counts.county, counts.nation - self.nation_before)

    def assert_totals_equal(self) -> int:
        """National's club, county and (this test's part of) nation lines are what the
        box counted; returns that figure."""
        box = self.box_lines()
        counts = self.national_counts()
        assert (counts.club, counts.county, counts.nation) == (box, box, box), (
            f"box counted {box}, national has club {counts.club}, county {counts.county}, "
            f"nation +{counts.nation}")
        return box

    def verify_national(self) -> None:
        proc = self.national.cli("counter", "verify", check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.startswith("OK"), proc.stdout


@pytest.fixture
def pair(national, _counties, tmp_path):
    county = next(_counties)
    box = Site("box", f"sqlite:///{tmp_path / 'box.sqlite3'}", tmp_path / "box")
    box.migrate()
    club = world.seed_box_club(box, CHILDREN)
    national_club = world.seed_national_club(national, county, f"Clubul {tmp_path.name}")
    nation_before = world.counted(national, national_club).nation
    box_id, token = world.register_box(national, national_club, "Laptopul clubului")
    proxy = Proxy(national.port)
    box.start(workers=1, threads=4)
    try:
        setup = box.cli("sync", "setup", "--server", proxy.url, "--token", token, check=False)
        assert setup.returncode == 0, setup.stdout + setup.stderr
        yield Pair(box, national, proxy, club, national_club, box_id, token, nation_before)
    finally:
        proxy.close()
        box.stop()
        box.dispose()
