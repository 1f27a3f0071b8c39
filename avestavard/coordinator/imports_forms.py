"""The upload form for the legacy Excel database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from avestavard.forms import FlaskForm


class LegacyUploadForm(FlaskForm):
    """One .xlsx file."""

    workbook = FileField(
        _l("Excelfil (.xlsx)"),
        validators=[
            FileRequired(_l("Välj en fil.")),
            FileAllowed(["xlsx"], _l("Filen måste vara en Excelfil (.xlsx).")),
        ],
    )


class LegacyConfirmForm(FlaskForm):
    """Second step: import the workbook whose report was shown."""

    token = HiddenField(validators=[DataRequired()])
