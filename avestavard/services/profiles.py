"""Profiles: newcomer registration and its confirmation, host interviews and hosts' own edits,
interests through the normaliser, the register extract (GDPR) and erasure.

Every view and change of a person is written to the audit log here, so no view can forget it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from avestavard.imports.normalize import normalize_email as normalize_imported_email
from avestavard.imports.normalize import normalize_phone, split_interests
from avestavard.models import (
    AuditAction,
    AuditEvent,
    Host,
    HostInterest,
    Interest,
    Newcomer,
    NewcomerInterest,
    OutboxMessage,
    OutboxStatus,
    RegistrationConfirmation,
    Role,
)
from avestavard.models.matches import ACTIVE_MATCH_STATES, Match
from avestavard.models.people import HostStatus, HouseholdType, NewcomerStatus
from avestavard.services import audit
from avestavard.services.accounts import AccountSettings, PasswordLink, create_host_login
from avestavard.services.audit import Actor, SystemActor
from avestavard.services.authorization import is_coordinator, own_host, require_coordinator
from avestavard.services.export import host_record, newcomer_record, person_extract_parts
from avestavard.services.i18n import translate as _
from avestavard.services.link_settings import LinkSettings
from avestavard.services.mail import queue_templated_mail, redact_token_in_mail
from avestavard.services.notes import note_record, notes_of
from avestavard.services.reading import matcher_normalizer
from matching import InterestNormalizer, taxonomy

PersonKind = Literal["host", "newcomer"]

# Languages offered as checkboxes (ISO 639-1): Swedish and English, then the languages most
# often spoken by people moving to Avesta. Names are shown in the reader's language.
COMMON_LANGUAGES: tuple[str, ...] = (
    *("sv", "en", "ar", "fa", "so", "ti", "am", "ku", "tr", "uk"),
    *("ru", "pl", "ro", "bs", "sq", "fi", "de", "es", "fr", "th"),
)
MAX_INTEREST_WORDS = 30
MAX_INTEREST_LENGTH = 100
CONFIRMATION_SALT = "avestavard.registration-confirm"
_SPACES = re.compile(r"\s+")


# --------------------------------------------------------------------------- small normalisers


def normalize_email(raw: str | None) -> str | None:
    """Trimmed, lower-cased and syntax-checked email, or None when empty.

    The import's rule (:func:`avestavard.imports.normalize.normalize_email`), so a typed and an
    imported address compare equal. Raises ValueError with a reason when the text cannot be an
    email address.
    """
    return normalize_imported_email(raw)


def normalize_phone_number(raw: str | None) -> str | None:
    """E.164 (``+46701234567``) for a Swedish or international number, None when empty.

    Raises ValueError when the text is not a valid phone number. The import's normaliser, so
    registrations and imported rows compare equal (hosts and newcomers are found by phone).
    """
    if raw is None or not raw.strip():
        return None
    return normalize_phone(raw)


def checked_email(raw: str | None, errors: dict[str, str], field: str = "email") -> str | None:
    """:func:`normalize_email` for a form: a bad address gives None and its message in
    ``errors[field]``, so every field's error can be shown at once."""
    try:
        return normalize_email(raw)
    except ValueError:
        errors[field] = _("Skriv en giltig e-postadress, till exempel namn@exempel.se.")
        return None


def checked_phone(raw: str | None, errors: dict[str, str], field: str = "phone") -> str | None:
    """:func:`normalize_phone_number` for a form, as :func:`checked_email`."""
    try:
        return normalize_phone_number(raw)
    except ValueError:
        errors[field] = _("Skriv ett giltigt telefonnummer, till exempel 070-123 45 67.")
        return None


def split_interest_words(text: str | Sequence[str] | None) -> list[str]:
    """Free words as typed, one per interest; duplicates dropped.

    The import's rule (:func:`avestavard.imports.normalize.split_interests`): split at commas,
    semicolons, line breaks, "/" and " och "/" and " ("fiske och jakt" is two interests,
    "svamp- och bärplockning" one). Case is kept (the original words are part of the profile);
    duplicates are found ignoring case and spacing.
    """
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    words: list[str] = []
    seen: set[str] = set()
    for part in parts:
        for item in split_interests(part):
            word = _SPACES.sub(" ", item).strip()[:MAX_INTEREST_LENGTH]
            if word and word.casefold() not in seen:
                seen.add(word.casefold())
                words.append(word)
    return words[:MAX_INTEREST_WORDS]


# --------------------------------------------------------------------------- interests


