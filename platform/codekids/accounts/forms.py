"""Login forms. Flask-WTF gives each one its CSRF token.

The child forms are plain HTML forms on purpose: they must work on an old browser
with JavaScript switched off.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from codekids.accounts.passwords import MIN_LENGTH


class ClubCodeForm(FlaskForm):
    code = StringField(
        _l("Your club code"),
        validators=[
            DataRequired(message=_l("Type the code of your club, it is on your card.")),
            Length(max=32, message=_l("This code is too long. Look at your card again.")),
        ],
    )


class PictureSecretForm(FlaskForm):
    """The grid of pictures: every picture is a submit button named `add`.

    The pictures chosen so far travel in `sequence`, so no JavaScript and no
    server-side state is needed between clicks.
    """

    sequence = HiddenField()
    add = StringField()  # rendered as the picture buttons, not as a text field
    restart = SubmitField(_l("Start again"))


class WordSecretForm(FlaskForm):
    words = StringField(
        _l("Your secret words"),
        validators=[
            DataRequired(message=_l("Type your two secret words.")),
            Length(max=80),
        ],
    )


class StaffLoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Type your username.")), Length(max=64)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Type your password.")), Length(max=256)],
    )
    next = HiddenField()


def _new_password_fields():
    new = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Choose a new password.")),
            Length(max=256),
        ],
        description=lazy_ngettext("At least %(num)s character.", "At least %(num)s characters.",
                                  MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Type the new password a second time.")),
            EqualTo("new_password", message=_l("The two new passwords are not the same.")),
        ],
    )
    return new, confirm


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Type your current password.")), Length(max=256)],
    )
    new_password, confirm_password = _new_password_fields()


class AcceptInvitationForm(FlaskForm):
    new_password, confirm_password = _new_password_fields()
