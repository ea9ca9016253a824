"""The national lines-of-code counter: ledger, roll-ups, dashboard, public API and embed."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from codekids.counter.views import bp, club_summary

    app.register_blueprint(bp)
    # The librarian's club page shows the club's lines without its view knowing the counter.
    app.jinja_env.globals["counter_club_summary"] = club_summary
