""" "Min anmälan": the newcomer's own page, reached by a personal link instead of an account.

The link is signed and expires; a newcomer asks for a new one at ``/min-anmalan`` with their
email address or mobile number. That request answers the same and does the same work whether
or not the person is registered: one look-up, one signed token, one rendered email queued and
one audit event, so neither the page nor its timing tells who is registered.

From the page the newcomer sees where the registration stands in plain words, changes their own
answers, pauses and resumes, and withdraws (erased by the coordinators' own erasure service).
Every view and change is written to the audit log here, never in a view.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.models import AuditAction, AuditEvent, Newcomer, NewcomerStatus
from avestavard.models.matches import (
    Match,
    MatchProposal,
    MatchState,
    ProposalStatus,
)
from avestavard.services import audit
from avestavard.services.audit import SystemActor
from avestavard.services.i18n import translate as _
from avestavard.services.link_settings import LinkSettings
from avestavard.services.mail import queue_mail, queue_templated_mail
from avestavard.services.profiles import (
    NewcomerAnswers,
    checked_phone,
    normalize_email,
    normalize_phone_number,
    set_newcomer_answers,
)

LINK_SALT = "avestavard.my-registration"
AUDIT_SUBJECT = "newcomer"
# The actor named in the audit log for what the newcomer does on their own page.
SELF = SystemActor("the newcomer (Min anmälan)")
WITHDRAW_ACTION = AuditAction.WITHDRAW

Step = Literal["unconfirmed", "looking", "host_said_yes", "met", "paused", "ended"]


@dataclass(frozen=True)
class MyRegistrationSettings(LinkSettings):
    """What the newcomer's page needs from the configuration."""

    coordinators_address: str
    link_max_age: timedelta = timedelta(days=30)
    public_languages: tuple[str, ...] = ("sv", "en", "ar")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MyRegistrationSettings:
        """Read the settings from a Flask config."""
        return cls(
            **cls.site_values(config),
            coordinators_address=str(config["MAIL_REPLY_TO"]),
            link_max_age=timedelta(days=int(config.get("MY_REGISTRATION_LINK_DAYS", 30))),
            public_languages=tuple(config.get("PUBLIC_LANGUAGES", ("sv", "en", "ar"))),
        )

    def serializer(self) -> URLSafeTimedSerializer:
        """The signer of personal links."""
        return URLSafeTimedSerializer(self.secret_key, salt=LINK_SALT)

    def language(self, code: str | None) -> str:
        """``code`` when we write in it, else Swedish."""
        return code if code in self.public_languages else "sv"


# --------------------------------------------------------------------------- links


def _fingerprint(newcomer: Newcomer) -> int:
    # A link names the registration by id *and* the moment it was made: an id that a database
    # hands out again after an erasure never opens someone else's page.
    return int(newcomer.registered_at.timestamp())


def link_token(newcomer: Newcomer, settings: MyRegistrationSettings) -> str:
    """A signed token for the newcomer's page (valid for ``settings.link_max_age``)."""
    return str(settings.serializer().dumps({"i": newcomer.id, "r": _fingerprint(newcomer)}))


def link_url(newcomer: Newcomer, settings: MyRegistrationSettings) -> str:
    """The absolute link to the newcomer's page, opening in their language."""
    token = link_token(newcomer, settings)
    language = settings.language(newcomer.preferred_language)
    return f"{settings.public_base_url}/min-anmalan/{token}?lang={language}"


class LinkNotValid(NotFound):
    """The link is forged, mistyped, or its registration is gone."""


class LinkExpired(Conflict):
    """A genuine link that is too old; a new one can be sent to the registration's address."""

    status_code = 410

    def __init__(self, newcomer_id: int) -> None:
        super().__init__(_("Länken har gått ut."))
        self.newcomer_id = newcomer_id


