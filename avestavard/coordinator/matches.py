"""Coordinators' match pages: who waits for a host, the proposals, and every match's steps.

Views are thin: the rules, the locking and the audit log live in
:mod:`avestavard.services.matches`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import Field

from avestavard.coordinator import bp
from avestavard.coordinator.matches_forms import (
    ApproveForm,
    EndMatchForm,
    HostDeclineForm,
    MatchActionForm,
    MetForm,
    PhoneFollowUpForm,
    RejectProposalForm,
)
from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.extensions import db
from avestavard.forms import FlaskForm, page_number, record_id, show_service_error
from avestavard.localtime import to_local
from avestavard.models import Host, Newcomer, utcnow
from avestavard.models.matches import (
    FollowUpSide,
    Match,
    MatchProposal,
    MatchState,
    ProposalStatus,
)
from avestavard.security import coordinator_required
from avestavard.services import matches as service


def _settings() -> service.MatchSettings:
    return service.MatchSettings.from_config(current_app.config)


def _clock(moment: datetime | None) -> str:
    """A time today in Swedish time, as coordinators read it (14:32)."""
    return to_local(moment).strftime("%H:%M") if moment else ""


def _approved_page(match: Match) -> Response:
    """After an approval: commit, say when the host's email goes, and show the match."""
    db.session.commit()
    if match.state == MatchState.HOST_NOTIFIED and match.is_held(utcnow()):
        flash(
            _(
                "Matchningen är godkänd. Mejlet till värden skickas kl. %(time)s; till dess "
                "kan du ångra.",
                time=_clock(match.hold_until),
            ),
            "success",
        )
    elif match.state == MatchState.HOST_NOTIFIED:
        flash(_("Matchningen är godkänd och värden har fått ett mejl."), "success")
    else:
        flash(_("Matchningen är godkänd. Värden har ingen e-post: ring och registrera svaret."))
    return _detail_page(match.id)


def _to_match_page() -> Response:
    return redirect(url_for("coordinator.to_match"))


def _detail_page(match_id: int) -> Response:
    return redirect(url_for("coordinator.match_detail", match_id=match_id))


# --------------------------------------------------------------------------- to match


@bp.route("/to-match")
@coordinator_required
def to_match() -> str:
    """Confirmed newcomers waiting for a host, oldest first, with the matcher's proposals; a
    page at a time (``?page=``)."""
    result = service.to_match(db.session, current_user, page=page_number(request.args.get("page")))
    computed_at = service.last_computed_at(db.session)
    held = service.held_approvals(db.session, current_user, now=utcnow())
    batches: dict[str, list[Match]] = {}
    for match in held:
        batches.setdefault(match.approval_batch or "", []).append(match)
    page = render_template(
        "coordinator/matches/to_match.html",
        result=result,
        rows=result.rows,
        computed_at=computed_at,
        held_batches=batches,
        clock=_clock,
    )
    # The audit event of the view, committed after rendering, so the rows stay loaded while
    # the page renders.
    db.session.commit()
    return page


@bp.route("/to-match/recompute", methods=["POST"])
@coordinator_required
def recompute_proposals() -> Response:
    """Ask the matcher again now (the nightly job does the same)."""
    summary = service.recompute_proposals(
        db.session, utcnow(), top_k=_settings().top_k, actor=current_user
    )
    db.session.commit()
    flash(
        _(
            "Förslagen är uppdaterade: %(assigned)s av %(newcomers)s nyinflyttade har en "
            "föreslagen värd.",
            assigned=summary.assigned,
            newcomers=summary.newcomers,
        ),
        "success",
    )
    return _to_match_page()


def _approve_page(
    form: ApproveForm, newcomer: Newcomer, host_id: int, action: str, status: int = 200
) -> tuple[str, int]:
    """The preview of the host's email, with the note as typed so far."""
    preview = service.preview_host_mail(
        db.session,
        current_user,
        newcomer.id,
        host_id,
        note=form.note.data or "",
        now=utcnow(),
        settings=_settings(),
    )
    host = db.session.get(Host, host_id)
    return render_template(
        "coordinator/matches/approve.html",
        form=form,
        newcomer=newcomer,
        host=host,
        preview=preview,
        action=action,
        hold_minutes=round(_settings().hold_seconds / 60),
    ), status


def _wants_preview() -> bool:
    return "preview" in request.form


def _preview_then_approve(
    newcomer: Newcomer, host_id: int, action: str, approve: Callable[[str], Match]
) -> Response | tuple[str, int]:
    """The host's email as it will be sent, until the coordinator approves it with the note
    they typed: then ``approve`` (given the note) makes the match."""
    form = ApproveForm()
    if request.method == "GET" or _wants_preview() or not form.validate_on_submit():
        status = 422 if form.errors else 200
        return _approve_page(form, newcomer, host_id, action, status)
    return _approved_page(approve(form.note.data or ""))


