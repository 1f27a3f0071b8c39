"""One-click unsubscribe from the welcome letters, without logging in (RFC 8058).

The link in every email letter (and in its ``List-Unsubscribe`` header) carries a signed token.
GET shows a page with one button: mail scanners open links, so a GET never changes anything.
POST unsubscribes: from that button, or straight from the mail program, which sends
``List-Unsubscribe=One-Click`` without a CSRF token (the signed token is the proof).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, render_template, request
from flask_babel import gettext as _

from avestavard.errors import NotFound
from avestavard.extensions import csrf, db
from avestavard.public import bp
from avestavard.services.letters import household_for_token, unsubscribe


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_letters(token: str) -> str:
    """Ask (GET), or stop all further welcome letters to the household (POST)."""
    secret = str(current_app.config["SECRET_KEY"])
    try:
        if request.method == "POST":
            unsubscribe(db.session, secret, token, datetime.now(UTC))
            db.session.commit()
            return render_template("public/unsubscribe_done.html")
        household = household_for_token(db.session, secret, token)
    except NotFound:
        raise NotFound(_("Länken är ogiltig eller för gammal.")) from None
    return render_template(
        "public/unsubscribe.html", token=token, already=household.unsubscribed_at is not None
    )
