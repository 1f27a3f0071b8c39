"""Saving the coordinators' legacy Excel database (a parsed :class:`LegacyImport`).

Idempotent: hosts are found again by email, then phone; newcomers the same way; a pair is
created once. Running the same import twice creates nothing and changes nothing. An existing
host takes the workbook's interview only when the workbook's interview is newer; otherwise the
workbook only fills fields that are still empty, so coordinators' later edits survive.

Dry run: call :func:`import_legacy` and roll the session back instead of committing; the
summary is the same as a real run would give.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.imports.legacy_xlsx import HostRecord, LegacyImport, MatchRecord, NewcomerRecord
from avestavard.models import (
    AuditAction,
    Host,
    HostStatus,
    HouseholdType,
    Newcomer,
    NewcomerStatus,
    utcnow,
)
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.profiles import set_interests, split_interest_words
from avestavard.services.reading import matcher_normalizer
from matching import InterestNormalizer

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    host_rows: int = 0
    hosts_created: int = 0
    hosts_updated: int = 0
    duplicates_merged: int = 0
    newcomer_rows: int = 0
    newcomers_created: int = 0
    newcomers_updated: int = 0
    match_rows: int = 0
    matches_created: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report object printed by ``import-legacy --json`` (all counts integers)."""
        return {
            "hosts": {
                "rows": self.host_rows,
                "created": self.hosts_created,
                "updated": self.hosts_updated,
                "duplicates_merged": self.duplicates_merged,
            },
            "newcomers": {
                "rows": self.newcomer_rows,
                "created": self.newcomers_created,
                "updated": self.newcomers_updated,
            },
            "matches": {"rows": self.match_rows, "created": self.matches_created},
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def _issue(sheet: str, row: int | None, message: str) -> dict[str, Any]:
    return {"sheet": sheet, "row": row, "message": message}


def _set(obj: Any, name: str, value: Any, *, only_if_empty: bool) -> bool:
    """Assign when different (and, with ``only_if_empty``, when nothing is stored yet)."""
    current = getattr(obj, name)
    if value is None or value == "" or value == [] or current == value:
        return False
    if only_if_empty and current not in (None, "", []):
        return False
    setattr(obj, name, value)
    return True


def _find(session: Session, model: type[Host] | type[Newcomer], contacts: Iterable[str]) -> Any:
    """The person with one of these contacts: emails first, then phone numbers."""
    contacts = [c for c in contacts if c]
    for email in (c for c in contacts if "@" in c):
        found = session.scalar(select(model).where(model.email == email))
        if found is not None:
            return found
    for phone in (c for c in contacts if "@" not in c):
        found = session.scalar(select(model).where(model.phone == phone).order_by(model.id))
        if found is not None:
            return found
    return None


def _email_free(
    session: Session, model: type[Host] | type[Newcomer], email: str, own_id: int | None
) -> bool:
    other = session.scalar(select(model.id).where(model.email == email))
    return other is None or other == own_id


def _fitted(
    model: type[Host] | type[Newcomer],
    values: dict[str, Any],
    record: HostRecord | NewcomerRecord,
    summary: ImportSummary,
) -> dict[str, Any]:
    """``values`` with every text cut to its column's length (a cell can hold 32,767
    characters, a name column 200); each cut is a warning on the record's row."""
    fitted = dict(values)
    for name, value in values.items():
        limit = getattr(model.__table__.c[name].type, "length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            fitted[name] = value[:limit]
            sheet, row = record.kept_row.sheet, record.kept_row.row
            summary.warnings.append(
                _issue(sheet, row, f"{name} longer than {limit} characters; cut to {limit}")
            )
    return fitted


def _host_values(record: HostRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "phone": record.phone,
        "birth_year": record.birth_year,
        "languages": sorted(record.languages),
        "preferred_language": record.preferred_language,
        "capacity": record.capacity,
        "status": HostStatus(record.status),
        "paused_until": record.paused_until,
        "area": record.area,
        "household": HouseholdType(record.household) if record.household else None,
        "past": record.past,
        "present": record.present,
        "future": record.future,
        "thoughts": record.thoughts,
        "interviewer": record.interviewer,
        "interviewed_on": record.interviewed_on,
    }


def _import_host(
    session: Session,
    record: HostRecord,
    actor: Actor,
    summary: ImportSummary,
    normalizer: InterestNormalizer,
) -> Host:
    contacts = [record.email, record.phone, *record.other_contacts]
    host: Host | None = _find(session, Host, [c for c in contacts if c])
    values = _fitted(Host, _host_values(record), record, summary)
    created = host is None
    if host is None:
        host = Host(name=values["name"])
        if record.interviewed_on is not None:
            # A host of the old workbook has been one since the interview, not since the import.
            host.created_at = _local_midnight(record.interviewed_on, utcnow())
        session.add(host)
        newer = True
    else:
        newer = record.interviewed_on is not None and (
            host.interviewed_on is None or record.interviewed_on > host.interviewed_on
        )
    changed = False
    for name, value in values.items():
        changed |= _set(host, name, value, only_if_empty=not newer)
    if record.email and (created or newer or not host.email):
        if _email_free(session, Host, record.email, host.id):
            changed |= _set(host, "email", record.email, only_if_empty=False)
        else:
            sheet, row = record.kept_row.sheet, record.kept_row.row
            summary.warnings.append(
                _issue(sheet, row, f"email {record.email!r} belongs to another host; not changed")
            )
    words = split_interest_words(list(record.interests_raw))
    if words and (created or (newer and words != host.interests_raw) or not host.interests_raw):
        set_interests(session, host, words, normalizer)
        changed = True
    session.flush()
    if created:
        summary.hosts_created += 1
        audit.record(session, actor, AuditAction.IMPORT_CREATE, "host", host.id)
    elif changed:
        summary.hosts_updated += 1
        audit.record(session, actor, AuditAction.IMPORT_UPDATE, "host", host.id)
    return host


def _local_midnight(day: date | None, fallback: datetime) -> datetime:
    if day is None:
        return fallback
    return datetime.combine(day, time(), tzinfo=LOCAL_ZONE).astimezone(UTC)


def _import_newcomer(
    session: Session,
    record: NewcomerRecord,
    actor: Actor,
    now: datetime,
    summary: ImportSummary,
    normalizer: InterestNormalizer,
) -> Newcomer:
    contacts = [record.email, record.phone, *record.other_contacts]
    newcomer: Newcomer | None = _find(session, Newcomer, [c for c in contacts if c])
    created = newcomer is None
    name = _fitted(Newcomer, {"name": record.name}, record, summary)["name"]
    if newcomer is None:
        # They asked for a host before the system existed: they wait since they registered.
        registered = _local_midnight(record.registered_on or record.moved_in, now)
        newcomer = Newcomer(
            name=name,
            status=NewcomerStatus.WAITING,
            registered_at=registered,
            confirmed_at=registered,
        )
        session.add(newcomer)
    values: dict[str, Any] = {
        "name": name,
        "phone": record.phone,
        "birth_year": record.birth_year,
        "languages": sorted(record.languages),
        "preferred_language": record.preferred_language,
        "area": record.area,
        "street_address": record.address,
        "household": HouseholdType(record.household) if record.household else None,
        "moved_in": record.moved_in,
        "past": record.past,
        "present": record.present,
        "future": record.future,
        "wishes": record.wishes,
    }
    values = _fitted(Newcomer, values, record, summary)
    changed = False
    # A newcomer's own later registration is worth more than the old sheet: fill gaps only.
    for name, value in values.items():
        changed |= _set(newcomer, name, value, only_if_empty=not created)
    if record.email and not newcomer.email:
        if _email_free(session, Newcomer, record.email, newcomer.id):
            changed |= _set(newcomer, "email", record.email, only_if_empty=True)
        else:
            sheet, row = record.kept_row.sheet, record.kept_row.row
            summary.warnings.append(
                _issue(sheet, row, f"email {record.email!r} belongs to another newcomer")
            )
    words = split_interest_words(list(record.interests_raw))
    if words and not newcomer.interests_raw:
        set_interests(session, newcomer, words, normalizer)
        changed = True
    session.flush()
    if created:
        summary.newcomers_created += 1
        audit.record(session, actor, AuditAction.IMPORT_CREATE, "newcomer", newcomer.id)
    elif changed:
        summary.newcomers_updated += 1
        audit.record(session, actor, AuditAction.IMPORT_UPDATE, "newcomer", newcomer.id)
    return newcomer


# The matches feature owns the Match model and its rules; the import asks it to record a pair
# made by hand. Signature: fn(session, actor, *, host, newcomer, matched_on, status_text, now)
# returning the new match, or None when the pair already exists.
ImportedMatchCreator = Callable[..., Any]


def _imported_match_creator() -> ImportedMatchCreator | None:
    try:
        module = importlib.import_module("avestavard.services.matches")
    except ImportError:
        return None
    creator = getattr(module, "record_imported_match", None)
    return creator if callable(creator) else None


def _import_matches(
    session: Session,
    matches: Iterable[MatchRecord],
    hosts: dict[str, Host],
    newcomers: dict[str, Newcomer],
    actor: Actor,
    now: datetime,
    summary: ImportSummary,
) -> None:
    creator = _imported_match_creator()
    matches = list(matches)
    if creator is None:
        if matches:
            summary.warnings.append(
                _issue(
                    matches[0].source_row.sheet,
                    None,
                    f"{len(matches)} pairs not imported: matches cannot be recorded yet",
                )
            )
        return
    for record in matches:
        host = hosts.get(record.host_key)
        newcomer = newcomers.get(record.newcomer_key)
        if host is None or newcomer is None:
            summary.errors.append(
                _issue(record.source_row.sheet, record.source_row.row, "person not imported")
            )
            continue
        created = creator(
            session,
            actor,
            host=host,
            newcomer=newcomer,
            matched_on=record.matched_on,
            status_text=record.status_raw,
            now=now,
        )
        if created is not None:
            summary.matches_created += 1


def import_legacy(
    session: Session, parsed: LegacyImport, *, actor: Actor, now: datetime
) -> ImportSummary:
    """Save a parsed workbook; flushes, never commits (roll back for a dry run)."""
    summary = ImportSummary(
        host_rows=parsed.host_rows,
        duplicates_merged=parsed.duplicates_merged,
        newcomer_rows=parsed.newcomer_rows,
        match_rows=parsed.match_rows,
        errors=[issue.as_dict() for issue in parsed.errors],
        warnings=[issue.as_dict() for issue in parsed.warnings],
    )
    # The matcher's reading, with the taught words, looked up once for the whole workbook.
    normalizer = matcher_normalizer(session)
    hosts = {r.key: _import_host(session, r, actor, summary, normalizer) for r in parsed.hosts}
    newcomers = {
        r.key: _import_newcomer(session, r, actor, now, summary, normalizer)
        for r in parsed.newcomers
    }
    _import_matches(session, parsed.matches, hosts, newcomers, actor, now, summary)
    session.flush()
    audit.record(session, actor, AuditAction.IMPORT_LEGACY)
    return summary
