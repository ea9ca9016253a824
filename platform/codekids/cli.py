"""Command line: `codekids init-db | demo | create-coordinator | serve | backup | restore`,
`codekids exercises ...`, `codekids counter verify` and `codekids sync [setup | status]`.

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
@click.option("--network", is_flag=True,
              help="The national network instead: 95 clubs in 18 counties, ~1,300 children, "
                   "a season of submissions (needs a database without other clubs).")
@with_appcontext
def demo_command(host: str, port: int, no_serve: bool, network: bool) -> None:
    """Set up a demo club with accounts, print their logins, and serve the site."""
    migrate.upgrade(db.get_engine())
    url = f"http://{host}:{port}/"
    if network:
        click.echo(_seed_network(url))
    else:
        click.echo(format_logins(seed_demo(), url))
    if no_serve:
        return
    settings = current_app.config["CODEKIDS"]
    logs.configure(settings.log_format or "text", settings.log_level)
    from codekids.sync.syncer import SyncThread

    # One process: the syncer is a thread beside the server (it idles until set up).
    syncer = SyncThread(current_app._get_current_object()).start()
    try:
        _serve_development(current_app._get_current_object(), host, port)
    finally:
        syncer.close()


def _seed_network(url: str) -> str:
    """Seed the network world once (later runs only make its printed logins work again)
    and return the logins to print."""
    from codekids import network_world
    from codekids.sandbox_client import SandboxUnavailable

    seeded = False
    if not network_world.exists():
        try:
            network_world.seed(progress=click.echo)
            seeded = True
        except SandboxUnavailable as exc:
            raise click.ClickException(
                f"the sandbox could not grade the bank's programs ({exc}); try again"
            ) from None
        except network_world.NetworkWorldError:
            raise click.ClickException(
                "the network demo needs a database without other clubs (this one has some, "
                "e.g. from `codekids demo`); point CODEKIDS_DATABASE_URL at a new one, e.g. "
                "CODEKIDS_DATABASE_URL=sqlite:///network.sqlite3"
            ) from None
    return network_world.format_logins(network_world.demo_logins(repair=not seeded), url)


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
    syncer = _start_background_syncer()  # a club box sends its counted work by itself
    db.get_engine().dispose()
    try:
        # One pooled database connection per thread unless CODEKIDS_DB_POOL_SIZE says otherwise.
        _GunicornApp(options, {"db_pool_size": settings.db_pool_size or threads}).run()
    finally:
        _stop_background_syncer(syncer)


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


# ---- sync: this site as a club laptop ("box") feeding the national total (issue 19) ------

# What `codekids sync` says of each result, for the librarian's IT volunteer.
SYNC_RESULT_WORDS = {
    "offline": "The national server could not be reached ({detail}). Nothing is lost: "
               "the box tries again by itself.",
    "token_revoked": "The national server refused this box's token: a coordinator revoked "
                     "it. Nothing is lost on the box. Ask the coordinator for a new token, "
                     "then run `codekids sync setup --server {server} --token NEW-TOKEN`.",
    "token_unknown": "The national server does not know this box's token ({detail}). Nothing "
                     "is lost on the box. Check the token with the coordinator, then run "
                     "`codekids sync setup --server {server} --token TOKEN` again.",
    "server_error": "The national server had a problem ({detail}). Nothing is lost: the box "
                    "tries again by itself.",
    "bad_answer": "The national server's answer could not be read ({detail}). Nothing is "
                  "lost: the box sends the same batch again later.",
    "not_set_up": "This site is not set up as a club box yet: run "
                  "`codekids sync setup --server URL --token TOKEN` first.",
    "busy": "Another sync is running on this box right now; try again in a minute.",
}


def _sync_words(result, server: str = "URL") -> str:
    if result.result == "ok":
        if not result.batches:
            return "Nothing was waiting; the national server answers."
        return (f"Done: {result.items} item(s) sent in {result.batches} batch(es); the "
                f"national server accepted {result.accepted} ({result.lines} lines) and "
                f"refused {result.rejected}.")
    return SYNC_RESULT_WORDS.get(result.result, "{detail}").format(
        detail=result.detail or result.result, server=server)


def _when(at) -> str:
    from codekids.i18n import local_time

    return local_time(at).strftime("%Y-%m-%d %H:%M") if at else "never"


@click.group("sync", invoke_without_command=True)
@click.pass_context
def sync_group(ctx: click.Context) -> None:
    """Send this club laptop's counted work to the national server now.

    `codekids sync setup` makes the site a club box first; then `codekids serve`
    and `codekids demo` sync by themselves every CODEKIDS_SYNC_INTERVAL seconds.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(sync_now_command)


