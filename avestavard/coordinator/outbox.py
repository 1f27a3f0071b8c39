"""The coordinators' view of the mail outbox: what is waiting, what failed, what is uncertain.

Failed messages (the server refused them) can be retried; a message with an unknown outcome
(the connection was lost after it was handed over) can be marked as sent, or deliberately sent
again. Every decision is audit-logged by the service.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.models import OutboxStatus, utcnow
from avestavard.security import coordinator_required
from avestavard.services.mail import (
    mark_unknown_as_sent,
    messages_in_status,
    outbox_counts,
    resend_unknown_message,
    retry_all_failed,
    retry_failed_message,
)
from avestavard.services.outbox import (
    KINDS,
    OutboxFilter,
    cancel_message,
    explain,
    explain_text,
    kind_label,
    list_messages,
    open_message,
    redact_links,
)

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("I kö"),
    OutboxStatus.SENDING: _l("Skickas just nu"),
    OutboxStatus.SENT: _l("Skickade"),
    OutboxStatus.RETRY: _l("Försöker igen senare"),
    OutboxStatus.FAILED: _l("Misslyckades"),
    OutboxStatus.UNKNOWN: _l("Okänt om de kom fram"),
    OutboxStatus.CANCELLED: _l("Stoppade"),
}
ATTEMPT_LABELS = {
    "retry": _l("försöker igen"),
    "failed": _l("kom inte fram"),
    "unknown": _l("okänt om det kom fram"),
}


@bp.route("/outbox")
@coordinator_required
def outbox() -> str:
    """Counts by status, the messages that need a coordinator, and every message (filtered)."""
    filters = OutboxFilter.from_args(request.args)
    page = render_template(
        "coordinator/outbox.html",
        counts=outbox_counts(db.session),
        labels=STATUS_LABELS,
        failed=messages_in_status(db.session, OutboxStatus.FAILED),
        unknown=messages_in_status(db.session, OutboxStatus.UNKNOWN),
        waiting=messages_in_status(db.session, OutboxStatus.RETRY),
        filters=filters,
        kinds=KINDS,
        messages=list_messages(db.session, current_user, filters),
        kind_label=kind_label,
        explain_text=explain_text,
    )
    db.session.commit()  # the audit event of the list, after rendering
    return page


@bp.route("/outbox/<int:message_id>")
@coordinator_required
def outbox_message(message_id: int) -> str:
    """One message: its text (spent links hidden), headers and the attempts that failed."""
    message = open_message(db.session, current_user, message_id)
    body = redact_links(db.session, message.body_text, now=utcnow(), config=current_app.config)
    db.session.commit()
    return render_template(
        "coordinator/outbox_message.html",
        message=message,
        body=body,
        labels=STATUS_LABELS,
        attempt_labels=ATTEMPT_LABELS,
        kind_label=kind_label,
        explain=explain,
        explain_text=explain_text,
    )


@bp.post("/outbox/<int:message_id>/cancel")
@coordinator_required
def outbox_cancel(message_id: int) -> Response:
    """Stop a message that has not been sent yet."""
    message = cancel_message(db.session, current_user, message_id, now=utcnow())
    db.session.commit()
    flash(_("Meddelandet till %(to)s skickas inte.", to=message.to_address), "success")
    return redirect(url_for("coordinator.outbox_message", message_id=message_id))


@bp.post("/outbox/<int:message_id>/retry")
@coordinator_required
def outbox_retry(message_id: int) -> Response:
    """Send a failed message again."""
    message = retry_failed_message(db.session, current_user, message_id, now=utcnow())
    db.session.commit()
    flash(_("Meddelandet till %(to)s skickas igen.", to=message.to_address), "success")
    return redirect(url_for("coordinator.outbox"))


@bp.post("/outbox/retry-failed")
@coordinator_required
def outbox_retry_all() -> Response:
    """Send every failed message again (after the mail server has been fixed)."""
    count = retry_all_failed(db.session, current_user, now=utcnow())
    db.session.commit()
    flash(
        ngettext(
            "%(num)d meddelande som inte kom fram skickas igen.",
            "%(num)d meddelanden som inte kom fram skickas igen.",
            count,
        ),
        "success",
    )
    return redirect(url_for("coordinator.outbox"))


@bp.post("/outbox/<int:message_id>/mark-sent")
@coordinator_required
def outbox_mark_sent(message_id: int) -> Response:
    """The recipient confirmed that an uncertain message arrived."""
    message = mark_unknown_as_sent(db.session, current_user, message_id, now=utcnow())
    db.session.commit()
    flash(_("Meddelandet till %(to)s är markerat som skickat.", to=message.to_address), "success")
    return redirect(url_for("coordinator.outbox"))


@bp.post("/outbox/<int:message_id>/resend")
@coordinator_required
def outbox_resend(message_id: int) -> Response:
    """Deliberately send an uncertain message once more."""
    message = resend_unknown_message(db.session, current_user, message_id, now=utcnow())
    db.session.commit()
    flash(_("Meddelandet till %(to)s skickas en gång till.", to=message.to_address), "success")
    return redirect(url_for("coordinator.outbox"))
