"""Queueing mail, and the coordinators' decisions about mail that could not be delivered.

:func:`queue_mail` writes an outbox row in the same transaction as the change that causes it;
:mod:`avestavard.services.mail_sender` delivers it after that transaction has committed.
Messages that end ``failed`` (the server refused them) or ``unknown`` (the connection was lost
after the message was handed over, so it may have arrived) wait for a coordinator:
:func:`retry_failed_message`, :func:`mark_unknown_as_sent` and :func:`resend_unknown_message`.
Every decision is audit-logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.models import AuditAction, OutboxMessage, OutboxStatus
from avestavard.models.mail import DUE_STATUSES
from avestavard.services.audit import Actor, record

# Headers the sender writes itself; a row may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "sender",
        "return-path",
    }
)

AUDIT_SUBJECT = "outbox_message"
# What stands where a link's token was hidden in a stored message.
REDACTED_TOKEN = "[…]"  # noqa: S105  (the text shown in place of a token)

# "RCPT TO: 550 5.1.1 <x>: No such user" → 550 and 5.1.1 (RFC 5321 reply, RFC 3463 status).
_REPLY = re.compile(r"(?:^|[:;] )([2-5]\d\d)(?:[ -]([245]\.\d{1,3}\.\d{1,3}))?\b")


def reply_codes(text: str) -> tuple[int | None, str | None]:
    """The SMTP reply code and enhanced status code in a recorded server reply, if any."""
    found = _REPLY.search(text or "")
    if found is None:
        return None, None
    return int(found.group(1)), found.group(2)


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value


def _check_message(to: str, subject: str, headers: dict[str, str]) -> None:
    """Refuse what would break the message or inject headers into it."""
    errors: dict[str, str] = {}
    if _has_line_break(to) or "@" not in to or len(to) > 254:
        errors["to"] = "invalid recipient address"
    if _has_line_break(subject) or len(subject) > 300:
        errors["subject"] = "subject must be one line of at most 300 characters"
    for name, value in headers.items():
        if name.lower() in RESERVED_HEADERS:
            errors[name] = "this header is set by the sender"
        elif not name.isascii() or not name or any(c in name for c in " :\t\r\n"):
            errors[name] = "invalid header name"
        elif _has_line_break(value):
            errors[name] = "header value must be one line"
    if errors:
        raise ValidationFailed("the email cannot be queued", errors=errors)


@contextmanager
def mail_locale(language: str) -> Iterator[None]:
    """Render an email in ``language``, also from a job or command (no request of its own).

    The app's template context processors read the request, so outside one a request context
    for the site root stands in (Flask's documented way to render outside a request).
    """
    outside = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outside, force_locale(language):
        yield


@dataclass(frozen=True)
class RenderedMail:
    """An email rendered in one language, ready to show (a preview) or to queue."""

    subject: str
    text: str
    html: str
    language: str


def render_mail(
    template: str, subject: str | LazyString, language: str, context: Mapping[str, Any]
) -> RenderedMail:
    """Render ``<template>.txt`` and ``<template>.html`` and the subject in ``language``.

    ``subject`` is a lazy translation (``_l("...")``), so it is worded in the mail's language.
    """
    variables = {**context, "language": language}
    with mail_locale(language):
        return RenderedMail(
            subject=str(subject),
            text=render_template(f"{template}.txt", **variables),
            html=render_template(f"{template}.html", **variables),
            language=language,
        )


def queue_templated_mail(
    session: Session,
    *,
    key: str,
    to: str,
    template: str,
    subject: str | LazyString,
    language: str,
    context: Mapping[str, Any],
    held_until: datetime | None = None,
) -> OutboxMessage:
    """Render an email from its templates in ``language`` and queue it (see :func:`queue_mail`)."""
    mail = render_mail(template, subject, language, context)
    return queue_mail(
        session,
        key=key,
        to=to,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        headers={"Content-Language": language},
        held_until=held_until,
    )


def queue_mail(
    session: Session,
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    held_until: datetime | None = None,
) -> OutboxMessage:
    """Queue one email under the idempotency ``key`` (e.g. ``match:42:host-notified``).

    Queueing the same key twice returns the existing row: a retried request or a re-run job
    never sends a message twice. The unique constraint on the key backs this up when two
    transactions race. ``headers`` are extra headers (e.g. ``List-Unsubscribe``); the ones the
    sender writes itself (From, To, Subject, Message-ID ...) are refused with ValidationFailed,
    as are line breaks in the recipient, the subject or a header value. ``held_until``: the
    sender leaves the message alone until then (it can be cancelled meanwhile).
    """
    headers = dict(headers or {})
    _check_message(to, subject, headers)
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=key,
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers,
        held_until=held_until,
    )
    if held_until is not None:
        message.next_attempt_at = held_until
    session.add(message)
    session.flush()
    return message


def redact_token_in_mail(session: Session, token: str) -> int:
    """Hide ``token`` wherever stored mail holds it: its link was just used, and the outbox
    keeps no working secret. The number of messages changed."""
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.body_text.contains(token, autoescape=True))
    ).all()
    for message in messages:
        message.body_text = message.body_text.replace(token, REDACTED_TOKEN)
        if message.body_html is not None:
            message.body_html = message.body_html.replace(token, REDACTED_TOKEN)
    session.flush()
    return len(messages)


def cancel_queued_mail(session: Session, key: str, *, now: datetime) -> bool:
    """Cancel the message queued under ``key`` if no sender has taken it yet.

    One conditional UPDATE: a row a sender has claimed (status ``sending``) or sent is not
    touched, and a cancelled row is never claimed, so a cancel racing a sender ends with exactly
    one of the two. True when the message is cancelled (or there is none), False when it was
    taken by a sender or already sent.
    """
    cancelled = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key == key,
            OutboxMessage.status.in_(DUE_STATUSES),
        )
        .values(status=OutboxStatus.CANCELLED, cancelled_at=now, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], cancelled).rowcount:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if row is not None:
            session.refresh(row)
        return True
    status = session.scalar(
        select(OutboxMessage.status).where(OutboxMessage.idempotency_key == key)
    )
    return status is None or status == OutboxStatus.CANCELLED


# --------------------------------------------------------------------------- coordinators


def outbox_counts(session: Session) -> dict[OutboxStatus, int]:
    """How many messages are in each status (every status present, zero if none)."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    for status, count in rows:
        counts[OutboxStatus(status)] = count
    return counts


def messages_in_status(
    session: Session, status: OutboxStatus, limit: int = 200
) -> Sequence[OutboxMessage]:
    """Messages in ``status``, the most recently tried first."""
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.last_attempt_at.desc().nulls_last(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def _locked_message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(_("Meddelandet finns inte."))
    return message


def _require_status(message: OutboxMessage, status: OutboxStatus) -> None:
    # A second click, or another coordinator, got there first.
    if message.status != status:
        raise Conflict(
            _(
                "Meddelandet har redan hanterats, kanske av någon annan. "
                "Gå tillbaka till sidan E-post och ladda om den."
            )
        )


def _queue_again(message: OutboxMessage, now: datetime) -> None:
    # Attempts count anew after a coordinator's decision: the full retry schedule applies.
    message.attempts = 0
    message.status = OutboxStatus.RETRY
    message.next_attempt_at = now
    message.claim_token = None
    message.claimed_by = None
    message.claimed_at = None
    message.handed_over_at = None


def retry_failed_message(
    session: Session, actor: Actor, message_id: int, *, now: datetime
) -> OutboxMessage:
    """Send a failed message again, with a fresh count of attempts."""
    message = _locked_message(session, message_id)
    _require_status(message, OutboxStatus.FAILED)
    _queue_again(message, now)
    record(session, actor, AuditAction.OUTBOX_RETRY, AUDIT_SUBJECT, message.id)
    session.flush()
    return message


def retry_all_failed(session: Session, actor: Actor, *, now: datetime) -> int:
    """Retry every failed message (after the mail server was fixed); returns how many."""
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED).with_for_update()
    ).all()
    for message in messages:
        _queue_again(message, now)
        record(session, actor, AuditAction.OUTBOX_RETRY, AUDIT_SUBJECT, message.id)
    session.flush()
    return len(messages)


def mark_unknown_as_sent(
    session: Session, actor: Actor, message_id: int, *, now: datetime
) -> OutboxMessage:
    """The coordinator found out that an unknown message did arrive: record it as sent."""
    message = _locked_message(session, message_id)
    _require_status(message, OutboxStatus.UNKNOWN)
    message.status = OutboxStatus.SENT
    message.sent_at = message.handed_over_at or now
    message.claim_token = None
    record(session, actor, AuditAction.OUTBOX_MARK_SENT, AUDIT_SUBJECT, message.id)
    session.flush()
    return message


def resend_unknown_message(
    session: Session, actor: Actor, message_id: int, *, now: datetime
) -> OutboxMessage:
    """Deliberately send an unknown message again (same Message-ID, so it can be recognised)."""
    message = _locked_message(session, message_id)
    _require_status(message, OutboxStatus.UNKNOWN)
    _queue_again(message, now)
    message.resend_count += 1
    record(session, actor, AuditAction.OUTBOX_RESEND, AUDIT_SUBJECT, message.id)
    session.flush()
    return message
