"""Writing the audit log: who viewed or changed which person. Never field values."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from avestavard.models import AuditAction, AuditEvent


class Actor(Protocol):
    """Anything that acts: a logged-in user, or the system (jobs, imports)."""

    @property
    def id(self) -> int | None: ...

    @property
    def email(self) -> str: ...


class SystemActor:
    """The actor for scheduler jobs, command-line imports and public (anonymous) requests."""

    def __init__(self, label: str = "system") -> None:
        self.id: int | None = None
        self.email = label


def record(
    session: Session,
    actor: Actor | None,
    action: AuditAction,
    subject_type: str = "",
    subject_id: int | None = None,
) -> AuditEvent:
    """Append one audit event, e.g. ``record(s, user, AuditAction.VIEW, "host", 7)``."""
    actor = actor or SystemActor()
    event = AuditEvent(
        actor_id=actor.id,
        actor_label=actor.email,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    session.add(event)
    return event