@dataclass(frozen=True)
class InterestMatch:
    """One word and the canonical interest it means (None: no interest recognised)."""

    raw: str
    slug: str | None
    confidence: float


def normalize_interests(
    session: Session, words: Sequence[str], normalizer: InterestNormalizer | None = None
) -> list[InterestMatch]:
    """Map free words to canonical interests with the matcher's own normaliser.

    The same normaliser the matcher uses (:func:`avestavard.services.reading.
    matcher_normalizer`, with the words coordinators taught; ``normalizer`` when the caller
    has it already), so a profile means the same to both. Words it does not recognise come
    back with ``slug=None``; they stay in the person's own words (``interests_raw``) all the
    same.
    """
    normalizer = normalizer or matcher_normalizer(session)
    return [
        InterestMatch(raw=result.raw, slug=result.canonical_id, confidence=result.confidence)
        for result in normalizer.normalize(list(words))
    ]


def _taxonomy_labels(slug: str) -> tuple[str, str]:
    """Swedish and English labels of a canonical interest from the matcher's taxonomy."""
    known = taxonomy()
    if slug not in known:
        return slug, slug
    interest = known[slug]
    return interest.display("sv"), interest.display("en")


def _interest_for(session: Session, slug: str) -> Interest:
    interest = session.scalar(select(Interest).where(Interest.slug == slug))
    if interest is None:
        label_sv, label_en = _taxonomy_labels(slug)
        interest = Interest(slug=slug, label_sv=label_sv[:120], label_en=label_en[:120])
        session.add(interest)
        session.flush()
    return interest


def set_interests(
    session: Session,
    person: Host | Newcomer,
    words: Sequence[str],
    normalizer: InterestNormalizer | None = None,
) -> None:
    """Keep the person's own words and link the canonical interests they mean (read by
    ``normalizer``, else the matcher's)."""
    words = split_interest_words(list(words))
    person.interests_raw = words
    best: dict[str, InterestMatch] = {}
    for match in normalize_interests(session, words, normalizer):
        if match.slug and (
            match.slug not in best or match.confidence > best[match.slug].confidence
        ):
            best[match.slug] = match
    wanted = {_interest_for(session, slug).id: match for slug, match in best.items()}
    links: list[Any] = list(person.interests)
    for link in links:
        if link.interest_id not in wanted:
            person.interests.remove(link)
    current = {link.interest_id: link for link in person.interests}
    link_class: type[HostInterest] | type[NewcomerInterest] = (
        HostInterest if isinstance(person, Host) else NewcomerInterest
    )
    for interest_id, match in wanted.items():
        link = current.get(interest_id)
        if link is None:
            link = link_class(interest_id=interest_id)
            link.interest = session.get(Interest, interest_id)  # type: ignore[assignment]
            person.interests.append(link)  # type: ignore[arg-type]
        link.raw = match.raw[:200]
        link.confidence = match.confidence


def interest_suggestions(locale: str) -> list[str]:
    """Interest names to suggest while typing, in the reader's language (the taxonomy has
    Swedish, English and most Arabic labels; sensitive interests are never suggested)."""
    labels = {
        interest.display(locale)
        for _category, members in taxonomy().suggestions(locale)
        for interest in members
    }
    return sorted(labels, key=str.casefold)


# --------------------------------------------------------------------------- answers


