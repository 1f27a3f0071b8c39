"""The audit log's filter form (a GET form: it changes nothing, so it has no CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from avestavard.forms import FlaskForm, stripped
from avestavard.public.register_forms import LocalDateField
from avestavard.services.audit_log import SYSTEM_ACTOR


class AuditFilterForm(FlaskForm):
    """Person, actor, action and a date range; every filter is optional."""

    class Meta:
        csrf = False

    person = StringField(_l("Person"), validators=[Optional(), Length(max=200)])
    actor = SelectField(_l("Utförd av"), validators=[Optional()], default="", filters=[stripped])
    action = SelectField(_l("Händelse"), validators=[Optional()], default="", filters=[stripped])
    date_from = LocalDateField(_l("Från och med"), validators=[Optional()])
    date_to = LocalDateField(_l("Till och med"), validators=[Optional()])

    def __init__(
        self,
        *args: Any,
        accounts: list[tuple[str, str]] | None = None,
        actions: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actor.choices = [
            ("", str(_l("Alla"))),
            (SYSTEM_ACTOR, str(_l("Systemet (jobb, import, offentliga formulär)"))),
            *(accounts or []),
        ]
        self.action.choices = [("", str(_l("Alla"))), *(actions or [])]

    def validate_date_to(self, field: Any) -> None:
        """The range ends on or after its start."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(str(_l("Slutdatumet ligger före startdatumet.")))
