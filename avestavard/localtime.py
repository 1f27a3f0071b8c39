"""Times as people read them: stored in UTC, shown in Europe/Stockholm in Babel's formats.

One helper for pages, emails, PDFs and spreadsheet exports, so a time reads the same
everywhere: ``5 dec. 2026 14:03`` in Swedish, ``Dec 5, 2026, 2:03 PM`` in English. The JSON
register extract keeps ISO 8601 with its offset and does not use these.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format

DEFAULT_TIMEZONE = "Europe/Stockholm"
DEFAULT_LOCALE = "sv"


def local_zone() -> tzinfo:
    """The municipality's time zone (``BABEL_DEFAULT_TIMEZONE``)."""
    from flask import current_app, has_app_context

    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE)
    return ZoneInfo(name)


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    from flask import has_app_context

    if has_app_context():
        from flask_babel import get_locale

        current = get_locale()
        if current is not None:
            return str(current)
    return DEFAULT_LOCALE


def to_local(moment: datetime) -> datetime:
    """A stored (UTC, or naive meaning UTC) datetime in the municipality's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def format_local_datetime(moment: datetime | None, locale: str | None = None) -> str:
    """Date and time of day in local time, e.g. ``5 dec. 2026 14:03``; empty for None."""
    if moment is None:
        return ""
    loc = _locale(locale)
    local = to_local(moment)
    pattern = str(get_datetime_format("medium", locale=loc))
    return str(
        pattern.replace("{1}", format_date(local, "medium", locale=loc)).replace(
            "{0}", format_time(local, "short", locale=loc)
        )
    )


def format_local_date(moment: date | datetime | None, locale: str | None = None) -> str:
    """The day, e.g. ``5 dec. 2026``; a datetime is first moved to local time."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = to_local(moment).date()
    return str(format_date(moment, "medium", locale=_locale(locale)))
