"""Reading the outbox: the coordinators' list of messages, one message with its attempts, the
server's replies explained in Swedish, and links with tokens hidden once nobody needs them.

Opening a message is audit-logged (its body holds personal data). Cancelling a queued message
is audit-logged too; retrying and resending are in :mod:`avestavard.services.mail`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.models import AuditAction, OutboxMessage, OutboxStatus
from avestavard.models.mail import DUE_STATUSES
from avestavard.services import accounts, matches, my_registration, profiles, sign_in
from avestavard.services.audit import Actor, record
from avestavard.services.authorization import require_coordinator
from avestavard.services.mail import AUDIT_SUBJECT, REDACTED_TOKEN, reply_codes

# What a message is, from the key it was queued under (``match:12:host-notified``).
KINDS: dict[str, Any] = {
    "host-notified": _l("Förfrågan till värd"),
    "introduction": _l("Introduktion till nyinflyttad"),
    "follow-up": _l("Uppföljning"),
    "registration-confirm": _l("Bekräftelse av anmälan"),
    "my-registration-link": _l("Länk till Min anmälan"),
    "my-registration-call-back": _l("Ring upp"),
    "password-link": _l("Lösenordslänk"),
    "letter": _l("Välkomstbrev"),
    "accessibility-report": _l("Tillgänglighetsrapport"),
}
_MATCH_KINDS = ("host-notified", "introduction", "follow-up")

# RFC 3463 enhanced status codes a coordinator meets, in words (class digit replaced by x).
ENHANCED = {
    "x.1.1": _l("Adressen finns inte hos mottagarens e-postserver."),
    "x.1.2": _l("Domänen i adressen finns inte eller tar inte emot e-post."),
    "x.1.3": _l("Adressen är felskriven."),
    "x.1.6": _l("Mottagaren har flyttat och adressen används inte längre."),
    "x.1.10": _l("Domänen tar inte emot e-post (null MX)."),
    "x.2.1": _l("Mottagarens brevlåda är avstängd."),
    "x.2.2": _l("Mottagarens brevlåda är full."),
    "x.2.3": _l("Meddelandet är större än mottagaren tar emot."),
    "x.3.0": _l("Något är fel på mottagarens e-postserver."),
    "x.3.4": _l("Meddelandet är för stort för e-postservern."),
    "x.4.1": _l("Mottagarens e-postserver svarar inte."),
    "x.4.4": _l("Mottagarens e-postserver kunde inte hittas."),
    "x.4.7": _l("Meddelandet har väntat för länge och gavs upp."),
    "x.7.0": _l("Meddelandet stoppades av säkerhetsskäl."),
    "x.7.1": _l("Mottagarens e-postserver tar inte emot meddelanden från oss."),
    "x.7.26": _l("Mottagarens server godtog inte vår avsändarkontroll (DKIM/SPF)."),
}
# When there is no enhanced code: the reply code's meaning, by its first digits.
BY_REPLY = {
    421: _l("E-postservern var upptagen eller stängde; vi försöker igen."),
    450: _l("Mottagarens brevlåda gick inte att nå just nu; vi försöker igen."),
    451: _l("Ett tillfälligt fel hos e-postservern; vi försöker igen."),
    452: _l("E-postservern har inte plats just nu; vi försöker igen."),
    550: _l("Mottagarens e-postserver tog inte emot meddelandet (ofta: adressen finns inte)."),
    551: _l("Mottagaren finns inte på den servern."),
    552: _l("Mottagarens brevlåda är full eller meddelandet för stort."),
    553: _l("Adressen är inte giltig."),
    554: _l("E-postservern vägrade ta emot meddelandet."),
}
BY_CLASS = {
    4: _l("Ett tillfälligt fel; vi försöker igen senare."),
    5: _l("Ett bestående fel: meddelandet kommer inte fram så här."),
}
NO_REPLY = _l("Ingen svarskod: förbindelsen till e-postservern bröts eller kunde inte öppnas.")

# A link path segment this long is a token (signed links, nonces).
_TOKEN_LINK = re.compile(r"(https?://[^\s\"'<>]+?/)([A-Za-z0-9_\-.]{20,})(?=[?\s\"'<>]|$)")
REDACTED = REDACTED_TOKEN


def message_kind(key: str) -> str:
    """The kind code of a message from its idempotency key."""
    parts = key.split(":")
    if parts[0] == "match" and len(parts) >= 3:
        return parts[2]
    return parts[0]


def kind_label(key: str) -> str:
    """The kind of a message in words."""
    kind = message_kind(key)
    return str(KINDS.get(kind, kind))


def explain(code: int | None, enhanced: str | None) -> str:
    """A server's reply in Swedish words: by enhanced status code, else by reply code."""
    if enhanced:
        detail = enhanced.split(".", 1)[1] if "." in enhanced else ""
        words = ENHANCED.get(f"x.{detail}")
        if words is not None:
            return str(words)
    if code is None:
        return str(NO_REPLY)
    if code in BY_REPLY:
        return str(BY_REPLY[code])
    return str(BY_CLASS.get(code // 100, NO_REPLY))


def explain_text(text: str | None) -> str:
    """:func:`explain` for a recorded reply (``RCPT TO: 550 5.1.1 …``)."""
    return explain(*reply_codes(text or ""))


@dataclass(frozen=True)
class OutboxFilter:
    """The list's filters; empty strings mean "any"."""

    status: str = ""
    kind: str = ""
    person: str = ""  # part of the recipient's address

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> OutboxFilter:
        """Read the filters from the query string, dropping unknown values."""
        status = args.get("status", "")
        kind = args.get("kind", "")
        return cls(
            status=status if status in {s.value for s in OutboxStatus} else "",
            kind=kind if kind in KINDS else "",
            person=" ".join(args.get("person", "").split())[:254],
        )


def list_messages(
    session: Session, actor: Actor, filters: OutboxFilter, *, limit: int = 200
) -> Sequence[OutboxMessage]:
    """Messages matching ``filters``, newest first; logged as a view of the list (the
    addresses name people)."""
    require_coordinator(actor)
    record(session, actor, AuditAction.VIEW_LIST, "outbox")
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if filters.status:
        stmt = stmt.where(OutboxMessage.status == OutboxStatus(filters.status))
    if filters.kind in _MATCH_KINDS:
        stmt = stmt.where(OutboxMessage.idempotency_key.like(f"match:%:{filters.kind}%"))
    elif filters.kind:
        stmt = stmt.where(OutboxMessage.idempotency_key.like(f"{filters.kind}:%"))
    if filters.person:
        escaped = filters.person.lower().replace("\\", "\\\\").replace("%", "\\%")
        escaped = escaped.replace("_", "\\_")
        stmt = stmt.where(OutboxMessage.to_address.ilike(f"%{escaped}%", escape="\\"))
    return session.scalars(stmt).all()


def _link_is_live(session: Session, url: str, token: str, *, now: datetime, config: Any) -> bool:
    """True while a link in a message can still be used (the recipient may still need it)."""
    if "/matchning/svar/" in url:
        try:
            matches.check_answer_link(
                session, token, now=now, settings=matches.MatchSettings.from_config(config)
            )
        except matches.LinkProblem:
            return False
        return True
    if url.endswith("/password/"):
        try:
            accounts.check_password_link(
                session, token, now=now, settings=accounts.AccountSettings.from_config(config)
            )
        except (ValidationFailed, NotFound):
            return False
        return True
    return False


def link_is_spent(session: Session, url: str, token: str, *, now: datetime, config: Any) -> bool:
    """True when a link can no longer be used (used, replaced or too old): set a password,
    answer a match or a follow-up, confirm a registration, sign in, "Min anmälan". An
    unsubscribe link never expires, so it is never spent here."""
    if "/matchning/svar/" in url or url.endswith("/password/"):
        return not _link_is_live(session, url, token, now=now, config=config)
    try:
        if url.endswith("/register/confirm/"):
            settings = profiles.RegistrationSettings.from_config(config)
            profiles.check_confirmation_token(session, token, now=now, settings=settings)
        elif url.endswith("/login/link/"):
            sign_in.check_sign_in_link(session, token, now=now)
        elif url.endswith("/matchning/uppfoljning/"):
            match_settings = matches.MatchSettings.from_config(config)
            matches.check_follow_up_link(session, token, now=now, settings=match_settings)
        elif url.endswith("/min-anmalan/"):
            own_settings = my_registration.MyRegistrationSettings.from_config(config)
            my_registration.newcomer_for_link(session, token, now=now, settings=own_settings)
    except (ValidationFailed, NotFound, Conflict):  # how each check refuses a link
        return True
    return False


def redact_spent_links(session: Session, text: str, *, now: datetime, config: Any) -> str:
    """``text`` with the tokens of spent links (:func:`link_is_spent`) hidden."""

    def replace(found: re.Match[str]) -> str:
        base, token = found.group(1), found.group(2)
        if link_is_spent(session, base, token, now=now, config=config):
            return base + REDACTED
        return found.group(0)

    return _TOKEN_LINK.sub(replace, text)


# Where a stored message may hold a single-use or short-lived link.
_SPENDABLE_PATHS = (
    "/password/",
    "/matchning/svar/",
    "/matchning/uppfoljning/",
    "/register/confirm/",
    "/login/link/",
    "/min-anmalan/",
)
# Messages that will not be sent again as they are: their links are the recipient's copy only.
_FINAL = (OutboxStatus.SENT, OutboxStatus.CANCELLED)


def redact_stored_links(session: Session, *, now: datetime, config: Any) -> int:
    """Hide the tokens of spent links in the stored text of sent and cancelled mail (a sweep
    for the nightly retention job); the number of messages changed.

    The recipient's own copy is unchanged; the outbox no longer holds a working secret for
    a link that was used or has expired. Mail still to be sent or retried keeps its links.
    """
    candidates = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status.in_(_FINAL),
            or_(*(OutboxMessage.body_text.contains(path) for path in _SPENDABLE_PATHS)),
        )
    )
    changed = 0
    for message in candidates:
        text = redact_spent_links(session, message.body_text, now=now, config=config)
        html = message.body_html
        if html is not None:
            html = redact_spent_links(session, html, now=now, config=config)
        if text != message.body_text or html != message.body_html:
            message.body_text, message.body_html = text, html
            changed += 1
    session.flush()
    return changed


