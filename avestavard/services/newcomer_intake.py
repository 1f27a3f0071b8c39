"""A coordinator registers a newcomer by hand, after talking to them on the phone.

The public form makes an unconfirmed registration that waits for the emailed link; here the
coordinator has already spoken to the person, so the newcomer is confirmed at once and waits
for a host. No confirmation email is sent. The person was told how their data is handled
(the privacy notice), and the notice's version is stored as with the public form.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.errors import PermissionDenied, ValidationFailed
from avestavard.models import AuditAction, Newcomer, NewcomerStatus
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.i18n import translate as _
from avestavard.services.profiles import (
    NewcomerProfileInput,
    checked_email,
    checked_phone,
    normalize_email,
    normalize_phone_number,
    set_newcomer_answers,
)


def _contact(session: Session, data: NewcomerProfileInput) -> tuple[str | None, str | None]:
    """Normalised email and phone; errors next to the fields, including a person we have."""
    errors: dict[str, str] = {}
    email = checked_email(data.email, errors)
    phone = checked_phone(data.phone, errors)
    if not errors and not email and not phone:
        errors["email"] = _("Fyll i e-postadress eller telefonnummer, så att vi kan nå personen.")
    if email and session.scalar(select(Newcomer.id).where(Newcomer.email == email)) is not None:
        errors["email"] = _("Det finns redan en nyinflyttad med den e-postadressen.")
    # A phone-only registration from the public form may be waiting for exactly this call:
    # confirm that one instead of making a second record of the same person.
    if phone and session.scalar(select(Newcomer.id).where(Newcomer.phone == phone)) is not None:
        errors["phone"] = _("Det finns redan en nyinflyttad med det telefonnumret.")
    if errors:
        raise ValidationFailed(_("Kontrollera uppgifterna."), errors)
    return email, phone


def find_existing_newcomer(
    session: Session, *, email: str | None, phone: str | None
) -> Newcomer | None:
    """The newcomer already registered with this email (or, failing that, phone), if any."""
    for column, raw, normalize in (
        (Newcomer.email, email, normalize_email),
        (Newcomer.phone, phone, normalize_phone_number),
    ):
        try:
            value = normalize(raw)
        except ValueError:
            continue
        if value:
            found = session.scalar(select(Newcomer).where(column == value).order_by(Newcomer.id))
            if found is not None:
                return found
    return None


def register_newcomer_by_coordinator(
    session: Session,
    actor: Actor,
    data: NewcomerProfileInput,
    *,
    now: datetime,
    privacy_notice_version: str,
) -> Newcomer:
    """Save a newcomer a coordinator spoke to: confirmed at once, waiting for a host.

    ``data.status`` is ignored. Raises ValidationFailed with messages per field (a missing
    name, no way to reach the person, an email or phone we already have). Audit-logged.
    """
    if not getattr(actor, "is_coordinator", False):
        raise PermissionDenied(_("Bara samordnare får göra det här."))
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("Fyll i namnet.")
    try:
        email, phone = _contact(session, data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("Kontrollera uppgifterna."), errors)
    newcomer = Newcomer(
        email=email,
        phone=phone,
        privacy_notice_version=privacy_notice_version,
        status=NewcomerStatus.WAITING,
        registered_at=now,
        confirmed_at=now,
    )
    session.add(newcomer)
    # The answers are stored as the public form stores them (letters by email with an address).
    set_newcomer_answers(session, newcomer, data)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "newcomer", newcomer.id)
    return newcomer
