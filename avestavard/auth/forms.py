"""Log-in form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField
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
