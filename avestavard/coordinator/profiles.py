"""Coordinators' pages for one person: host interviews, newcomer profiles, register extracts
(GDPR) and erasure. Every page that shows a person writes an audit event (in the service)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.notes_forms import NoteForm
from avestavard.coordinator.outbox import STATUS_LABELS
from avestavard.coordinator.profiles_forms import (
    ActionForm,
    EraseForm,
    HostAccountForm,
    HostInterviewForm,
    NewcomerEditForm,
)
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.models import Host, HostStatus, Newcomer, NewcomerStatus, utcnow
from avestavard.public.register_forms import host_answers, newcomer_answers, parse_birth_year
from avestavard.security import coordinator_required
from avestavard.services.accounts import AccountSettings
from avestavard.services.export import to_json
from avestavard.services.notes import PersonKind, may_edit
from avestavard.services.person_page import person_page
from avestavard.services.profiles import (
    HostProfileInput,
    NewcomerProfileInput,
    confirm_newcomer,
    create_host_account,
    erase_person,
    export_person,
    get_host,
    get_newcomer,
    save_host_interview,
    update_newcomer,
)


def _show_errors(form: Any, exc: ValidationFailed) -> None:
    """Put a service's field errors next to the fields (others go to a flash message)."""
    db.session.rollback()
    if not show_service_errors(form, exc):
        flash(exc.message, "error")


def _host_input(form: HostInterviewForm) -> HostProfileInput:
    return host_answers(
        form,
        HostProfileInput,
        name=form.name.data or "",
        email=form.email.data or None,
        birth_year=parse_birth_year(form.birth_year.data),
        status=HostStatus(form.status.data),
        paused_until=form.paused_until.data,
        interviewer=form.interviewer.data or None,
        interviewed_on=form.interviewed_on.data,
    )


def _fill_form(form: HostInterviewForm | NewcomerEditForm, person: Host | Newcomer) -> None:
    """The fields a profile form shows otherwise than the person holds them."""
    form.interests.data = ", ".join(person.interests_raw or [])
    form.household.data = person.household.value if person.household else None
    form.status.data = person.status.value
    form.birth_year.data = str(person.birth_year) if person.birth_year else ""


def _extract_download(kind: PersonKind, person_id: int, file_word: str) -> Response:
    """A person's register extract as a JSON file named after them (audit-logged)."""
    extract = export_person(db.session, current_user, kind, person_id)
    db.session.commit()
    name = _slug(extract["profile"]["name"])
    return _download(to_json(extract), f"registerutdrag-{file_word}-{person_id}-{name}.json")


def _erase(kind: PersonKind, person_id: int, person_url: str, done: str) -> Response:
    """Erase a person for good once the box is ticked (else back to their page)."""
    form = EraseForm()
    if not form.validate_on_submit():
        flash(_("Kryssa i rutan för att radera."), "error")
        return redirect(person_url)
    erase_person(db.session, current_user, kind, person_id)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("coordinator.index"))


