"""Importing the coordinators' Excel database: upload, read the dry-run report, then confirm.

The uploaded file stays on the server between the two steps (in ``instance/imports``, or the
folder IMPORT_UPLOAD_DIR names), under a random id kept in the signed session; nothing the
browser sends back is trusted to say which file or what it contained.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.imports_forms import LegacyUploadForm
from avestavard.extensions import db
from avestavard.imports.legacy_xlsx import LegacyImportError, parse_legacy_workbook
from avestavard.security import coordinator_required
from avestavard.services.legacy_import import ImportSummary, import_legacy

SESSION_KEY = "legacy_import_upload"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _upload_dir() -> Path:
    configured = current_app.config.get("IMPORT_UPLOAD_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_uploads(folder: Path) -> None:
    """Uploads nobody confirmed within a day are deleted: they hold personal data."""
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in folder.glob("*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _stored_upload() -> tuple[Path, str] | None:
    entry = session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return None
    upload_id, filename = entry.get("id"), entry.get("filename", "")
    if (
        not isinstance(upload_id, str)
        or not _UPLOAD_ID.match(upload_id)
        or entry.get("user") != current_user.id
    ):
        return None
    path = _upload_dir() / f"{upload_id}.xlsx"
    return (path, str(filename)) if path.exists() else None


def _run(path: Path, *, dry_run: bool) -> ImportSummary:
    now = datetime.now(UTC)
    parsed = parse_legacy_workbook(path, areas=current_app.config["AREAS"], today=now.date())
    summary = import_legacy(db.session, parsed, actor=current_user, now=now)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary


@bp.route("/imports", methods=["GET", "POST"])
@coordinator_required
def imports() -> str | tuple[str, int]:
    """Upload a workbook; the answer is the dry-run report (nothing saved yet)."""
    form = LegacyUploadForm()
    if form.validate_on_submit():
        data = form.workbook.data.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            form.workbook.errors = [_("Filen är för stor (högst 10 MB).")]
            return render_template("coordinator/imports/upload.html", form=form), 413
        folder = _upload_dir()
        _forget_old_uploads(folder)
        previous = _stored_upload()
        if previous is not None:
            previous[0].unlink(missing_ok=True)
        upload_id = secrets.token_urlsafe(24)
        path = folder / f"{upload_id}.xlsx"
        path.write_bytes(data)
        filename = Path(form.workbook.data.filename or "fil.xlsx").name[:200]
        kept = False
        try:
            summary = _run(path, dry_run=True)
            kept = True
        except LegacyImportError as exc:
            form.workbook.errors = [_("Filen gick inte att läsa: %(reason)s", reason=str(exc))]
            return render_template("coordinator/imports/upload.html", form=form), 400
        finally:
            if not kept:  # a refused or failed file is not kept: it holds personal data
                path.unlink(missing_ok=True)
        session[SESSION_KEY] = {"id": upload_id, "filename": filename, "user": current_user.id}
        return render_template(
            "coordinator/imports/report.html",
            report=summary.as_json(),
            filename=filename,
            dry_run=True,
        )
    status = 400 if form.is_submitted() else 200
    return render_template("coordinator/imports/upload.html", form=form), status


@bp.route("/imports/confirm", methods=["POST"])
@coordinator_required
def imports_confirm() -> Response | str:
    """Save the workbook whose dry run the coordinator just read."""
    stored = _stored_upload()
    if stored is None:
        flash(_("Ingen uppladdad fil väntar på att importeras. Ladda upp filen igen."), "error")
        return redirect(url_for("coordinator.imports"))
    path, filename = stored
    try:
        summary = _run(path, dry_run=False)
    finally:
        path.unlink(missing_ok=True)
        session.pop(SESSION_KEY, None)
    return render_template(
        "coordinator/imports/report.html",
        report=summary.as_json(),
        filename=filename,
        dry_run=False,
    )
