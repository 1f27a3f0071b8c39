"""Coordinators' profile forms: the host interview, a newcomer's profile, accounts, erasure."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from avestavard.forms import FlaskForm, WholeNumberField, stripped
from avestavard.models import HostStatus, NewcomerStatus
from avestavard.public.register_forms import (
    HOST_CONTACT_LANGUAGES,
    LocalDateField,
    MultiCheckboxField,
    ProfileChecks,
    check_email,
    free_text,
    own_language_name,
    set_profile_choices,
)


class HostInterviewForm(ProfileChecks, FlaskForm):
    """A host interview, following the municipality's interview guide."""

    name = StringField(_l("Namn"), validators=[DataRequired(_l("Fyll i namnet.")), Length(max=200)])
    email = EmailField(_l("E-postadress"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Telefonnummer"), validators=[Optional(), Length(max=40)])
    birth_year = StringField(_l("Födelseår"), validators=[Optional(), Length(max=20)])
    area = SelectField(_l("Område"), validators=[Optional()], filters=[stripped])
    household = RadioField(_l("Hushåll"), validators=[Optional()], filters=[stripped])
    languages = MultiCheckboxField(_l("Språk"))
    preferred_language = SelectField(_l("Språk för e-post"), default="sv")
    interests = TextAreaField(_l("Intressen"), validators=[Optional(), Length(max=1000)])
    past = free_text(_l("Dåtid: var kommer värden från, vad har hen gjort?"))
    present = free_text(_l("Nutid: hur ser livet ut nu?"))
    future = free_text(_l("Framtid: vad hoppas värden på?"))
    thoughts = free_text(_l("Tankar kring uppdraget"))
    capacity = WholeNumberField(
        _l("Kan ta emot (antal nyinflyttade)"),
        default=1,
        validators=[
            InputRequired(_l("Fyll i hur många värden kan ta emot.")),
            NumberRange(0, 20, _l("Antalet ska vara mellan 0 och 20.")),
        ],
    )
    status = SelectField(_l("Status"), default=HostStatus.ACTIVE.value)
    paused_until = LocalDateField(_l("Pausad till och med"), validators=[Optional()])
    interviewer = StringField(_l("Intervjuad av"), validators=[Optional(), Length(max=200)])
    interviewed_on = LocalDateField(_l("Intervjudatum"), validators=[Optional()])

    def __init__(self, *args: Any, extra_languages: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_profile_choices(self, HOST_CONTACT_LANGUAGES, extra_languages)
        self.status.choices = [
            (HostStatus.ACTIVE.value, str(_l("Aktiv"))),
            (HostStatus.PAUSED.value, str(_l("Pausad"))),
            (HostStatus.DECLINED.value, str(_l("Avböjt"))),
        ]

    def validate_paused_until(self, field: Any) -> None:
        """A paused host needs no date, but a date needs the paused status."""
        if field.data and self.status.data != HostStatus.PAUSED.value:
            raise ValidationError(str(_l("Ett datum gäller bara när status är Pausad.")))


class NewcomerEditForm(ProfileChecks, FlaskForm):
    """A coordinator's corrections to a newcomer's profile."""

    name = StringField(_l("Namn"), validators=[DataRequired(_l("Fyll i namnet.")), Length(max=200)])
    email = EmailField(_l("E-postadress"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Telefonnummer"), validators=[Optional(), Length(max=40)])
    preferred_language = SelectField(_l("Språk för e-post och brev"), default="sv")
    moved_in = LocalDateField(_l("Inflyttad"), validators=[Optional()])
    area = SelectField(_l("Område"), validators=[Optional()], filters=[stripped])
    street_address = StringField(_l("Gatuadress"), validators=[Optional(), Length(max=200)])
    household = RadioField(_l("Hushåll"), validators=[Optional()], filters=[stripped])
    birth_year = StringField(_l("Födelseår"), validators=[Optional(), Length(max=20)])
    languages = MultiCheckboxField(_l("Språk"))
    interests = TextAreaField(_l("Intressen"), validators=[Optional(), Length(max=1000)])
    past = free_text(_l("Dåtid"))
    present = free_text(_l("Nutid"))
    future = free_text(_l("Framtid"))
    wishes = free_text(_l("Önskemål om värd"))
    status = SelectField(_l("Status"))

    def __init__(
        self,
        *args: Any,
        extra_languages: list[str] | None = None,
        languages_offered: list[str] | None = None,
        matched: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        set_profile_choices(
            self,
            [(c, own_language_name(c)) for c in languages_offered or ["sv", "en", "ar"]],
            extra_languages,
        )
        statuses = [
            (NewcomerStatus.UNCONFIRMED.value, str(_l("Ej bekräftad"))),
            (NewcomerStatus.WAITING.value, str(_l("Väntar på värd"))),
            (NewcomerStatus.PAUSED.value, str(_l("Pausad"))),
            (NewcomerStatus.CLOSED.value, str(_l("Avslutad"))),
        ]
        if matched:
            statuses = [(NewcomerStatus.MATCHED.value, str(_l("Matchad")))]
        self.status.choices = statuses


class HostAccountForm(FlaskForm):
    """A login for a host, so they can edit their own profile and pause themselves.

    No password: the host chooses one through a set-password link.
    """

    email = EmailField(
        _l("E-postadress för inloggning"),
        validators=[DataRequired(_l("Fyll i en e-postadress.")), Length(max=254)],
    )

    def validate_email(self, field: Any) -> None:
        """A valid address."""
        check_email(field)


class EraseForm(FlaskForm):
    """Erasing a person cannot be undone: the coordinator ticks a box first."""

    confirm = BooleanField(
        _l("Jag förstår att uppgifterna raderas för gott."),
        validators=[DataRequired(_l("Kryssa i rutan för att radera."))],
    )


class ActionForm(FlaskForm):
    """A button that changes something (CSRF token only)."""
