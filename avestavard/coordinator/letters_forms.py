"""Forms of the coordinators' welcome-letter pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from avestavard.forms import FlaskForm, WholeNumberField, stripped


class InmoversUploadForm(FlaskForm):
    """Upload of the register extract (first step: a dry-run report)."""

    file = FileField(_l("Fil från folkbokföringen (CSV)"), validators=[FileRequired()])


class InmoversConfirmForm(FlaskForm):
    """Second step: import the file whose report was shown."""

    token = HiddenField(validators=[DataRequired()])


class LetterTextForm(FlaskForm):
    """A coordinator's version of one letter text."""

    subject = StringField(_l("Ämne"), validators=[DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)])


class PreviewForm(FlaskForm):
    """Which letter to preview (GET form, no CSRF token needed)."""

    class Meta:
        csrf = False

    stage = SelectField(_l("Etapp"), coerce=int)
    age_group = SelectField(_l("Åldersgrupp"), validators=[Optional()], filters=[stripped])
    language = SelectField(_l("Språk"))
    people = SelectField(_l("Exempelhushåll"), coerce=int, default=2)
    # A real household chosen from the search; empty: the made-up sample household.
    household = WholeNumberField(widget=HiddenInput(), validators=[Optional()])


class HouseholdPreviewSearchForm(FlaskForm):
    """Find a real household to preview a letter for (GET form)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Sök hushåll"), validators=[Optional(), Length(max=200)], filters=[lambda v: v or ""]
    )


class LinkNewcomerForm(FlaskForm):
    """Link a registered newcomer to a household by hand."""

    newcomer_id = HiddenField(validators=[DataRequired()])


class HouseholdSearchForm(FlaskForm):
    """Search households (GET)."""

    class Meta:
        csrf = False

    q = StringField(_l("Sök på namn, gata eller ort"), validators=[Optional(), Length(max=200)])
