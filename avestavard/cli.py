"""The ``avestavard`` command: Flask's commands (run, db ...) plus the project's own."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

import avestavard.commands
from avestavard.errors import DomainError
from avestavard.extensions import db


def _create_app() -> Flask:
    from avestavard import create_app

    return create_app()


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
    from avestavard.services.demo import DEMO_PASSWORD, load_demo

    created = load_demo(db.session)
    db.session.commit()
    if created:
        click.echo(f"Demodata inläst: {created.hosts} värdar, {created.newcomers} nyinflyttade.")
    else:
        click.echo("Databasen har redan data: demodata lästes inte in.")
    click.echo("")
    click.echo("  Demo-inloggning (samordnare):    samordnare@avesta.example / " + DEMO_PASSWORD)
    click.echo("  Demo-inloggning (administratör): admin@avesta.example / " + DEMO_PASSWORD)
    click.echo("  Demo-inloggning (värd):          vard@avesta.example / " + DEMO_PASSWORD)
    click.echo("")


def register_commands(app: Flask) -> None:
    """Add the project's commands to ``app.cli`` (``avestavard`` and ``flask`` both see them)."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    for module_info in pkgutil.iter_modules(avestavard.commands.__path__):
        module = importlib.import_module(f"avestavard.commands.{module_info.name}")
        for command in getattr(module, "commands", []):
            app.cli.add_command(command)
