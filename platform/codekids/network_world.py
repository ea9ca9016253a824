"""The national demo world: the initiative as it is, seeded in seconds (issue 18).

    world = seed(Scale(), seed=SEED, password=NETWORK_PASSWORD, progress=click.echo)

95 clubs in the 18 counties the initiative works in, about 1,300 children (nicknames
only), a librarian for each club, coordinators for some counties and one for the
nation, a season of weekly meetings with solved and failed submissions and a few
playground projects, and the 3,000,000 lines the initiative counted before the
platform, recorded as an attributed historical adjustment. `codekids demo --network`
and bench/load.py both build their world here, so what a coordinator sees on the demo
is what the load benchmark measures.

An assembler (scripts/rooms.py): it puts accounts, clubs, the counter and learning
together. Deterministic: the same seed and the same `now` give the same clubs, names,
join codes, meetings and submissions; only the children's secrets are drawn by
accounts.secrets, as for any child.

How it stays true to the site while writing tens of thousands of rows in seconds:

- **Verdicts are real.** Every program a seeded child submits is graded once through
  the site's own sandbox and `bank.grade`: each exercise's reference solution (which
  passes) and its failing variants (a misspelt name, a syntax error, a missing line;
  only those that really fail are kept). A submission records its program's report as
  `learning.service._record` does (status, tests passed, error kind and line).
- **Lines are counted by the counter's rules** (DESIGN.md §4), with the counter's own
  functions (`countable_lines`, `line_hash`, the exercise's cap, the playground's daily
  cap, `counter_day`), submission by submission in order of time, exactly as
  `counter.count_submission` decides: each distinct line once per child and target,
  never the starter's lines, never past the cap. Every total, day bucket and child-day
  is then summed from the ledger rows that makes and written in bulk, so `codekids
  counter verify` recomputes the same figures (tests/unit/test_network_world.py replays
  every submission through the real `count_submission` and compares the ledgers).
- **Rules of the other rooms are asked, not copied**: nicknames pass
  `clubs.service.check_nicknames`, secrets come from `accounts.secrets`, stars from
  `learning.service.stars_for`, the historical lines go through
  `counter.service.record_adjustment` (audited, attributed to the national coordinator).
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, text, update

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import secrets as child_secrets
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, CHILD_LOGIN, COORDINATOR, LIBRARIAN, LoginAttempt, User
from codekids.bank import grade
from codekids.clubs import service as clubs
from codekids.clubs.models import FROM_LOGIN, Attendance, Club, ClubSession, County, librarian_clubs
from codekids.counter import service as counter
from codekids.counter.models import CHILD as C_CHILD
from codekids.counter.models import CLUB as C_CLUB
from codekids.counter.models import COUNTY as C_COUNTY
from codekids.counter.models import (
    NATION,
    NATION_KEY,
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.db import utcnow
from codekids.i18n import to_utc
from codekids.learning.models import (
    PLAYGROUND,
    SUBMIT,
    Assignment,
    HintUse,
    Progress,
    Project,
    Submission,
)
from codekids.learning.service import stars_for
from codekids.sandbox_client import Retrying

SEED = 2026
# Known, printed password of every staff account of the demo network (one argon2 hash
# for all of them): the demo is for trying the site on one's own machine.
NETWORK_PASSWORD = "retea-nationala-2024"
NATIONAL_COORDINATOR = ("coordonator.national", "Coordonare națională CODE Kids")
# The first club's join code is fixed so the printed logins and the README can name it
# (letters of clubs.service.JOIN_ALPHABET only).
FIRST_JOIN_CODE = "RETEA7"
HISTORICAL_LINES = 3_000_000
HISTORICAL_REASON = (
    "Liniile de cod scrise de copiii din cluburile CODE Kids înainte de platformă, "
    "din evidența inițiativei: 3.000.000 de linii raportate la nivel național."
)


@dataclass(frozen=True)
class Scale:
    """How big a world: the initiative's is the default; tests seed a small one."""
    clubs: int = 95
    children: int = 1300
    weeks: int = 12  # the season: this many weeks of meetings, up to `now`


DEFAULT_SCALE = Scale()  # what `codekids demo --network` seeds


# ---- the counties, their libraries and towns ------------------------------------------------
# (code, weight in clubs, the county library's town, the county library, other towns
# as (town, kind of library): M municipal, O town, C commune). The weights add up to 95:
# with the default scale each county gets exactly its weight.

