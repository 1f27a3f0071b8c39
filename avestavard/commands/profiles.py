"""``avestavard import-legacy`` and ``avestavard export``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from avestavard.extensions import db
from avestavard.models import AuditAction
from avestavard.services.audit import SystemActor
from avestavard.services.export import EXPORT_FORMATS, EXPORT_KINDS, export_rows, render_export


@click.command("import-legacy")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be imported; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@with_appcontext
def import_legacy_command(path: Path, dry_run: bool, as_json: bool) -> None:
    """Import the coordinators' Excel database (hosts, newcomers, pairs made by hand)."""
    from avestavard.imports.legacy_xlsx import LegacyImportError, parse_legacy_workbook
    from avestavard.services.legacy_import import import_legacy

    now = datetime.now(UTC)
    try:
        parsed = parse_legacy_workbook(path, areas=current_app.config["AREAS"], today=now.date())
    except LegacyImportError as exc:
        raise click.ClickException(str(exc)) from exc
    actor = SystemActor(f"import-legacy {path.name}")
    summary = import_legacy(db.session, parsed, actor=actor, now=now)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    report = summary.as_json()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    heading = "Provkörning – inget sparades" if dry_run else "Importen är klar"
    click.echo(f"{heading}: {path.name}")
    hosts, newcomers, matches = report["hosts"], report["newcomers"], report["matches"]
    click.echo(
        f"  Värdar:       {hosts['rows']} rader, {hosts['created']} nya, "
        f"{hosts['updated']} uppdaterade, {hosts['duplicates_merged']} dubbletter sammanslagna"
    )
    click.echo(
        f"  Nyinflyttade: {newcomers['rows']} rader, {newcomers['created']} nya, "
        f"{newcomers['updated']} uppdaterade"
    )
    click.echo(f"  Matchningar:  {matches['rows']} rader, {matches['created']} nya")
    for title, issues in (("Fel", report["errors"]), ("Varningar", report["warnings"])):
        if issues:
            click.echo(f"{title} ({len(issues)}):")
            for issue in issues:
                where = f"{issue['sheet']} rad {issue['row']}" if issue["row"] else issue["sheet"]
                click.echo(f"  {where}: {issue['message']}")


@click.command("export")
@click.argument("kind", type=click.Choice(EXPORT_KINDS))
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="json", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output).",
)
@with_appcontext
def export_command(kind: str, fmt: str, out: Path | None) -> None:
    """Export hosts, newcomers or matches as JSON (an array), CSV or Excel."""
    from avestavard.services import audit

    rows = export_rows(db.session, kind)
    data = render_export(rows, fmt, title=kind)
    # An export holds personal data: who took it out, and when, belongs in the audit log.
    audit.record(db.session, SystemActor("cli export"), AuditAction(f"export-{kind}"))
    db.session.commit()
    if out is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            raise click.ClickException("Ange --out för xlsx (binärt format).")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
        click.echo(f"Skrev {len(rows)} rader till {out}", err=True)


commands = [import_legacy_command, export_command]
