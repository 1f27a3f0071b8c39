"""The form that teaches the matcher a word, in the list of unread words and on its own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from avestavard.forms import FlaskForm
from avestavard.services.vocabulary import MAX_WORD_LENGTH


class TeachWordForm(FlaskForm):
    """A word as people write it and the interest it means."""

    word = StringField(
        _l("Ord"),
        validators=[
            DataRequired(_l("Skriv ordet.")),
            Length(max=MAX_WORD_LENGTH, message=_l("Högst %(max)d tecken.")),
        ],
    )
    interest = SelectField(
        _l("Betyder"),
        validators=[DataRequired(_l("Välj vilket intresse ordet betyder."))],
        validate_choice=False,  # the service checks the interest again
    )
