"""Pages behind the links in match emails: they work without logging in, once.

Opening a link only shows a page; the answer is given with a button (POST), so mail scanners
that open links do not answer for the host. A replayed, replaced, expired or tampered link gets
a page that says which, with a status code to match.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _

from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.models.matches import MatchState
from avestavard.public import bp
from avestavard.public.match_links_forms import AcceptForm, DeclineForm, FollowUpForm
from avestavard.services import matches as service
from avestavard.services.matches import LinkProblem


def _settings() -> service.MatchSettings:
    return service.MatchSettings.from_config(current_app.config)


def _problem_page(problem: LinkProblem) -> tuple[str, int]:
    db.session.rollback()
    messages = {
        "invalid": _("Länken är felaktig. Kontrollera att du kopierade hela länken från mejlet."),
        "expired": _("Länken har gått ut. Kontakta samordnaren om du fortfarande vill svara."),
        "replaced": _(
            "Länken har ersatts av en nyare. Använd länken i det senaste mejlet från oss."
        ),
        "used": _("Du har redan svarat. Länken kan bara användas en gång."),
    }
    answered = {
        MatchState.DECLINED: _("Ditt svar: nej tack."),
        MatchState.ENDED: _("Matchningen är avslutad."),
    }
    detail = ""
    if problem.kind == "used" and problem.state is not None:
        detail = answered.get(problem.state, _("Ditt svar: ja."))
    return (
        render_template(
            "public/match_link_problem.html",
            kind=problem.kind,
            message=messages[problem.kind],
            detail=detail,
        ),
        problem.status_code,
    )


@bp.route("/matchning/svar/<token>", methods=["GET", "POST"])
def match_answer(token: str) -> str | tuple[str, int]:
    """The host's answer page from the match email (accept or decline)."""
    now, settings = utcnow(), _settings()
    try:
        link = service.check_answer_link(db.session, token, now=now, settings=settings)
    except LinkProblem as problem:
        return _problem_page(problem)
    form = AcceptForm() if link.action == "accept" else DeclineForm()
    if form.validate_on_submit():
        try:
            if link.action == "accept":
                match = service.accept_by_link(db.session, token, now=now, settings=settings)
            else:
                reason = form.reason.data or ""
                match = service.decline_by_link(
                    db.session, token, reason, now=now, settings=settings
                )
        except LinkProblem as problem:
            return _problem_page(problem)
        db.session.commit()
        return render_template("public/match_answer_done.html", match=match, action=link.action)
    db.session.commit()
    match = link.match
    return render_template(
        "public/match_answer.html",
        match=match,
        newcomer=match.newcomer,
        action=link.action,
        form=form,
        interest_words=service.interest_words,
        spoken_languages=service.language_names,
        household_label=service.household_label,
    )


@bp.route("/matchning/uppfoljning/<token>", methods=["GET", "POST"])
def match_follow_up(token: str) -> str | tuple[str, int]:
    """The follow-up questions a month after the introduction (either side)."""
    now, settings = utcnow(), _settings()
    try:
        follow_up = service.check_follow_up_link(db.session, token, now=now, settings=settings)
    except LinkProblem as problem:
        return _problem_page(problem)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            service.record_follow_up_answer(
                db.session,
                token,
                met=form.met.data == "yes",
                fit=int(form.fit.data) if form.fit.data else None,
                comment=form.comment.data or "",
                now=now,
                settings=settings,
            )
        except LinkProblem as problem:
            return _problem_page(problem)
        db.session.commit()
        return render_template("public/match_follow_up_done.html")
    match = follow_up.match
    other = match.newcomer if follow_up.side.value == "host" else match.host
    status = 422 if form.errors else 200
    return render_template(
        "public/match_follow_up.html", form=form, other_first_name=other.first_name
    ), status
