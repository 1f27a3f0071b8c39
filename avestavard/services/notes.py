"""Coordinators' notes on a person: written, changed by their author for a day, then kept as
they are. Every write and every reading is audit-logged on the person (never the text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.errors import NotFound, PermissionDenied, ValidationFailed
from avestavard.models import AuditAction, Host, Newcomer
from avestavard.models.notes import Note
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.authorization import require_coordinator
from avestavard.services.i18n import translate as _

PersonKind = Literal["host", "newcomer"]
MAX_NOTE_LENGTH = 4000
# How long the author may change a note; after that it is append-only.
EDIT_WINDOW = timedelta(hours=24)


def _clean(text: str | None) -> str:
    """The text with line endings unified and outer space removed; refused when empty or long."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        message = _("Skriv något i anteckningen.")
        raise ValidationFailed(message, {"text": message})
    if len(cleaned) > MAX_NOTE_LENGTH:
        message = _("Högst %(max)d tecken.", max=MAX_NOTE_LENGTH)
        raise ValidationFailed(message, {"text": message})
    return cleaned


def _require_person(session: Session, kind: PersonKind, person_id: int) -> None:
    if kind not in ("host", "newcomer"):
        raise NotFound()
    model: type[Host] | type[Newcomer] = Host if kind == "host" else Newcomer
    if session.get(model, person_id) is None:
        raise NotFound(_("Personen finns inte."))


def add_note(
    session: Session, actor: Actor, kind: PersonKind, person_id: int, text: str, *, now: datetime
) -> Note:
    """Write a note on a host or a newcomer; audit-logged on the person."""
    require_coordinator(actor)
    _require_person(session, kind, person_id)
    note = Note(
        host_id=person_id if kind == "host" else None,
        newcomer_id=person_id if kind == "newcomer" else None,
        author_id=actor.id,
        author_label=getattr(actor, "name", "") or actor.email,
        text=_clean(text),
        created_at=now,
    )
    session.add(note)
    session.flush()
    audit.record(session, actor, AuditAction.NOTE_CREATE, kind, person_id)
    return note


def may_edit(note: Note, actor: Actor, now: datetime) -> bool:
    """True for the note's author within a day of writing it."""
    return (
        note.author_id is not None
        and note.author_id == actor.id
        and now - note.created_at < EDIT_WINDOW
    )


def _kind_of(note: Note) -> tuple[PersonKind, int]:
    if note.host_id is not None:
        return "host", note.host_id
    if note.newcomer_id is None:
        raise RuntimeError("a note belongs to a host or a newcomer")
    return "newcomer", note.newcomer_id


def get_note(session: Session, actor: Actor, note_id: int) -> Note:
    """One note for a coordinator (to edit it); reading it is audit-logged on the person."""
    require_coordinator(actor)
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(_("Anteckningen finns inte."))
    kind, person_id = _kind_of(note)
    audit.record(session, actor, AuditAction.NOTE_VIEW, kind, person_id)
    return note


def edit_note(session: Session, actor: Actor, note_id: int, text: str, *, now: datetime) -> Note:
    """Change a note's text: only its author, and only within :data:`EDIT_WINDOW`."""
    require_coordinator(actor)
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(_("Anteckningen finns inte."))
    if not may_edit(note, actor, now):
        raise PermissionDenied(
            _("Bara den som skrev anteckningen kan ändra den, och bara under det första dygnet.")
        )
    note.text = _clean(text)
    note.edited_at = now
    session.flush()
    kind, person_id = _kind_of(note)
    audit.record(session, actor, AuditAction.NOTE_UPDATE, kind, person_id)
    return note


def notes_of(
    session: Session, actor: Actor, kind: PersonKind, person_id: int, *, record_view: bool = True
) -> Sequence[Note]:
    """A person's notes, newest first; reading them is audit-logged when there are any."""
    require_coordinator(actor, system=True)
    column = Note.host_id if kind == "host" else Note.newcomer_id
    notes = session.scalars(
        select(Note).where(column == person_id).order_by(Note.created_at.desc(), Note.id.desc())
    ).all()
    if notes and record_view:
        audit.record(session, actor, AuditAction.NOTE_VIEW, kind, person_id)
    return notes


def note_record(note: Note) -> dict[str, object]:
    """One note as the register extract shows it."""
    return {
        "id": note.id,
        "text": note.text,
        "author": note.author_label,
        "created_at": note.created_at,
        "edited_at": note.edited_at,
    }
