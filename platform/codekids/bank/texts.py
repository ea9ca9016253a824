"""Translating the bank's messages for a locale given explicitly.

Grading is a service called with a locale (``grade(exercise, source, "hu")``), so
it must not depend on a request context. The messages are ordinary Flask-Babel
msgids (English, marked with ``_l`` so ``scripts/i18n.py`` extracts them) and are
read from the site's compiled catalogs in ``codekids/translations``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def _l(msgid: str) -> str:
    """Marks a message for extraction; it is translated later by ``translate``."""
    return msgid


@lru_cache(maxsize=8)
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")


def translate(locale: str, msgid: str, **params) -> str:
    text = _catalog(locale).gettext(msgid) if locale != "en" else msgid
    return text % params if params else text


def localized(texts: dict[str, str] | dict[str, list], locale: str):
    """Pick an exercise text in the locale; Romanian, then English, fill gaps."""
    for candidate in (locale, "ro", "en"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()), "")
