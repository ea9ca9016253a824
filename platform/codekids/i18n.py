"""Languages: Romanian by default, English and Hungarian on request."""

from __future__ import annotations

from flask import Flask, current_app, session
from flask_babel import Babel
from flask_login import current_user

LANGUAGES = {"ro": "Română", "en": "English", "hu": "Magyar"}

babel = Babel()


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["CODEKIDS"].default_locale


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["CODEKIDS"].default_locale)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _languages():
        from flask_babel import get_locale

        return {"LANGUAGES": LANGUAGES, "current_locale": str(get_locale())}
