"""Languages: Romanian by default, English and Hungarian on request."""

from __future__ import annotations

from flask import Flask, current_app, session
from flask_babel import Babel, get_locale, get_translations
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


def _install_template_gettext(app: Flask) -> None:
    """The templates' _() and ngettext(), with the catalog found in one step.

    Flask-Babel's own callables resolve the catalog afresh for every string (about
    nine context-local lookups and the locale's name each time: ~20 µs, and a child's
    page shows ~50 strings). Here the locale is asked once per string (so
    ``force_locale`` still applies) and its catalog comes from a dict. The catalog is
    the same object Flask-Babel would return: it is fetched from Flask-Babel.
    """
    catalogs: dict[str, object] = {}

    def catalog():
        key = str(get_locale())
        found = catalogs.get(key)
        if found is None:
            found = catalogs[key] = get_translations()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["CODEKIDS"].default_locale)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)

    @app.context_processor
    def _languages():
        return {"LANGUAGES": LANGUAGES, "current_locale": str(get_locale())}