@with_appcontext
def sync_now_command() -> None:
    from codekids.sync import box, client

    _require_current_schema()
    row = box.settings()
    if row is not None:
        click.echo(f"Syncing with {row.server_url} ...")

    def progress(done: int, total: int) -> None:
        click.echo(f"  batch {done} of {total} answered")

    result = client.sync(progress)
    click.echo(_sync_words(result, row.server_url if row else "URL"))
    if not result.ok:
        sys.exit(1)


@sync_group.command("setup")
@click.option("--server", required=True, help="The national server's address, e.g. "
                                              "https://codekids.ro")
@click.option("--token", required=True, help="The box's token, as the coordinator gave it.")
@with_appcontext
def sync_setup_command(server: str, token: str) -> None:
    """Make this site a club box that syncs to the national server (checks it first)."""
    from codekids.sync import box, client

    _require_current_schema()
    try:
        server = box.normalise_server_url(server)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    token = token.strip()
    if not token:
        raise click.ClickException("the token is empty")
    click.echo(f"Checking {server} ...")
    answer = client.check(server, token)
    if answer.result not in ("ok", "offline"):
        raise click.ClickException(
            "nothing was stored: " + _sync_words(client.SyncResult(answer.result, answer.detail),
                                                 server))
    replaced = box.is_box()
    box.configure(server, token)
    if answer.result == "ok":
        box.record_attempt("ok", "set up")
        click.echo(f"The national server answers and accepts the token "
                   f"(ending in {box.token_hint(token)}).")
    else:
        click.echo(f"Warning: the national server could not be reached now ({answer.detail}); "
                   "the settings are stored anyway and the box keeps trying.")
    interval = current_app.config["CODEKIDS"].sync_interval
    click.echo(("Replaced the box's settings" if replaced else "This site is now a club box")
               + f": `codekids serve` and `codekids demo` sync every {interval} seconds, "
               "`codekids sync` syncs now, `codekids sync status` tells how it went.")
    if not replaced:
        click.echo("If `codekids serve` is running now, restart it so that it syncs by itself.")


@sync_group.command("status")
@with_appcontext
def sync_status_command() -> None:
    """Say when the box last synced, how it went and what is still waiting."""
    from codekids.sync import box

    _require_current_schema()
    st = box.status()
    if not st.configured:
        raise click.ClickException(SYNC_RESULT_WORDS["not_set_up"])
    result = st.last_result or "none yet"
    click.echo(f"National server:  {st.server_url}")
    click.echo(f"Last attempt:     {_when(st.last_attempt_at)} ({result}"
               + (f": {st.last_detail}" if st.last_detail and st.last_result != "ok" else "")
               + ")")
    click.echo(f"Last success:     {_when(st.last_success_at)}")
    click.echo(f"Waiting:          {st.waiting_items} item(s), {st.waiting_lines} line(s)")
    click.echo(f"Accepted:         {st.accepted} item(s), {st.accepted_lines} line(s) counted "
               "nationally")
    reasons = ", ".join(f"{k}: {v}" for k, v in st.reasons.items())
    click.echo(f"Refused:          {st.rejected} item(s)" + (f" ({reasons})" if reasons else ""))
    if st.running:
        click.echo(f"Running now:      batch {st.done} of {st.total}")
    if not st.enabled:
        click.echo("Background sync:  stopped (the token was refused); run `codekids sync "
                   "setup` with a new token")
    else:
        click.echo(f"Next attempt:     {_when(st.next_attempt_at) if st.next_attempt_at else 'soon'}")


@sync_group.command("background", hidden=True)
@click.option("--parent-pid", type=int, default=None,
              help="Stop when this process is gone (what `codekids serve` passes).")
@with_appcontext
def sync_background_command(parent_pid: int | None) -> None:
    """Run the background syncer in the foreground (what `codekids serve` starts)."""
    import threading

    from codekids.sync import syncer

    settings = current_app.config["CODEKIDS"]
    logs.configure(settings.log_format or "text", settings.log_level)
    stop = threading.Event()
    try:
        syncer.run_forever(current_app._get_current_object(), stop, parent_pid=parent_pid)
    except KeyboardInterrupt:
        pass


def _start_background_syncer():
    """`codekids serve`'s syncer: one small process beside gunicorn (never one per
    worker), on a site set up as a club box. None on a site that is not (a national
    server): `codekids sync setup` says to restart `codekids serve`."""
    import os
    import subprocess

    from codekids.sync import box

    if not box.is_box():
        return None
    code = ("from codekids.cli import main; "
            f"main(['sync', 'background', '--parent-pid', '{os.getpid()}'])")
    return subprocess.Popen([sys.executable, "-c", code])


def _stop_background_syncer(process) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(10)
    except Exception:  # still there after 10 s: it is only the syncer
        process.kill()


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
                    backup_command, restore_command, exercises_group, counter_group,
                    sync_group):
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
