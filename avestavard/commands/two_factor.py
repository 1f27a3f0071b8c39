"""``avestavard reset-two-factor``: for someone who lost both the phone and the recovery codes."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from avestavard.extensions import db


@click.command("reset-two-factor")
@click.option("--email", required=True, help="The account's login email address.")
@with_appcontext
def reset_two_factor_command(email: str) -> None:
    """Remove an account's second factor; it enrols again at its next sign-in if required.

    Check who is asking first (call them back on a number you already have): whoever knows the
    password gets in with it alone until a new app is enrolled.
    """
    from avestavard.models import User
    from avestavard.services import two_factor
    from avestavard.services.audit import SystemActor

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Inget konto för {email}.")
    if not user.has_two_factor:
        raise click.ClickException(f"{user.email} har ingen tvåstegsinloggning.")
    two_factor.reset(db.session, user, SystemActor("reset-two-factor"))
    db.session.commit()
    click.echo(
        f"Tvåstegsinloggningen för {user.email} är borttagen och alla inloggningar avslutade."
    )


commands = [reset_two_factor_command]