def _clean_text(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _language_codes(codes: Sequence[str]) -> list[str]:
    return sorted({c.strip().lower() for c in codes if c.strip()})


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class RegistrationSettings(LinkSettings):
    """What registration needs from the configuration."""

    confirm_max_age: timedelta = timedelta(days=14)
    public_languages: tuple[str, ...] = ("sv", "en", "ar")
    my_link_max_age: timedelta = timedelta(days=30)
    coordinators_address: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RegistrationSettings:
        """Read the settings from a Flask config."""
        return cls(
            **cls.site_values(config),
            confirm_max_age=timedelta(days=int(config.get("REGISTRATION_CONFIRM_DAYS", 14))),
            public_languages=tuple(config.get("PUBLIC_LANGUAGES", ("sv", "en", "ar"))),
            my_link_max_age=timedelta(days=int(config.get("MY_REGISTRATION_LINK_DAYS", 30))),
            coordinators_address=str(config.get("MAIL_REPLY_TO", "")),
        )

    def my_registration_url(self, newcomer: Newcomer) -> str:
        """The newcomer's personal link to "Min anmälan" (given in the confirmation email)."""
        from avestavard.services.my_registration import MyRegistrationSettings, link_url

        return link_url(
            newcomer,
            MyRegistrationSettings(
                secret_key=self.secret_key,
                public_base_url=self.public_base_url,
                coordinators_address=self.coordinators_address,
                link_max_age=self.my_link_max_age,
                public_languages=self.public_languages,
            ),
        )

    def serializer(self) -> URLSafeTimedSerializer:
        """The signer of confirmation links."""
        return URLSafeTimedSerializer(self.secret_key, salt=CONFIRMATION_SALT)

    def confirm_url(self, token: str, language: str = "sv") -> str:
        """The absolute link a newcomer clicks in the confirmation email (opens in ``language``)."""
        return f"{self.public_base_url}/register/confirm/{token}?lang={language}"


@dataclass(frozen=True, kw_only=True)
class NewcomerAnswers:
    """What a newcomer tells about themselves, on every newcomer form: the registration,
    "Min anmälan" and the coordinators' forms (each adds its own fields)."""

    name: str
    phone: str | None = None
    moved_in: date | None = None
    area: str | None = None
    street_address: str | None = None
    household: HouseholdType | None = None
    birth_year: int | None = None
    preferred_language: str = "sv"
    languages: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    past: str = ""
    present: str = ""
    future: str = ""
    wishes: str = ""


def set_newcomer_answers(session: Session, newcomer: Newcomer, data: NewcomerAnswers) -> None:
    """Store the answers, cleaned alike from every form; the caller checks and sets the phone
    (and email) first. With an email and a street address the welcome letters come by email
    (in the chosen language)."""
    newcomer.name = _clean_text(data.name, 200)
    newcomer.moved_in = data.moved_in
    newcomer.area = data.area or None
    newcomer.street_address = _clean_text(data.street_address, 200) or None
    newcomer.household = data.household
    newcomer.birth_year = data.birth_year
    newcomer.preferred_language = data.preferred_language
    newcomer.languages = _language_codes(data.languages)
    newcomer.past = _clean_text(data.past, 4000)
    newcomer.present = _clean_text(data.present, 4000)
    newcomer.future = _clean_text(data.future, 4000)
    newcomer.wishes = _clean_text(data.wishes, 4000)
    newcomer.letters_by_email = bool(newcomer.email and newcomer.street_address)
    set_interests(session, newcomer, data.interests)


@dataclass(frozen=True, kw_only=True)
class RegistrationInput(NewcomerAnswers):
    """A registration as the newcomer typed it (already parsed, not yet normalised)."""

    email: str | None
    privacy_notice_version: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (kept in a pending confirmation)."""
        data = dataclasses.asdict(self)
        data["moved_in"] = self.moved_in.isoformat() if self.moved_in else None
        data["household"] = self.household.value if self.household else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RegistrationInput:
        """Back from :meth:`to_json`."""
        values = dict(data)
        values["moved_in"] = date.fromisoformat(values["moved_in"]) if values["moved_in"] else None
        values["household"] = HouseholdType(values["household"]) if values["household"] else None
        return cls(**values)


@dataclass(frozen=True)
class RegistrationOutcome:
    """What :func:`register_newcomer` did."""

    newcomer: Newcomer
    created: bool
    # The newcomer was already confirmed: the changes wait for the email owner's confirmation.
    changes_pending: bool
    confirmation_mail: OutboxMessage | None


def _normalized_registration(data: RegistrationInput) -> RegistrationInput:
    errors: dict[str, str] = {}
    email = checked_email(data.email, errors)
    phone = checked_phone(data.phone, errors)
    if not errors and not email and not phone:
        errors["email"] = _("Fyll i e-postadress eller telefonnummer, så att vi kan nå dig.")
    if not data.name.strip():
        errors["name"] = _("Fyll i ditt namn.")
    if errors:
        raise ValidationFailed(_("Kontrollera uppgifterna."), errors)
    return dataclasses.replace(
        data,
        name=_clean_text(data.name, 200),
        email=email,
        phone=phone,
        street_address=_clean_text(data.street_address, 200) or None,
        languages=_language_codes(data.languages),
        interests=split_interest_words(data.interests),
        past=_clean_text(data.past, 4000),
        present=_clean_text(data.present, 4000),
        future=_clean_text(data.future, 4000),
        wishes=_clean_text(data.wishes, 4000),
    )


def _apply_registration(session: Session, newcomer: Newcomer, data: RegistrationInput) -> None:
    newcomer.email = data.email
    newcomer.phone = data.phone
    newcomer.privacy_notice_version = data.privacy_notice_version
    set_newcomer_answers(session, newcomer, data)


def _existing_registration(session: Session, data: RegistrationInput) -> Newcomer | None:
    # Phone only: never another registration's row. Nobody can prove owning a number on a
    # form, so the answers are a registration of their own, and the coordinator who calls the
    # number sees both.
    if not data.email:
        return None
    return session.scalar(select(Newcomer).where(Newcomer.email == data.email))


def register_newcomer(
    session: Session, data: RegistrationInput, *, now: datetime, settings: RegistrationSettings
) -> RegistrationOutcome:
    """Save a registration from the public form and queue the confirmation email.

    A new email address creates an unconfirmed newcomer. The same address again changes
    nothing at once, whether the registration was confirmed or not: the new answers are
    staged and applied only when the owner of the address confirms the link mailed to it,
    and the link of the first registration keeps working. The outcome the form shows is the
    same either way, so the form does not tell whether an address is registered.
    Phone-only registrations wait for a coordinator's call.
    """
    data = _normalized_registration(data)
    newcomer = _existing_registration(session, data)
    created = newcomer is None
    if newcomer is None:
        newcomer = Newcomer(name=data.name, registered_at=now, status=NewcomerStatus.UNCONFIRMED)
        session.add(newcomer)
        _apply_registration(session, newcomer, data)
    session.flush()
    action = AuditAction.REGISTER if created else AuditAction.REGISTER_AGAIN
    audit.record(session, SystemActor("public registration"), action, "newcomer", newcomer.id)
    mail = None
    if data.email:
        mail = _queue_confirmation(
            session,
            newcomer,
            data,
            changes=None if created else data.to_json(),
            now=now,
            settings=settings,
        )
    return RegistrationOutcome(newcomer, created, not created, mail)


def _queue_confirmation(
    session: Session,
    newcomer: Newcomer,
    data: RegistrationInput,
    *,
    changes: dict[str, Any] | None,
    now: datetime,
    settings: RegistrationSettings,
) -> OutboxMessage:
    nonce = secrets.token_urlsafe(24)
    is_change = changes is not None
    confirmation = session.scalar(
        select(RegistrationConfirmation).where(
            RegistrationConfirmation.newcomer_id == newcomer.id,
            RegistrationConfirmation.is_change == is_change,
        )
    )
    if confirmation is None:
        confirmation = RegistrationConfirmation(newcomer_id=newcomer.id, is_change=is_change)
        session.add(confirmation)
    # A new nonce makes the earlier link of the same kind stop working (the newest staged
    # answers win); the other kind's link is left alone.
    confirmation.nonce = nonce
    confirmation.changes = changes
    confirmation.created_at = now
    session.flush()
    token = settings.serializer().dumps({"n": nonce})
    language = (
        data.preferred_language if data.preferred_language in settings.public_languages else "sv"
    )
    # No typed name in the greeting: the form would otherwise mail any text to any address.
    context = {
        "confirm_url": settings.confirm_url(token, language),
        "valid_days": settings.confirm_max_age.days,
        "changes_pending": is_change,
        "language": language,
        "my_registration_url": settings.my_registration_url(newcomer),
    }
    if data.email is None:
        raise ValueError("a confirmation is mailed to an email address")
    return queue_templated_mail(
        session,
        key=f"registration-confirm:{hashlib.sha256(nonce.encode()).hexdigest()[:32]}",
        to=data.email,
        template="email/registration_confirm",
        subject=_l("Bekräfta din anmälan till AvestaVärd"),
        language=language,
        context=context,
    )


def check_confirmation_token(
    session: Session, token: str, *, now: datetime, settings: RegistrationSettings
) -> RegistrationConfirmation:
    """The pending confirmation a link stands for; ValidationFailed if forged, used or too old."""
    invalid = ValidationFailed(
        _(
            "Länken fungerar inte längre. Den kan ha använts redan, vara för gammal eller ersatts "
            "av en nyare länk. Anmäl dig igen, så skickar vi en ny länk."
        )
    )
    try:
        payload, signed_at = settings.serializer().loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise invalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        raise invalid
    if now - signed_at.astimezone(UTC) > settings.confirm_max_age:
        raise invalid
    confirmation = session.scalar(
        select(RegistrationConfirmation).where(RegistrationConfirmation.nonce == payload["n"])
    )
    if confirmation is None:
        raise invalid
    return confirmation


def confirm_registration(
    session: Session, token: str, *, now: datetime, settings: RegistrationSettings
) -> Newcomer:
    """The newcomer clicked the emailed link: from now on they wait for a host."""
    confirmation = check_confirmation_token(session, token, now=now, settings=settings)
    newcomer = session.get(Newcomer, confirmation.newcomer_id)
    if newcomer is None:
        raise NotFound()
    if confirmation.is_change and confirmation.changes:
        _apply_registration(session, newcomer, RegistrationInput.from_json(confirmation.changes))
    if newcomer.status in (NewcomerStatus.UNCONFIRMED, NewcomerStatus.CLOSED):
        newcomer.status = NewcomerStatus.WAITING
        newcomer.confirmed_at = now
    redact_token_in_mail(session, token)
    # This link works once; the first registration's link has nothing left to confirm.
    # Staged answers not yet confirmed stay until their own link is used or expires.
    session.execute(
        delete(RegistrationConfirmation).where(
            RegistrationConfirmation.newcomer_id == newcomer.id,
            or_(
                RegistrationConfirmation.id == confirmation.id,
                RegistrationConfirmation.is_change.is_(False),
            ),
        )
    )
    session.flush()
    audit.record(
        session, SystemActor("public registration"), AuditAction.CONFIRM, "newcomer", newcomer.id
    )
    return newcomer


# --------------------------------------------------------------------------- access helpers


def _host(session: Session, host_id: int) -> Host:
    host = session.get(Host, host_id)
    if host is None:
        raise NotFound(_("Värden finns inte."))
    return host


def _newcomer(session: Session, newcomer_id: int) -> Newcomer:
    newcomer = session.get(Newcomer, newcomer_id)
    if newcomer is None:
        raise NotFound(_("Personen finns inte."))
    return newcomer


def get_host(session: Session, actor: Actor, host_id: int, *, record_view: bool = True) -> Host:
    """A host's profile for a coordinator; the view is audit-logged.

    ``record_view=False`` is for a form being saved: the change itself is logged instead.
    """
    require_coordinator(actor, system=True)
    host = _host(session, host_id)
    if record_view:
        audit.record(session, actor, AuditAction.VIEW, "host", host.id)
    return host


def get_newcomer(
    session: Session, actor: Actor, newcomer_id: int, *, record_view: bool = True
) -> Newcomer:
    """A newcomer's profile for a coordinator; the view is audit-logged (see :func:`get_host`)."""
    require_coordinator(actor, system=True)
    newcomer = _newcomer(session, newcomer_id)
    if record_view:
        audit.record(session, actor, AuditAction.VIEW, "newcomer", newcomer.id)
    return newcomer


# --------------------------------------------------------------------------- hosts


@dataclass(frozen=True, kw_only=True)
class HostSelfInput:
    """What hosts may change on their own profile (not status, interview or name)."""

    phone: str | None = None
    area: str | None = None
    household: HouseholdType | None = None
    languages: list[str] = field(default_factory=list)
    preferred_language: str = "sv"
    interests: list[str] = field(default_factory=list)
    past: str = ""
    present: str = ""
    future: str = ""
    thoughts: str = ""
    capacity: int = 1


@dataclass(frozen=True, kw_only=True)
class HostProfileInput(HostSelfInput):
    """A host interview as a coordinator records it: what the host may change, and more."""

    name: str
    email: str | None = None
    birth_year: int | None = None
    status: HostStatus = HostStatus.ACTIVE
    paused_until: date | None = None
    interviewer: str | None = None
    interviewed_on: date | None = None


def _contact_errors(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    errors: dict[str, str] = {}
    email, phone = checked_email(email, errors), checked_phone(phone, errors)
    if errors:
        raise ValidationFailed(_("Kontrollera uppgifterna."), errors)
    return email, phone


def _check_capacity(capacity: int) -> None:
    if capacity < 0 or capacity > 20:
        message = _("Antalet ska vara mellan 0 och 20.")
        raise ValidationFailed(message, {"capacity": message})


def _set_host_own_fields(host: Host, data: HostSelfInput) -> None:
    """The fields a host may change themselves, set alike from the interview and their own form."""
    host.area = data.area or None
    host.household = data.household
    host.languages = _language_codes(data.languages)
    host.preferred_language = data.preferred_language
    host.past = _clean_text(data.past, 4000)
    host.present = _clean_text(data.present, 4000)
    host.future = _clean_text(data.future, 4000)
    host.thoughts = _clean_text(data.thoughts, 4000)
    host.capacity = data.capacity


def save_host_interview(
    session: Session, actor: Actor, data: HostProfileInput, host_id: int | None = None
) -> Host:
    """Create a host from an interview, or change one (``host_id``); audit-logged."""
    require_coordinator(actor, system=True)
    email, phone = _contact_errors(data.email, data.phone)
    _check_capacity(data.capacity)
    if not data.name.strip():
        message = _("Fyll i namnet.")
        raise ValidationFailed(message, {"name": message})
    host = Host() if host_id is None else _host(session, host_id)
    if email:
        other = session.scalar(select(Host.id).where(Host.email == email, Host.id != host.id))
        if other is not None:
            message = _("Det finns redan en värd med den e-postadressen.")
            raise ValidationFailed(message, {"email": message})
    host.name = _clean_text(data.name, 200)
    host.email = email
    host.phone = phone
    host.birth_year = data.birth_year
    _set_host_own_fields(host, data)
    host.status = data.status
    host.paused_until = data.paused_until if data.status == HostStatus.PAUSED else None
    host.interviewer = _clean_text(data.interviewer, 200) or None
    host.interviewed_on = data.interviewed_on
    if host_id is None:
        session.add(host)
    set_interests(session, host, data.interests)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE if host_id is None else AuditAction.UPDATE,
        "host",
        host.id,
    )
    return host


def host_for_user(session: Session, user: Actor) -> Host:
    """The host profile linked to a host's login account (only their own); NotFound if none."""
    host = own_host(session, user)
    if host is None:
        raise NotFound(_("Ditt konto är ännu inte kopplat till en värdprofil."))
    return host


def view_own_host_profile(session: Session, user: Actor) -> Host:
    """A host reads their own profile; audit-logged like every view of a person."""
    host = host_for_user(session, user)
    audit.record(session, user, AuditAction.VIEW, "host", host.id)
    return host


def update_host_profile(session: Session, user: Actor, data: HostSelfInput) -> Host:
    """A host changes their own profile; audit-logged."""
    host = host_for_user(session, user)
    _email, phone = _contact_errors(None, data.phone)
    _check_capacity(data.capacity)
    host.phone = phone
    _set_host_own_fields(host, data)
    set_interests(session, host, data.interests)
    session.flush()
    audit.record(session, user, AuditAction.UPDATE, "host", host.id)
    return host


def pause_host(
    session: Session, actor: Actor, host_id: int, until: date | None, *, today: date
) -> Host:
    """Pause a host until ``until`` (they take no newcomers before it), or resume (None).

    A host may pause only themselves; coordinators may pause anyone. Declined hosts stay
    declined.
    """
    host = _host(session, host_id)
    if not (is_coordinator(actor) or isinstance(actor, SystemActor)) and host.user_id != actor.id:
        raise PermissionDenied()
    if host.status == HostStatus.DECLINED:
        raise Conflict(_("Värden har avböjt uppdraget och kan inte pausas."))
    if until is None:
        host.status = HostStatus.ACTIVE
        host.paused_until = None
        action = AuditAction.RESUME
    else:
        if until <= today:
            message = _("Välj ett datum efter i dag.")
            raise ValidationFailed(message, {"until": message})
        host.status = HostStatus.PAUSED
        host.paused_until = until
        action = AuditAction.PAUSE
    session.flush()
    audit.record(session, actor, action, "host", host.id)
    return host


def resume_due_hosts(session: Session, today: date) -> int:
    """Make hosts active again whose pause ended before or on ``today``; returns how many.

    A sweep for the nightly job: safe to run twice.
    """
    hosts = session.scalars(
        select(Host).where(
            Host.status == HostStatus.PAUSED,
            Host.paused_until.is_not(None),
            Host.paused_until <= today,
        )
    ).all()
    for host in hosts:
        host.status = HostStatus.ACTIVE
        host.paused_until = None
        audit.record(session, SystemActor("pause ended"), AuditAction.RESUME, "host", host.id)
    session.flush()
    return len(hosts)


def create_host_account(
    session: Session,
    actor: Actor,
    host_id: int,
    *,
    email: str | None,
    now: datetime,
    settings: AccountSettings,
) -> PasswordLink:
    """Give a host a login account (role host) so they can edit their own profile.

    Nobody types the host's password: the host chooses it through a one-time set-password link,
    emailed to them and returned so the coordinator can pass it on by phone.
    """
    require_coordinator(actor, system=True)
    # Locked: two coordinators pressing the button at once must not make two logins.
    host = session.get(Host, host_id, with_for_update=True)
    if host is None:
        raise NotFound(_("Värden finns inte."))
    link = create_host_login(session, actor, host, email=email, now=now, settings=settings)
    audit.record(session, actor, AuditAction.CREATE_ACCOUNT, "host", host.id)
    return link


# --------------------------------------------------------------------------- newcomers


@dataclass(frozen=True, kw_only=True)
class NewcomerProfileInput(NewcomerAnswers):
    """A coordinator's changes to a newcomer's profile."""

    email: str | None = None
    status: NewcomerStatus | None = None  # None: unchanged


def update_newcomer(
    session: Session, actor: Actor, newcomer_id: int, data: NewcomerProfileInput, *, now: datetime
) -> Newcomer:
    """A coordinator corrects a newcomer's profile (or closes it); audit-logged.

    ``matched`` is set only by the matches feature, never by editing a profile.
    """
    require_coordinator(actor, system=True)
    newcomer = _newcomer(session, newcomer_id)
    email, phone = _contact_errors(data.email, data.phone)
    if not data.name.strip():
        message = _("Fyll i namnet.")
        raise ValidationFailed(message, {"name": message})
    if email:
        other = session.scalar(
            select(Newcomer.id).where(Newcomer.email == email, Newcomer.id != newcomer.id)
        )
        if other is not None:
            message = _("Det finns redan en nyinflyttad med den e-postadressen.")
            raise ValidationFailed(message, {"email": message})
    status = data.status
    if status is not None and status != newcomer.status:
        if NewcomerStatus.MATCHED in (status, newcomer.status):
            message = _("Status för en matchad person ändras på matchningen.")
            raise ValidationFailed(message, {"status": message})
        newcomer.status = status
        newcomer.paused_at = now if status == NewcomerStatus.PAUSED else None
        if status == NewcomerStatus.WAITING and newcomer.confirmed_at is None:
            newcomer.confirmed_at = now
    newcomer.email = email
    newcomer.phone = phone
    set_newcomer_answers(session, newcomer, data)
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "newcomer", newcomer.id)
    return newcomer


