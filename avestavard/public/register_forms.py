"""The newcomer registration form, and the form fields the profile forms share."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, TypeVar

from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from avestavard.forms import FlaskForm
from avestavard.imports.normalize import NormalizationError
from avestavard.imports.normalize import parse_birth_year as read_birth_year
from avestavard.models import HouseholdType
from avestavard.services.profiles import (
    COMMON_LANGUAGES,
    HostSelfInput,
    NewcomerAnswers,
    normalize_email,
    normalize_phone_number,
    split_interest_words,
)

FREE_TEXT_MAX = 2000


class LocalDateField(DateField):
    """A date field (``<input type=date>``) whose parse error is our own translated text."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse ``YYYY-MM-DD``; anything else is an error next to the field."""
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        try:
            self.data = date.fromisoformat(str(valuelist[0]).strip())
        except ValueError as exc:
            self.data = None
            raise ValueError(
                str(_l("Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-08-15."))
            ) from exc


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, one value each (the template draws them in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def language_choices(extra: list[str] | None = None) -> list[tuple[str, str]]:
    """The common languages (plus ``extra`` codes) named in the reader's language."""
    locale = Locale.parse(str(get_locale() or "sv"))
    codes = list(COMMON_LANGUAGES) + [c for c in extra or [] if c not in COMMON_LANGUAGES]
    names = []
    for code in codes:
        name = locale.languages.get(code) or code
        names.append((code, name[:1].upper() + name[1:]))
    return names


def area_choices() -> list[tuple[str, str]]:
    """The municipality's localities from configuration, after a 'choose' prompt."""
    return [("", str(_l("Välj område"))), *[(a, a) for a in current_app.config["AREAS"]]]


def household_choices() -> list[tuple[str, str]]:
    """Who the person lives with."""
    return [
        (HouseholdType.SINGLE.value, str(_l("Ensam"))),
        (HouseholdType.COUPLE.value, str(_l("Par, utan barn hemma"))),
        (HouseholdType.FAMILY.value, str(_l("Familj med barn"))),
    ]


@functools.cache
def own_language_name(code: str) -> str:
    """A language named in itself ("Svenska", "العربية", "Українська"), from Babel's data.

    Every page's language menu shows these names; Babel's data does not change while we run.
    """
    try:
        name = Locale.parse(code).display_name or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


def contact_language_choices() -> list[tuple[str, str]]:
    """The languages we write letters and emails in, each named in itself."""
    return [(c, own_language_name(c)) for c in current_app.config["PUBLIC_LANGUAGES"]]


# Hosts get their email in Swedish or English.
HOST_CONTACT_LANGUAGES = [("sv", "Svenska"), ("en", "English")]


def set_profile_choices(
    form: Any, contact_languages: list[tuple[str, str]], extra_languages: list[str] | None = None
) -> None:
    """Fill a profile form's choices: area, household, the languages spoken (the common ones
    and ``extra_languages``, the person's own) and the language to be written to in."""
    form.area.choices = area_choices()
    form.household.choices = household_choices()
    form.languages.choices = language_choices(extra_languages)
    form.preferred_language.choices = contact_languages


def free_text(label: Any) -> TextAreaField:
    """One of a profile's free texts (past, present, future, wishes, thoughts)."""
    return TextAreaField(label, validators=[Optional(), Length(max=FREE_TEXT_MAX)])


def parse_birth_year(raw: str | None) -> int | None:
    """The birth year in what was typed, or None when empty.

    The import's rule (:func:`avestavard.imports.normalize.parse_birth_year`, counted from
    today): "1985", "85", "1985-04-19" and a personal identity number give 1985 in the form as
    in the Excel import. Digits that only look like digits (①②③④, ¹⁹⁸⁵) are refused.
    """
    try:
        return read_birth_year(raw, date.today())
    except NormalizationError as exc:
        raise ValidationError(
            str(_l("Skriv födelseåret med fyra siffror, till exempel 1985."))
        ) from exc


AnswersT = TypeVar("AnswersT", bound=NewcomerAnswers)
HostInputT = TypeVar("HostInputT", bound=HostSelfInput)


def _household(value: str | None) -> HouseholdType | None:
    return HouseholdType(value) if value else None


def newcomer_answers(form: Any, input_type: type[AnswersT], **own: Any) -> AnswersT:
    """The answers every newcomer form shares (the registration, "Min anmälan", the
    coordinators' forms), read from a validated ``form`` into the service input
    ``input_type``; ``own`` holds the form's own fields."""
    return input_type(
        name=form.name.data or "",
        phone=form.phone.data or None,
        moved_in=form.moved_in.data,
        area=form.area.data or None,
        street_address=form.street_address.data or None,
        household=_household(form.household.data),
        birth_year=parse_birth_year(form.birth_year.data),
        preferred_language=form.preferred_language.data or "sv",
        languages=list(form.languages.data or []),
        interests=split_interest_words(form.interests.data or ""),
        past=form.past.data or "",
        present=form.present.data or "",
        future=form.future.data or "",
        wishes=form.wishes.data or "",
        **own,
    )


def host_answers(form: Any, input_type: type[HostInputT], **own: Any) -> HostInputT:
    """What a host may change on their own profile, read from a validated ``form`` (the host's
    own form or the coordinators' interview) into the service input ``input_type``; ``own``
    holds the form's own fields."""
    return input_type(
        phone=form.phone.data or None,
        area=form.area.data or None,
        household=_household(form.household.data),
        languages=list(form.languages.data or []),
        preferred_language=form.preferred_language.data or "sv",
        interests=split_interest_words(form.interests.data or ""),
        past=form.past.data or "",
        present=form.present.data or "",
        future=form.future.data or "",
        thoughts=form.thoughts.data or "",
        capacity=form.capacity.data if form.capacity.data is not None else 1,
        **own,
    )


def check_email(field: Any) -> None:
    """Syntax-check an optional email address."""
    try:
        normalize_email(field.data)
    except ValueError as exc:
        raise ValidationError(
            str(_l("Skriv en giltig e-postadress, till exempel namn@exempel.se."))
        ) from exc


def check_phone(field: Any) -> None:
    """Check an optional phone number (Swedish or with country code)."""
    try:
        normalize_phone_number(field.data)
    except ValueError as exc:
        raise ValidationError(
            str(_l("Skriv ett giltigt telefonnummer, till exempel 070-123 45 67."))
        ) from exc


class ProfileChecks:
    """The checks of the contact and birth year fields every profile form shares (mixed into
    the forms; WTForms runs each one only on a form that has its field)."""

    def validate_email(self, field: Any) -> None:
        """A valid address when given."""
        check_email(field)

    def validate_phone(self, field: Any) -> None:
        """A phone number we can call, when given."""
        check_phone(field)

    def validate_birth_year(self, field: Any) -> None:
        """A birth year by the import's rule, not in the future."""
        parse_birth_year(field.data)


class RegistrationForm(ProfileChecks, FlaskForm):
    """What a newcomer tells us, in the order of the interview guide."""

    name = StringField(
        _l("Namn"),
        validators=[DataRequired(_l("Fyll i ditt namn.")), Length(max=200)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    email = EmailField(_l("E-postadress"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Telefonnummer"), validators=[Optional(), Length(max=40)])
    preferred_language = SelectField(_l("Språk för e-post och brev"), default="sv")
    moved_in = LocalDateField(_l("Datum då du flyttade hit"), validators=[Optional()])
    area = SelectField(_l("Område"), validators=[InputRequired(_l("Välj det område du bor i."))])
    street_address = StringField(
        _l("Gatuadress (frivilligt)"), validators=[Optional(), Length(max=200)]
    )
    household = RadioField(_l("Hushåll"), validators=[InputRequired(_l("Välj vilka du bor med."))])
    birth_year = StringField(_l("Födelseår"), validators=[Optional(), Length(max=20)])
    languages = MultiCheckboxField(_l("Språk du talar"))
    interests = StringField(_l("Intressen"), validators=[Optional(), Length(max=1000)])
    past = free_text(_l("Var kommer du från och vad gjorde du förut?"))
    present = free_text(_l("Hur ser ditt liv ut nu?"))
    future = free_text(_l("Vad hoppas du på?"))
    wishes = free_text(_l("Önskemål om din värd (frivilligt)"))
    privacy_consent = BooleanField(
        _l("Jag har läst hur mina personuppgifter behandlas och vill anmäla mig."),
        validators=[DataRequired(_l("Kryssa i rutan för att kunna skicka anmälan."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_profile_choices(self, contact_language_choices())

    def validate_email(self, field: Any) -> None:
        """A valid address, and email or phone (at least one) so we can reach the person."""
        super().validate_email(field)
        if not (field.data or "").strip() and not (self.phone.data or "").strip():
            raise ValidationError(
                str(_l("Fyll i e-postadress eller telefonnummer, så att vi kan nå dig."))
            )

    def validate_moved_in(self, field: Any) -> None:
        """Not more than a year ahead (a typo in the year, most often)."""
        if field.data and (field.data - date.today()).days > 366:
            raise ValidationError(str(_l("Datumet ligger för långt fram i tiden.")))


def profile_template_helpers() -> dict[str, Any]:
    """Functions the profile pages use to show stored codes as words."""
    households = dict(household_choices())

    def household_label(value: Any) -> str:
        return households.get(getattr(value, "value", value) or "", "–")

    def language_names_for(codes: list[str] | None) -> str:
        names = dict(language_choices(list(codes or [])))
        return ", ".join(names.get(code, code) for code in codes or [])

    return {
        "household_label": household_label,
        "language_names_for": language_names_for,
    }
