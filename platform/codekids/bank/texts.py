"""The bank's messages: stored as keys with parameters, rendered in the reader's locale.

Grading is a service called with a locale (``grade(exercise, source, "hu")``), so
it must not depend on a request context. What it stores (a test's message, an
explanation, a hint about a hidden test) is language-free: a *text*,

    {"key": "grading.output_differs"}
    {"key": "explanation.name_error.suggestion", "params": {"name": "pirnt", ...}}
    {"key": "grading.lines_missing", "num": 2}

and ``render_text(text, locale)`` turns it into words when someone reads it: the
child on their result page, a librarian in another language, a report. A key is
stable (``<room>.<name>``); the English msgid behind it may be reworded in the
catalogs without losing the rows stored under it. Parameters are the child's own
words and numbers (a name, a value printed), kept as they were; a parameter that
is one of our words is itself a text and is rendered in the reader's locale too.

The msgids are ordinary Flask-Babel msgids (English, marked with ``_l``, or with
``_ln`` for a singular and plural, so ``scripts/i18n.py`` extracts them), read from
the site's compiled catalogs in ``codekids/translations``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
# Shown for a parameter a text does not have: a blank, never a crash of the page.
BLANK = "…"

# key -> msgid, or (singular, plural) for a counted text. Filled by the modules that
# own the messages (grading, every explanation) when they are imported.
KEYS: dict[str, str | tuple[str, str]] = {}


def _l(msgid: str) -> str:
    """Marks a message for extraction; it is translated later by ``translate``."""
    return msgid


def _ln(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message (``%(num)s`` in both forms) for extraction."""
    return (singular, plural)


@lru_cache(maxsize=8)
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")


class _Params(dict):
    def __missing__(self, name: str) -> str:
        return BLANK


def translate(locale: str, msgid: str | tuple[str, str], num: int | None = None, /,
              **params) -> str:
    """``msgid`` in ``locale`` with ``params`` filled; a counted msgid takes ``num``."""
    if isinstance(msgid, tuple):
        number = int(num or 0)
        singular, plural = msgid
        if locale == "en":
            text = singular if number == 1 else plural
        else:
            text = _catalog(locale).ngettext(singular, plural, number)
        return text % _Params(params, num=number)
    text = _catalog(locale).gettext(msgid) if locale != "en" else msgid
    # A msgid without a placeholder may hold a plain "%"; one with a placeholder not
    # given (a row stored before the message grew one) shows a blank there.
    return text % _Params(params) if params or "%(" in msgid else text


def register_keys(prefix: str, messages: dict[str, Any]) -> None:
    """Make ``prefix.name`` the key of each message (msgid, or (singular, plural)).

    Several modules share a prefix (grading and every test kind: "grading."), so a key
    that already means another message is refused: stored rows must keep their words."""
    for name, msgid in messages.items():
        key = f"{prefix}.{name}"
        if KEYS.get(key, msgid) != msgid:
            raise ValueError(f"the message key {key!r} is already another message")
        KEYS[key] = msgid


def text(key: str, num: int | None = None, /, **params) -> dict:
    """A language-free text to store; an unknown key is a bug, said at once."""
    if key not in KEYS:
        raise KeyError(f"no message has the key {key!r}")
    stored: dict[str, Any] = {"key": key}
    if num is not None:
        stored["num"] = num
    if params:
        stored["params"] = params
    return stored


def is_text(value) -> bool:
    return isinstance(value, dict) and isinstance(value.get("key"), str)


def render_text(stored, locale: str) -> str:
    """A stored text in the reader's ``locale``: the one renderer of every stored message.

    A plain string is a row from before texts were stored as keys: it is shown as it
    was written (in the child's language then). A key this version does not know
    falls back to its room's ``default`` message (``explanation.name_error.gone`` ->
    ``explanation.name_error.default``), else to nothing.
    """
    if stored is None:
        return ""
    if isinstance(stored, str):
        return stored
    if not is_text(stored):
        return ""
    key = stored["key"]
    msgid = KEYS.get(key) or KEYS.get(key.rsplit(".", 1)[0] + ".default")
    if msgid is None:
        return ""
    params = {name: render_text(value, locale) if is_text(value) else value
              for name, value in (stored.get("params") or {}).items()}
    return translate(locale, msgid, stored.get("num"), **params)


def localized(texts: dict[str, str] | dict[str, list], locale: str):
    """Pick an exercise text in the locale; Romanian, then English, fill gaps."""
    for candidate in (locale, "ro", "en"):
        if candidate in texts:
            return texts[candidate]
    return next(iter(texts.values()), "")
