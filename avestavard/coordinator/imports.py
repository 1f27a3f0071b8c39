"""Importing the coordinators' Excel database: upload, read the dry-run report, then confirm.

Between the two steps the file waits as a pending upload (:mod:`avestavard.services.uploads`),
named by the token the confirm form carries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.imports_forms import LegacyConfirmForm, LegacyUploadForm
from avestavard.errors import NotFound
from avestavard.extensions import db
from avestavard.imports.legacy_xlsx import LegacyImportError, parse_legacy_workbook
from avestavard.security import coordinator_required
from avestavard.services.legacy_import import ImportSummary, import_legacy
from avestavard.services.uploads import UploadKind, stage_upload, take_upload

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _run(data: bytes, now: datetime) -> ImportSummary:
    parsed = parse_legacy_workbook(data, areas=current_app.config["AREAS"], today=now.date())
    return import_legacy(db.session, parsed, actor=current_user, now=now)


@bp.route("/imports", methods=["GET", "POST"])
@coordinator_required
def imports() -> str | tuple[str, int]:
    """Upload a workbook; the answer is the dry-run report (nothing imported yet)."""
    form = LegacyUploadForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("coordinator/imports/upload.html", form=form), status
    data = form.workbook.data.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        form.workbook.errors = [_("Filen är för stor (högst 10 MB).")]
        return render_template("coordinator/imports/upload.html", form=form), 413
    now = datetime.now(UTC)
    try:
        summary = _run(data, now)
    except LegacyImportError as exc:
        # A refused file is not kept: it holds personal data.
        db.session.rollback()
        form.workbook.errors = [_("Filen gick inte att läsa: %(reason)s", reason=str(exc))]
        return render_template("coordinator/imports/upload.html", form=form), 400
    db.session.rollback()  # the dry run: nothing is imported until the coordinator confirms
    filename = Path(form.workbook.data.filename or "fil.xlsx").name
    pending = stage_upload(db.session, UploadKind.LEGACY, data, filename, current_user, now)
    db.session.commit()
    return render_template(
        "coordinator/imports/report.html",
        report=summary.as_json(),
        filename=pending.file_name,
        dry_run=True,
        confirm=LegacyConfirmForm(formdata=None, token=pending.token),
    )


@bp.route("/imports/confirm", methods=["POST"])
@coordinator_required
def imports_confirm() -> Response | str:
    """Import the workbook whose dry run the coordinator just read."""
    confirm = LegacyConfirmForm()
    now = datetime.now(UTC)
    upload = None
    if confirm.validate_on_submit():
        try:
            upload = take_upload(db.session, UploadKind.LEGACY, confirm.token.data or "", now)
        except NotFound:
            db.session.rollback()
    if upload is None:
        flash(_("Ingen uppladdad fil väntar på att importeras. Ladda upp filen igen."), "error")
        return redirect(url_for("coordinator.imports"))
    data, filename = upload
    summary = _run(data, now)
    db.session.commit()
    return render_template(
        "coordinator/imports/report.html",
        report=summary.as_json(),
        filename=filename,
        dry_run=False,
    )