def _download(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "person"


# --------------------------------------------------------------------------- hosts


@bp.route("/hosts/new", methods=["GET", "POST"])
@coordinator_required
def new_host() -> Response | tuple[str, int] | str:
    """Record a host interview."""
    form = HostInterviewForm()
    if not form.is_submitted():
        form.interviewer.data = current_user.name or current_user.email
        form.interviewed_on.data = date.today()
    if form.validate_on_submit():
        try:
            host = save_host_interview(db.session, current_user, _host_input(form))
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Värden är sparad."), "success")
            return redirect(url_for("coordinator.host_detail", host_id=host.id))
    status = 400 if form.is_submitted() else 200
    return render_template("coordinator/profiles/host_form.html", form=form, host=None), status


def render_person_page(
    kind: PersonKind,
    person_id: int,
    *,
    note_form: NoteForm | None = None,
    account_form: HostAccountForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """A host's or newcomer's page: profile, matches, proposals, letters, mails, notes and the
    timeline (the view and reading the notes are audit-logged by the service)."""
    page = person_page(db.session, current_user, kind, person_id)
    if kind == "host":
        if not isinstance(page.person, Host):
            raise TypeError("a host's page shows a host")
        template = "coordinator/profiles/host_detail.html"
        extra: dict[str, Any] = {
            "host": page.person,
            "account_form": account_form or HostAccountForm(email=page.person.email),
        }
    else:
        template = "coordinator/profiles/newcomer_detail.html"
        extra = {"newcomer": page.person, "action_form": ActionForm()}
    now = utcnow()
    html = render_template(
        template,
        page=page,
        note_form=note_form or NoteForm(formdata=None),
        editable_notes={n.id for n in page.notes if may_edit(n, current_user, now)},
        erase_form=EraseForm(),
        mail_status_labels=STATUS_LABELS,
        **extra,
    )
    # Committed (the audit events of the view) after rendering: a commit expires the loaded
    # rows, and the page would read each one again.
    db.session.commit()
    return html, status


@bp.route("/hosts/<int:host_id>")
@coordinator_required
def host_detail(host_id: int) -> tuple[str, int]:
    """A host's page: everything about them in one place (the view is audit-logged)."""
    return render_person_page("host", host_id)


@bp.route("/hosts/<int:host_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_host(host_id: int) -> Response | tuple[str, int] | str:
    """Change a host's interview and profile."""
    host = get_host(db.session, current_user, host_id, record_view=request.method == "GET")
    form = HostInterviewForm(obj=host, extra_languages=host.languages)
    if not form.is_submitted():
        _fill_form(form, host)
    if form.validate_on_submit():
        try:
            save_host_interview(db.session, current_user, _host_input(form), host_id=host.id)
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Ändringarna är sparade."), "success")
            return redirect(url_for("coordinator.host_detail", host_id=host.id))
    db.session.commit()  # the audit event of the view
    status = 400 if form.is_submitted() else 200
    return render_template("coordinator/profiles/host_form.html", form=form, host=host), status


@bp.route("/hosts/<int:host_id>/account", methods=["POST"])
@coordinator_required
def host_account(host_id: int) -> str | tuple[str, int]:
    """Create a login account for a host; the answer shows the set-password link once."""
    form = HostAccountForm()
    if form.validate_on_submit():
        try:
            link = create_host_account(
                db.session,
                current_user,
                host_id,
                email=form.email.data,
                now=datetime.now(UTC),
                settings=AccountSettings.from_config(current_app.config),
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            db.session.commit()
            # Shown this once (pages are never cached); the same link went out by email.
            return render_template(
                "coordinator/profiles/host_account_link.html", link=link, host_id=host_id
            )
    return render_person_page("host", host_id, account_form=form, status=400)


@bp.route("/hosts/<int:host_id>/extract.json")
@coordinator_required
def host_extract(host_id: int) -> Response:
    """Everything held on one host, as a JSON file (register extract; audit-logged)."""
    return _extract_download("host", host_id, "vard")


@bp.route("/hosts/<int:host_id>/erase", methods=["POST"])
@coordinator_required
def erase_host(host_id: int) -> Response:
    """Erase a host for good."""
    return _erase(
        "host",
        host_id,
        url_for("coordinator.host_detail", host_id=host_id),
        _("Värden är raderad."),
    )


# --------------------------------------------------------------------------- newcomers


def newcomer_input(form: NewcomerEditForm, *, read_status: bool = True) -> NewcomerProfileInput:
    """The service input from a newcomer form (the edit form or the new-newcomer form).

    ``read_status=False`` for a new newcomer: they always wait for a host, whatever was posted.
    """
    return newcomer_answers(
        form,
        NewcomerProfileInput,
        email=form.email.data or None,
        status=NewcomerStatus(form.status.data) if read_status and form.status.data else None,
    )


@bp.route("/newcomers/<int:newcomer_id>")
@coordinator_required
def newcomer_detail(newcomer_id: int) -> tuple[str, int]:
    """A newcomer's page: everything about them in one place (the view is audit-logged)."""
    return render_person_page("newcomer", newcomer_id)


@bp.route("/newcomers/<int:newcomer_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_newcomer(newcomer_id: int) -> Response | tuple[str, int] | str:
    """Correct a newcomer's profile, or close it."""
    newcomer = get_newcomer(
        db.session, current_user, newcomer_id, record_view=request.method == "GET"
    )
    form = NewcomerEditForm(
        obj=newcomer,
        extra_languages=newcomer.languages,
        languages_offered=current_app.config["PUBLIC_LANGUAGES"],
        matched=newcomer.status == NewcomerStatus.MATCHED,
    )
    if not form.is_submitted():
        _fill_form(form, newcomer)
    if form.validate_on_submit():
        try:
            update_newcomer(
                db.session, current_user, newcomer.id, newcomer_input(form), now=datetime.now(UTC)
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Ändringarna är sparade."), "success")
            return redirect(url_for("coordinator.newcomer_detail", newcomer_id=newcomer.id))
    db.session.commit()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "coordinator/profiles/newcomer_form.html", form=form, newcomer=newcomer
    ), status


@bp.route("/newcomers/<int:newcomer_id>/confirm", methods=["POST"])
@coordinator_required
def confirm_newcomer_view(newcomer_id: int) -> Response:
    """Mark a registration confirmed after a call: the newcomer now waits for a host."""
    confirm_newcomer(db.session, current_user, newcomer_id, now=datetime.now(UTC))
    db.session.commit()
    flash(_("Anmälan är bekräftad. Personen väntar nu på en värd."), "success")
    return redirect(url_for("coordinator.newcomer_detail", newcomer_id=newcomer_id))


@bp.route("/newcomers/<int:newcomer_id>/extract.json")
@coordinator_required
def newcomer_extract(newcomer_id: int) -> Response:
    """Everything held on one newcomer, as a JSON file (register extract; audit-logged)."""
    return _extract_download("newcomer", newcomer_id, "nyinflyttad")


@bp.route("/newcomers/<int:newcomer_id>/erase", methods=["POST"])
@coordinator_required
def erase_newcomer(newcomer_id: int) -> Response:
    """Erase a newcomer for good."""
    return _erase(
        "newcomer",
        newcomer_id,
        url_for("coordinator.newcomer_detail", newcomer_id=newcomer_id),
        _("Personen är raderad."),
    )


@bp.context_processor
def _profile_helpers() -> dict[str, Any]:
    from avestavard.public.register_forms import profile_template_helpers

    return profile_template_helpers()
