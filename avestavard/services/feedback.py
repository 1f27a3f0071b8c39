"""Reports about the site itself: an accessibility problem reaches the coordinators by mail.

A report names no one unless the sender gives an address for the answer; it goes through the
outbox like every other mail, so it is sent after the request has committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models import OutboxMessage
from avestavard.services.mail import queue_mail
from avestavard.services.profiles import checked_email

MAX_DESCRIPTION = 2000


@dataclass(frozen=True)
class AccessibilityReport:
    """What the reader tells us: where, what, and (if they want an answer) an email address."""

    page: str
    description: str
    reply_to: str | None = None
    language: str = "sv"


def report_accessibility_problem(
    session: Session, report: AccessibilityReport, *, coordinators_address: str
) -> OutboxMessage:
    """Queue the report to the coordinators (in Swedish, with the reader's language named)."""
    errors: dict[str, str] = {}
    description = report.description.strip()[:MAX_DESCRIPTION]
    if not description:
        errors["description"] = gettext("Beskriv problemet.")
    reply_to = checked_email(report.reply_to, errors)
    if errors:
        raise ValidationFailed(gettext("Kontrollera uppgifterna."), errors)
    with force_locale("sv"):
        subject = gettext("Tillgänglighet: en läsare rapporterar ett problem")
        text = render_template(
            "email/accessibility_report.txt",
            page=report.page.strip()[:300],
            description=description,
            reply_to=reply_to,
            language=report.language,
        )
    headers = {"Reply-To": reply_to} if reply_to else {}
    return queue_mail(
        session,
        key=f"accessibility-report:{secrets.token_hex(16)}",
        to=coordinators_address,
        subject=subject,
        text=text,
        headers=headers,
    )
