"""Diplomas: a printable certificate for a child who finished an exercise set.

A set is finished when every exercise in it is solved. The diploma speaks the
child's language (their chosen locale, else Romanian), whatever language the
librarian reads the site in: it is the child who takes it home. The page around it
(back, print) is the librarian's, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel import Locale
from flask import abort, render_template
from flask_babel import force_locale, format_date
from markupsafe import Markup
from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.bank import current_bank
from codekids.bank.models import ExerciseSet
from codekids.bank.texts import localized
from codekids.clubs.meetings_service import local
from codekids.clubs.views import _child, bp
from codekids.i18n import LANGUAGES
from codekids.learning.models import Progress

DIPLOMA_DEFAULT_LOCALE = "ro"


# ---- rules ----------------------------------------------------------------------------


@dataclass
class SetStatus:
    set: ExerciseSet
    solved: int
    total: int
    finished_on: date | None  # the day the last exercise was solved (Romania's time)

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.solved == self.total


def set_status(child: User, exercise_set: ExerciseSet) -> SetStatus:
    ids = [e.id for e in exercise_set.exercises]
    rows = list(db.session.execute(
        select(Progress.exercise_id, Progress.solved_at).where(
            Progress.child_id == child.id, Progress.exercise_id.in_(ids or [""]),
            Progress.solved.is_(True))
    ))
    solved_at = [at for _ex, at in rows if at is not None]
    finished_on = local(max(solved_at)).date() if solved_at and len(rows) == len(ids) else None
    return SetStatus(exercise_set, len(rows), len(ids), finished_on)


def statuses(child: User) -> list[SetStatus]:
    return [set_status(child, s) for s in current_bank().sets]


def diploma_locale(child: User) -> str:
    return child.locale if child.locale in LANGUAGES else DIPLOMA_DEFAULT_LOCALE


# ---- pages ----------------------------------------------------------------------------


@bp.get("/copil/<id:child_id>/diplome")
def diplomas(child_id: int):
    child = _child(child_id)
    return render_template("librarian/diplomas.html", child=child, club=child.club,
                           statuses=statuses(child), title=_set_title)


def _set_title(exercise_set: ExerciseSet, locale: str | None = None) -> str:
    from flask_babel import get_locale

    return localized(exercise_set.title, locale or str(get_locale()))


@bp.get("/copil/<id:child_id>/diploma/<set_id>")
def diploma(child_id: int, set_id: str):
    child = _child(child_id)
    exercise_set = current_bank().get_set(set_id)
    if exercise_set is None:
        abort(404)
    status = set_status(child, exercise_set)
    if not status.finished:
        # Refused in the librarian's own language: they are the one reading it.
        return render_template("librarian/diploma_refused.html", child=child, club=child.club,
                               status=status, set_title=_set_title(exercise_set)), 409
    locale = diploma_locale(child)
    with force_locale(locale):
        card = render_template(
            "librarian/_diploma_card.html", child=child, club=child.club, locale=locale,
            set_title=_set_title(exercise_set, locale),
            day=format_date(status.finished_on, "long"),
        )
    # The page around it (back, print, the note on its language) is the librarian's.
    # The card is a template's output (autoescaped): HTML already safe to place.
    card = Markup(card)  # noqa: S704
    return render_template("librarian/diploma.html", child=child, card=card,
                           language=language_name(locale))


def language_name(locale: str) -> str:
    """A language's name in the reader's language ("maghiară", "magyar", "Hungarian")."""
    from flask_babel import get_locale

    return Locale.parse(locale).get_display_name(get_locale())