def _newcomer_from_payload(session: Session, payload: Any) -> Newcomer:
    if not isinstance(payload, dict):
        raise LinkNotValid(_("Länken fungerar inte."))
    newcomer_id, fingerprint = payload.get("i"), payload.get("r")
    if not isinstance(newcomer_id, int) or not isinstance(fingerprint, int):
        raise LinkNotValid(_("Länken fungerar inte."))
    newcomer = session.get(Newcomer, newcomer_id)
    if newcomer is None or _fingerprint(newcomer) != fingerprint:
        raise LinkNotValid(_("Länken fungerar inte."))
    return newcomer


def newcomer_for_link(
    session: Session, token: str, *, now: datetime, settings: MyRegistrationSettings
) -> Newcomer:
    """The newcomer a link stands for; LinkNotValid or LinkExpired otherwise. Not logged."""
    try:
        payload, signed_at = settings.serializer().loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise LinkNotValid(_("Länken fungerar inte.")) from exc
    newcomer = _newcomer_from_payload(session, payload)
    if now - signed_at.astimezone(UTC) > settings.link_max_age:
        raise LinkExpired(newcomer.id)
    return newcomer


def open_my_registration(
    session: Session, token: str, *, now: datetime, settings: MyRegistrationSettings
) -> Newcomer:
    """The newcomer opens their page: the view is audit-logged."""
    newcomer = newcomer_for_link(session, token, now=now, settings=settings)
    audit.record(session, SELF, AuditAction.SELF_VIEW, AUDIT_SUBJECT, newcomer.id)
    return newcomer


def _queue_link_mail(
    session: Session, newcomer: Newcomer, *, to: str, settings: MyRegistrationSettings
) -> None:
    language = settings.language(newcomer.preferred_language)
    context = {
        "name": newcomer.first_name,
        "link": link_url(newcomer, settings),
        "valid_days": settings.link_max_age.days,
        "language": language,
    }
    queue_templated_mail(
        session,
        key=f"my-registration-link:{secrets.token_hex(16)}",
        to=to,
        template="email/my_registration_link",
        subject=_l("Din länk till Min anmälan"),
        language=language,
        context=context,
    )


def renew_link(session: Session, token: str, *, settings: MyRegistrationSettings) -> None:
    """Send a fresh link for a genuine (possibly expired) one to the registration's email."""
    try:
        payload = settings.serializer().loads(token)
    except BadSignature as exc:
        raise LinkNotValid(_("Länken fungerar inte.")) from exc
    newcomer = _newcomer_from_payload(session, payload)
    if not newcomer.email:
        raise LinkNotValid(_("Länken fungerar inte."))
    _queue_link_mail(session, newcomer, to=newcomer.email, settings=settings)
    audit.record(session, SELF, AuditAction.SELF_LINK_RENEWED, AUDIT_SUBJECT, newcomer.id)


@dataclass(frozen=True)
class LinkRequest:
    """An email address or mobile number typed on the "send me my link" form."""

    email: str | None = None
    phone: str | None = None


def parse_contact(raw: str | None) -> LinkRequest:
    """An email address (it has an @) or a phone number; ValidationFailed for anything else."""
    text = (raw or "").strip()
    if not text:
        message = _("Skriv din e-postadress eller ditt mobilnummer.")
        raise ValidationFailed(message, {"contact": message})
    try:
        if "@" in text:
            return LinkRequest(email=normalize_email(text))
        return LinkRequest(phone=normalize_phone_number(text))
    except ValueError as exc:
        message = _(
            "Skriv en e-postadress (namn@exempel.se) eller ett mobilnummer (070-123 45 67)."
        )
        raise ValidationFailed(message, {"contact": message}) from exc


