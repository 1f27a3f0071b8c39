"""The upload form for the legacy Excel database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class LegacyUploadForm(FlaskForm):
    """One .xlsx file."""

    workbook = FileField(
        _l("Excelfil (.xlsx)"),
        validators=[
            FileRequired(_l("Välj en fil.")),
            FileAllowed(["xlsx"], _l("Filen måste vara en Excelfil (.xlsx).")),
        ],
    )