COUNTIES = (
    ("SJ", 8, "Zalău", "Biblioteca Județeană „Ioniță Scipione Bădescu” Sălaj",
     (("Șimleu Silvaniei", "O"), ("Jibou", "O"), ("Cehu Silvaniei", "O"), ("Crasna", "C"),
      ("Hida", "C"), ("Sărmășag", "C"), ("Nușfalău", "C"))),
    ("BH", 7, "Oradea", "Biblioteca Județeană „Gheorghe Șincai” Bihor",
     (("Salonta", "M"), ("Marghita", "M"), ("Beiuș", "M"), ("Aleșd", "O"), ("Ștei", "O"),
      ("Săcueni", "O"))),
    ("TM", 7, "Timișoara", "Biblioteca Județeană Timiș „Sorin Titel”",
     (("Lugoj", "M"), ("Sânnicolau Mare", "O"), ("Jimbolia", "O"), ("Deta", "O"),
      ("Buziaș", "O"), ("Făget", "O"))),
    ("VL", 5, "Râmnicu Vâlcea", "Biblioteca Județeană „Antim Ivireanul” Vâlcea",
     (("Drăgășani", "M"), ("Horezu", "O"), ("Călimănești", "O"), ("Brezoi", "O"))),
    ("GJ", 4, "Târgu Jiu", "Biblioteca Județeană „Christian Tell” Gorj",
     (("Motru", "M"), ("Rovinari", "O"), ("Novaci", "O"))),
    ("AG", 6, "Pitești", "Biblioteca Județeană „Dinicu Golescu” Argeș",
     (("Câmpulung", "M"), ("Curtea de Argeș", "M"), ("Mioveni", "O"), ("Costești", "O"),
      ("Topoloveni", "O"))),
    ("VN", 4, "Focșani", "Biblioteca Județeană „Duiliu Zamfirescu” Vrancea",
     (("Adjud", "M"), ("Mărășești", "O"), ("Panciu", "O"))),
    ("TL", 3, "Tulcea", "Biblioteca Județeană „Panait Cerna” Tulcea",
     (("Babadag", "O"), ("Măcin", "O"))),
    ("GL", 5, "Galați", "Biblioteca „V. A. Urechia” Galați",
     (("Tecuci", "M"), ("Târgu Bujor", "O"), ("Berești", "O"), ("Liești", "C"))),
    ("HD", 5, "Deva", "Biblioteca Județeană „Ovid Densusianu” Hunedoara-Deva",
     (("Hunedoara", "M"), ("Petroșani", "M"), ("Orăștie", "M"), ("Hațeg", "O"))),
    ("CS", 4, "Reșița", "Biblioteca Județeană „Paul Iorgovici” Caraș-Severin",
     (("Caransebeș", "M"), ("Oravița", "O"), ("Bocșa", "O"))),
    ("HR", 4, "Miercurea Ciuc", "Biblioteca Județeană Harghita",
     (("Odorheiu Secuiesc", "M"), ("Gheorgheni", "M"), ("Cristuru Secuiesc", "O"))),
    ("BV", 6, "Brașov", "Biblioteca Județeană „George Barițiu” Brașov",
     (("Făgăraș", "M"), ("Săcele", "M"), ("Codlea", "M"), ("Zărnești", "O"), ("Râșnov", "O"))),
    ("NT", 5, "Piatra Neamț", "Biblioteca Județeană „G. T. Kirileanu” Neamț",
     (("Roman", "M"), ("Târgu Neamț", "O"), ("Bicaz", "O"), ("Roznov", "O"))),
    ("IS", 7, "Iași", "Biblioteca Județeană „Gheorghe Asachi” Iași",
     (("Pașcani", "M"), ("Hârlău", "O"), ("Târgu Frumos", "O"), ("Podu Iloaiei", "O"),
      ("Ciurea", "C"))),
    ("CT", 6, "Constanța", "Biblioteca Județeană „I. N. Roman” Constanța",
     (("Mangalia", "M"), ("Medgidia", "M"), ("Năvodari", "O"), ("Cernavodă", "O"),
      ("Ovidiu", "O"))),
    ("BC", 5, "Bacău", "Biblioteca Județeană „Costache Sturdza” Bacău",
     (("Onești", "M"), ("Moinești", "M"), ("Comănești", "O"), ("Buhuși", "O"))),
    ("AR", 4, "Arad", "Biblioteca Județeană „Alexandru D. Xenopol” Arad",
     (("Lipova", "O"), ("Ineu", "O"), ("Pâncota", "O"))),
)
COUNTY_CODES = tuple(c[0] for c in COUNTIES)
LIBRARY_KIND = {"M": "Biblioteca Municipală", "O": "Biblioteca Orășenească",
                "C": "Biblioteca Comunală"}
# Counties with a coordinator of their own (the others are followed nationally).
COORDINATED = ("SJ", "BH", "TM", "HR", "IS", "CT")
# Share of children with Hungarian names, by county (the rest Romanian).
HUNGARIAN_SHARE = {"HR": 0.85, "SJ": 0.2, "BH": 0.25, "AR": 0.08, "TM": 0.05, "BV": 0.05}

GIRLS = ("Ana", "Maria", "Ioana", "Elena", "Andreea", "Bianca", "Alexia", "Sofia", "Daria",
         "Ilinca", "Irina", "Eva", "Antonia", "Carla", "Delia", "Teodora", "Raluca", "Miruna",
         "Amalia", "Denisa", "Larisa", "Medeea", "Rebeca", "Natalia", "Sara", "Iasmina",
         "Luiza", "Patricia", "Ruxandra", "Anastasia", "Clara", "Alina", "Diana", "Emma")
BOYS = ("Andrei", "Mihai", "Alexandru", "David", "Luca", "Matei", "Ștefan", "Tudor", "Rareș",
        "Vlad", "Darius", "Sebastian", "Gabriel", "Eric", "Victor", "Radu", "Bogdan",
        "Cristian", "Ionuț", "Denis", "Robert", "Filip", "Horia", "Iustin", "Mario", "Cosmin",
        "Paul", "Sergiu", "Teodor", "Emanuel", "Răzvan", "Albert", "Octavian", "Nicolas")
HUNGARIAN = ("Bence", "Levente", "Máté", "Botond", "Hunor", "Zsolt", "Ákos", "Dávid",
             "Balázs", "Csaba", "Gergő", "Attila", "Tamás", "Réka", "Anna", "Zsófia", "Csenge",
             "Noémi", "Boglárka", "Kinga", "Eszter", "Dóra", "Lilla", "Hanna", "Emese",
             "Orsolya", "Enikő", "Szabolcs")
INITIALS = "ABCDFGHIMNOPRST"
STAFF_FIRST = ("Maria", "Elena", "Ioana", "Mihaela", "Carmen", "Gabriela", "Daniela",
               "Cristina", "Adriana", "Simona", "Monica", "Lavinia", "Rodica", "Camelia",
               "Doina", "Liliana", "Alina", "Roxana", "Florin", "Adrian", "Dan", "Marius")
STAFF_LAST = ("Popescu", "Ionescu", "Pop", "Popa", "Stan", "Dumitru", "Stoica", "Munteanu",
              "Constantin", "Moldovan", "Marin", "Ilie", "Matei", "Florea", "Rusu", "Barbu",
              "Lazăr", "Cristea", "Oprea", "Sima", "Toma", "Dinu", "Nistor", "Mureșan",
              "Ardelean", "Ciobanu", "Avram", "Bălan")
STAFF_HUNGARIAN = (("Ildikó", "Erzsébet", "Katalin", "Judit", "Mária", "Gábor"),
                   ("Kovács", "Szabó", "Nagy", "Tóth", "Farkas", "Molnár", "Lukács", "Bíró"))

