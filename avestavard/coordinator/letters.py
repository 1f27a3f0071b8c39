"""The coordinators' welcome-letter pages: batches, preview, texts, import and household links."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.letters_forms import (
    CsrfOnlyForm,
    HouseholdSearchForm,
    InmoversConfirmForm,
    InmoversUploadForm,
    LetterTextForm,
    LinkNewcomerForm,
    PreviewForm,
)
from avestavard.errors import NotFound, ValidationFailed
from avestavard.extensions import db
from avestavard.imports.inmovers_csv import InmoversFormatError, parse_inmovers
from avestavard.jobs.scheduler import TIMEZONE
from avestavard.models.audit import AuditAction
from avestavard.models.letters import LetterHousehold, LetterTextOverride
from avestavard.security import coordinator_required
from avestavard.services.audit import record
from avestavard.services.letter_render import render_email, render_letter_html
from avestavard.services.letter_rules import (
    AGE_GROUPS,
    PLACEHOLDERS,
    LetterText,
    age_group,
    age_group_of,
)
from avestavard.services.letters import (
    LetterSettings,
    adults_on,
    batch_file,
    effective_letter_config,
    import_inmovers,
    letter_run_summaries,
    link_newcomer,
    preview_letter,
    reset_letter_text,
    save_letter_text,
    search_households,
    stage_inmovers_upload,
    take_pending_import,
    unlink_newcomer,
    unsubscribe_url,
)
from avestavard.services.people import search_newcomers

AGE_GROUP_LABELS = {
    "family": _l("Familj med barn"),
    "young": _l("Ung (18–29)"),
    "adult": _l("Vuxen (30–64)"),
    "senior": _l("Senior (65+)"),
}
CHANNEL_LABELS = {"email": _l("E-post"), "print": _l("Post")}
LANGUAGE_LABELS = {"sv": "Svenska", "en": "English", "ar": "العربية"}
# Preview choice for a household without a registered language.
NO_LANGUAGE = "none"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_DRAFT_SALT = "letter-text-draft"
_DRAFT_MAX_AGE = 3600


def _settings() -> LetterSettings:
    return LetterSettings.from_mapping(current_app.config)


def _today() -> date:
    return datetime.now(UTC).astimezone(TIMEZONE).date()


def _labels() -> dict[str, Any]:
    return {
        "age_group_labels": AGE_GROUP_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "language_labels": LANGUAGE_LABELS,
    }


# --------------------------------------------------------------------------- batches


@bp.route("/letters")
@coordinator_required
def letter_batches() -> str:
    """Letters by run date (counts by stage, age group, channel) and the print batches."""
    return render_template(
        "coordinator/letters/batches.html",
        summaries=letter_run_summaries(db.session),
        **_labels(),
    )


@bp.route("/letters/batches/<int:batch_id>/<any(pdf, csv):kind>")
@coordinator_required
def letter_batch_file(batch_id: int, kind: str) -> Response:
    """Download a batch's PDF or CSV: the very bytes stored when the batch was made."""
    batch, data = batch_file(db.session, batch_id, kind)
    record(db.session, current_user, AuditAction.DOWNLOAD_LETTER_BATCH)
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = (
        "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
    )
    name = f"valkomstbrev-{batch.run_date.isoformat()}-{batch.id}.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["ETag"] = f'"{hashlib.sha256(data).hexdigest()}"'
    return response


# --------------------------------------------------------------------------- preview


def _preview_form(args: Any) -> PreviewForm:
    config = _settings().config
    form = PreviewForm(args)
    form.stage.choices = [
        (s.number, f"{s.number} – {s.label}" if s.label else str(s.number))
        for s in config.schedule.stages
    ]
    form.age_group.choices = [(g, str(AGE_GROUP_LABELS[g])) for g in AGE_GROUPS]
    form.language.choices = [
        (NO_LANGUAGE, _("Inget registrerat språk (svenska + kort rad på andra språk)")),
        *[(lang, LANGUAGE_LABELS.get(lang, lang)) for lang in config.languages],
    ]
    if not args.get("stage"):
        form.stage.data = config.schedule.stages[0].number
    if not args.get("age_group"):
        form.age_group.data = "adult"
    if not args.get("language"):
        form.language.data = NO_LANGUAGE
    return form


def _draft_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=_DRAFT_SALT)


def _letter_for(args: Any, draft: str | None = None) -> Any:
    """The letter the preview arguments describe, with an unsaved draft text if given."""
    settings = _settings()
    config = effective_letter_config(db.session, settings.config)
    try:
        stage = int(args.get("stage", config.schedule.stages[0].number))
        household_id = int(args["household"]) if args.get("household") else None
    except ValueError:
        abort(400)
    group = args.get("age_group", "adult")
    language = args.get("language") or NO_LANGUAGE
    language = None if language == NO_LANGUAGE else language
    if draft:
        try:
            data = _draft_serializer().loads(draft, max_age=_DRAFT_MAX_AGE)
        except BadSignature:
            abort(400)
        config = config.with_text(
            data["stage"], data["age_group"], data["language"], LetterText(data["s"], data["b"])
        )
    if household_id is not None:
        # The preview shows the household's names and address: a view of people, logged.
        record(db.session, current_user, AuditAction.VIEW, "household", household_id)
        db.session.commit()
    try:
        return preview_letter(
            db.session,
            config,
            stage=stage,
            age_group_name=group,
            language=language,
            household_id=household_id,
            today=_today(),
            unsubscribe_link=unsubscribe_url(settings, household_id or 0, language),
        )
    except NotFound:
        raise
    except (KeyError, ValueError):
        abort(404)


