"""Translation for the services: the reader's language in a request, else the default one."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale, gettext


def translate(message: str, **variables: Any) -> str:
    """Translate ``message`` for the reader.

    Outside a request (jobs, commands) the text is in ``BABEL_DEFAULT_LOCALE``, since the app's
    locale selector reads the request. Services import it as ``_`` so the catalogs find it.
    """
    if has_request_context() or not has_app_context():
        return str(gettext(message, **variables))
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")):
        return str(gettext(message, **variables))
