"""Languages: Romanian by default, English and Hungarian on request; and how numbers,
dates and times read in each of them.

Times are stored as naive UTC (codekids.db.utcnow) and shown in the site's time zone
(setting CODEKIDS_TIME_ZONE, Europe/Bucharest by default): everything that turns a
stored time into a wall-clock time, or a wall-clock time back into UTC, is here, so a
page never says "UTC" and two pages never disagree on the hour. Numbers, dates and
times are written the way the reader's language writes them (Babel's CLDR data):
3.000.000 and "4 iul. 2026, 14:13" in Romanian, 3 000 000 and "2026. júl. 4. 14:13"
in Hungarian, 3,000,000 and "Jul 4, 2026, 2:13 PM" in English.

In templates: ``n|number``, ``at|local_date``, ``at|local_time``, ``at|local_datetime``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import flask_babel
from babel import dates as babel_dates
from babel import support
from flask import Flask, Request, current_app, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user
from wtforms.i18n import messages_path as wtforms_messages_path

LANGUAGES = {"ro": "Română", "en": "English", "hu": "Magyar"}

babel = Babel()


def current_locale() -> str:
    """The code of the language this request is read in ("ro", "en" or "hu")."""
    return str(get_locale())


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["CODEKIDS"].default_locale


# ---- numbers, dates and times --------------------------------------------------------


def format_number(value: int | float) -> str:
    """A number as the reader's language writes it (3.000.000 / 3 000 000 / 3,000,000)."""
    return flask_babel.format_decimal(value)


def site_zone() -> ZoneInfo:
    """The site's time zone (CODEKIDS_TIME_ZONE); ZoneInfo keeps one object per name."""
    return ZoneInfo(current_app.config["CODEKIDS"].time_zone)


def local_time(at: datetime | None) -> datetime | None:
    """A stored time (naive UTC) as a naive wall-clock time in the site's zone."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(site_zone()).replace(tzinfo=None)


def to_utc(wall: datetime) -> datetime:
    """A naive wall-clock time in the site's zone as a stored (naive UTC) time."""
    return wall.replace(tzinfo=site_zone()).astimezone(UTC).replace(tzinfo=None)


def local_day(at: datetime) -> date:
    """The day (in the site's zone) that a stored time falls on."""
    return local_time(at).date()


def iso_local(at: datetime | None) -> str | None:
    """A stored time for files a program reads (CSV, JSON exports): ISO 8601 in the
    site's zone with its offset, "2026-07-04T14:13:00+03:00", so a spreadsheet shows
    the hour the librarian lived and a program still knows the exact instant."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(site_zone()).isoformat(timespec="seconds")


def format_local_date(at: datetime | date | None, length: str = "medium") -> str:
    """A day in the reader's language; a datetime is a stored time (naive UTC)."""
    if at is None:
        return ""
    if isinstance(at, datetime):
        at = local_day(at)
    return babel_dates.format_date(at, length, locale=get_locale())


def format_month(year: int, month: int) -> str:
    """A month and its year in the reader's language, in that language's order (CLDR's
    "yMMMM" skeleton): "decembrie 2026", "2026. december", "December 2026"."""
    return babel_dates.format_skeleton("yMMMM", date(year, month, 1), locale=get_locale())


def format_local_time(at: datetime | None) -> str:
    """The hour and minute of a stored time, in the site's zone and the reader's format."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return babel_dates.format_time(at, "short", tzinfo=site_zone(), locale=get_locale())


def format_local_datetime(at: datetime | None) -> str:
    """Day and hour of a stored time: "4 iul. 2026, 14:13"."""
    if at is None:
        return ""
    pattern = get_locale().datetime_formats["medium"]  # "{1}, {0}": date, then time
    return pattern.format(format_local_time(at), format_local_date(at))


def install_template_gettext(app: Flask) -> None:
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


_WTFORMS_CATALOGS: dict[str, support.Translations] = {}


def wtforms_catalog(locale: str) -> support.Translations:
    """WTForms' own messages ("This field is required.") in one language, read from
    disk once per process. Flask-WTF reads and parses the catalog file again on every
    request that builds a form (its cache is the request), a fifth of a millisecond."""
    found = _WTFORMS_CATALOGS.get(locale)
    if found is None:
        found = _WTFORMS_CATALOGS[locale] = support.Translations.load(
            wtforms_messages_path(), [locale], domain="wtforms")
    return found


def _request_class(base: type[Request]) -> type[Request]:
    class CatalogRequest(base):
        """Flask-WTF looks for the request's WTForms catalog in the attribute
        ``wtforms_translations`` (flask_wtf/i18n.py) and, when it is not there, loads
        one and stores it there. Here the attribute is the process's catalog of the
        language the request is read in now (``force_locale`` included), and what
        Flask-WTF stores is dropped."""

        @property
        def wtforms_translations(self) -> support.Translations:
            return wtforms_catalog(str(get_locale()))

        @wtforms_translations.setter
        def wtforms_translations(self, _value) -> None:
            pass

    return CatalogRequest


def init_app(app: Flask) -> None:
    app.request_class = _request_class(app.request_class)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["CODEKIDS"].default_locale)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    # Flask-Babel's own date filters (and anyone calling its format_* directly) follow
    # the site's zone too.
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["CODEKIDS"].time_zone
    babel.init_app(app, locale_selector=select_locale)


def languages() -> dict:
    """Context processor: the language switch's choices and the page's language."""
    return {"LANGUAGES": LANGUAGES, "current_locale": current_locale()}
