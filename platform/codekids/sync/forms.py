"""Forms of the coordinator's box pages (the pages are coordination's: coordination/boxes.py).

The club is an IdField whose choices the view fills from the coordinator's scope;
the view checks the chosen club again (a posted id outside the scope is refused).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from codekids.bad_input import IdField
from codekids.sync.national import MAX_LABEL


class RegisterBoxForm(FlaskForm):
    club_id = IdField(_l("Club"), validators=[InputRequired(message=_l("Please choose a club."))])
    label = StringField(
        _l("Name of the laptop"),
        description=_l("So you can tell a club's laptops apart, e.g. “Reading room laptop”."),
        validators=[Length(max=MAX_LABEL, message=_l("At most %(num)s characters, please.",
                                                     num=MAX_LABEL))])


class ConfirmForm(FlaskForm):
    """Revoke or replace: nothing to fill in but the CSRF token."""
