"""The floor: the least a request can cost here, for bench/request_cost.py to compare with.

    FLOOR_DATABASE_URL=URL FLOOR_SECRET_KEY=KEY \\
        .venv/bin/python bench/floor_app.py --bind 127.0.0.1:PORT

A minimal app built from the site's own parts and nothing else: Flask,
Flask-Login, SQLAlchemy on the run's database (the same URL as the site, SQLite
file or PostgreSQL) and one small Jinja template, served the way `codekids serve`
serves the site (gunicorn, gthread, one worker, one thread, the same keep-alive).
It imports nothing from codekids: what the site costs above it is the site's
plumbing and its own work.

* ``GET /hello``: a short text; no user, no database (compare: a static file,
  the public counter, the embed, /healthz);
* ``GET /page``: Flask-Login loads the user from the session by primary key (one
  SELECT on the site's ``users`` table, through a minimal mapped class) and a
  small template renders a few variables and a loop of ten items (compare: the
  exercise page and every page of a logged-in person);
* ``POST /login/<id>``: puts a ``users`` row's id in the session, once per
  client before the clock starts (no secret asked: the app is bench-only, bound
  to 127.0.0.1, and reads nothing but a name).

One database session per request, opened when the user is loaded and closed at
the end of the request, as the site does.
"""

from __future__ import annotations

import argparse
import os

from flask import Flask, g, render_template
from flask_login import LoginManager, UserMixin, login_required, login_user
from jinja2 import DictLoader
from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

PAGE = """<!doctype html>
<html lang="ro">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<header><p>{{ current_user.display_name or current_user.nickname or current_user.id }}</p></header>
<main>
<h1>{{ title }}</h1>
<ol>
{% for item in items %}  <li class="{{ loop.cycle('par', 'impar') }}">{{ item.name }}: {{ item.lines }}</li>
{% endfor %}</ol>
</main>
</body>
</html>
"""


class Base(DeclarativeBase):
    pass


class FloorUser(UserMixin, Base):
    """The few columns of the site's ``users`` table the floor page shows."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nickname: Mapped[str | None] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(120))


def create_app(database_url: str | None = None, secret_key: str | None = None) -> Flask:
    database_url = database_url or os.environ["FLOOR_DATABASE_URL"]
    app = Flask(__name__)
    app.config["SECRET_KEY"] = secret_key or os.environ["FLOOR_SECRET_KEY"]
    app.jinja_loader = DictLoader({"page.html": PAGE})
    engine = create_engine(database_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    app.extensions["floor_engine"] = engine
    login_manager = LoginManager(app)

    def db() -> Session:
        if "floor_db" not in g:
            g.floor_db = sessions()
        return g.floor_db

    @app.teardown_appcontext
    def _close(_exc) -> None:
        session = g.pop("floor_db", None)
        if session is not None:
            session.close()

    @login_manager.user_loader
    def _load_user(user_id: str) -> FloorUser | None:
        return db().get(FloorUser, int(user_id))

    @app.get("/hello")
    def hello():
        return "Salut!", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/page")
    @login_required
    def page():
        items = [{"name": f"Exercițiul {i}", "lines": i * 7} for i in range(1, 11)]
        return render_template("page.html", title="Pagina de bază", items=items)

    @app.post("/login/<int:user_id>")
    def login(user_id: int):
        user = db().get(FloorUser, user_id)
        if user is None:
            return "no such user", 404
        login_user(user)
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app


def main(argv=None) -> None:
    from gunicorn.app.base import BaseApplication

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", required=True)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    # As codekids.cli.gunicorn_options, less what only the site needs (its logging, the
    # proxy headers it refuses).
    options = {"bind": args.bind, "workers": args.workers, "worker_class": "gthread",
               "threads": args.threads, "keepalive": 320, "worker_connections": 1000,
               "accesslog": None, "errorlog": "-", "control_socket_disable": True}

    class FloorServer(BaseApplication):  # type: ignore[misc,valid-type]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app()  # in the worker, after the fork, as the site's

    FloorServer().run()


if __name__ == "__main__":
    main()
