"""Signing in with an emailed link (hosts): ask for a link, open it, confirm with one button.

The routes belong to the ``auth`` blueprint; importing this module registers them. Opening the
link only shows a button: a mail program that fetches links to preview them spends nothing.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from avestavard.auth.steps import after_first_factor
from avestavard.auth.views import _login_limit, bp
from avestavard.errors import ValidationFailed
from avestavard.extensions import db, limiter
from avestavard.forms import FlaskForm
from avestavard.models import utcnow
from avestavard.services import sign_in


class SignInLinkForm(FlaskForm):
    """The email address to send a sign-in link to."""

    email = EmailField(
        _l("E-postadress"),
        validators=[DataRequired(_l("Fyll i din e-postadress.")), Length(max=254)],
    )


class SpendLinkForm(FlaskForm):
    """The button that signs in (only the CSRF token)."""


@bp.route("/login/link", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in_link_request() -> str | tuple[str, int]:
    """Ask for a sign-in link; the answer is the same whether the address is known or not."""
    form = SignInLinkForm()
    if form.validate_on_submit():
        sign_in.request_sign_in_link(
            db.session,
            form.email.data or "",
            now=utcnow(),
            base_url=str(current_app.config["PUBLIC_BASE_URL"]),
        )
        db.session.commit()
        return render_template("auth/sign_in_link_sent.html")
    status = 422 if form.errors else 200
    return render_template("auth/sign_in_link_request.html", form=form), status


@bp.route("/login/link/<key>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in_link_use(key: str) -> str | tuple[str, int] | Response:
    """Show the sign-in button for a valid link; pressing it signs in and spends the link."""
    form = SpendLinkForm()
    try:
        if form.validate_on_submit():
            user = sign_in.use_sign_in_link(db.session, key[:100], now=utcnow())
            # A host with two-factor sign-in gives the code next, as after a password.
            return after_first_factor(user, None)
        sign_in.check_sign_in_link(db.session, key[:100], now=utcnow())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("auth/sign_in_link_invalid.html", message=exc.message), 410
    return render_template("auth/sign_in_link_use.html", form=form)