@bp.route("/letters/preview")
@coordinator_required
def letter_preview() -> str:
    """Preview a stage's letter for a sample household in a chosen language and age group."""
    form = _preview_form(request.args)
    args = {
        "stage": form.stage.data,
        "age_group": form.age_group.data,
        "language": form.language.data,
        "household": form.household.data or "",
    }
    letter = _letter_for(args)
    subject, text, _html = render_email(letter)
    return render_template(
        "coordinator/letters/preview.html",
        form=form,
        args=args,
        letter=letter,
        email_subject=subject,
        email_text=text,
        **_labels(),
    )


@bp.route("/letters/preview/document")
@coordinator_required
def letter_preview_document() -> Response:
    """The printed letter itself (HTML for the preview frame, or ``format=pdf``)."""
    letter = _letter_for(request.args, request.args.get("draft"))
    if request.args.get("format") == "pdf":
        from avestavard.services.letter_render import render_print_batch_pdf

        response = make_response(render_print_batch_pdf([letter]))
        response.headers["Content-Type"] = "application/pdf"
        response.headers["Content-Disposition"] = 'inline; filename="forhandsgranskning.pdf"'
        return response
    response = make_response(render_letter_html(letter))
    # The letter's stylesheet is inline (WeasyPrint renders one self-contained document); this
    # document has no scripts and is shown only in our own frame.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --------------------------------------------------------------------------- texts


@bp.route("/letters/texts")
@coordinator_required
def letter_texts() -> str:
    """Every letter text (stage × age group × language), marking those coordinators edited."""
    config = _settings().config
    edited = {
        (row.stage, row.age_group, row.language): row
        for row in db.session.scalars(db.select(LetterTextOverride))
    }
    return render_template(
        "coordinator/letters/texts.html",
        stages=config.schedule.stages,
        age_groups=AGE_GROUPS,
        languages=config.languages,
        edited=edited,
        **_labels(),
    )


@bp.route("/letters/texts/<int:stage>/<age_group_name>/<language>", methods=["GET", "POST"])
@coordinator_required
def letter_text_edit(stage: int, age_group_name: str, language: str) -> Any:
    """Edit one text with a preview; only the safe placeholders are accepted."""
    settings = _settings()
    base = settings.config
    try:
        group = age_group_of(age_group_name)
        current = effective_letter_config(db.session, base).text(stage, group, language)
        default = base.text(stage, group, language)
    except (KeyError, ValueError):
        abort(404)
    form = LetterTextForm()
    draft = None
    status = 200
    if request.method == "GET":
        form.subject.data, form.body.data = current.subject, current.body
    elif request.form.get("action") == "reset":
        if not CsrfOnlyForm().validate_on_submit():
            abort(400)
        reset_letter_text(
            db.session,
            stage=stage,
            age_group_name=age_group_name,
            language=language,
            actor=current_user,
        )
        db.session.commit()
        flash(_("Texten är återställd till standardtexten."), "success")
        return redirect(url_for(".letter_text_edit", **request.view_args))  # type: ignore[arg-type]
    elif form.validate_on_submit():
        subject, body = form.subject.data or "", form.body.data or ""
        try:
            if request.form.get("action") == "save":
                save_letter_text(
                    db.session,
                    base,
                    stage=stage,
                    age_group_name=age_group_name,
                    language=language,
                    subject=subject,
                    body=body,
                    actor=current_user,
                )
                db.session.commit()
                flash(_("Texten är sparad."), "success")
                return redirect(url_for(".letter_text_edit", **request.view_args))  # type: ignore[arg-type]
            _check_text(subject, body)
            draft = _draft_serializer().dumps(
                {
                    "stage": stage,
                    "age_group": age_group_name,
                    "language": language,
                    "s": subject.strip(),
                    "b": body.strip().replace("\r\n", "\n"),
                }
            )
        except ValidationFailed as error:
            db.session.rollback()
            for name, message in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            status = 422
    else:
        status = 422
    preview_args = {"stage": stage, "age_group": age_group_name, "language": language}
    if draft:
        preview_args["draft"] = draft
    return (
        render_template(
            "coordinator/letters/text_edit.html",
            form=form,
            stage=stage,
            age_group_name=age_group_name,
            language=language,
            is_edited=(current != default),
            default=default,
            placeholders=PLACEHOLDERS,
            preview_args=preview_args,
            is_draft=bool(draft),
            **_labels(),
        ),
        status,
    )


