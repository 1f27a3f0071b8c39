"""Pages every Swedish public site must have: the accessibility statement (DOS-lagen, after
DIGG's model) with a form to report a problem, and the privacy notice."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from avestavard.errors import ValidationFailed
from avestavard.extensions import db, limiter
from avestavard.forms import show_service_errors
from avestavard.public import bp
from avestavard.public.pages_forms import AccessibilityReportForm
from avestavard.security import is_safe_next
from avestavard.services.feedback import AccessibilityReport, report_accessibility_problem


def _report_limit() -> str:
    return str(current_app.config["ACCESSIBILITY_REPORT_RATE_LIMIT"])


@bp.route("/tillganglighet", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
def accessibility() -> Response | tuple[str, int]:
    """The accessibility statement; its form reaches the coordinators through the outbox."""
    form = AccessibilityReportForm()
    if request.method == "GET":
        page = request.args.get("sida", "")
        form.page.data = page if is_safe_next(page) else ""
    if form.validate_on_submit():
        report = AccessibilityReport(
            page=form.page.data or "",
            description=form.description.data or "",
            reply_to=form.email.data or None,
            language=str(get_locale() or "sv"),
        )
        try:
            report_accessibility_problem(
                db.session, report, coordinators_address=str(current_app.config["MAIL_REPLY_TO"])
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Tack! Vi har fått din rapport."), "success")
            return redirect(url_for("public.accessibility", _anchor="report-heading"))
    status = 400 if form.is_submitted() else 200
    return render_template("public/accessibility.html", form=form), status


@bp.route("/integritet")
def privacy() -> str:
    """How we handle personal data: controller, purposes, legal basis, retention, rights."""
    return render_template("public/privacy.html")