def confirm_newcomer(
    session: Session, actor: Actor, newcomer_id: int, *, now: datetime
) -> Newcomer:
    """A coordinator confirms a registration after a call: the newcomer now waits for a host."""
    require_coordinator(actor, system=True)
    newcomer = _newcomer(session, newcomer_id)
    if newcomer.status != NewcomerStatus.UNCONFIRMED:
        raise Conflict(_("Anmälan är redan bekräftad."))
    newcomer.status = NewcomerStatus.WAITING
    newcomer.confirmed_at = now
    session.execute(
        delete(RegistrationConfirmation).where(RegistrationConfirmation.newcomer_id == newcomer.id)
    )
    session.flush()
    audit.record(session, actor, AuditAction.CONFIRM, "newcomer", newcomer.id)
    return newcomer


# --------------------------------------------------------------------------- extract and erasure


def export_person(
    session: Session, actor: Actor, kind: PersonKind, person_id: int
) -> dict[str, Any]:
    """Everything the register holds on one person (the GDPR extract); audit-logged.

    Matches, proposals and follow-up answers are the person's own; the other party of a
    match appears only as a role ("värd", "nyinflyttad"), never by name or contact.
    """
    require_coordinator(actor, system=True)
    extract: dict[str, Any] = {"kind": kind}
    if kind == "host":
        host = _host(session, person_id)
        extract["profile"] = host_record(host)
        if host.user is not None:
            extract["account"] = {
                "email": host.user.email,
                "role": host.user.role.value,
                "created_at": host.user.created_at,
                "last_login_at": host.user.last_login_at,
            }
    elif kind == "newcomer":
        newcomer = _newcomer(session, person_id)
        extract["profile"] = newcomer_record(newcomer)
    else:
        raise NotFound()
    extract.update(person_extract_parts(session, kind, person_id))
    extract["notes"] = [
        note_record(note) for note in notes_of(session, actor, kind, person_id, record_view=False)
    ]
    extract["emails"] = [
        {
            "subject": m.subject,
            "status": m.status.value,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
        }
        for m in _outbox_for(session, extract["profile"]["email"])
    ]
    audit.record(session, actor, AuditAction.EXPORT, kind, person_id)
    return extract


