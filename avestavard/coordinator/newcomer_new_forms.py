"""The form a coordinator fills in while (or after) talking to a newcomer on the phone."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, ValidationError
from wtforms.validators import DataRequired, Length

from avestavard.coordinator.profiles_forms import NewcomerEditForm


class NewNewcomerForm(NewcomerEditForm):
    """The newcomer's profile (as the coordinators' edit form, without a status: the person
    is confirmed at once), plus the coordinator's word that the privacy notice was given."""

    # Not shown and not read: the new newcomer always waits for a host. (A field still, since
    # the parent form sets its choices.)
    status = HiddenField()
    # No Optional(): it would skip validate_email when empty, and one of the two is needed.
    email = EmailField(_l("E-postadress"), validators=[Length(max=254)])
    privacy_told = BooleanField(
        _l("Jag har berättat hur personuppgifterna behandlas och personen vill vara med."),
        validators=[
            DataRequired(_l("Berätta om integritetsinformationen och kryssa sedan i rutan."))
        ],
    )

    def validate_email(self, field: Any) -> None:
        """A valid address, and email or phone (at least one) so we can reach the person."""
        super().validate_email(field)
        if not (field.data or "").strip() and not (self.phone.data or "").strip():
            raise ValidationError(
                str(_l("Fyll i e-postadress eller telefonnummer, så att vi kan nå personen."))
            )
