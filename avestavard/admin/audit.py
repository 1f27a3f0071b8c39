"""The audit log page, for administrators and coordinators.

``/admin/audit?host=12`` (or ``newcomer=``, ``user=``, ``match=``, ``household=``) shows
everything logged about one record (the "Visa logg" link on a person's page), e.g. to answer
someone who asks who has looked at their data. The person field finds hosts and newcomers by
the workspace search: one hit filters on them, several are offered to choose from. The log
holds no field values: the page shows who, when, what kind of action, and whom it was about
(by name while the person exists).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from avestavard.admin import bp
from avestavard.admin.audit_forms import AuditFilterForm
from avestavard.extensions import db
from avestavard.forms import page_number, record_id
from avestavard.models.audit import AuditAction, audit_action_label
from avestavard.security import coordinator_required
from avestavard.services.audit_log import (
    SUBJECT_KINDS,
    SYSTEM_ACTOR,
    AuditQuery,
    actor_accounts,
    find_people,
    read_audit_log,
    subject_names,
)
from avestavard.services.search import SearchHit

SUBJECT_LABELS = {
    "host": _l("Värd"),
    "newcomer": _l("Nyinflyttad"),
    "user": _l("Konto"),
    "match": _l("Matchning"),
    "household": _l("Hushåll"),
    "outbox_message": _l("E-postmeddelande"),
    "proposals": _l("Matchningsförslag"),
    "letter_batch": _l("Brevomgång"),
    "weights": _l("Matchningens vikter"),
    "taught_word": _l("Inlärt ord"),
    # Lists and searches (the words searched for are never logged).
    "start": _l("Startsidans listor"),
    "people": _l("Sökning bland personer"),
    "hosts": _l("Värdlistan"),
    "newcomers": _l("Listan över nyinflyttade"),
    "matches": _l("Matchningslistan"),
    "to-match": _l("Att matcha"),
    "outbox": _l("Utkorgen"),
    "households": _l("Hushållen"),
}

# Where a subject's own page is, when it has one.
SUBJECT_PAGES = {
    "host": ("coordinator.host_detail", "host_id"),
    "newcomer": ("coordinator.newcomer_detail", "newcomer_id"),
    "match": ("coordinator.match_detail", "match_id"),
}


def _filter_args(query: AuditQuery) -> dict[str, str]:
    """The query as URL arguments, for the links to other pages of the result."""
    args: dict[str, str] = {}
    if query.subject_type and query.subject_id is not None:
        args[query.subject_type] = str(query.subject_id)
    if query.system_actor:
        args["actor"] = SYSTEM_ACTOR
    elif query.actor_id is not None:
        args["actor"] = str(query.actor_id)
    if query.action:
        args["action"] = query.action
    if query.date_from:
        args["date_from"] = query.date_from.isoformat()
    if query.date_to:
        args["date_to"] = query.date_to.isoformat()
    return args


def _subject_from_url() -> tuple[str, int] | None:
    """The record named in the URL (``?host=12``), if any."""
    for kind in SUBJECT_KINDS:
        subject_id = record_id(request.args.get(kind))
        if subject_id is not None:
            return kind, subject_id
    return None


def _query_from(form: AuditFilterForm, subject: tuple[str, int] | None, page: int) -> AuditQuery:
    actor = form.actor.data or ""
    return AuditQuery(
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        actor_id=record_id(actor),
        system_actor=actor == SYSTEM_ACTOR,
        action=form.action.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        page=page,
    )


@bp.route("/audit")
@coordinator_required
def audit_log() -> str | tuple[str, int]:
    """The log, newest first, filtered by the GET form; reading it is itself logged."""
    accounts = [(str(user.id), user.email) for user in actor_accounts(db.session())]
    locale = str(get_locale() or "sv")
    actions = sorted(
        ((action.value, action.label(locale)) for action in AuditAction),
        key=lambda choice: choice[1].casefold(),
    )
    form = AuditFilterForm(formdata=request.args, accounts=accounts, actions=actions)
    subject = _subject_from_url()
    choices: list[SearchHit] = []
    valid = form.validate()
    # A typed name wins over the record the URL names (the filter form keeps that one hidden).
    if valid and (form.person.data or "").strip():
        subject = None
        hits = find_people(db.session(), current_user, form.person.data or "")
        if len(hits) == 1:
            subject = (hits[0].kind, hits[0].ref_id)
        elif hits:
            choices = hits
        else:
            form.person.errors = [
                str(_l("Ingen värd eller nyinflyttad hittades. Skriv namn, e-post eller telefon."))
            ]
    if form.errors or choices:
        # No result for a query we could not read: an unfiltered list would look like an answer.
        filters = {k: v for k, v in request.args.items() if k not in ("person", "page")}
        return render_template(
            "admin/audit_log.html",
            form=form,
            result=None,
            query=None,
            filter_args={},
            choices=choices,
            choice_args=filters,
            names={},
        ), (400 if form.errors else 200)
    query = _query_from(form, subject, page_number(request.args.get("page")))
    tz = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm"))
    result = read_audit_log(db.session(), current_user, query, tz=tz)
    names = subject_names(
        db.session(),
        [
            *((e.subject_type, e.subject_id) for e in result.events),
            *(("user", e.actor_id) for e in result.events),
            (query.subject_type or "", query.subject_id),
        ],
    )
    if subject is not None:
        form.person.data = ""
    html = render_template(
        "admin/audit_log.html",
        form=form,
        result=result,
        query=query,
        filter_args=_filter_args(query),
        choices=[],
        choice_args={},
        names=names,
    )
    # The reading's own audit event is committed after rendering: a commit expires the
    # events on the page, and each would be read again.
    db.session.commit()
    return html


@bp.context_processor
def _audit_helpers() -> dict[str, Any]:
    locale = str(get_locale() or "sv")
    return {
        "action_label": lambda action: audit_action_label(action, locale),
        "subject_label": lambda kind: SUBJECT_LABELS.get(kind, kind),
        "subject_pages": SUBJECT_PAGES,
    }