def redact_links(session: Session, text: str, *, now: datetime, config: Any) -> str:
    """``text`` with the tokens of links hidden, except answer and set-password links that
    still work."""

    def replace(found: re.Match[str]) -> str:
        base, token = found.group(1), found.group(2)
        if _link_is_live(session, base, token, now=now, config=config):
            return found.group(0)
        return base + REDACTED

    return _TOKEN_LINK.sub(replace, text)


def open_message(session: Session, actor: Actor, message_id: int) -> OutboxMessage:
    """One message for a coordinator; opening it is audit-logged."""
    require_coordinator(actor)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound()
    record(session, actor, AuditAction.VIEW, AUDIT_SUBJECT, message.id)
    return message


def cancel_message(
    session: Session, actor: Actor, message_id: int, *, now: datetime
) -> OutboxMessage:
    """Cancel a message no sender has taken yet (queued or waiting to retry).

    One conditional UPDATE, as for an undone approval: a message a sender has claimed is left
    alone, so it is never both sent and cancelled. A held match email is undone from the match
    page instead, which also frees the host's place.
    """
    require_coordinator(actor)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound()
    if (
        ":host-notified" in message.idempotency_key
        and message.held_until
        and now < message.held_until
    ):
        raise Conflict(_("Ångra godkännandet på matchningens sida i stället."))
    cancelled = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(DUE_STATUSES))
        .values(status=OutboxStatus.CANCELLED, cancelled_at=now, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], cancelled).rowcount:
        raise Conflict(
            _("Meddelandet kan inte stoppas: det skickas just nu eller är redan hanterat.")
        )
    session.refresh(message)
    record(session, actor, AuditAction.OUTBOX_CANCEL, AUDIT_SUBJECT, message.id)
    session.flush()
    return message
