"""Coordinators' match forms: reject a proposal, record a host's answer, end a match."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from avestavard.forms import FlaskForm
from avestavard.public.register_forms import LocalDateField

REASON_MAX = 1000
NOTE_MAX = 1000


class MatchActionForm(FlaskForm):
    """A button that changes a match: only the CSRF token."""


class RejectProposalForm(FlaskForm):
    """Why a proposed pair does not fit; the pair is never proposed again."""

    reason = TextAreaField(
        _l("Varför passar förslaget inte?"),
        validators=[
            DataRequired(_l("Skriv varför förslaget inte passar.")),
            Length(max=REASON_MAX),
        ],
    )


class HostDeclineForm(FlaskForm):
    """The host said no (on the phone); the reason is optional."""

    reason = TextAreaField(
        _l("Värdens skäl (valfritt)"), validators=[Optional(), Length(max=REASON_MAX)]
    )


class EndMatchForm(FlaskForm):
    """End a match with a reason."""

    reason = TextAreaField(
        _l("Varför avslutas matchningen?"),
        validators=[
            DataRequired(_l("Skriv varför matchningen avslutas.")),
            Length(max=REASON_MAX),
        ],
    )
    newcomer_waits_again = BooleanField(_l("Den nyinflyttade ska få en ny värd"))


class ApproveForm(FlaskForm):
    """Approve a pair: an optional personal note that goes into the host's email."""

    note = TextAreaField(
        _l("Personlig hälsning till värden (valfritt)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
    )


class MetForm(FlaskForm):
    """The day of the first meeting (today unless changed; never in the future)."""

    met_on = LocalDateField(_l("Dag för första träffen"), validators=[Optional()])


class PhoneFollowUpForm(FlaskForm):
    """One side's follow-up answer, given on the phone."""

    side = RadioField(
        _l("Vem svarade?"),
        choices=[
            SelectChoice("host", _l("Värden")),
            SelectChoice("newcomer", _l("Den nyinflyttade")),
        ],
        validators=[InputRequired(_l("Välj vem som svarade."))],
    )
    met = RadioField(
        _l("Har de träffats?"),
        choices=[SelectChoice("yes", _l("Ja")), SelectChoice("no", _l("Nej"))],
        validators=[InputRequired(_l("Välj ja eller nej."))],
    )
    fit = RadioField(
        _l("Hur bra passar de ihop? (1 = inte alls, 5 = mycket bra)"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[Optional()],
    )
    comment = TextAreaField(_l("Kommentar (valfritt)"), validators=[Optional(), Length(max=1000)])
