"""Command line: `codekids init-db | demo | create-coordinator | serve | backup | restore`,
`codekids exercises ...` and `codekids counter verify`.

Errors are one clear line on stderr and exit code 1, never a traceback: the
people running these commands are librarians' IT volunteers as often as developers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from codekids import db, logs, migrate
from codekids.settings import SettingsError

# ---- the demo world -----------------------------------------------------------------------

# The demo club's join code is fixed so the README and a printed card can name it. It
# uses only letters of clubs.service.JOIN_ALPHABET, which leaves out O (read as 0):
# that is why it is not "DEMO42".
DEMO_JOIN_CODE = "DEMX42"
DEMO_CLUB = {
    "name": "Clubul Demo",
    "library": "Biblioteca Județeană Octavian Goga",
    "town": "Cluj-Napoca",
}
DEMO_COUNTY = "CJ"
DEMO_CHILDREN = ("Ana", "Andrei", "Bianca", "Ioana", "Mihai", "Raluca", "Ștefan", "Tudor")
# Known, printed passwords: the demo is for trying the site on one's own machine.
DEMO_LIBRARIAN = ("bibliotecara.demo", "Bibliotecara Demo", "carte-verde-2024")
DEMO_COORDINATOR = ("coordonator.demo", "Coordonator Demo", "harta-tarii-2024")


@dataclass
class DemoChild:
    id: int
    nickname: str
    kind: str  # "pictures" or "words"
    secret: tuple[str, ...]


@dataclass
class DemoLogins:
    join_code: str
    club_name: str
    librarian: tuple[str, str]  # username, password
    coordinator: tuple[str, str]
    children: list[DemoChild] = field(default_factory=list)


def seed_demo() -> DemoLogins:
    """Create what is missing of the demo world and return logins that work now.

    Idempotent: a second run creates nothing new, but resets the demo staff
    passwords to the printed values, reactivates the demo children, lifts their
    lockouts and re-issues any secret that can no longer be read (new secret key).
    Needs an app context and a migrated database.
    """
    from codekids.accounts import passwords
    from codekids.accounts import service as accounts
    from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
    from codekids.clubs import service as clubs
    from codekids.clubs.models import Club, County

    s = db.session
    county = s.scalar(select(County).where(County.code == DEMO_COUNTY))
    club = s.scalar(select(Club).where(Club.join_code == DEMO_JOIN_CODE))
    if club is None:
        club = clubs.create_club(county=county, **DEMO_CLUB)
        club.join_code = DEMO_JOIN_CODE
    club.active = True
    s.commit()

    def staff(role: str, spec: tuple[str, str, str], home: County | None) -> User:
        username, display_name, password = spec
        user = s.scalar(select(User).where(func.lower(User.username) == username))
        if user is None:
            user = accounts.create_staff(
                role=role, username=username, display_name=display_name, county=home,
                password_hash=passwords.hash_password(password), must_change_password=False,
            )
        elif user.role != role:
            raise click.ClickException(
                f"the username {username!r} belongs to a {user.role}, not a demo {role}; "
                "rename that account or use another database"
            )
        user.active = True
        s.commit()
        if not passwords.verify_password(user.password_hash, password) or user.must_change_password:
            accounts.set_password(user, password)
        return user

    librarian = staff(LIBRARIAN, DEMO_LIBRARIAN, county)
    staff(COORDINATOR, DEMO_COORDINATOR, None)  # national: sees every county
    if club not in librarian.clubs:
        accounts.set_librarian_clubs(librarian, [*librarian.clubs, club])

    every_child = accounts.club_children(club, include_inactive=True)
    existing = {c.nickname.casefold() for c in every_child}
    missing = [n for n in DEMO_CHILDREN if n.casefold() not in existing]
    if missing:
        result = clubs.create_children(club, "\n".join(missing))
        if not result.ok:
            reasons = ", ".join(f"{p.text!r}: {p.reason}" for p in result.problems)
            raise click.ClickException(f"could not create the demo children ({reasons})")

    logins = DemoLogins(
        join_code=club.join_code,
        club_name=club.name,
        librarian=(DEMO_LIBRARIAN[0], DEMO_LIBRARIAN[2]),
        coordinator=(DEMO_COORDINATOR[0], DEMO_COORDINATOR[2]),
    )
    order = {n.casefold(): i for i, n in enumerate(DEMO_CHILDREN)}
    demo_children = [
        c for c in accounts.club_children(club, include_inactive=True)
        if c.role == CHILD and c.nickname.casefold() in order
    ]
    for child in sorted(demo_children, key=lambda c: order[c.nickname.casefold()]):
        if not child.active:
            clubs.set_child_active(child, True)
        secret = clubs.card_secret(child)
        if secret is None or secret.kind != club.secret_kind:
            secret = clubs.reset_secret(child)
        logins.children.append(DemoChild(child.id, child.nickname, secret.kind, secret.value))
    accounts.lift_club_locks(club)
    return logins


def format_logins(logins: DemoLogins, url: str) -> str:
    """The table `codekids demo` prints. Never includes the site's secret key."""
    lines = [
        "",
        "CODE Kids demo",
        "=" * 70,
        f"Site:        {url}",
        f"Club:        {logins.club_name}   join code: {logins.join_code}",
        "",
        "Children: open the site, type the club code, pick the nickname, then the secret.",
    ]
    width = max(len(c.nickname) for c in logins.children) if logins.children else 8
    for child in logins.children:
        if child.kind == "pictures":
            secret = "pictures, in order: " + " -> ".join(child.secret)
        else:
            secret = "words: " + " ".join(child.secret)
        lines.append(f"  {child.nickname:<{width}}  {secret}")
    lines += [
        "",
        f"Staff log in at {url.rstrip('/')}/autentificare",
        f"  librarian    username: {logins.librarian[0]:<20} password: {logins.librarian[1]}",
        f"  coordinator  username: {logins.coordinator[0]:<20} password: {logins.coordinator[1]}",
        "=" * 70,
        "",
    ]
    return "\n".join(lines)