# Free programs a few children write in the playground, each in the versions they save
# as it grows (every version runs without error: graded by the sandbox below).
PLAYGROUND_PROJECTS = (
    ("Tabla înmulțirii", (
        "n = 7\nfor i in range(1, 11):\n    print(n, 'x', i, '=', n * i)\n",
        "n = 7\nfor i in range(1, 11):\n    print(n, 'x', i, '=', n * i)\nprint('Gata!')\n",
        "for n in range(2, 10):\n    for i in range(1, 11):\n        print(n, 'x', i, '=', n * i)\n"
        "    print('---')\nprint('Gata!')\n",
    )),
    ("Brad de Crăciun", (
        "for i in range(1, 6):\n    print(' ' * (5 - i) + '*' * (2 * i - 1))\n",
        "for i in range(1, 6):\n    print(' ' * (5 - i) + '*' * (2 * i - 1))\nprint('    |')\n",
        "inaltime = 7\nfor i in range(1, inaltime + 1):\n"
        "    print(' ' * (inaltime - i) + '*' * (2 * i - 1))\nprint(' ' * (inaltime - 1) + '|')\n"
        "print('Sarbatori fericite!')\n",
    )),
    ("Ghicitoare", (
        "raspuns = 'pisica'\nprint('Ce animal toarce?')\nprint('Raspuns:', raspuns)\n",
        "animale = ['pisica', 'caine', 'vaca']\nsunete = ['miau', 'ham', 'muu']\n"
        "for a, s in zip(animale, sunete):\n    print(a, 'face', s)\n",
        "animale = {'pisica': 'miau', 'caine': 'ham', 'vaca': 'muu', 'oaie': 'beee'}\n"
        "for animal, sunet in animale.items():\n    print(animal.capitalize(), 'face', sunet)\n"
        "print(len(animale), 'animale')\n",
    )),
)


# ---- what a seeded world hands back ----------------------------------------------------------


@dataclass
class SeededChild:
    id: int
    club_id: int
    join_code: str
    nickname: str
    secret: child_secrets.ChildSecret


@dataclass
class SeededClub:
    id: int
    name: str
    county: str  # the county's code
    join_code: str
    secret_kind: str
    librarian: str  # the librarian's username


@dataclass
class NetworkWorld:
    clubs: list[SeededClub] = field(default_factory=list)
    children: list[SeededChild] = field(default_factory=list)
    national: str = NATIONAL_COORDINATOR[0]
    county_coordinators: dict[str, str] = field(default_factory=dict)  # county code -> username
    solved: int = 0  # graded submissions that passed
    failed: int = 0  # graded submissions that did not
    playground: int = 0  # playground runs
    lines: int = 0  # counted on the platform
    seconds: float = 0.0


class NetworkWorldError(Exception):
    """The database cannot take the network world (it holds other clubs)."""


def exists() -> bool:
    """Whether this database holds the network world (its first club is there)."""
    return db.session.scalar(select(Club.id).where(Club.join_code == FIRST_JOIN_CODE)) is not None


# ---- the pieces, drawn from the seed -------------------------------------------------------


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def clubs_per_county(n_clubs: int) -> list[tuple[str, int]]:
    """(county code, clubs) for `n_clubs`, in proportion to COUNTIES' weights (largest
    remainders), every county at least one when there are enough clubs."""
    weights = [w for _c, w, *_ in COUNTIES]
    total = sum(weights)
    base = [n_clubs * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(n_clubs * weights[i] % total), i))
    for i in order[:n_clubs - sum(base)]:
        base[i] += 1
    if n_clubs >= len(COUNTIES):
        for i, n in enumerate(base):
            if n == 0:
                donor = max(range(len(base)), key=lambda j: (base[j], -j))
                base[donor] -= 1
                base[i] = 1
    return [(COUNTIES[i][0], n) for i, n in enumerate(base)]


@dataclass
class _ClubPlan:
    county: str
    name: str
    library: str
    town: str
    join_code: str
    secret_kind: str
    weekday: int  # 0 Monday .. 5 Saturday
    hour: int  # local hour the meeting starts
    first_week: int  # the club's first week of the season
    size: int
    librarian: tuple[str, str] = ("", "")  # username, display name
    id: int = 0