def request_link(
    session: Session,
    contact: LinkRequest,
    *,
    language: str,
    settings: MyRegistrationSettings,
) -> None:
    """Send the personal link for the registration with this address or number.

    Registered or not, the same work is done: one look-up, one signed token, one email rendered
    and queued, one audit event. An unknown email address gets a short note that no
    registration uses it; a mobile number goes to the coordinators, who call back (there is no
    text-message service), and a registration with an email address gets its link there.
    """
    if contact.email:
        condition = Newcomer.email == contact.email
    else:
        condition = Newcomer.phone == contact.phone
    newcomer = session.scalar(select(Newcomer).where(condition).order_by(Newcomer.id).limit(1))
    language = settings.language(language)
    if newcomer is not None and newcomer.email:
        _queue_link_mail(session, newcomer, to=newcomer.email, settings=settings)
    elif contact.email:
        # A signed token is made here too, so both answers cost the same.
        settings.serializer().dumps({"i": 0, "r": 0})
        context = {"language": language, "register_url": f"{settings.public_base_url}/register"}
        queue_templated_mail(
            session,
            key=f"my-registration-link:{secrets.token_hex(16)}",
            to=contact.email,
            template="email/my_registration_unknown",
            subject=_l("Din länk till Min anmälan"),
            language=language,
            context=context,
        )
    else:
        settings.serializer().dumps({"i": 0, "r": 0})
        # The coordinators read Swedish; they see the number and whether it is registered.
        with force_locale("sv"):
            subject = _("Ring upp: någon vill ha sin länk till Min anmälan")
            text = render_template(
                "email/my_registration_call_back.txt",
                phone=contact.phone,
                newcomer_id=newcomer.id if newcomer is not None else None,
                detail_url=(
                    f"{settings.public_base_url}/coordinator/newcomers/{newcomer.id}"
                    if newcomer is not None
                    else ""
                ),
            )
        queue_mail(
            session,
            key=f"my-registration-call-back:{secrets.token_hex(16)}",
            to=settings.coordinators_address,
            subject=subject,
            text=text,
        )
    audit.record(
        session,
        SELF,
        AuditAction.SELF_LINK_REQUESTED,
        AUDIT_SUBJECT if newcomer is not None else "",
        newcomer.id if newcomer is not None else None,
    )


# --------------------------------------------------------------------------- where it stands


@dataclass(frozen=True)
class Standing:
    """Where a registration stands, for the newcomer to read."""

    step: Step
    host_first_name: str = ""
    # How the host's contact details reach the newcomer: "email" or "phone" (a coordinator
    # calls); empty until a host has said yes.
    contact_by: str = ""
    introduced: bool = False
    can_pause: bool = False
    can_resume: bool = False
    steps: tuple[Step, ...] = field(
        default=("unconfirmed", "looking", "host_said_yes", "met", "ended")
    )


def _latest_match(session: Session, newcomer: Newcomer) -> Match | None:
    return session.scalar(
        select(Match)
        .where(Match.newcomer_id == newcomer.id)
        .order_by(Match.approved_at.desc(), Match.id.desc())
        .limit(1)
    )


def standing(session: Session, newcomer: Newcomer) -> Standing:
    """Where the registration stands, in the steps the newcomer sees.

    A match the host has not yet said yes to is still "looking": the newcomer hears of a host
    only once the host has accepted.
    """
    if newcomer.status == NewcomerStatus.UNCONFIRMED:
        return Standing("unconfirmed")
    if newcomer.status == NewcomerStatus.PAUSED:
        return Standing("paused", can_resume=True)
    if newcomer.status == NewcomerStatus.CLOSED:
        return Standing("ended")
    match = _latest_match(session, newcomer)
    if newcomer.status == NewcomerStatus.MATCHED and match is not None and match.is_active:
        contact_by = "email" if newcomer.email else "phone"
        first_name = match.host.first_name
        if match.state in (MatchState.ACCEPTED, MatchState.INTRODUCED):
            return Standing(
                "host_said_yes",
                host_first_name=first_name,
                contact_by=contact_by,
                introduced=match.state == MatchState.INTRODUCED,
            )
        if match.state == MatchState.MET:
            return Standing("met", host_first_name=first_name, contact_by=contact_by)
        return Standing("looking")
    return Standing("looking", can_pause=True)