@bp.route("/proposals/<int:proposal_id>/approve", methods=["GET", "POST"])
@coordinator_required
def approve_proposal(proposal_id: int) -> Response | tuple[str, int]:
    """Show the host's email as it will be sent (with an optional note), then approve."""
    proposal = db.session.get(MatchProposal, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.OPEN:
        raise NotFound(_("Förslaget finns inte längre. Ladda om sidan."))
    return _preview_then_approve(
        proposal.newcomer,
        proposal.host_id,
        url_for("coordinator.approve_proposal", proposal_id=proposal_id),
        lambda note: service.approve_match(
            db.session, current_user, proposal_id, now=utcnow(), settings=_settings(), note=note
        ),
    )


@bp.route("/proposals/<int:proposal_id>/reject", methods=["GET", "POST"])
@coordinator_required
def reject_proposal(proposal_id: int) -> Response | str | tuple[str, int]:
    """Turn a proposed pair down with a reason; the pair is never proposed again."""
    proposal = db.session.get(MatchProposal, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.OPEN:
        raise NotFound(_("Förslaget finns inte längre. Ladda om sidan."))
    form = RejectProposalForm()
    if form.validate_on_submit():
        try:
            service.reject_proposal(
                db.session, current_user, proposal_id, form.reason.data or "", now=utcnow()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_error(form.reason, exc)
        else:
            db.session.commit()
            flash(_("Förslaget är avvisat och föreslås inte igen."), "success")
            return _to_match_page()
    status = 422 if form.errors else 200
    return render_template("coordinator/matches/reject.html", proposal=proposal, form=form), status


@bp.route("/to-match/<int:newcomer_id>/hosts")
@coordinator_required
def pick_host(newcomer_id: int) -> str:
    """Search the available hosts to pick one by hand."""
    newcomer = db.session.get(Newcomer, newcomer_id)
    if newcomer is None:
        raise NotFound()
    query = request.args.get("q", "").strip()[:200]
    hosts = service.available_hosts(db.session, current_user, newcomer_id, query)
    page = render_template(
        "coordinator/matches/pick_host.html",
        newcomer=newcomer,
        hosts=hosts,
        query=query,
        form=MatchActionForm(),
    )
    db.session.commit()  # the audit event of the list or search, after rendering
    return page


@bp.route("/to-match/<int:newcomer_id>/hosts/<int:host_id>", methods=["GET", "POST"])
@coordinator_required
def assign_host(newcomer_id: int, host_id: int) -> Response | tuple[str, int]:
    """Match the newcomer with the host the coordinator picked, after the email's preview."""
    newcomer = db.session.get(Newcomer, newcomer_id)
    if newcomer is None or db.session.get(Host, host_id) is None:
        raise NotFound()
    return _preview_then_approve(
        newcomer,
        host_id,
        url_for("coordinator.assign_host", newcomer_id=newcomer_id, host_id=host_id),
        lambda note: service.assign_other_host(
            db.session,
            current_user,
            newcomer_id,
            host_id,
            now=utcnow(),
            settings=_settings(),
            note=note,
        ),
    )


@bp.route("/matches/<int:match_id>/undo", methods=["POST"])
@coordinator_required
def match_undo(match_id: int) -> Response:
    """Take an approval back within the hold: the host's email is never sent."""
    match = service.undo_approval(db.session, current_user, match_id, now=utcnow())
    db.session.commit()
    flash(
        _(
            "Godkännandet är ångrat. Mejlet till %(host)s skickas inte, och %(newcomer)s "
            "väntar i Att matcha igen.",
            host=match.host.first_name,
            newcomer=match.newcomer.first_name,
        ),
        "success",
    )
    return redirect(url_for("coordinator.to_match", _anchor=f"newcomer-{match.newcomer_id}"))


@bp.route("/approvals/<batch>/undo", methods=["POST"])
@coordinator_required
def batch_undo(batch: str) -> Response:
    """Take back every approval sent together that is still within its hold."""
    result = service.undo_batch(db.session, current_user, batch[:32], now=utcnow())
    db.session.commit()
    if result.undone:
        flash(
            ngettext(
                "%(num)d godkännande är ångrat; inget mejl skickas.",
                "%(num)d godkännanden är ångrade; inga mejl skickas.",
                len(result.undone),
            ),
            "success",
        )
    if result.too_late:
        flash(
            _(
                "För sent att ångra (mejlet har gått iväg): %(pairs)s.",
                pairs=", ".join(
                    f"{m.host.first_name} – {m.newcomer.first_name}" for m in result.too_late
                ),
            ),
            "error",
        )
    return _to_match_page()


def _selected_proposals() -> list[int]:
    ids = []
    for value in request.values.getlist("proposal")[:200]:
        proposal_id = record_id(value)
        if proposal_id is not None:
            ids.append(proposal_id)
    return list(dict.fromkeys(ids))


@bp.route("/to-match/review", methods=["GET", "POST"])
@coordinator_required
def bulk_review() -> Response | tuple[str, int]:
    """The selected proposals and the emails they will send, before sending them all."""
    ids = _selected_proposals()
    proposals = service.open_proposals(db.session, current_user, ids)
    if not proposals:
        flash(_("Välj minst ett förslag att godkänna."), "error")
        return _to_match_page()
    return _bulk_review_page(proposals, ApproveForm(formdata=None))


def _bulk_review_page(
    proposals: list[MatchProposal], form: ApproveForm, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "coordinator/matches/bulk_review.html",
            proposals=proposals,
            form=form,
            hold_minutes=round(_settings().hold_seconds / 60),
        ),
        status,
    )


@bp.route("/to-match/approve-selected", methods=["POST"])
@coordinator_required
def bulk_approve() -> Response | tuple[str, int]:
    """Approve each selected proposal on its own, all with the same personal note; one that
    cannot be approved is reported."""
    form = ApproveForm()
    if not form.validate_on_submit():
        proposals = service.open_proposals(db.session, current_user, _selected_proposals())
        if not proposals:
            flash(_("Välj minst ett förslag att godkänna."), "error")
            return _to_match_page()
        return _bulk_review_page(proposals, form, 422)
    batch = secrets.token_hex(16)
    approved, refused = 0, []
    for proposal_id in _selected_proposals():
        # Each pair in its own transaction, under the same locks as a single approval.
        try:
            service.approve_match(
                db.session,
                current_user,
                proposal_id,
                now=utcnow(),
                settings=_settings(),
                note=form.note.data or "",
                batch=batch,
            )
        except (Conflict, NotFound) as exc:
            db.session.rollback()
            refused.append(exc.message)
        else:
            db.session.commit()
            approved += 1
    if approved:
        flash(
            ngettext(
                "%(num)d matchning är godkänd. Mejlen skickas om en stund; till dess kan du "
                "ångra alla på en gång.",
                "%(num)d matchningar är godkända. Mejlen skickas om en stund; till dess kan du "
                "ångra alla på en gång.",
                approved,
            ),
            "success",
        )
    for message in refused:
        flash(_("Inte godkänd: %(why)s", why=message), "error")
    return _to_match_page()


# --------------------------------------------------------------------------- matches


def _detail(
    match: Match,
    *,
    met_form: MetForm | None = None,
    follow_up_form: PhoneFollowUpForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if met_form is None:
        met_form = MetForm(formdata=None)
        met_form.met_on.data = to_local(utcnow()).date()
    return render_template(
        "coordinator/matches/detail.html",
        match=match,
        form=MatchActionForm(),
        decline_form=HostDeclineForm(),
        met_form=met_form,
        follow_up_form=follow_up_form or PhoneFollowUpForm(formdata=None),
        next_states=service.TRANSITIONS[match.state],
        MatchState=MatchState,
        state_label=service.state_label,
        held=match.is_held(utcnow()),
        clock=_clock,
        today=to_local(utcnow()).date().isoformat(),
    ), status


def _match_page_form(
    match_id: int,
    form: FlaskForm,
    field: Field,
    record: Callable[[], object],
    done: str,
    page_again: Callable[[Match], tuple[str, int]],
) -> Response | tuple[str, int]:
    """A form posted from a match's page: when it is valid, ``record`` it, commit, say ``done``
    and go back to the page; else the page again, the service's error next to ``field``."""
    if form.validate_on_submit():
        try:
            record()
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_error(field, exc)
        else:
            db.session.commit()
            flash(done, "success")
            return _detail_page(match_id)
    match = service.get_match(db.session, current_user, match_id)
    db.session.commit()
    return page_again(match)


@bp.route("/matches/<int:match_id>")
@coordinator_required
def match_detail(match_id: int) -> tuple[str, int]:
    """One match: both people, every step with its time, and what can be done next."""
    match = service.get_match(db.session, current_user, match_id)
    db.session.commit()
    return _detail(match)


@bp.route("/matches/<int:match_id>/follow-up", methods=["POST"])
@coordinator_required
def match_follow_up(match_id: int) -> Response | tuple[str, int]:
    """Record a follow-up answer given on the phone."""
    form = PhoneFollowUpForm()
    return _match_page_form(
        match_id,
        form,
        form.fit,
        lambda: service.record_follow_up_by_phone(
            db.session,
            current_user,
            match_id,
            FollowUpSide(form.side.data),
            met=form.met.data == "yes",
            fit=int(form.fit.data) if form.fit.data else None,
            comment=form.comment.data or "",
            now=utcnow(),
        ),
        _("Svaret på uppföljningen är registrerat."),
        lambda match: _detail(match, follow_up_form=form, status=422),
    )


def _simple_action(match_id: int, action: str) -> Response:
    now, settings = utcnow(), _settings()
    if action == "notify":
        service.notify_host_again(db.session, current_user, match_id, now=now, settings=settings)
        message = _("Värden har fått ett nytt mejl med nya länkar.")
    elif action == "accept":
        service.host_accept(db.session, current_user, match_id, now=now, settings=settings)
        message = _("Värdens ja är registrerat.")
    else:
        service.introduce(db.session, current_user, match_id, now=now, settings=settings)
        message = _("Den nyinflyttade är introducerad.")
    db.session.commit()
    flash(message, "success")
    return _detail_page(match_id)


@bp.route("/matches/<int:match_id>/notify", methods=["POST"])
@coordinator_required
def match_notify(match_id: int) -> Response:
    """Send the host the match email again (new links)."""
    return _simple_action(match_id, "notify")


@bp.route("/matches/<int:match_id>/accept", methods=["POST"])
@coordinator_required
def match_accept(match_id: int) -> Response:
    """Record the host's yes (given on the phone)."""
    return _simple_action(match_id, "accept")


@bp.route("/matches/<int:match_id>/introduce", methods=["POST"])
@coordinator_required
def match_introduce(match_id: int) -> Response:
    """Record that the newcomer got the host's contact (by phone when they have no email)."""
    return _simple_action(match_id, "introduce")


@bp.route("/matches/<int:match_id>/met", methods=["POST"])
@coordinator_required
def match_met(match_id: int) -> Response | tuple[str, int]:
    """Record the day of the first meeting (today unless another day is given)."""
    form = MetForm()
    return _match_page_form(
        match_id,
        form,
        form.met_on,
        lambda: service.mark_met(
            db.session, current_user, match_id, now=utcnow(), met_on=form.met_on.data
        ),
        _("Första träffen är registrerad."),
        lambda match: _detail(match, met_form=form, status=422),
    )


@bp.route("/matches/<int:match_id>/decline", methods=["POST"])
@coordinator_required
def match_decline(match_id: int) -> Response:
    """Record the host's no (given on the phone); the newcomer waits again."""
    form = HostDeclineForm()
    service.host_decline(db.session, current_user, match_id, form.reason.data or "", now=utcnow())
    db.session.commit()
    flash(_("Värdens nej är registrerat. Den nyinflyttade väntar på en ny värd."), "success")
    return _detail_page(match_id)


@bp.route("/matches/<int:match_id>/end", methods=["GET", "POST"])
@coordinator_required
def match_end(match_id: int) -> Response | tuple[str, int]:
    """End a match with a reason."""
    match = service.get_match(db.session, current_user, match_id)
    if MatchState.ENDED not in service.TRANSITIONS[match.state]:
        raise Conflict(_("Matchningen är inte aktiv och kan inte avslutas."))
    form = EndMatchForm()
    if form.validate_on_submit():
        service.end_match(
            db.session,
            current_user,
            match_id,
            form.reason.data or "",
            now=utcnow(),
            newcomer_waits_again=bool(form.newcomer_waits_again.data),
        )
        db.session.commit()
        flash(_("Matchningen är avslutad."), "success")
        return _detail_page(match_id)
    db.session.commit()
    status = 422 if form.errors else 200
    return render_template("coordinator/matches/end.html", match=match, form=form), status


@bp.app_context_processor
def match_template_helpers() -> dict[str, object]:
    """The match state in words, for every page that lists matches (the person pages too)."""
    return {"match_state_label": service.state_label}


@bp.app_template_global("fit_label")
def _fit_label(band: str) -> str:
    """The band of a proposal's fit, in the reader's language."""
    labels = {"very_good": _("Mycket god"), "good": _("God"), "possible": _("Möjlig")}
    return str(labels.get(band, band))


@bp.app_template_global("component_label")
def _component_label(name: str) -> str:
    """One part of the fit, named for a coordinator."""
    labels = {
        "interests": _("Gemensamma intressen"),
        "text": _("Liknande svar i intervjun"),
        "age": _("Ålder"),
        "household": _("Hushåll"),
        # Proposals stored with age and household as one part.
        "life_stage": _("Ålder och hushåll"),
        "area": _("Samma område"),
        "wishes": _("Önskemål"),
    }
    return str(labels.get(name, name))
