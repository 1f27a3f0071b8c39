"""Forms behind the emailed match links: the host's answer and the follow-up questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from avestavard.forms import FlaskForm


class AcceptForm(FlaskForm):
    """The host confirms yes (a button; opening the link alone changes nothing)."""


class DeclineForm(FlaskForm):
    """The host says no, optionally with a reason."""

    reason = TextAreaField(
        _l("Vill du berätta varför? (valfritt)"), validators=[Optional(), Length(max=1000)]
    )


class FollowUpForm(FlaskForm):
    """A month after the introduction: did you meet, how does it fit (1–5)."""

    met = RadioField(
        _l("Har ni träffats?"),
        choices=[SelectChoice("yes", _l("Ja")), SelectChoice("no", _l("Nej, inte än"))],
        validators=[InputRequired(_l("Svara ja eller nej."))],
    )
    fit = RadioField(
        _l("Hur bra passar ni ihop? 1 = inte alls, 5 = mycket bra"),
        choices=[SelectChoice(str(i), str(i)) for i in range(1, 6)],
        validators=[Optional()],
    )
    comment = TextAreaField(
        _l("Något mer du vill berätta? (valfritt)"), validators=[Optional(), Length(max=1000)]
    )
