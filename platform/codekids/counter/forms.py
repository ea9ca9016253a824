"""The coordinator's form for historical lines (adjustments)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from codekids.bad_input import IdField
from codekids.counter.models import CLUB, COUNTY, NATION
from codekids.counter.service import MAX_ADJUSTMENT
from codekids.form_choices import option


class AdjustmentForm(FlaskForm):
    scope = RadioField(
        _l("Attributed to"),
        choices=[option(NATION, _l("The whole country")), option(COUNTY, _l("A county")),
                 option(CLUB, _l("A club"))],
        validators=[InputRequired(message=_l("Please choose one of the options."))],
    )
    # Ids (bad_input.IdField): one out of range or not a number is a form error.
    county_id = IdField(_l("County"), choices=[])
    club_id = IdField(_l("Club"), choices=[])
    amount = IntegerField(
        _l("Lines of code (negative to correct an earlier entry)"),
        validators=[
            InputRequired(message=_l("Please write a whole number.")),
            NumberRange(min=-MAX_ADJUSTMENT, max=MAX_ADJUSTMENT,
                        message=_l("That number is too large.")),
        ],
    )
    day = DateField(_l("Date the lines were written"),
                    validators=[InputRequired(message=_l("Please give a date."))])
    reason = TextAreaField(
        _l("Reason and source"),
        validators=[DataRequired(message=_l("Please fill this in.")),
                    Length(max=2000, message=lazy_ngettext("At most %(num)s character, please.",
                                                          "At most %(num)s characters, please.",
                                                          2000))],
    )