def _outbox_for(session: Session, email: str | None) -> Sequence[OutboxMessage]:
    if not email:
        return []
    return session.scalars(
        select(OutboxMessage)
        .where(func.lower(OutboxMessage.to_address) == email.lower())
        .order_by(OutboxMessage.id)
    ).all()


ERASED_MARK = "[raderad]"
ERASED_ACTOR_LABEL = "raderad person"
# Mail not yet handed to the SMTP server: it can still be withdrawn rather than redacted.
_UNSENT = (OutboxStatus.QUEUED, OutboxStatus.RETRY)


def _redact(text: str | None, words: Sequence[str]) -> str | None:
    if text is None:
        return None
    for word in words:
        text = re.sub(re.escape(word), ERASED_MARK, text, flags=re.IGNORECASE)
    return text


def _erase_from_others_mail(
    session: Session, person: Host | Newcomer, match_ids: Sequence[int]
) -> None:
    """Other people's mail that names the person: unsent mail about the person's matches is
    withdrawn; everything else that names them (sent mail, coordinators' notices) has the
    name, first name in the match mails, email address and phone number replaced by
    ``[raderad]``."""
    words = [w for w in (person.name.strip(), person.email, person.phone) if w and len(w) >= 3]
    first_name = person.name.split()[0] if person.name.split() else ""
    match_keys = [OutboxMessage.idempotency_key.like(f"match:{m}:%") for m in match_ids]
    if match_keys:
        session.execute(
            delete(OutboxMessage).where(or_(*match_keys), OutboxMessage.status.in_(_UNSENT))
        )
    naming = [
        column.contains(word)
        for word in words
        for column in (OutboxMessage.subject, OutboxMessage.body_text, OutboxMessage.body_html)
    ]
    candidates = or_(*naming, *match_keys) if match_keys else or_(*naming)
    for message in session.scalars(select(OutboxMessage).where(candidates)):
        about_match = message.idempotency_key.startswith(tuple(f"match:{m}:" for m in match_ids))
        # The match mails greet the other party with the person's first name only.
        redacted = [*words, first_name] if about_match and len(first_name) >= 2 else words
        message.subject = _redact(message.subject, redacted) or ""
        message.body_text = _redact(message.body_text, redacted) or ""
        message.body_html = _redact(message.body_html, redacted)
    session.flush()


