"""Forms of the coordinator's room.

Choices (counties, clubs, librarians) are filled per request from the user's scope.
Ids are IdField / IdListField (bad_input.py): a posted id out of range or not a
number is a form error and never reaches the database. `validate_choice` is off so
WTForms does not answer with its own untranslated message; the views check
membership with our words, and coordination.service checks the scope again (a posted id
outside the scope is refused there, whatever the form says).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from codekids.bad_input import IdField, IdListField
from codekids.form_choices import option


def _required():
    # DataRequired, not InputRequired: a name of only spaces is no name.
    return DataRequired(message=_l("Please fill this in."))


def _max(n: int):
    return Length(max=n, message=lazy_ngettext("At most %(num)s character, please.",
                                               "At most %(num)s characters, please.", n))


class MultiCheckboxField(IdListField):
    """Ids as checkboxes: works without JavaScript and is easier than a multi-select for
    most people. An id that is not one (out of range, not a number) is a form error."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choice_values(field) -> set[str]:
    """The offered values, whether WTForms keeps choices as tuples or SelectChoice objects."""
    return {str(c.value if hasattr(c, "value") else c[0]) for c in field.choices or []}


def _choice_in_list(form, field):
    allowed = choice_values(field)
    if field.data is None or str(field.data) not in allowed:
        raise ValidationError(_l("Please choose one of the options."))


SECRET_KIND_LABELS = {
    "pictures": _l("Three pictures in order (easiest for young children)"),
    "words": _l("Two words"),
}


class ClubForm(FlaskForm):
    name = StringField(_l("Club name"), validators=[_required(), _max(120)])
    library = StringField(_l("Library"), validators=[_required(), _max(160)])
    town = StringField(_l("Town or village"), validators=[_required(), _max(120)])
    county_id = IdField(_l("County"),
                        validators=[InputRequired(message=_l("Please choose a county.")),
                                    _choice_in_list])
    secret_kind = RadioField(_l("Children's secret"),
                             choices=[option(k, v) for k, v in SECRET_KIND_LABELS.items()],
                             default="pictures", validate_choice=False,
                             validators=[InputRequired(message=_l("Please choose one.")),
                                         _choice_in_list])


class EditClubForm(ClubForm):
    active = BooleanField(_l("Open: children can log in"))


class ClubLibrariansForm(FlaskForm):
    librarian_ids = MultiCheckboxField(_l("Librarians of this club"), validate_choice=False)


ACCESS_LABELS = {
    "password": _l("A temporary password that I give them (they choose their own at first login)"),
    "invitation": _l("A one-time link where they choose their own password"),
}


class NewLibrarianForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[_required(), _max(64)],
        description=_l("Small letters, digits, dots, dashes; at least 3 characters. "
                       "For example: maria.popescu"),
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(_l("Name shown on the site"), validators=[_required(), _max(120)])
    county_id = IdField(_l("Home county"),
                        validators=[InputRequired(message=_l("Please choose a county.")),
                                    _choice_in_list])
    club_ids = MultiCheckboxField(_l("Clubs"), validate_choice=False)
    access = RadioField(_l("How will they log in the first time?"),
                        choices=[option(k, v) for k, v in ACCESS_LABELS.items()],
                        default="password", validate_choice=False,
                        validators=[InputRequired(message=_l("Please choose one.")),
                                    _choice_in_list])


class EditLibrarianForm(FlaskForm):
    display_name = StringField(_l("Name shown on the site"), validators=[_required(), _max(120)])
    club_ids = MultiCheckboxField(_l("Clubs"), validate_choice=False)
    active = BooleanField(_l("Active: can log in"))
