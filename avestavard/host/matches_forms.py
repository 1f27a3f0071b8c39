"""Hosts' match forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from avestavard.forms import FlaskForm


class HostMatchActionForm(FlaskForm):
    """A button: only the CSRF token."""


class HostDeclineOwnForm(FlaskForm):
    """The host declines; the reason is optional."""

    reason = TextAreaField(
        _l("Vill du berätta varför? (valfritt)"), validators=[Optional(), Length(max=1000)]
    )