# ---- commands -----------------------------------------------------------------------------


def _schema_state() -> tuple[str | None, str | None]:
    engine = db.get_engine()
    return migrate.current_revision(engine), migrate.head_revision(engine)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the newest version."""
    migrate.upgrade(db.get_engine())
    click.echo("The database is up to date.")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-serve", is_flag=True, help="Set up and print the logins, then stop.")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Set up a demo club with accounts, print their logins, and serve the site."""
    migrate.upgrade(db.get_engine())
    logins = seed_demo()
    url = f"http://{host}:{port}/"
    click.echo(format_logins(logins, url))
    if no_serve:
        return
    settings = current_app.config["CODEKIDS"]
    logs.configure(settings.log_format or "text", settings.log_level)
    _serve_development(current_app._get_current_object(), host, port)


def _serve_development(app: Flask, host: str, port: int) -> None:
    """Werkzeug's threaded server: enough for one club laptop, no extra process."""
    import socket

    from werkzeug.serving import make_server

    # Werkzeug answers a busy port with several lines and sys.exit; probe first so
    # the message is ours and names the way out.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); try --port {port + 1}"
        ) from None
    server = make_server(host, port, app, threaded=True)
    click.echo(f"Serving the demo at http://{host}:{port}/ (press Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nStopped.")
    finally:
        server.server_close()


@click.command("create-coordinator")
@click.option("--username", required=True, help="Lower-case letters, digits, . _ - (3-64).")
@click.option("--county", "county_code", default=None,
              help="County code (e.g. CJ, B for Bucharest); leave out for a national coordinator.")