def _check_text(subject: str, body: str) -> None:
    """Raise ValidationFailed with per-field messages, as saving would."""
    from avestavard.services.letter_rules import validate_template

    errors = {}
    for name, value in (("subject", subject), ("body", body)):
        problems = validate_template(value)
        if problems:
            errors[name] = " ".join(problems)
    if errors:
        raise ValidationFailed("", errors)


# --------------------------------------------------------------------------- import


@bp.route("/letters/import", methods=["GET", "POST"])
@coordinator_required
def letter_import() -> Any:
    """Upload the register extract: first a dry-run report, then confirm."""
    form = InmoversUploadForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("coordinator/letters/import.html", form=form), status
    upload = form.file.data
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        form.file.errors = [_("Filen är för stor (högst 20 MB).")]
        return render_template("coordinator/letters/import.html", form=form), 413
    settings = _settings()
    try:
        parse = parse_inmovers(data, today=_today(), hash_key=settings.person_hash_key)
    except InmoversFormatError as error:
        form.file.errors = [str(error)]
        return render_template("coordinator/letters/import.html", form=form), 422
    report = import_inmovers(db.session, parse, current_user)
    db.session.rollback()  # the dry run: nothing is kept until the coordinator confirms
    pending = stage_inmovers_upload(
        db.session, data, upload.filename or "inflyttade.csv", current_user, datetime.now(UTC)
    )
    db.session.commit()
    confirm = InmoversConfirmForm(formdata=None, token=pending.token)
    return render_template(
        "coordinator/letters/import.html",
        form=form,
        report=report,
        confirm=confirm,
        file_name=pending.file_name,
        encoding=parse.encoding,
        done=False,
    )


@bp.route("/letters/import/confirm", methods=["POST"])
@coordinator_required
def letter_import_confirm() -> Any:
    """Import the file whose dry-run report the coordinator has seen."""
    confirm = InmoversConfirmForm()
    if not confirm.validate_on_submit():
        abort(400)
    data, file_name = take_pending_import(db.session, confirm.token.data or "", datetime.now(UTC))
    settings = _settings()
    parse = parse_inmovers(data, today=_today(), hash_key=settings.person_hash_key)
    report = import_inmovers(db.session, parse, current_user)
    db.session.commit()
    return render_template(
        "coordinator/letters/import.html",
        form=InmoversUploadForm(formdata=None),
        report=report,
        file_name=file_name,
        encoding=parse.encoding,
        done=True,
    )


# --------------------------------------------------------------------------- households


@bp.route("/letters/households")
@coordinator_required
def letter_households() -> str:
    """Find a household (by resident, street or town) to see its letters or link a newcomer."""
    form = HouseholdSearchForm(request.args)
    query = (form.q.data or "").strip()[:200]
    return render_template(
        "coordinator/letters/households.html",
        form=form,
        query=query,
        households=search_households(db.session, query),
    )


@bp.route("/letters/households/<int:household_id>")
@coordinator_required
def letter_household(household_id: int) -> str:
    """One household: residents, letters sent, and the newcomer it is linked to."""
    household = db.session.get(LetterHousehold, household_id)
    if household is None:
        raise NotFound(_("Hushållet finns inte."))
    record(db.session, current_user, AuditAction.VIEW, "household", household.id)
    db.session.commit()
    query = request.args.get("q", "").strip()[:200]
    today = _today()
    config = _settings().config
    group = (
        age_group(today, [r.birth_date for r in household.residents], config.age_bands)
        if household.residents
        else None
    )
    return render_template(
        "coordinator/letters/household.html",
        household=household,
        adults=adults_on(household.residents, today),
        group=group,
        query=query,
        newcomers=search_newcomers(db.session, query, limit=20) if query else [],
        link_form=LinkNewcomerForm(formdata=None),
        unlink_form=CsrfOnlyForm(formdata=None),
        **_labels(),
    )


@bp.route("/letters/households/<int:household_id>/link", methods=["POST"])
@coordinator_required
def letter_household_link(household_id: int) -> Response:
    """Link a newcomer to the household by hand."""
    form = LinkNewcomerForm()
    if not form.validate_on_submit() or not (form.newcomer_id.data or "").isdigit():
        abort(400)
    link_newcomer(db.session, household_id, int(form.newcomer_id.data or 0), current_user)
    db.session.commit()
    flash(_("Den nyinflyttade är kopplad till hushållet."), "success")
    return redirect(url_for(".letter_household", household_id=household_id))


@bp.route("/letters/households/<int:household_id>/unlink", methods=["POST"])
@coordinator_required
def letter_household_unlink(household_id: int) -> Response:
    """Remove the household's link to a newcomer."""
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    unlink_newcomer(db.session, household_id, current_user)
    db.session.commit()
    flash(_("Kopplingen är borttagen."), "success")
    return redirect(url_for(".letter_household", household_id=household_id))
