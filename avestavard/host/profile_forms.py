"""A host's own profile form and the pause form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from avestavard.forms import FlaskForm, WholeNumberField, stripped
from avestavard.public.register_forms import (
    HOST_CONTACT_LANGUAGES,
    LocalDateField,
    MultiCheckboxField,
    ProfileChecks,
    free_text,
    set_profile_choices,
)


class HostSelfForm(ProfileChecks, FlaskForm):
    """What hosts may change themselves (name, email and status go through a coordinator)."""

    phone = TelField(_l("Telefonnummer"), validators=[Optional(), Length(max=40)])
    area = SelectField(_l("Område"), validators=[Optional()], filters=[stripped])
    household = RadioField(_l("Hushåll"), validators=[Optional()], filters=[stripped])
    languages = MultiCheckboxField(_l("Språk du talar"))
    preferred_language = SelectField(_l("Språk för e-post"), default="sv")
    interests = TextAreaField(_l("Intressen"), validators=[Optional(), Length(max=1000)])
    past = free_text(_l("Var kommer du från och vad har du gjort?"))
    present = free_text(_l("Hur ser ditt liv ut nu?"))
    future = free_text(_l("Vad hoppas du på som värd?"))
    thoughts = free_text(_l("Tankar kring uppdraget"))
    capacity = WholeNumberField(
        _l("Hur många nyinflyttade kan du ta emot?"),
        validators=[
            InputRequired(_l("Fyll i ett antal.")),
            NumberRange(0, 20, _l("Antalet ska vara mellan 0 och 20.")),
        ],
    )

    def __init__(self, *args: Any, extra_languages: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        set_profile_choices(self, HOST_CONTACT_LANGUAGES, extra_languages)


class PauseForm(FlaskForm):
    """Not available until a date."""

    until = LocalDateField(
        _l("Inte tillgänglig till och med"),
        validators=[DataRequired(_l("Välj ett datum."))],
    )
