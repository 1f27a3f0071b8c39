"""Choosing a password: through a set-password link, or while logged in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from avestavard.forms import FlaskForm
from avestavard.services.accounts import MAX_PASSWORD_LENGTH
from avestavard.services.users import MIN_PASSWORD_LENGTH


def _new_password() -> PasswordField:
    return PasswordField(
        _l("Nytt lösenord"),
        validators=[
            DataRequired(_l("Fyll i ett lösenord.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Lösenordet ska ha mellan %(min)d och %(max)d tecken.",
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
    )


def _password_again() -> PasswordField:
    return PasswordField(
        _l("Nytt lösenord igen"),
        validators=[
            DataRequired(_l("Skriv lösenordet en gång till.")),
            EqualTo(
                "password",
                message=_l("Lösenorden är inte likadana. Skriv samma lösenord två gånger."),
            ),
        ],
    )


class SetPasswordForm(FlaskForm):
    """The new password, twice."""

    password = _new_password()
    password_again = _password_again()


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        _l("Nuvarande lösenord"),
        validators=[DataRequired(_l("Fyll i ditt nuvarande lösenord.")), Length(max=200)],
    )
    password = _new_password()
    password_again = _password_again()
