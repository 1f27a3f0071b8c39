"""The note form on a person's page (and on the page that changes a note)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from avestavard.forms import FlaskForm
from avestavard.services.notes import MAX_NOTE_LENGTH


class NoteForm(FlaskForm):
    """Free text about the person: what was said, what to remember."""

    text = TextAreaField(
        _l("Anteckning"),
        validators=[
            DataRequired(_l("Skriv något i anteckningen.")),
            Length(max=MAX_NOTE_LENGTH, message=_l("Högst %(max)d tecken.")),
        ],
    )
