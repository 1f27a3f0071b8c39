"""Log-in forms: the password, then the second step (a code from the app)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from avestavard.forms import FlaskForm


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        _l("E-postadress"), validators=[DataRequired(_l("Fyll i din e-postadress."))]
    )
    password = PasswordField(
        _l("Lösenord"), validators=[DataRequired(_l("Fyll i ditt lösenord.")), Length(max=200)]
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app or a recovery code."""

    code = StringField(
        _l("Kod"),
        validators=[DataRequired(_l("Skriv koden från appen.")), Length(max=40)],
    )


class EnrolForm(FlaskForm):
    """The first code from the app, which switches two-factor sign-in on."""

    code = StringField(
        _l("Kod från appen"),
        validators=[DataRequired(_l("Skriv koden från appen.")), Length(max=40)],
    )


class TwoFactorChangeForm(FlaskForm):
    """The password again, before the second factor is changed or switched off."""

    password = PasswordField(
        _l("Ditt lösenord"),
        validators=[DataRequired(_l("Fyll i ditt lösenord.")), Length(max=200)],
    )
