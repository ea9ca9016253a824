"""The national lines-of-code counter: ledger, roll-ups, dashboard, public API and embed."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from codekids.counter.views import bp

    app.register_blueprint(bp)
