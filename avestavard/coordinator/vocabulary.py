"""Matchningens ord: the profile words the matcher cannot read, and the words coordinators
taught it. The rules, the re-reading of profiles and the audit log live in
:mod:`avestavard.services.vocabulary`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
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
from avestavard.services.reading import NO_PASTIME
from avestavard.services.vocabulary import (
    MAX_WORD_LENGTH,
    forget_word,
    taught_words,
    teach_word,
    teachable_interests,
    unread_words,
)
from matching import taxonomy

# The form's value for "no pastime" (the empty value is the list's prompt).
NO_PASTIME_CHOICE = "none"


def _label(interest_id: str, inside_sentence: bool = False) -> str | None:
    """An interest's label in the page's language; None when the taxonomy lacks it."""
    known = taxonomy()
    if interest_id not in known:
        return None
    lang = str(get_locale() or "sv")
    interest = known[interest_id]
    return interest.label(lang) if inside_sentence else interest.display(lang)


def _read_again_message(count: int) -> str:
    """How many profiles were read again, and when the proposals follow."""
    if not count:
        return _("Ingen profil läser ordet annorlunda nu.")
    return ngettext(
        "%(num)d profil lästes om. Förslagen räknas om i natt eller när ni räknar om dem.",
        "%(num)d profiler lästes om. Förslagen räknas om i natt eller när ni räknar om dem.",
        count,
    )


def _form(form: TeachWordForm | None = None) -> TeachWordForm:
    form = form or TeachWordForm(data={"word": request.args.get("word", "")[:MAX_WORD_LENGTH]})
    lang = str(get_locale() or "sv")
    form.interest.choices = [
        ("", _("Välj intresse")),
        (NO_PASTIME_CHOICE, _("Inget fritidsintresse (ett namn, en plats)")),
        *teachable_interests(lang),
    ]
    return form


def _page(form: TeachWordForm, status: int = 200) -> tuple[str, int]:
    unread, unread_total = unread_words(db.session, current_user)
    html = render_template(
        "coordinator/words.html",
        form=form,
        unread=unread,
        unread_total=unread_total,
        taught=taught_words(db.session),
        label=_label,
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
            chosen = form.interest.data or ""
            row, read_again = teach_word(
                db.session,
                current_user,
                form.word.data or "",
                NO_PASTIME if chosen == NO_PASTIME_CHOICE else chosen,
                utcnow(),
                lang=str(get_locale() or "sv"),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            meaning = (
                _(
                    "Matchningen läser nu ”%(word)s” som ett namn, inte ett fritidsintresse, och "
                    "gissar inte längre.",
                    word=row.word,
                )
                if row.interest_id == NO_PASTIME
                else _(
                    "Matchningen läser nu ”%(word)s” som %(interest)s.",
                    word=row.word,
                    interest=_label(row.interest_id, inside_sentence=True),
                )
            )
            flash(" ".join([meaning, _read_again_message(read_again)]), "success")
            return redirect(url_for("coordinator.words"))
    return _page(form, 400)


@bp.post("/matching-words/<int:word_id>/remove")
@coordinator_required
def word_forget(word_id: int) -> Response:
    """Remove a taught word: the matcher reads it with the taxonomy alone again."""
    forgotten = forget_word(db.session, current_user, word_id)
    if forgotten is not None:
        word = forgotten[0].word
        db.session.commit()
        flash(
            " ".join(
                [
                    _(
                        "”%(word)s” är borttaget. Matchningen läser ordet som innan det lärdes in.",
                        word=word,
                    ),
                    _read_again_message(forgotten[1]),
                ]
            ),
            "success",
        )
    return redirect(url_for("coordinator.words"))
