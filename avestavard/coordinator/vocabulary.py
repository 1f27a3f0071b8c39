"""Matchningens ord: the profile words the matcher cannot read, and the words coordinators
taught it. The rules, the re-reading of profiles and the audit log live in
:mod:`avestavard.services.vocabulary`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.vocabulary_forms import TeachWordForm
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.vocabulary import (
    MAX_WORD_LENGTH,
    forget_word,
    matcher_normalizer,
    taught_words,
    teach_word,
    teachable_interests,
    unread_words,
)


def _lang() -> str:
    return str(get_locale() or "sv")


def _form(form: TeachWordForm | None = None) -> TeachWordForm:
    form = form or TeachWordForm(data={"word": request.args.get("word", "")[:MAX_WORD_LENGTH]})
    form.interest.choices = [("", _("Välj intresse")), *teachable_interests(db.session, _lang())]
    return form


def _page(form: TeachWordForm, status: int = 200) -> tuple[str, int]:
    known = matcher_normalizer(db.session).taxonomy
    lang = _lang()

    def label(interest_id: str, inside_sentence: bool = False) -> str:
        if interest_id not in known:
            return interest_id
        interest = known[interest_id]
        return interest.label(lang) if inside_sentence else interest.display(lang)

    html = render_template(
        "coordinator/words.html",
        form=form,
        unread=unread_words(db.session, current_user),
        taught=taught_words(db.session),
        label=label,
    )
    db.session.commit()
    return html, status


@bp.get("/matching-words")
@coordinator_required
def words() -> tuple[str, int]:
    """The words the matcher cannot read, most used first, and the taught words."""
    return _page(_form())


@bp.post("/matching-words")
@coordinator_required
def word_teach() -> Response | tuple[str, int]:
    """Teach the matcher what a word means."""
    form = _form(TeachWordForm())
    if form.validate_on_submit():
        try:
            row = teach_word(
                db.session, current_user, form.word.data or "", form.interest.data or "", utcnow()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            meaning = matcher_normalizer(db.session).taxonomy[row.interest_id].label(_lang())
            db.session.commit()
            flash(
                _(
                    "Matchningen läser nu ”%(word)s” som %(interest)s. Förslagen räknas om i natt "
                    "eller när ni räknar om dem.",
                    word=row.word,
                    interest=meaning,
                ),
                "success",
            )
            return redirect(url_for("coordinator.words"))
    return _page(form, 400)


@bp.post("/matching-words/<int:word_id>/remove")
@coordinator_required
def word_forget(word_id: int) -> Response:
    """Remove a taught word: the matcher reads it with the taxonomy alone again."""
    if forget_word(db.session, current_user, word_id):
        db.session.commit()
        flash(_("Ordet är borttaget. Matchningen läser det nu som förut."), "success")
    return redirect(url_for("coordinator.words"))
