"""The accessibility statement's report form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from avestavard.forms import FlaskForm
from avestavard.services.feedback import MAX_DESCRIPTION


class AccessibilityReportForm(FlaskForm):
    """Where the problem is, what it is, and an address if the reader wants an answer."""

    page = StringField(_l("Vilken sida gäller det? (frivilligt)"), validators=[Length(max=300)])
    description = TextAreaField(
        _l("Beskriv problemet"),
        validators=[DataRequired(_l("Beskriv problemet.")), Length(max=MAX_DESCRIPTION)],
    )
    email = EmailField(
        _l("Din e-postadress, om du vill ha svar (frivilligt)"),
        validators=[Optional(), Length(max=254)],
    )
