"""One place that turns domain errors and HTTP errors into pages (or JSON for API clients)."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from avestavard.errors import DomainError


def _titles() -> dict[int, str]:
    return {
        400: _("Felaktig begäran"),
        403: _("Du har inte behörighet till sidan"),
        404: _("Sidan finns inte"),
        405: _("Metoden är inte tillåten"),
        409: _("Det gick inte att genomföra ändringen"),
        413: _("Filen är för stor"),
        422: _("Uppgifterna kunde inte godtas"),
        429: _("För många försök"),
        500: _("Något gick fel hos oss"),
    }


def render_error(status: int, detail: str = "") -> tuple[str, int]:
    """The error page for ``status`` with an optional explanation."""
    title = _titles().get(status, _("Något gick fel"))
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app: Flask) -> None:
    """Map DomainError, CSRFError and HTTP errors to friendly pages."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        from avestavard.extensions import db

        db.session.rollback()
        return render_error(exc.status_code, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return render_error(
            400,
            _("Formuläret har gått ut eller saknar säkerhetskod. Ladda om sidan och försök igen."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        detail = ""
        if status == 429:
            detail = _("Vänta en stund och försök sedan igen.")
        response = render_error(status, detail)
        if status == 405 and exc.get_response().headers.get("Allow"):
            return response[0], status, {"Allow": exc.get_response().headers["Allow"]}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> Any:
        from avestavard.extensions import db

        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)
