"""Access logs without the secrets of links.

The links the app mails out carry a signed token or key in their path (set a password, sign
in, confirm a registration, "Min anmälan", answer a match, a follow-up, unsubscribe): whoever
reads a log line holding one could use the link. Query strings carry searches for people's
names. Both are replaced by ``[redacted]`` in every access log line, the request line, the
path, the query, the referrer (a page opened from a link sends its address as the referrer of
its stylesheet) and any header or environment value a log format names.

gunicorn uses :class:`AccessLogger` (``--logger-class avestavard.access_log.AccessLogger``,
see ``deploy/avestavard-web.service``), which also filters gunicorn's error log ("Error handling
request /path"); the development server's log and Flask's "Exception on /path" are filtered by
:func:`install_log_filters`, called from ``create_app``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# The first path segment after these is a secret. "/min-anmalan/skickat" is a page, not a link.
SECRET_PATH_PREFIXES = (
    "password",
    "login/link",
    "register/confirm",
    "min-anmalan",
    "unsubscribe",
    "matchning/svar",
    "matchning/uppfoljning",
)
_NOT_SECRET = ("skickat",)
_SECRET_SEGMENT = re.compile(
    r"(/(?:"
    + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES)
    + r")/)(?!(?:"
    + "|".join(_NOT_SECRET)
    + r")(?:[/?#\s\"]|$))[^/?#\s\"]+"
)
_QUERY = re.compile(r"\?([^\s#\"]*)")


def redact_query(query: str) -> str:
    """``a=1&b=2`` as ``a=[redacted]&b=[redacted]``: the names stay, the values go."""
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and value else part)
    return "&".join(parts)


def redact_url(text: str) -> str:
    """``text`` (a path, a URL or a request line) without link secrets or query values."""
    text = _SECRET_SEGMENT.sub(lambda found: found.group(1) + REDACTED, text)
    return _QUERY.sub(lambda found: "?" + redact_query(found.group(1)), text)


class AccessLogger(Logger):
    """gunicorn's logger, with every atom of an access log line redacted by
    :func:`redact_url` (the query string by :func:`redact_query`), and the request paths its
    error log names redacted too."""

    def setup(self, cfg: Any) -> None:
        """gunicorn's setup, then the error log's filter (once, also after a reload)."""
        super().setup(cfg)
        _add_filter(self.error_log)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        """The values a log format may use, redacted."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if not isinstance(value, str):
                continue
            if key in ("q", "{query_string}e"):
                atoms[key] = redact_query(value)
            elif key in ("r", "U", "f") or key.startswith("{"):
                atoms[key] = redact_url(value)
        return atoms


class _RedactRequestLine(logging.Filter):
    """A log record's paths and URLs without link secrets or query values: in its arguments,
    or in the message itself when it has none (it was formatted before logging)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif not record.args and isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        return True


def _add_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, _RedactRequestLine) for f in logger.filters):
        logger.addFilter(_RedactRequestLine())


def install_log_filters(app_logger: logging.Logger) -> None:
    """Redact the request lines the development server (werkzeug) logs and the paths in the
    app's own log ("Exception on /path [GET]"); a filter is added once per logger."""
    _add_filter(logging.getLogger("werkzeug"))
    _add_filter(app_logger)
