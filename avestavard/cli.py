"""The ``avestavard`` command: Flask's commands (run, db ...) plus the project's own."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, with_appcontext

import avestavard.commands
from avestavard.errors import DomainError
from avestavard.extensions import db


def _create_app() -> Flask:
    from avestavard import create_app
    from avestavard.config import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        raise NoAppException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """AvestaVärd: host matching and welcome letters (Avesta kommun)."""


@click.command("create-user")
@click.option("--email", required=True, help="Login email address.")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coordinator", "host"]), help="Role."
)
@click.option("--name", default="", help="Display name.")
@with_appcontext
def create_user_command(email: str, role: str, name: str) -> None:
    """Create an account. The password is read from stdin (piped) or prompted for."""
    from avestavard.services.users import create_user

    if sys.stdin.isatty():
        password = click.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(db.session, email=email, password=password, role=role, name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Skapade {user.role.value} {user.email}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load demo data (only into an empty database) and print the demo logins."""
    from flask import current_app
    from sqlalchemy import select

    from avestavard.demo import (
        ADMIN_EMAIL,
        COORDINATOR_EMAIL,
        DEMO_PASSWORD,
        HOST_EMAIL,
        DemoSettings,
        load_demo,
    )
    from avestavard.models import User, utcnow

    # The one reading of the clock: the whole demo is dated from here.
    now = utcnow()
    created = load_demo(db.session, now=now, settings=DemoSettings.from_config(current_app.config))
    db.session.commit()
    if created is None:
        click.echo("Databasen har redan data: demodata lästes inte in.")
        # Demo logins only where the demo was loaded earlier, never on a database in real use.
        if db.session.scalar(select(User.id).where(User.email == COORDINATOR_EMAIL)) is None:
            return
    else:
        click.echo(
            f"Demodata inläst: {created.hosts} värdar, {created.newcomers} nyinflyttade "
            f"(och {created.earlier_newcomers} från tidigare månader), "
            f"{created.matches} matchningar, {created.proposals} förslag, "
            f"{created.households} hushåll, {created.letters} välkomstbrev, "
            f"{created.emails} e-postmeddelanden."
        )
    click.echo("")
    click.echo(f"  Demo-inloggning (samordnare):    {COORDINATOR_EMAIL} / {DEMO_PASSWORD}")
    click.echo(f"  Demo-inloggning (administratör): {ADMIN_EMAIL} / {DEMO_PASSWORD}")
    click.echo(f"  Demo-inloggning (värd):          {HOST_EMAIL} / {DEMO_PASSWORD}")
    click.echo("")


def register_commands(app: Flask) -> None:
    """Add the project's commands to ``app.cli`` (``avestavard`` and ``flask`` both see them)."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    for module_info in pkgutil.iter_modules(avestavard.commands.__path__):
        module = importlib.import_module(f"avestavard.commands.{module_info.name}")
        for command in getattr(module, "commands", []):
            app.cli.add_command(command)