@click.option("--display-name", default="", help="The name shown on the site.")
@with_appcontext
def create_coordinator_command(username: str, county_code: str | None, display_name: str) -> None:
    """Create a coordinator account and print a temporary password.

    The coordinator must choose a new password at the first login.
    """
    from codekids.accounts import passwords
    from codekids.accounts import service as accounts
    from codekids.accounts.models import COORDINATOR
    from codekids.clubs.models import County

    _require_current_schema()
    username = username.strip().lower()
    county = None
    if county_code:
        county = db.session.scalar(select(County).where(County.code == county_code.strip().upper()))
        if county is None:
            codes = ", ".join(db.session.scalars(select(County.code).order_by(County.code)))
            raise click.ClickException(f"unknown county code {county_code!r}; use one of: {codes}")
    problem = accounts.username_problem(username)
    if problem == "username_taken":
        raise click.ClickException(f"the username {username!r} is already taken")
    if problem:
        raise click.ClickException(
            f"the username {username!r} is not valid: use 3-64 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    password = accounts.temporary_password()
    user = accounts.create_staff(
        role=COORDINATOR,
        username=username,
        display_name=display_name or username,
        county=county,
        password_hash=passwords.hash_password(password),
        must_change_password=True,
    )
    scope = f"county {county.code} ({county.name})" if county else "the whole country"
    click.echo(f"Created coordinator {user.username} for {scope}.")
    click.echo(f"Temporary password: {password}")
    click.echo("They must choose a new password when they first log in.")


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on [default: CODEKIDS_HOST].")
@click.option("--port", default=None, type=int, help="Port [default: CODEKIDS_PORT].")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="Worker processes [default: CODEKIDS_WORKERS].")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1),
              help="Threads per worker.")
@click.option("--migrate", "run_migrations", is_flag=True,
              help="Upgrade the database schema first (same as `codekids init-db`).")
@with_appcontext
def serve_command(host, port, workers, threads, run_migrations) -> None:
    """Serve the site with gunicorn, the production server."""
    settings = current_app.config["CODEKIDS"]
    if run_migrations:
        migrate.upgrade(db.get_engine())
    _require_current_schema()
    # Workers build their own app (and engine) after the fork: pooled connections
    # must never be shared between processes.
    db.get_engine().dispose()
    options = gunicorn_options(settings, host, port, workers, threads)
    click.echo(f"Serving CODE Kids at http://{options['bind']}/ with {options['workers']} workers")
    # One pooled database connection per thread unless CODEKIDS_DB_POOL_SIZE says otherwise.
    _GunicornApp(options, {"db_pool_size": settings.db_pool_size or threads}).run()


# Longer than any browser keeps an idle connection (Chrome 300 s, Firefox 115 s), so
# the browser, not the server, closes it: a library PC on a slow link pays for a new
# connection (and TLS handshake) only when it was idle for minutes, and never sends a
# request into a connection the server is closing at that very moment.
KEEPALIVE_SECONDS = 320


def gunicorn_options(settings, host: str | None = None, port: int | None = None,
                     workers: int | None = None, threads: int = 4) -> dict:
    """gunicorn's settings for `codekids serve` (README, "Serving")."""
    return {
        "bind": f"{host or settings.serve_host}:{port or settings.serve_port}",
        "workers": workers or settings.serve_workers,
        # gthread keeps idle connections alive in its poller, without holding a
        # thread (the sync worker cannot keep a connection alive at all): each one
        # costs a file descriptor and one of worker_connections.
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": KEEPALIVE_SECONDS,
        "worker_connections": 1000,
        # Proxies are trusted only as CODEKIDS_TRUSTED_PROXIES says, by ProxyFix in
        # codekids.web, which counts hops. gunicorn's own check trusts whatever comes
        # from 127.0.0.1 by default (or $FORWARDED_ALLOW_IPS), so any local process
        # or a same-host proxy passing a client's X-Forwarded-Proto through could
        # make the site believe HTTPS with CODEKIDS_TRUSTED_PROXIES=0; and it reads
        # X-Forwarded-Ssl and X-Forwarded-Protocol too, which a proxy seldom strips.
        # So gunicorn trusts no peer and interprets no forwarding header itself.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "forwarder_headers": "",
        # No gunicorn access log: it prints full URLs (query strings, invitation
        # tokens). The app writes one line per request instead (codekids.logs).
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": logs.dict_config(settings.log_format or "json", settings.log_level),
        # One shared default path for every gunicorn on the machine: not worth the clash.
        "control_socket_disable": True,
    }


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write [default: INSTANCE/backups/codekids-DATE-TIME.sqlite3|.pgdump].")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Copy the database to a file while the site keeps running."""
    from codekids import backup

    url = current_app.config["CODEKIDS"].database_url
    target = output or backup.default_backup_path(url, Path(current_app.instance_path) / "backups")
    try:
        written = backup.backup(url, target)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(written))


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Overwrite a database that already holds data (stop the site first).")
@with_appcontext
def restore_command(path: Path, replace: bool) -> None:
    """Load a file written by `codekids backup` into CODEKIDS_DATABASE_URL."""
    from codekids import backup

    url = current_app.config["CODEKIDS"].database_url
    # Our own engine may hold a connection to the file being replaced.
    db.get_engine().dispose()
    try:
        backup.restore(path, url, replace=replace)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path}. Run `codekids counter verify` to check the counter.")


