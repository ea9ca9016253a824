"""Forms of the librarian's room, and the plain words for every problem a line can have."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from codekids.clubs.service import BULK_MAX, NICKNAME_MAX

# Reasons from clubs.service.check_nicknames, said the way a librarian would say them.
LINE_PROBLEMS = {
    "empty": _l("This line is empty. Write a nickname or delete the line."),
    "too_long": lazy_ngettext("This nickname is too long: at most %(num)s letter.",
                               "This nickname is too long: at most %(num)s letters.", NICKNAME_MAX),
    "odd_characters": _l(
        "This nickname has signs we cannot use. Use letters, digits, spaces, "
        "dots, dashes or underscores, and at least one letter."
    ),
    "duplicate_in_list": _l("This nickname is already higher up in your list."),
    "exists": _l("A child in this club already has this nickname."),
    "too_many": _l("Too many names at once: at most %(max)s. Add the rest in a second list.",
                   max=BULK_MAX),
}


def line_problem_message(reason: str) -> str:
    return str(LINE_PROBLEMS.get(reason, _l("This line cannot be used.")))


class AddChildrenForm(FlaskForm):
    nicknames = TextAreaField(
        _l("Nicknames, one per line"),
        validators=[InputRequired(message=_l("Write at least one nickname."))],
        render_kw={"rows": 12, "spellcheck": "false", "autocomplete": "off"},
    )
