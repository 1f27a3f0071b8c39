"""Exports of hosts, newcomers and matches as JSON, CSV or Excel.

The same records are the register extract a person can ask for (GDPR): see
:func:`avestavard.services.profiles.export_person`. Phone numbers are E.164, languages ISO 639-1
codes and ``interests`` the canonical interests; ``interests_raw`` keeps the person's own words.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models import Host, Newcomer
from avestavard.models.matches import Match

ExportKind = Literal["hosts", "newcomers", "matches"]
ExportFormat = Literal["json", "csv", "xlsx"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("hosts", "newcomers", "matches")
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("json", "csv", "xlsx")

# A spreadsheet program runs a cell that starts with one of these as a formula; free text typed
# by the public must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Fields that hold validated values (E.164 numbers start with "+") and are safe as they are.
_SAFE_FIELDS = {"phone"}


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def host_record(host: Host) -> dict[str, Any]:
    """One host as a plain dict, in the order the export columns appear."""
    return {
        "id": host.id,
        "name": host.name,
        "email": host.email,
        "phone": host.phone,
        "birth_year": host.birth_year,
        "area": host.area,
        "household": _enum_value(host.household),
        "languages": sorted(host.languages or []),
        "preferred_language": host.preferred_language,
        "interests": sorted(link.interest.slug for link in host.interests),
        "interests_raw": list(host.interests_raw or []),
        "past": host.past,
        "present": host.present,
        "future": host.future,
        "thoughts": host.thoughts,
        "capacity": host.capacity,
        "status": _enum_value(host.status),
        "paused_until": host.paused_until,
        "interviewer": host.interviewer,
        "interviewed_on": host.interviewed_on,
        "created_at": host.created_at,
        "updated_at": host.updated_at,
    }


def newcomer_record(newcomer: Newcomer) -> dict[str, Any]:
    """One newcomer as a plain dict, in the order the export columns appear."""
    return {
        "id": newcomer.id,
        "name": newcomer.name,
        "email": newcomer.email,
        "phone": newcomer.phone,
        "moved_in": newcomer.moved_in,
        "area": newcomer.area,
        "street_address": newcomer.street_address,
        "household": _enum_value(newcomer.household),
        "birth_year": newcomer.birth_year,
        "preferred_language": newcomer.preferred_language,
        "languages": sorted(newcomer.languages or []),
        "interests": sorted(link.interest.slug for link in newcomer.interests),
        "interests_raw": list(newcomer.interests_raw or []),
        "past": newcomer.past,
        "present": newcomer.present,
        "future": newcomer.future,
        "wishes": newcomer.wishes,
        "status": _enum_value(newcomer.status),
        "letters_by_email": newcomer.letters_by_email,
        "privacy_notice_version": newcomer.privacy_notice_version,
        "registered_at": newcomer.registered_at,
        "confirmed_at": newcomer.confirmed_at,
        "updated_at": newcomer.updated_at,
    }


def match_record(match: Match) -> dict[str, Any]:
    """One match with both people's names and emails, so the file reads on its own."""
    return {
        "id": match.id,
        "host_id": match.host_id,
        "host_name": match.host.name,
        "host_email": match.host.email,
        "newcomer_id": match.newcomer_id,
        "newcomer_name": match.newcomer.name,
        "newcomer_email": match.newcomer.email,
        "state": _enum_value(match.state),
        "source": match.source,
        "score": match.score,
        "approved_at": match.approved_at,
        "introduced_at": match.introduced_at,
        "met_at": match.met_at,
        "ended_at": match.ended_at,
        "end_reason": match.end_reason,
        "created_at": match.created_at,
    }


def matches_for(
    session: Session, *, host_id: int | None = None, newcomer_id: int | None = None
) -> list[dict[str, Any]]:
    """The matches of one host or one newcomer (or all), oldest first."""
    stmt = select(Match).order_by(Match.id)
    if host_id is not None:
        stmt = stmt.where(Match.host_id == host_id)
    if newcomer_id is not None:
        stmt = stmt.where(Match.newcomer_id == newcomer_id)
    return [match_record(m) for m in session.scalars(stmt)]


def export_rows(session: Session, kind: str) -> list[dict[str, Any]]:
    """Every host, newcomer or match as records, oldest id first."""
    if kind == "hosts":
        return [host_record(h) for h in session.scalars(select(Host).order_by(Host.id))]
    if kind == "newcomers":
        return [newcomer_record(n) for n in session.scalars(select(Newcomer).order_by(Newcomer.id))]
    if kind == "matches":
        return matches_for(session)
    raise ValidationFailed(f"unknown export {kind!r}; expected one of {EXPORT_KINDS}")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _enum_value(value)


def to_json(rows: Sequence[dict[str, Any]] | dict[str, Any]) -> bytes:
    """A JSON array (or one object) in UTF-8, dates as ISO 8601 strings."""
    return json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default).encode("utf-8")


def _flat(value: Any) -> Any:
    """A cell value: lists joined, dates as dates, times as ISO strings (Excel has no zones)."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return _enum_value(value)


def _defuse(field: str, value: Any) -> Any:
    if isinstance(value, str) and field not in _SAFE_FIELDS and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    return columns


def to_csv(rows: Sequence[dict[str, Any]], delimiter: str = ",") -> bytes:
    """UTF-8 with a byte order mark so Excel shows å, ä and ö; ``delimiter=";"`` is what
    Excel with Swedish settings splits on."""
    buffer = io.StringIO()
    columns = _columns(rows)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if row.get(c) is None else _defuse(c, _flat(row.get(c))) for c in columns]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[dict[str, Any]], title: str = "Export") -> bytes:
    """One sheet with a bold header row; every text cell is stored as text, never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    columns = _columns(rows)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_flat(row.get(c)) for c in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render_export(
    rows: Sequence[dict[str, Any]], fmt: str, title: str = "Export", csv_delimiter: str = ","
) -> bytes:
    """The rows in ``fmt`` (json, csv or xlsx)."""
    if fmt == "json":
        return to_json(list(rows))
    if fmt == "csv":
        return to_csv(rows, csv_delimiter)
    if fmt == "xlsx":
        return to_xlsx(rows, title)
    raise ValidationFailed(f"unknown format {fmt!r}; expected one of {EXPORT_FORMATS}")