# ---- the counter's check -----------------------------------------------------------------
# Here, not in counter/: it joins the counter (which knows no submissions) with the
# submissions each counted line is traced to (learning, a room above the counter).


@click.group("counter")
def counter_group() -> None:
    """The lines-of-code counter."""


@counter_group.command("verify")
@click.option("--no-trace", is_flag=True,
              help="Skip checking every ledger row against its submission's source.")
@with_appcontext
def counter_verify_command(no_trace: bool) -> None:
    """Recompute every total from the ledger; exit 1 listing each difference."""
    from codekids.counter import service as counter
    from codekids.counter.models import CountedLine
    from codekids.learning.service import counted_programs

    problems = counter.verify(programs=None if no_trace else counted_programs())
    lines = db.session.scalar(select(func.count()).select_from(CountedLine))
    if problems:
        click.echo(f"{len(problems)} difference(s) between the stored totals and the ledger:")
        for problem in problems:
            click.echo(f"  {problem}")
        sys.exit(1)
    click.echo(f"OK: {lines} counted lines in the ledger; every total matches.")


def _require_current_schema() -> None:
    current, head = _schema_state()
    if current != head:
        state = "empty" if current is None else f"at {current}, not {head}"
        raise click.ClickException(
            f"the database schema is {state}; run `codekids init-db` first"
        )


try:
    from gunicorn.app.base import BaseApplication
except ImportError:  # pragma: no cover - gunicorn is a dependency, but not on Windows
    BaseApplication = object  # type: ignore[assignment,misc]


class _GunicornApp(BaseApplication):  # type: ignore[misc,valid-type]
    def __init__(self, options: dict, app_config: dict | None = None):
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from codekids import create_app

        return create_app(self.app_config)


def init_app(app: Flask) -> None:
    from codekids.bank.cli import exercises_group

    for command in (init_db_command, demo_command, create_coordinator_command, serve_command,
                    backup_command, restore_command, exercises_group, counter_group):
        app.cli.add_command(command)


# ---- entry point --------------------------------------------------------------------------


def _factory():
    from codekids import create_app

    return create_app()


class _CodeKidsGroup(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a full traceback when the app cannot load while listing
        # commands (`codekids --help`); one line is enough to say what is wrong.
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except Exception as exc:  # reported in one line, then the help goes on
            click.echo(f"codekids: {_explain(exc)}", err=True)
            return sorted(click.Group.list_commands(self, ctx))
        return super().list_commands(ctx)


cli = _CodeKidsGroup(
    create_app=_factory,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="CODE Kids: run and manage the site. Settings come from CODEKIDS_* variables.",
)
# Flask's --app, --env-file and --debug make no sense here: the app is always
# codekids, settings come from CODEKIDS_* variables, and debug mode would expose
# Werkzeug's debugger on a shared library PC.
cli.params = [p for p in cli.params if p.name not in {"app", "env_file", "debug"}]


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _explain(exc: BaseException) -> str:
    if isinstance(exc, SettingsError):
        return f"configuration error: {exc}"
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {_one_line(exc)} (check CODEKIDS_DATABASE_URL)"
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return f"CODEKIDS_DATABASE_URL is not a database URL we can use: {_one_line(exc)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="codekids")
    except (SettingsError, OperationalError, ArgumentError, NoSuchModuleError) as exc:
        _fail(_explain(exc))


def _fail(message: str) -> None:
    click.echo(f"codekids: {message}", err=True)
    sys.exit(1)