def _plan_clubs(rng: random.Random, scale: Scale, taken_codes: set[str]) -> list[_ClubPlan]:
    plans = []
    codes = set(taken_codes)
    by_code = {c[0]: c for c in COUNTIES}
    for code, n in clubs_per_county(scale.clubs):
        _code, _w, capital, county_library, towns = by_code[code]
        sites = [(capital, county_library)] + [(t, f"{LIBRARY_KIND[k]} {t}") for t, k in towns]
        used: dict[str, int] = defaultdict(int)
        for i in range(n):
            town, library = sites[i % len(sites)]
            used[town] += 1
            if used[town] > 1:  # a branch of the town's library holds the next club
                library = f"{library}, Filiala {used[town] - 1}"
            name = f"CODE Kids {town}" + (f" {used[town]}" if used[town] > 1 else "")
            if not plans:
                join = FIRST_JOIN_CODE
            else:
                join = ""
                while not join or join in codes:
                    join = "".join(rng.choice(clubs.JOIN_ALPHABET)
                                   for _ in range(clubs.JOIN_LENGTH))
            codes.add(join)
            weekday = rng.choice((0, 1, 2, 3, 4, 5))
            plans.append(_ClubPlan(
                county=code, name=name, library=library, town=town, join_code=join,
                # The first club's children log in with pictures: the printed demo child.
                secret_kind="words" if plans and rng.random() < 0.15 else "pictures",
                weekday=weekday, hour=rng.choice((10, 11)) if weekday == 5 else rng.choice(
                    (14, 15, 16, 17)),
                first_week=0 if rng.random() < 0.8 else rng.randint(1, max(1, scale.weeks // 3)),
                size=0))
    # Children per club: 8 to 22 around the average, adding up to exactly scale.children.
    n = len(plans)
    if n:
        raw = [rng.uniform(0.6, 1.6) for _ in plans]
        total = sum(raw)
        sizes = [max(1, int(scale.children * r / total)) for r in raw]
        i = 0
        while sum(sizes) != scale.children:
            j = i % n
            if sum(sizes) < scale.children:
                sizes[j] += 1
            elif sizes[j] > 1:
                sizes[j] -= 1
            i += 1
        for plan, size in zip(plans, sizes, strict=True):
            plan.size = size
    return plans


def _nicknames(rng: random.Random, county: str, size: int) -> list[str]:
    share = HUNGARIAN_SHARE.get(county, 0.0)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < size:
        pool = HUNGARIAN if rng.random() < share else (GIRLS if rng.random() < 0.5 else BOYS)
        name = rng.choice(pool)
        if name.casefold() in seen:
            name = f"{name} {rng.choice(INITIALS)}."
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        names.append(name)
    return names


def _staff_name(rng: random.Random, county: str, taken: set[str]) -> tuple[str, str]:
    if county == "HR" or (county in HUNGARIAN_SHARE and rng.random() < HUNGARIAN_SHARE[county] / 2):
        first, last = rng.choice(STAFF_HUNGARIAN[0]), rng.choice(STAFF_HUNGARIAN[1])
        display = f"{last} {first}"  # Hungarian order
    else:
        first, last = rng.choice(STAFF_FIRST), rng.choice(STAFF_LAST)
        display = f"{first} {last}"
    base = _ascii(f"{first}.{last}").lower().replace(" ", "")
    username, k = base, 1
    while username in taken:
        k += 1
        username = f"{base}{k}"
    taken.add(username)
    return username, display


# ---- programs, graded once -----------------------------------------------------------------


@dataclass(frozen=True)
class _Graded:
    source: str
    status: str  # the submission's status column, as learning.service._record sets it
    passed: int
    total: int
    solved: bool
    error_kind: str | None
    error_line: int | None
    report: dict


# Graded reports do not depend on the database: one grading per program per process.
_graded_cache: dict[tuple[str, str], _Graded] = {}


def failing_variants(solution: str) -> list[tuple[str, str]]:
    """What children get wrong, as programs: (kind, source). Kept only when they fail."""
    body = solution.rstrip("\n")
    out = [("name", body + "\nprint(rezultat_necunoscut)\n"),
           ("syntax", body + "\nif True print('gata')\n")]
    if "print(" in body:
        out.append(("typo", body.replace("print(", "Print(", 1) + "\n"))
    lines = body.split("\n")
    code = [i for i, line in enumerate(lines) if counter.is_code(counter.normalise(line))]
    if len(code) > 1:
        out.append(("missing_line", "\n".join(lines[:code[-1]] + lines[code[-1] + 1:]) + "\n"))
    return out


def _grade(exercise, source: str, sandbox) -> _Graded:
    key = (exercise.id, source)
    found = _graded_cache.get(key)
    if found is None:
        report = grade(exercise, source, "ro", sandbox=sandbox)
        first_problem = next((t for t in report.tests if not t.passed), None)
        explanation = report.explanation or {}
        found = _graded_cache[key] = _Graded(
            source, first_problem.status if first_problem else "passed", report.passed,
            report.total, report.solved, explanation.get("kind"), explanation.get("line"),
            report.to_dict())
    return found


@dataclass
class _Programs:
    passing: dict[str, _Graded]  # exercise id -> its reference solution, graded
    failing: dict[str, list[_Graded]]  # exercise id -> variants that really fail
    playground: list[tuple[str, list[str]]]  # (project name, versions that run without error)


GRADING_THREADS = 4  # the sandbox's fork server runs several programs at once


def _grade_programs(exercises, progress) -> _Programs:
    sandbox = Retrying(None)
    passing, failing = {}, {}
    started = time.monotonic()

    def grade_all(exercise):
        variants = failing_variants(exercise.solution)
        return (_grade(exercise, exercise.solution, sandbox),
                [_grade(exercise, src, sandbox) for _kind, src in variants])

    with ThreadPoolExecutor(GRADING_THREADS) as pool:
        # map keeps the exercises' order: the same seed gives the same world.
        for n, (exercise, (good, variants)) in enumerate(
                zip(exercises, pool.map(grade_all, exercises), strict=True), start=1):
            if not good.solved:
                raise RuntimeError(f"the reference solution of {exercise.id} does not pass")
            passing[exercise.id] = good
            failing[exercise.id] = [g for g in variants if not g.solved]
            if n % 20 == 0 or n == len(exercises):
                progress(f"  graded the programs of {n}/{len(exercises)} exercises "
                         f"({time.monotonic() - started:.1f} s)")
    playground = []
    for name, versions in PLAYGROUND_PROJECTS:
        ok = [v for v in versions if _run_ok(sandbox, v)]
        if ok:
            playground.append((name, ok))
    return _Programs(passing, failing, playground)


_run_cache: dict[str, bool] = {}


def _run_ok(sandbox, source: str) -> bool:
    if source not in _run_cache:
        _run_cache[source] = sandbox.run(source, stdin="").ok
    return _run_cache[source]


# ---- the counter's rules, applied in order of time ------------------------------------------


class _Ledger:
    """counter.count_submission's decisions for a stream of working programs, in memory.

    The same rules with the same functions: the distinct code lines of the program
    without the starter's, each once per child and target, at most `cap` per child for
    an exercise (for good) and per project per day; the day is counter_day(at)."""

    def __init__(self):
        self.known: dict[tuple[int, str], set[str]] = defaultdict(set)
        self.today: dict[tuple[int, str, date], int] = defaultdict(int)
        self.rows: list[dict] = []
        self.child_days: dict[tuple[int, date], list[int]] = {}  # -> [club, programs, lines]
        self.child_last: dict[int, datetime] = {}
        self.club_last: dict[int, datetime] = {}
        self.county_last: dict[int, datetime] = {}

    def count(self, *, child_id: int, club_id: int, county_id: int, target: str, source: str,
              starter: str, cap: int, submission_id: int, at: datetime) -> int:
        daily = target.startswith(counter.PROJECT)
        day = counter.counter_day(at)
        hashes = [counter.line_hash(line) for line in counter.countable_lines(source, starter)]
        known = self.known[(child_id, target)]
        already = self.today[(child_id, target, day)] if daily else len(known)
        fresh = [h for h in hashes if h not in known][:max(0, cap - already)]
        exercise_id = target[len(counter.EXERCISE):] if not daily else None
        project_id = None
        if daily and target[len(counter.PROJECT):] != counter.SCRATCH:
            project_id = int(target[len(counter.PROJECT):])
        for h in fresh:
            known.add(h)
            self.rows.append({"child_id": child_id, "club_id": club_id, "county_id": county_id,
                              "target": target, "exercise_id": exercise_id,
                              "project_id": project_id, "line_hash": h,
                              "submission_id": submission_id, "day": day, "counted_at": at})
        self.today[(child_id, target, day)] += len(fresh)
        cd = self.child_days.setdefault((child_id, day), [club_id, 0, 0])
        cd[1] += 1
        cd[2] += len(fresh)
        self.child_last[child_id] = at
        self.club_last[club_id] = at
        if fresh:
            self.county_last[county_id] = at
        return len(fresh)

    def totals(self) -> tuple[list[dict], list[dict], list[dict]]:
        """The counter_totals, counter_days and counter_child_days rows the ledger makes,
        as count_submission's upserts leave them."""
        lines: dict[tuple[str, int], int] = defaultdict(int)
        days: dict[tuple[str, int, date], int] = defaultdict(int)
        last: dict[tuple[str, int], datetime] = {}
        for r in self.rows:
            for scope, key in ((C_CHILD, r["child_id"]), (C_CLUB, r["club_id"]),
                               (C_COUNTY, r["county_id"]), (NATION, NATION_KEY)):
                lines[(scope, key)] += 1
                if scope != C_CHILD:
                    days[(scope, key, r["day"])] += 1
                last[(scope, key)] = max(last.get((scope, key), r["counted_at"]), r["counted_at"])
        totals = []
        # A child's and a club's rows exist from their first working program (even one that
        # counted nothing) and know its time; a county's and the nation's from a first line.
        for scope, stamps in ((C_CHILD, self.child_last), (C_CLUB, self.club_last)):
            for key, at in stamps.items():
                totals.append({"scope": scope, "key": key, "lines": lines.get((scope, key), 0),
                               "adjusted": 0, "last_activity_at": at, "updated_at": at})
        for scope, key in sorted(k for k in lines if k[0] in (C_COUNTY, NATION)):
            totals.append({"scope": scope, "key": key, "lines": lines[(scope, key)],
                           "adjusted": 0, "last_activity_at": None,
                           "updated_at": last[(scope, key)]})
        day_rows = [{"scope": s, "key": k, "day": d, "lines": n}
                    for (s, k, d), n in sorted(days.items())]
        child_rows = [{"child_id": c, "day": d, "club_id": v[0], "programs": v[1], "lines": v[2]}
                      for (c, d), v in sorted(self.child_days.items())]
        return totals, day_rows, child_rows


# ---- the season ------------------------------------------------------------------------------


@dataclass
class _ChildPlan:
    club: int  # index in the club plans
    nickname: str
    attendance: float  # chance of coming to a meeting
    slip: float  # chance that an attempt fails
    pace: int  # attempts in a meeting, at most
    first_week: int
    last_week: int
    playground: int | None  # index in PLAYGROUND_PROJECTS, or None
    id: int = 0
    secret: child_secrets.ChildSecret | None = None


@dataclass
class _Event:
    at: datetime
    child: int  # index in the child plans
    kind: str  # SUBMIT or PLAYGROUND
    program: _Graded | None = None
    exercise: object = None
    project: int | None = None  # index in the projects list
    source: str = ""


def _meeting_starts(plan: _ClubPlan, scale: Scale, rng: random.Random, now: datetime
                    ) -> list[tuple[int, datetime]]:
    """(week, start in naive UTC) of the club's meetings that ended before `now`; one week
    in ten falls out (a holiday, a closed library)."""
    today = counter.counter_day(now)
    monday = today - timedelta(days=today.weekday())
    out = []
    for week in range(scale.weeks):
        day = monday - timedelta(weeks=scale.weeks - 1 - week) + timedelta(days=plan.weekday)
        start = to_utc(datetime(day.year, day.month, day.day, plan.hour, rng.choice((0, 0, 30))))
        skipped = rng.random() < 0.1
        if week < plan.first_week or skipped or start + timedelta(hours=2) > now:
            continue
        out.append((week, start))
    return out


def _season(rng, scale, club_plans, child_plans, exercises, programs, now):
    """Every meeting, attendance mark, submission and hint of the season, in memory."""
    by_club: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(child_plans):
        by_club[c.club].append(i)
    meetings: list[tuple[int, datetime, list[int]]] = []  # (club, start, children present)
    events: list[_Event] = []
    hints: list[tuple[int, str, datetime]] = []  # (child, exercise id, at)
    hint_count: dict[tuple[int, str], int] = defaultdict(int)
    next_ex = [0] * len(child_plans)
    fails_here = [0] * len(child_plans)
    assignments: dict[tuple[int, str], datetime] = {}  # (club, set id) -> first reached
    versions = [0] * len(child_plans)
    projects: list[tuple[int, int]] = []  # (child, playground project index)
    project_of: dict[int, int] = {}
    for ci, plan in enumerate(club_plans):
        for week, start in _meeting_starts(plan, scale, rng, now):
            present = [k for k in by_club[ci]
                       if child_plans[k].first_week <= week <= child_plans[k].last_week
                       and rng.random() < child_plans[k].attendance]
            meetings.append((ci, start, present))
            for k in present:
                child = child_plans[k]
                at = start + timedelta(minutes=rng.randint(8, 20))
                for _ in range(rng.randint(1, child.pace)):
                    if next_ex[k] >= len(exercises):
                        break
                    exercise = exercises[next_ex[k]]
                    assignments.setdefault((ci, exercise.set_id), start)
                    at += timedelta(minutes=rng.randint(5, 14))
                    fail = programs.failing[exercise.id] and rng.random() < child.slip * (
                        0.6 ** fails_here[k])
                    ladder = len(exercise.hints.get("ro") or ())
                    if (fails_here[k] >= 2 and hint_count[(k, exercise.id)] < ladder
                            and rng.random() < 0.4):
                        hint_count[(k, exercise.id)] += 1
                        hints.append((k, exercise.id, at - timedelta(minutes=2)))
                    if fail:
                        program = rng.choice(programs.failing[exercise.id])
                        events.append(_Event(at, k, SUBMIT, program, exercise))
                        fails_here[k] += 1
                    else:
                        program = programs.passing[exercise.id]
                        events.append(_Event(at, k, SUBMIT, program, exercise))
                        next_ex[k] += 1
                        fails_here[k] = 0
                if (child.playground is not None and programs.playground
                        and rng.random() < 0.35):
                    name, sources = programs.playground[child.playground % len(programs.playground)]
                    if k not in project_of:
                        project_of[k] = len(projects)
                        projects.append((k, child.playground % len(programs.playground)))
                    source = sources[min(versions[k], len(sources) - 1)]
                    versions[k] += 1
                    events.append(_Event(at + timedelta(minutes=6), k, PLAYGROUND,
                                         project=project_of[k], source=source))
    events.sort(key=lambda e: (e.at, e.child))
    return meetings, events, hints, assignments, projects


# ---- seeding -----------------------------------------------------------------------------------


def _quiet(_message: str) -> None:
    pass


def seed(scale: Scale | None = None, *, seed: int = SEED, password: str = NETWORK_PASSWORD,
         now: datetime | None = None, progress: Callable[[str], None] = _quiet,
         historical: int = HISTORICAL_LINES) -> NetworkWorld:
    """Create the network world in this (migrated) database and return what it made.

    Needs an app context. Refuses a database that already holds clubs: the national
    picture would mix with them (NetworkWorldError).
    """
    scale = scale or DEFAULT_SCALE
    if scale.children < scale.clubs:
        raise ValueError("a world needs at least one child per club")
    started = time.monotonic()
    now = now or utcnow()
    s = db.session
    if s.scalar(select(func.count()).select_from(Club)):
        raise NetworkWorldError("the database already holds clubs")
    rng = random.Random(seed)
    bank = current_app.extensions["codekids_bank"]
    exercises = [e for st in sorted(bank.sets, key=lambda x: x.order)
                 for e in sorted(st.exercises, key=lambda x: x.order) if e.solution.strip()]
    progress(f"Grading each exercise's reference solution and failing variants "
             f"({len(exercises)} exercises) in the sandbox...")
    programs = _grade_programs(exercises, progress)

    counties = {c.code: c for c in s.scalars(select(County).where(County.code.in_(COUNTY_CODES)))}
    club_plans = _plan_clubs(rng, scale, set(s.scalars(select(Club.join_code))))
    season_start = counter.counter_day(now) - timedelta(weeks=scale.weeks)
    created = to_utc(datetime(season_start.year, season_start.month, season_start.day, 9))
    password_hash = passwords.hash_password(password)

    # Staff: the national coordinator, county coordinators, a librarian per club.
    taken = {NATIONAL_COORDINATOR[0]}
    staff = [{"role": COORDINATOR, "username": NATIONAL_COORDINATOR[0],
              "display_name": NATIONAL_COORDINATOR[1], "county_id": None}]
    for code in COORDINATED:
        if any(p.county == code for p in club_plans):
            _u, display = _staff_name(rng, code, taken)
            staff.append({"role": COORDINATOR, "username": f"coordonator.{code.lower()}",
                          "display_name": display, "county_id": counties[code].id})
    for plan in club_plans:
        plan.librarian = _staff_name(rng, plan.county, taken)
        staff.append({"role": LIBRARIAN, "username": plan.librarian[0],
                      "display_name": plan.librarian[1], "county_id": counties[plan.county].id})
    for row in staff:
        row.update(password_hash=password_hash, must_change_password=False, active=True,
                   created_at=created)
    staff_ids = _insert_returning(s, User, staff)
    user_of = {row["username"]: uid for row, uid in zip(staff, staff_ids, strict=True)}
    national_id = user_of[NATIONAL_COORDINATOR[0]]

    club_ids = _insert_returning(s, Club, [
        {"name": p.name, "library": p.library, "town": p.town, "county_id": counties[p.county].id,
         "join_code": p.join_code, "secret_kind": p.secret_kind, "active": True,
         "created_at": created} for p in club_plans])
    for plan, cid in zip(club_plans, club_ids, strict=True):
        plan.id = cid
    s.execute(insert(librarian_clubs), [{"user_id": user_of[p.librarian[0]], "club_id": p.id}
                                        for p in club_plans])
    progress(f"{len(club_plans)} clubs in {len({p.county for p in club_plans})} counties, "
             f"{len(staff)} staff accounts")

    # Children: nicknames checked by the clubs' own rule, secrets from accounts.secrets.
    child_plans: list[_ChildPlan] = []
    for ci, plan in enumerate(club_plans):
        names = _nicknames(rng, plan.county, plan.size)
        club = s.get(Club, plan.id)
        checked, problems = clubs.check_nicknames(club, "\n".join(names))
        if problems:
            raise RuntimeError(f"seeded nicknames refused: {problems[:3]}")
        for name in checked:
            first = 0 if rng.random() < 0.85 else rng.randint(1, max(1, scale.weeks // 2))
            last = scale.weeks if rng.random() < 0.9 else rng.randint(first, scale.weeks)
            child_plans.append(_ChildPlan(
                club=ci, nickname=name, attendance=rng.uniform(0.45, 0.95),
                slip=rng.uniform(0.15, 0.6), pace=rng.randint(2, 5), first_week=first,
                last_week=last, playground=rng.randrange(len(PLAYGROUND_PROJECTS))
                if rng.random() < 0.25 else None))
    rows = []
    for c in child_plans:
        plan = club_plans[c.club]
        c.secret = child_secrets.generate(plan.secret_kind)
        rows.append({"role": CHILD, "nickname": c.nickname, "club_id": plan.id,
                     "secret_enc": child_secrets.encrypt(c.secret), "active": True,
                     "locale": "hu" if plan.county == "HR" else None, "created_at": created})
    for c, uid in zip(child_plans, _insert_returning(s, User, rows), strict=True):
        c.id = uid
    progress(f"{len(child_plans)} children (nicknames only)")

    # The season.
    meetings, events, hint_uses, reached, projects = _season(
        rng, scale, club_plans, child_plans, exercises, programs, now)
    session_rows = [{"club_id": club_plans[ci].id, "started_at": start,
                     "ended_at": start + timedelta(hours=2),
                     "started_by_id": user_of[club_plans[ci].librarian[0]]}
                    for ci, start, _present in meetings]
    session_ids = _insert_returning(s, ClubSession, session_rows)
    attendance, logins = [], []
    last_login: dict[int, datetime] = {}
    for (ci, start, present), sid in zip(meetings, session_ids, strict=True):
        for k in present:
            at = start + timedelta(minutes=rng.randint(1, 10))
            attendance.append({"session_id": sid, "child_id": child_plans[k].id, "present": True,
                               "source": FROM_LOGIN, "updated_at": start + timedelta(hours=2)})
            logins.append({"user_id": child_plans[k].id, "club_id": club_plans[ci].id,
                           "address": f"10.{ci // 250}.{ci % 250}.{k % 250 + 2}",
                           "succeeded": True, "at": at, "kind": CHILD_LOGIN})
            last_login[child_plans[k].id] = at
    _bulk(s, Attendance, attendance)
    _bulk(s, LoginAttempt, logins)
    progress(f"{len(meetings)} club meetings, {len(attendance)} children's attendances")

    project_rows = []
    runs_of: dict[int, list[_Event]] = defaultdict(list)
    for e in events:
        if e.kind == PLAYGROUND:
            runs_of[e.child].append(e)
    for k, p in projects:
        name, versions = programs.playground[p]
        runs = runs_of[k]
        project_rows.append({"child_id": child_plans[k].id, "name": name,
                             "source": runs[-1].source if runs else versions[0],
                             "created_at": runs[0].at if runs else created,
                             "updated_at": runs[-1].at if runs else created})
    project_ids = _insert_returning(s, Project, project_rows)

    # Submissions, in order of time (ids grow with it, as on the site).
    world = NetworkWorld()
    sub_rows = []
    for e in events:
        c = child_plans[e.child]
        club_id = club_plans[c.club].id
        if e.kind == SUBMIT:
            g = e.program
            report = g.report if club_plans[c.club].county != "HR" else {**g.report, "locale": "hu"}
            sub_rows.append({
                "child_id": c.id, "club_id": club_id, "kind": SUBMIT, "exercise_id": e.exercise.id,
                "project_id": None, "client_key": f"{rng.getrandbits(64):016x}", "source": g.source,
                "status": g.status, "passed": g.passed, "total": g.total, "solved": g.solved,
                "error_kind": g.error_kind, "error_line": g.error_line, "report": report,
                "created_at": e.at})
            if g.solved:
                world.solved += 1
            else:
                world.failed += 1
        else:
            sub_rows.append({
                "child_id": c.id, "club_id": club_id, "kind": PLAYGROUND, "exercise_id": None,
                "project_id": project_ids[e.project], "client_key": None, "source": e.source,
                "status": "ok", "passed": 0, "total": 0, "solved": True, "error_kind": None,
                "error_line": None, "report": None, "created_at": e.at})
            world.playground += 1
    progress(f"Writing {len(sub_rows)} submissions ({world.solved} solved, {world.failed} failed, "
             f"{world.playground} playground runs)...")
    sub_ids = _insert_returning(s, Submission, sub_rows)

    # The counter's ledger, in order of time, and the progress of every child.
    ledger = _Ledger()
    cap_playground = counter.playground_daily_cap()
    county_of_club = {p.id: counties[p.county].id for p in club_plans}
    progress_rows: dict[tuple[int, str], dict] = {}
    hints_of: dict[tuple[int, str], int] = defaultdict(int)
    hint_rows = []
    hint_iter = iter(sorted(hint_uses, key=lambda h: h[2]))
    pending_hint = next(hint_iter, None)
    for e, sid in zip(events, sub_ids, strict=True):
        c = child_plans[e.child]
        club_id = club_plans[c.club].id
        while pending_hint is not None and pending_hint[2] <= e.at:
            hk, hex_id, hat = pending_hint
            key = (child_plans[hk].id, hex_id)
            if not (progress_rows.get(key) or {}).get("solved"):
                hints_of[key] += 1
                hint_rows.append({"child_id": key[0], "exercise_id": hex_id,
                                  "level": hints_of[key], "at": hat})
            pending_hint = next(hint_iter, None)
        if e.kind == PLAYGROUND:
            ledger.count(child_id=c.id, club_id=club_id, county_id=county_of_club[club_id],
                         target=counter.project_target(project_ids[e.project]), source=e.source,
                         starter="", cap=cap_playground, submission_id=sid, at=e.at)
            continue
        ex = e.exercise
        row = progress_rows.get((c.id, ex.id))
        if row is None:
            row = progress_rows[(c.id, ex.id)] = {
                "child_id": c.id, "exercise_id": ex.id, "attempts": 0, "failed_streak": 0,
                "solved": False, "stars": 0, "hints_used": 0, "first_attempt_at": e.at,
                "last_attempt_at": e.at, "solved_at": None}
        failed_before = row["attempts"]
        row["attempts"] += 1
        row["last_attempt_at"] = e.at
        row["hints_used"] = hints_of[(c.id, ex.id)]
        if e.program.solved:
            if not row["solved"]:
                row.update(solved=True, solved_at=e.at,
                           stars=stars_for(failed_before, row["hints_used"]))
            row["failed_streak"] = 0
            ledger.count(child_id=c.id, club_id=club_id, county_id=county_of_club[club_id],
                         target=counter.exercise_target(ex.id), source=e.program.source,
                         starter=ex.starter, cap=ex.max_lines, submission_id=sid, at=e.at)
        else:
            row["failed_streak"] += 1
    _bulk(s, Progress, list(progress_rows.values()))
    _bulk(s, HintUse, hint_rows)
    _bulk(s, Assignment, [{"club_id": club_plans[ci].id, "set_id": set_id, "child_id": None,
                           "due_date": None, "created_by_id": user_of[club_plans[ci].librarian[0]],
                           "created_at": at - timedelta(days=1)}
                          for (ci, set_id), at in sorted(reached.items(), key=lambda kv: kv[1])])
    totals, day_rows, child_day_rows = ledger.totals()
    progress(f"Counting: {len(ledger.rows)} lines in the ledger...")
    _bulk(s, CountedLine, ledger.rows)
    _bulk(s, CounterTotal, totals)
    _bulk(s, CounterDay, day_rows)
    _bulk(s, ChildDay, child_day_rows)
    if last_login:
        s.execute(update(User.__table__).where(User.__table__.c.id == bindparam("uid"))
                  .values(last_login_at=bindparam("at")),
                  [{"uid": uid, "at": at} for uid, at in last_login.items()])
    s.commit()
    world.lines = len(ledger.rows)

    if historical:
        national = s.get(User, national_id)
        counter.record_adjustment(national, scope=NATION, amount=historical,
                                  day=season_start - timedelta(days=1), reason=HISTORICAL_REASON)

    world.clubs = [SeededClub(p.id, p.name, p.county, p.join_code, p.secret_kind, p.librarian[0])
                   for p in club_plans]
    world.children = [SeededChild(c.id, club_plans[c.club].id, club_plans[c.club].join_code,
                                  c.nickname, c.secret) for c in child_plans]
    world.county_coordinators = {row["username"].rpartition(".")[2].upper(): row["username"]
                                 for row in staff if row["role"] == COORDINATOR
                                 and row["county_id"] is not None}
    world.seconds = time.monotonic() - started
    progress(f"The network world is ready ({world.seconds:.1f} s).")
    return world


def _insert_returning(s, model, rows: list[dict]) -> list[int]:
    """Insert in bulk with ids of our own, after the highest there; returns them in the
    order of `rows`. (RETURNING in order makes SQLite insert one row at a time: 5 s for
    the season's submissions.) The database is written by nobody else meanwhile: the
    network world goes into a database without clubs, and `seed` is one transaction.
    PostgreSQL's sequence is moved past them, so the site's own inserts go on from there."""
    if not rows:
        return []
    table = model.__table__
    first = (s.scalar(select(func.max(table.c.id))) or 0) + 1
    ids = list(range(first, first + len(rows)))
    s.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                  {"t": table.name, "n": ids[-1]})
    return ids


def _bulk(s, model, rows: list[dict]) -> None:
    if rows:
        s.execute(insert(model.__table__), rows)


# ---- the printed logins ------------------------------------------------------------------------


@dataclass
class NetworkLogins:
    password: str
    national: str
    county: tuple[str, str]  # username, county name
    librarian: str
    club_name: str
    join_code: str
    child: tuple[str, str, tuple[str, ...]]  # nickname, secret kind, secret
    clubs: int = 0
    counties: int = 0
    children: int = 0


def demo_logins(password: str = NETWORK_PASSWORD, *, repair: bool = True) -> NetworkLogins:
    """Make the printed logins work now and return them: the national coordinator, a
    county coordinator, the first club's librarian and its first child (with `repair`:
    their password reset to the printed one, the child active with a readable secret,
    the club's lockouts lifted; a world seeded a moment ago needs none of it). Needs
    the network world in the database."""
    s = db.session
    club = s.scalar(select(Club).where(Club.join_code == FIRST_JOIN_CODE))
    if club is None:
        raise NetworkWorldError("this database holds no network world")
    club.active = True
    coordinator = s.scalar(select(User).where(User.role == COORDINATOR,
                                              User.county_id == club.county_id))
    national = s.scalar(select(User).where(User.username == NATIONAL_COORDINATOR[0]))
    librarian = s.scalar(select(User).join(librarian_clubs, librarian_clubs.c.user_id == User.id)
                         .where(librarian_clubs.c.club_id == club.id).order_by(User.id))
    for user in (national, coordinator, librarian):
        if user is None or not repair:
            continue
        user.active = True
        s.commit()
        if not passwords.verify_password(user.password_hash, password) or user.must_change_password:
            accounts.set_password(user, password)
    child = s.scalar(select(User).where(User.club_id == club.id, User.role == CHILD)
                     .order_by(User.id))
    if not child.active:
        clubs.set_child_active(child, True)
    secret = clubs.card_secret(child)
    if secret is None or secret.kind != club.secret_kind:
        secret = clubs.reset_secret(child)
    if repair:
        accounts.lift_club_locks(club)
    s.commit()
    return NetworkLogins(
        password=password, national=national.username,
        county=(coordinator.username, club.county.name) if coordinator else ("", ""),
        librarian=librarian.username, club_name=club.name, join_code=club.join_code,
        child=(child.nickname, secret.kind, secret.value),
        clubs=s.scalar(select(func.count(Club.id))),
        counties=s.scalar(select(func.count(func.distinct(Club.county_id)))),
        children=s.scalar(select(func.count(User.id)).where(User.role == CHILD)))


def format_logins(logins: NetworkLogins, url: str) -> str:
    """The table `codekids demo --network` prints. Never includes the site's secret key."""
    nickname, kind, secret = logins.child
    shown = ("pictures, in order: " + " -> ".join(secret) if kind == "pictures"
             else "words: " + " ".join(secret))
    return "\n".join([
        "",
        "CODE Kids demo: the national network",
        "=" * 78,
        f"Site:        {url}",
        f"World:       {logins.clubs} clubs in {logins.counties} counties, "
        f"{logins.children} children; every staff account has the password below",
        "",
        f"A child:     club code {logins.join_code} ({logins.club_name}), "
        f"nickname {nickname}, {shown}",
        "",
        f"Staff log in at {url.rstrip('/')}/autentificare   password: {logins.password}",
        f"  national coordinator  username: {logins.national}",
        f"  county coordinator    username: {logins.county[0]}  ({logins.county[1]})",
        f"  librarian             username: {logins.librarian}  ({logins.club_name})",
        "=" * 78,
        "",
    ])