def _erase_matches(session: Session, kind: PersonKind, person_id: int) -> list[int]:
    """Remove the person's matches (their ids are returned); the other party keeps their
    profile.

    A newcomer whose active match was with an erased host waits for a new host again.
    """
    column = Match.host_id if kind == "host" else Match.newcomer_id
    erased: list[int] = []
    for match in session.scalars(select(Match).where(column == person_id)):
        erased.append(match.id)
        newcomer = match.newcomer
        if (
            kind == "host"
            and match.state in ACTIVE_MATCH_STATES
            and newcomer.status == NewcomerStatus.MATCHED
        ):
            newcomer.status = NewcomerStatus.WAITING
        session.delete(match)
    session.flush()
    return erased


def _login_email(person: Host | Newcomer) -> str | None:
    if isinstance(person, Host) and person.user is not None and person.user.role == Role.HOST:
        return person.user.email
    return None


def erase_person(
    session: Session,
    actor: Actor,
    kind: PersonKind,
    person_id: int,
    *,
    audit_action: AuditAction = AuditAction.ERASE,
    name_in_audit: bool = True,
) -> None:
    """Erase a person: profile, interests, matches, host login account, their own email, and
    their name and contact in other people's mail and in the audit log's actor labels.

    The audit log keeps only that it happened (ids, never values). ``name_in_audit=False``
    keeps not even the id: a newcomer who withdraws leaves only a count behind.
    """
    require_coordinator(actor, system=True)
    person: Host | Newcomer = (
        _host(session, person_id) if kind == "host" else _newcomer(session, person_id)
    )
    email = person.email
    match_ids = _erase_matches(session, kind, person_id)
    _erase_from_others_mail(session, person, match_ids)
    if email:
        # Messages being handed to the SMTP server right now are left to the sender.
        session.execute(
            delete(OutboxMessage).where(
                func.lower(OutboxMessage.to_address) == email.lower(),
                OutboxMessage.status != OutboxStatus.SENDING,
            )
        )
    # The audit log names actors by their email: the erased person's own actions stay in
    # the log, without the address.
    labels = {address.lower() for address in (email, _login_email(person)) if address}
    if labels:
        session.execute(
            update(AuditEvent)
            .where(func.lower(AuditEvent.actor_label).in_(labels))
            .values(actor_label=ERASED_ACTOR_LABEL)
            .execution_options(synchronize_session=False)
        )
    if isinstance(person, Host) and person.user is not None and person.user.role == Role.HOST:
        session.delete(person.user)
    session.delete(person)
    session.flush()
    audit.record(session, actor, audit_action, kind, person_id if name_in_audit else None)
