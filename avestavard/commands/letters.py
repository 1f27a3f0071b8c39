"""``avestavard import-inmovers`` and ``avestavard letters run``: the welcome letters."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from avestavard.extensions import db


def _settings():  # type: ignore[no-untyped-def]
    from avestavard.services.letters import LetterSettings

    return LetterSettings.from_mapping(current_app.config)


def _stockholm_today() -> date:
    """Today's date in Avesta (the machine's clock may run on UTC)."""
    from avestavard.jobs.scheduler import TIMEZONE

    return datetime.now(UTC).astimezone(TIMEZONE).date()


def export_batch(batch_id: int, directory: Path) -> tuple[Path, Path]:
    """Write a stored batch's PDF and CSV to ``directory`` (the same bytes as the download).

    Each file is logged like a download; the caller commits.
    """
    from avestavard.services.audit import SystemActor
    from avestavard.services.letters import batch_file

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in ("pdf", "csv"):
        batch, data = batch_file(db.session, SystemActor("letters run"), batch_id, kind)
        path = directory / f"valkomstbrev-{batch.run_date.isoformat()}-{batch.id}.{kind}"
        path.write_bytes(data)
        paths.append(path.resolve())
    return paths[0], paths[1]


@click.command("import-inmovers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Läs och rapportera, men spara inget.")
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som ett JSON-objekt.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Dagens datum för åldrar och sekelskifte (standard: idag).",
)
@with_appcontext
def import_inmovers_command(path: Path, dry_run: bool, as_json: bool, today: object) -> None:
    """Import the population-register extract of people who moved in (inflyttade.csv)."""
    from avestavard.imports.inmovers_csv import InmoversFormatError, parse_inmovers
    from avestavard.services.audit import SystemActor
    from avestavard.services.letters import import_inmovers

    settings = _settings()
    run_day = today.date() if today is not None else _stockholm_today()  # type: ignore[attr-defined]
    try:
        parse = parse_inmovers(path.read_bytes(), today=run_day, hash_key=settings.person_hash_key)
    except InmoversFormatError as error:
        raise click.ClickException(str(error)) from error
    report = import_inmovers(db.session, parse, SystemActor("import-inmovers"))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    verb = "Skulle importera" if dry_run else "Importerade"
    click.echo(
        f"{verb} {report.persons_imported} personer i {report.households} nya hushåll "
        f"({report.rows} rader, {report.skipped_existing} fanns redan, "
        f"{len(report.errors)} felaktiga)."
    )
    for line, message in report.errors:
        click.echo(f"  rad {line}: {message}")


@click.group("letters")
def letters_group() -> None:
    """Welcome letters (välkomstbrev)."""


@letters_group.command("run")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Kör som om det vore detta datum (standard: dagens datum i Sverige).",
)
@click.option("--dry-run", is_flag=True, help="Visa vad som är aktuellt, skapa inget.")
@click.option("--json", "as_json", is_flag=True, help="Skriv rapporten som ett JSON-objekt.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Mapp för utskickets PDF och CSV (standard: instance/letter_batches).",
)
@with_appcontext
def letters_run_command(today: object, dry_run: bool, as_json: bool, out_dir: Path | None) -> None:
    """Create the letters due today: email through the outbox, print into one PDF batch."""
    from avestavard.services.audit import SystemActor
    from avestavard.services.letters import run_letters

    run_day = today.date() if today is not None else _stockholm_today()  # type: ignore[attr-defined]
    report = run_letters(
        db.session,
        run_day,
        settings=_settings(),
        dry_run=dry_run,
        actor=SystemActor("letters run"),
        commit=None if dry_run else db.session.commit,
    )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        directory = out_dir or Path(
            current_app.config.get("LETTER_BATCH_DIR")
            or Path(current_app.instance_path) / "letter_batches"
        )
        paths = [export_batch(batch_id, directory) for batch_id in report.batch_ids]
        db.session.commit()
        if paths:
            report.batch_pdf = str(paths[-1][0])
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    verb = "Aktuella" if dry_run else "Skapade"
    click.echo(f"{report.today.isoformat()}: {verb} brev")
    click.echo(f"  etapp: {report.due}  åldersgrupp: {report.by_age_group}")
    click.echo(f"  kanal: {report.by_channel}  skapade: {report.created}")
    if report.batch_pdf:
        click.echo(f"  utskick: {report.batch_pdf}")


commands = [import_inmovers_command, letters_group]
