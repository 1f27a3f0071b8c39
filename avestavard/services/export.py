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
from avestavard.localtime import to_local
from avestavard.models import AuditEvent, Host, Newcomer
from avestavard.models.letters import LetterHousehold
from avestavard.models.matches import FollowUpSide, Match, MatchProposal, pair_reasons

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


# --------------------------------------------------------------------------- one person's extract

PersonSide = Literal["host", "newcomer"]
# The other party of a match or proposal appears in a person's extract only as a role.
OTHER_PARTY = {"host": "nyinflyttad", "newcomer": "värd"}


def _own_reasons(codes: Sequence[dict[str, Any]] | None, side: PersonSide) -> list[str]:
    # Worded to the person ("Ni gillar båda fiske"); reasons naming other people are left out.
    return pair_reasons(codes or [], side, "sv")


def person_match_record(match: Match, side: PersonSide) -> dict[str, Any]:
    """One match as it belongs in the extract of its ``side``: every date, reason and answer of
    that person, the other party only as a role (no name, contact or answers of theirs)."""
    record: dict[str, Any] = {
        "id": match.id,
        "other_party": OTHER_PARTY[side],
        "state": _enum_value(match.state),
        "source": match.source,
        "score": match.score,
        "reasons": _own_reasons(match.reason_codes, side),
        "proposed_at": match.proposed_at,
        "approved_at": match.approved_at,
        "host_notified_at": match.host_notified_at,
        "accepted_at": match.accepted_at,
        "declined_at": match.declined_at,
        "decline_reason": match.decline_reason,
        "introduced_at": match.introduced_at,
        "met_at": match.met_at,
        "ended_at": match.ended_at,
        "end_reason": match.end_reason,
        "follow_ups": [
            {
                "sent_at": follow_up.sent_at,
                "answered_at": follow_up.answered_at,
                "met": follow_up.met,
                "fit": follow_up.fit,
                "comment": follow_up.comment,
            }
            for follow_up in match.follow_ups
            if follow_up.side == FollowUpSide(side)
        ],
        "created_at": match.created_at,
    }
    if side == "host":
        # The coordinator's line was written to the host, in the host's email.
        record["coordinator_note"] = match.coordinator_note
    return record


def person_proposal_record(proposal: MatchProposal, side: PersonSide) -> dict[str, Any]:
    """One of the matcher's proposals for the person, the other party only as a role.

    A coordinator's reason for rejecting a proposal is left out: it weighs the pair, and is
    as often about the other party.
    """
    return {
        "id": proposal.id,
        "other_party": OTHER_PARTY[side],
        "rank": proposal.rank,
        "score": proposal.score,
        "reasons": _own_reasons(proposal.reason_codes, side),
        "status": _enum_value(proposal.status),
        "computed_at": proposal.computed_at,
        "decided_at": proposal.decided_at,
    }


def household_record(household: LetterHousehold, person_name: str) -> dict[str, Any]:
    """The welcome-letter household a newcomer is linked to: its address, the letters sent
    there and the person's own entry from the register; the others living there are counted,
    never named."""
    own_name = " ".join(person_name.casefold().split())
    own = [
        {
            "first_name": resident.first_name,
            "last_name": resident.last_name,
            "birth_date": resident.birth_date,
        }
        for resident in household.residents
        if " ".join(resident.full_name.casefold().split()) == own_name
    ]
    return {
        "care_of": household.care_of,
        "street": household.street,
        "postcode": household.postcode,
        "town": household.town,
        "moved_in": household.moved_in,
        "linked_at": household.linked_at,
        "unsubscribed_at": household.unsubscribed_at,
        "register_entry": own,
        "other_residents": len(household.residents) - len(own),
        "letters": [
            {
                "stage": letter.stage,
                "run_date": letter.run_date,
                "channel": _enum_value(letter.channel),
                "language": letter.language,
            }
            for letter in household.letters
        ],
    }


def person_extract_parts(session: Session, side: PersonSide, person_id: int) -> dict[str, Any]:
    """Matches, proposals, linked household and the audit trail of one person, for the
    register extract."""
    match_column = Match.host_id if side == "host" else Match.newcomer_id
    proposal_column = MatchProposal.host_id if side == "host" else MatchProposal.newcomer_id
    parts: dict[str, Any] = {
        "matches": [
            person_match_record(match, side)
            for match in session.scalars(
                select(Match).where(match_column == person_id).order_by(Match.id)
            )
        ],
        "proposals": [
            person_proposal_record(proposal, side)
            for proposal in session.scalars(
                select(MatchProposal).where(proposal_column == person_id).order_by(MatchProposal.id)
            )
        ],
    }
    if side == "newcomer":
        household = session.scalar(
            select(LetterHousehold).where(LetterHousehold.newcomer_id == person_id)
        )
        newcomer = session.get(Newcomer, person_id)
        parts["letter_household"] = (
            household_record(household, newcomer.name if newcomer else "")
            if household is not None
            else None
        )
    # When the record was viewed or changed and how; the staff member is not named.
    parts["log"] = [
        {"at": event.at, "action": event.action}
        for event in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == side, AuditEvent.subject_id == person_id)
            .order_by(AuditEvent.id)
        )
    ]
    return parts


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


# A time in a spreadsheet: Stockholm wall-clock time to the minute (Babel's short Swedish
# pattern, which Excel with Swedish settings reads as a date and time).
_SHEET_TIME = "%Y-%m-%d %H:%M"
_XLSX_TIME = "yyyy-mm-dd hh:mm"


def _flat(value: Any) -> Any:
    """A cell value: lists joined, dates as dates, times in Stockholm time without a zone
    (spreadsheets have none)."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None, second=0, microsecond=0)
    return _enum_value(value)


def _csv_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(_SHEET_TIME)
    return value


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
    Excel with Swedish settings splits on. Times are Stockholm time (``2026-12-05 14:03``)."""
    buffer = io.StringIO()
    columns = _columns(rows)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                "" if row.get(c) is None else _defuse(c, _csv_text(_flat(row.get(c))))
                for c in columns
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[dict[str, Any]], title: str = "Export") -> bytes:
    """One sheet with a bold header row; every text cell is stored as text, never a formula;
    times are date-time cells in Stockholm time."""
    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:
        raise RuntimeError("a new workbook has an active sheet")
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
            elif isinstance(cell.value, datetime):
                cell.number_format = _XLSX_TIME
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
