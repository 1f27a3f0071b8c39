"""Queueing mail: an outbox row written in the same transaction as the change that causes it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.models import OutboxMessage


def queue_mail(
    session: Session,
    *,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue one email under the idempotency ``key`` (e.g. ``match:42:host-notified``).

    Queueing the same key twice returns the existing row: a retried request or a re-run job
    never sends a message twice. The unique constraint on the key backs this up when two
    transactions race.
    """
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=key,
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers or {},
    )
    session.add(message)
    session.flush()
    return message
