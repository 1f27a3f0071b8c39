"""Forms of "Min anmälan": ask for the link, change own answers, and the one-button actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length

from avestavard.forms import FlaskForm
from avestavard.public.register_forms import RegistrationForm


class LinkRequestForm(FlaskForm):
    """An email address or mobile number (checked by the service)."""

    contact = StringField(_l("E-postadress eller mobilnummer"), validators=[Length(max=254)])


class OwnAnswersForm(RegistrationForm):
    """The registration form without the email address and the consent box."""

    email = None
    privacy_consent = None


class ButtonForm(FlaskForm):
    """A form that is only a button (pause, resume, new link, withdraw): the CSRF token."""
