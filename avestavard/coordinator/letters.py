"""The coordinators' welcome-letter pages: batches, preview, texts, import and household links.

Each view parses its input, calls one service, commits and renders; the services log who saw
which household.
"""

from __future__ import annotations

import hashlib
from datetime import date
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
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.letters_forms import (
    HouseholdPreviewSearchForm,
    HouseholdSearchForm,
    InmoversConfirmForm,
    InmoversUploadForm,
    LetterTextForm,
    LinkNewcomerForm,
    PreviewForm,
)
from avestavard.errors import NotFound, ValidationFailed
from avestavard.extensions import db
from avestavard.forms import CsrfOnlyForm, record_id
from avestavard.imports.inmovers_csv import InmoversFormatError, parse_inmovers
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.letter_render import render_letter_html
from avestavard.services.letter_rules import AGE_GROUPS, PLACEHOLDERS, LetterText
from avestavard.services.letters import (
    LetterPreview,
    LetterSettings,
    batch_file,
    check_letter_text,
    edited_letter_texts,
    find_households,
    import_inmovers,
    letter_run_summaries,
    letter_text_for_edit,
    letters_today,
    link_newcomer,
    preview_letter,
    reset_letter_text,
    save_letter_text,
    unlink_newcomer,
    view_household,
)
from avestavard.services.people import find_newcomers
from avestavard.services.uploads import UploadKind, stage_upload, take_upload

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
    return letters_today(utcnow())


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
    batch, data = batch_file(db.session, current_user, batch_id, kind)
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
    """The preview choices from the query string; an invalid choice falls back to the default."""
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
    form.people.choices = [(2, _("Två vuxna")), (1, _("En vuxen"))]
    form.validate()
    if form.household.errors:
        # A household is chosen by a link, never typed: a broken one names no household.
        raise NotFound(_("Hushållet finns inte."))
    defaults = {
        "stage": config.schedule.stages[0].number,
        "language": NO_LANGUAGE,
        "people": 2,
        "household": None,
        # A real household's letter is for its own age group unless another is chosen.
        "age_group": None if form.household.data else "adult",
    }
    for name, default in defaults.items():
        field = getattr(form, name)
        if not args.get(name):
            field.errors = []  # not chosen: the default, and nothing to complain about
        if field.errors or not args.get(name):
            field.data = default
    return form


def _draft_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=_DRAFT_SALT)


def _preview(form: PreviewForm, *, draft: LetterText | None = None, query: str = "") -> Any:
    language = None if form.language.data == NO_LANGUAGE else form.language.data
    return preview_letter(
        db.session,
        current_user,
        _settings(),
        stage=form.stage.data,
        age_group_name=form.age_group.data,
        language=language,
        today=_today(),
        household_id=form.household.data,
        sample_people=form.people.data,
        draft=draft,
        query=query,
    )


def _preview_args(form: PreviewForm, preview: LetterPreview) -> dict[str, Any]:
    args = {
        "stage": form.stage.data,
        "age_group": preview.letter.age_group,
        "language": form.language.data,
    }
    if preview.household is not None:
        args["household"] = preview.household.id
    else:
        args["people"] = form.people.data
    return args


@bp.route("/letters/preview")
@coordinator_required
def letter_preview() -> tuple[str, int]:
    """Preview a stage's letter for the made-up sample household, or a real one found by search.

    The sample household shows no real person; a real household's preview is a logged view.
    """
    form = _preview_form(request.args)
    search = HouseholdPreviewSearchForm(request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    preview = _preview(form, query=query)
    db.session.commit()
    form.age_group.data = preview.letter.age_group
    status = 422 if form.errors or search.errors else 200
    return (
        render_template(
            "coordinator/letters/preview.html",
            form=form,
            search=search,
            query=query,
            preview=preview,
            letter=preview.letter,
            args=_preview_args(form, preview),
            **_labels(),
        ),
        status,
    )


@bp.route("/letters/preview/document")
@coordinator_required
def letter_preview_document() -> Response:
    """The printed letter itself (HTML for the preview frame, or ``format=pdf``)."""
    args = MultiDict(request.args)
    draft = None
    if request.args.get("draft"):
        try:
            data = _draft_serializer().loads(request.args["draft"], max_age=_DRAFT_MAX_AGE)
        except BadSignature:
            abort(400)
        for name in ("stage", "age_group", "language"):
            args[name] = str(data[name])
        draft = LetterText(data["s"], data["b"])
    form = _preview_form(args)
    if form.errors:
        abort(400)
    letter = _preview(form, draft=draft).letter
    db.session.commit()
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
    return render_template(
        "coordinator/letters/texts.html",
        stages=config.schedule.stages,
        age_groups=AGE_GROUPS,
        languages=config.languages,
        edited=edited_letter_texts(db.session),
        **_labels(),
    )


@bp.route("/letters/texts/<int:stage>/<age_group_name>/<language>", methods=["GET", "POST"])
@coordinator_required
def letter_text_edit(stage: int, age_group_name: str, language: str) -> Any:
    """Edit one text with a preview; only the safe placeholders are accepted."""
    base = _settings().config
    text = letter_text_for_edit(
        db.session, base, stage=stage, age_group_name=age_group_name, language=language
    )
    form = LetterTextForm()
    draft = None
    status = 200
    if request.method == "GET":
        form.subject.data, form.body.data = text.current.subject, text.current.body
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
            checked = check_letter_text(subject, body)
            draft = _draft_serializer().dumps(
                {
                    "stage": stage,
                    "age_group": age_group_name,
                    "language": language,
                    "s": checked.subject,
                    "b": checked.body,
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
            is_edited=text.is_edited,
            default=text.default,
            placeholders=PLACEHOLDERS,
            preview_args=preview_args,
            is_draft=bool(draft),
            **_labels(),
        ),
        status,
    )


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
    pending = stage_upload(
        db.session,
        UploadKind.INMOVERS,
        data,
        upload.filename or "inflyttade.csv",
        current_user,
        utcnow(),
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
    data, file_name = take_upload(
        db.session, UploadKind.INMOVERS, confirm.token.data or "", utcnow()
    )
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
    page = render_template(
        "coordinator/letters/households.html",
        form=form,
        query=query,
        households=find_households(db.session, current_user, query),
    )
    db.session.commit()  # the audit event of the list or search, after rendering
    return page


@bp.route("/letters/households/<int:household_id>")
@coordinator_required
def letter_household(household_id: int) -> str:
    """One household: residents, letters sent, and the newcomer it is linked to."""
    view = view_household(
        db.session, current_user, household_id, today=_today(), config=_settings().config
    )
    query = request.args.get("q", "").strip()[:200]
    newcomers = find_newcomers(db.session, current_user, query, limit=20)
    db.session.commit()  # the view and the search are logged
    return render_template(
        "coordinator/letters/household.html",
        household=view.household,
        adults=view.adults,
        group=view.age_group,
        query=query,
        newcomers=newcomers,
        link_form=LinkNewcomerForm(formdata=None),
        unlink_form=CsrfOnlyForm(formdata=None),
        **_labels(),
    )


@bp.route("/letters/households/<int:household_id>/link", methods=["POST"])
@coordinator_required
def letter_household_link(household_id: int) -> Response:
    """Link a newcomer to the household by hand."""
    form = LinkNewcomerForm()
    newcomer_id = record_id(form.newcomer_id.data)
    if not form.validate_on_submit() or newcomer_id is None:
        abort(400)
    link_newcomer(db.session, household_id, newcomer_id, current_user)
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
