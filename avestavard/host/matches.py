"""A host's own matches and the newcomers in them. Any other id is 404, never 403, so a host
cannot even learn which ids exist."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.extensions import db
from avestavard.host import bp
from avestavard.host.matches_forms import HostDeclineOwnForm, HostMatchActionForm
from avestavard.models import utcnow
from avestavard.models.matches import MatchState
from avestavard.security import host_required
from avestavard.services import matches as service


@bp.route("/matches")
@host_required
def matches() -> str:
    """The host's matches, newest first."""
    items = service.matches_of_host(db.session, current_user)
    db.session.commit()
    return render_template(
        "host/matches/index.html", matches=items, state_label=service.host_state_label
    )


@bp.route("/matches/<int:match_id>")
@host_required
def match_detail(match_id: int) -> str:
    """One of the host's matches: what they need to know about the newcomer, and the answer."""
    match = service.get_own_match(db.session, current_user, match_id)
    db.session.commit()
    return render_template(
        "host/matches/detail.html",
        match=match,
        newcomer=match.newcomer,
        form=HostMatchActionForm(),
        decline_form=HostDeclineOwnForm(),
        MatchState=MatchState,
        state_label=service.host_state_label,
        interest_words=service.interest_words,
        spoken_languages=service.language_names,
        household_label=service.household_label,
    )


@bp.route("/matches/<int:match_id>/accept", methods=["POST"])
@host_required
def match_accept(match_id: int) -> Response:
    """The host says yes."""
    service.host_accept(
        db.session,
        current_user,
        match_id,
        now=utcnow(),
        settings=service.MatchSettings.from_config(current_app.config),
    )
    db.session.commit()
    flash(_("Tack! Den nyinflyttade får ditt förnamn och dina kontaktuppgifter."), "success")
    return redirect(url_for("host.match_detail", match_id=match_id))


@bp.route("/matches/<int:match_id>/decline", methods=["POST"])
@host_required
def match_decline(match_id: int) -> Response:
    """The host says no, optionally with a reason."""
    form = HostDeclineOwnForm()
    service.host_decline(db.session, current_user, match_id, form.reason.data or "", now=utcnow())
    db.session.commit()
    flash(_("Tack för att du svarade. Vi letar efter en annan värd."), "success")
    return redirect(url_for("host.match_detail", match_id=match_id))


@bp.route("/matches/<int:match_id>/met", methods=["POST"])
@host_required
def match_met(match_id: int) -> Response:
    """The host records the first meeting."""
    service.mark_met(db.session, current_user, match_id, now=utcnow())
    db.session.commit()
    flash(_("Vad roligt! Första träffen är registrerad."), "success")
    return redirect(url_for("host.match_detail", match_id=match_id))


@bp.route("/newcomers/<int:newcomer_id>")
@host_required
def newcomer(newcomer_id: int) -> str:
    """A newcomer the host has a match with (first name, interests, languages, area, household)."""
    person, match = service.get_own_newcomer(db.session, current_user, newcomer_id)
    db.session.commit()
    return render_template(
        "host/matches/newcomer.html",
        newcomer=person,
        match=match,
        interest_words=service.interest_words,
        spoken_languages=service.language_names,
        household_label=service.household_label,
    )
