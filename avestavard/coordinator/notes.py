"""Notes on a host or a newcomer: written on the person's page, changed by their author for a
day. The rules and the audit log live in :mod:`avestavard.services.notes`."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.notes_forms import NoteForm
from avestavard.coordinator.profiles import render_person_page
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_error
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.notes import PersonKind, add_note, edit_note, get_note, may_edit

PERSON_PAGES = {
    "host": ("coordinator.host_detail", "host_id"),
    "newcomer": ("coordinator.newcomer_detail", "newcomer_id"),
}


def _person_url(kind: PersonKind, person_id: int, anchor: str = "notes") -> str:
    endpoint, arg = PERSON_PAGES[kind]
    values: dict[str, Any] = {arg: person_id}
    return url_for(endpoint, _anchor=anchor, **values)


def _add(kind: PersonKind, person_id: int) -> Response | tuple[str, int]:
    form = NoteForm()
    if form.validate_on_submit():
        try:
            add_note(db.session, current_user, kind, person_id, form.text.data or "", now=utcnow())
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_error(form.text, exc)
        else:
            db.session.commit()
            flash(_("Anteckningen är sparad."), "success")
            return redirect(_person_url(kind, person_id))
    return render_person_page(kind, person_id, note_form=form, status=400)


@bp.post("/hosts/<int:host_id>/notes")
@coordinator_required
def host_note_add(host_id: int) -> Response | tuple[str, int]:
    """Write a note on a host."""
    return _add("host", host_id)


@bp.post("/newcomers/<int:newcomer_id>/notes")
@coordinator_required
def newcomer_note_add(newcomer_id: int) -> Response | tuple[str, int]:
    """Write a note on a newcomer."""
    return _add("newcomer", newcomer_id)


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@coordinator_required
def note_edit(note_id: int) -> Response | tuple[str, int]:
    """Change a note: its author, within a day of writing it."""
    note = get_note(db.session, current_user, note_id)
    kind: PersonKind = "host" if note.host_id is not None else "newcomer"
    person_id = note.host_id if note.host_id is not None else note.newcomer_id
    if person_id is None:
        raise RuntimeError("a note belongs to a host or a newcomer")
    form = NoteForm(data={"text": note.text})
    if form.validate_on_submit():
        try:
            edit_note(db.session, current_user, note_id, form.text.data or "", now=utcnow())
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_error(form.text, exc)
        else:
            db.session.commit()
            flash(_("Anteckningen är ändrad."), "success")
            return redirect(_person_url(kind, person_id))
    db.session.commit()
    return render_template(
        "coordinator/profiles/note_edit.html",
        note=note,
        form=form,
        may_edit=may_edit(note, current_user, utcnow()),
        back=_person_url(kind, person_id),
    ), 400 if form.is_submitted() else 200