# --------------------------------------------------------------------------- own answers


@dataclass(frozen=True, kw_only=True)
class OwnAnswers(NewcomerAnswers):
    """What newcomers may change themselves: every answer but the email address (changed by
    registering again with the new one, or by a coordinator)."""


def update_own_answers(
    session: Session, newcomer: Newcomer, data: OwnAnswers, *, now: datetime
) -> Newcomer:
    """The newcomer changes their own answers; coordinators and the matcher read them from
    the profile (the next recomputation uses them), and ``self_updated_at`` marks the change
    beside any proposal or match made before it. Audit-logged."""
    errors: dict[str, str] = {}
    phone = checked_phone(data.phone, errors)
    if not errors and not phone and not newcomer.email:
        errors["phone"] = _("Fyll i ditt telefonnummer, så att vi kan nå dig.")
    if not data.name.strip():
        errors["name"] = _("Fyll i ditt namn.")
    if errors:
        raise ValidationFailed(_("Kontrollera uppgifterna."), errors)
    newcomer.phone = phone
    set_newcomer_answers(session, newcomer, data)
    newcomer.self_updated_at = now
    session.flush()
    audit.record(session, SELF, AuditAction.SELF_UPDATE, AUDIT_SUBJECT, newcomer.id)
    return newcomer


# --------------------------------------------------------------------------- pause, withdraw


def pause(session: Session, newcomer: Newcomer, *, now: datetime) -> Newcomer:
    """ "Not now": no proposals until the newcomer resumes. Only while waiting for a host."""
    if newcomer.status != NewcomerStatus.WAITING:
        raise Conflict(_("Anmälan kan bara pausas medan vi letar efter en värd."))
    newcomer.status = NewcomerStatus.PAUSED
    newcomer.paused_at = now
    # The matcher's open suggestions for the newcomer go: nobody should approve them now.
    session.execute(
        delete(MatchProposal).where(
            MatchProposal.newcomer_id == newcomer.id,
            MatchProposal.status == ProposalStatus.OPEN,
        )
    )
    session.flush()
    audit.record(session, SELF, AuditAction.SELF_PAUSE, AUDIT_SUBJECT, newcomer.id)
    return newcomer


def resume(session: Session, newcomer: Newcomer, *, now: datetime) -> Newcomer:
    """Look for a host again (the newcomer keeps their place in the queue)."""
    if newcomer.status != NewcomerStatus.PAUSED:
        raise Conflict(_("Anmälan är inte pausad."))
    newcomer.status = NewcomerStatus.WAITING
    newcomer.paused_at = None
    session.flush()
    audit.record(session, SELF, AuditAction.SELF_RESUME, AUDIT_SUBJECT, newcomer.id)
    return newcomer


def withdraw(session: Session, newcomer: Newcomer) -> None:
    """The newcomer withdraws: everything about them is erased by the coordinators' erasure
    service, and the audit log keeps only that a withdrawal happened, naming no one."""
    from avestavard.services.profiles import erase_person

    newcomer_id = newcomer.id
    erase_person(
        session,
        SELF,
        "newcomer",
        newcomer_id,
        audit_action=WITHDRAW_ACTION,
        name_in_audit=False,
    )
    # The earlier events about the person stay (who looked, when) but point at no one: an id
    # the database may hand to the next newcomer must not carry someone else's history.
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.subject_type == AUDIT_SUBJECT, AuditEvent.subject_id == newcomer_id)
        .values(subject_id=None)
    )
    session.flush()


def withdrawal_count(session: Session, since: datetime | None = None) -> int:
    """How many newcomers withdrew (the coordinators see only this number)."""
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == WITHDRAW_ACTION)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    return int(session.scalar(stmt) or 0)
