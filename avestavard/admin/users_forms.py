"""Administrators' account forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from avestavard.forms import FlaskForm
from avestavard.models import Role
from avestavard.public.register_forms import check_email


def role_choices() -> list[tuple[str, str]]:
    """The roles an administrator gives (hosts get their login from their host profile)."""
    return [
        (Role.COORDINATOR.value, str(_l("Samordnare"))),
        (Role.ADMIN.value, str(_l("Administratör"))),
    ]


class NewAccountForm(FlaskForm):
    """A new account: no password here; its owner chooses one through a link."""

    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Fyll i namnet.")), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    email = EmailField(
        _l("E-postadress"),
        validators=[DataRequired(_l("Fyll i en e-postadress.")), Length(max=254)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    role = RadioField(_l("Roll"), validators=[InputRequired(_l("Välj en roll."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()

    def validate_email(self, field: Any) -> None:
        """A valid address (the account's login name and where its link is sent)."""
        check_email(field)


class AccountActionForm(FlaskForm):
    """A button that changes an account (CSRF token only)."""
