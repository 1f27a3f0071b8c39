"""Welcome letters: store who moved in, decide which letters are due, create them exactly once.

The pure parts live elsewhere: :mod:`avestavard.imports.inmovers_csv` reads the register extract,
:mod:`avestavard.services.letter_rules` knows when a stage is due and which age group a household
is in, :mod:`avestavard.services.letter_render` turns a letter into HTML, PDF, CSV and email.
This module is the part with a database:

- :func:`import_inmovers` stores households and residents; importing the same or an overlapping
  file again creates nothing twice.
- :func:`run_letters` is the daily sweep: for each household, the one stage due today that was not
  sent yet becomes a letter (email through the outbox, or print), and the run's print letters go
  into one batch with one PDF and one CSV. One letter per household and stage is a database
  constraint, and letters are inserted with "on conflict do nothing", so two runs at once, or a
  run started again after a crash, never create a letter twice.
- Newcomers who registered are linked to their household (automatically when name and street
  agree, or by a coordinator); their email, consent and language decide channel and language.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from itsdangerous import BadSignature, URLSafeSerializer
from pypdf import PdfReader
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.imports.inmovers_csv import ADULT_AGE, Address, InmoversParse, age_on
from avestavard.localtime import to_local
from avestavard.models import AuditAction, Newcomer, utcnow
from avestavard.models.base import conflict_insert
from avestavard.models.letters import (
    Letter,
    LetterBatch,
    LetterChannel,
    LetterHousehold,
    LetterTextOverride,
    Resident,
)
from avestavard.services.audit import Actor, SystemActor, record
from avestavard.services.authorization import require_coordinator
from avestavard.services.figure_events import record_letter
from avestavard.services.letter_render import (
    LetterContent,
    compose_letter,
    render_address_csv,
    render_email,
    render_print_batch_pdf,
)
from avestavard.services.letter_rules import (
    AGE_GROUPS,
    AgeGroup,
    LetterConfig,
    LetterConfigError,
    LetterText,
    add_months,
    age_group,
    age_group_of,
    due_stage,
    load_letter_config,
    validate_template,
)
from avestavard.services.mail import queue_mail

log = logging.getLogger(__name__)

UNSUBSCRIBE_PATH = "/unsubscribe/"
_UNSUBSCRIBE_SALT = "welcome-letters-unsubscribe"
# Households are read and written in chunks: bounded memory, and with a ``commit`` callback a
# crash loses at most one chunk of work, which the next run redoes.
CHUNK_SIZE = 200
# The database drivers limit the number of parameters of one statement.
_IN_CHUNK = 500


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class LetterSettings:
    """What the letters need from the application's configuration."""

    config: LetterConfig
    public_base_url: str
    secret_key: str
    # Keys the HMAC that replaces personal identity numbers; must never change between imports.
    person_hash_key: bytes

    @classmethod
    def from_mapping(
        cls, app_config: Mapping[str, Any], letter_config: LetterConfig | None = None
    ) -> LetterSettings:
        """Build the settings from the Flask config (``SECRET_KEY``, ``PUBLIC_BASE_URL`` ...).

        ``PERSON_HASH_KEY`` keys the person hash; without it a key is derived from
        ``SECRET_KEY`` (so rotating the secret key then means re-importing is not recognised).
        """
        secret = str(app_config["SECRET_KEY"])
        person_key = str(app_config.get("PERSON_HASH_KEY") or "")
        hash_key = (
            person_key.encode("utf-8")
            if person_key
            else hmac.new(secret.encode("utf-8"), b"person-hash-key", hashlib.sha256).digest()
        )
        return cls(
            config=letter_config or load_letter_config(),
            public_base_url=str(app_config.get("PUBLIC_BASE_URL", "")).rstrip("/"),
            secret_key=secret,
            person_hash_key=hash_key,
        )


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, dry run, would do)."""

    rows: int
    persons_imported: int
    households: int
    errors: tuple[tuple[int, str], ...]
    skipped_existing: int
    households_linked: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object of ``avestavard import-inmovers``."""
        return {
            "rows": self.rows,
            "persons_imported": self.persons_imported,
            "households": self.households,
            "errors": [{"line": line, "message": message} for line, message in self.errors],
            "skipped_existing": self.skipped_existing,
        }


def import_inmovers(session: Session, parse: InmoversParse, actor: Actor | None) -> ImportReport:
    """Store the households and residents of a parsed extract; flushes, never commits.

    ``persons_imported`` counts new residents, ``households`` new households and
    ``skipped_existing`` the persons already stored: the same person (person key) at the same
    address and move-in date, or with the same move-in date at an address spelled differently.
    A dry run is this call followed by a rollback.
    """
    actor = actor or SystemActor("import-inmovers")
    keys = [household.household_key for household in parse.households]
    existing: dict[str, LetterHousehold] = {}
    for chunk in _chunks(keys, _IN_CHUNK):
        for stored in session.scalars(
            select(LetterHousehold).where(LetterHousehold.household_key.in_(chunk))
        ):
            existing[stored.household_key] = stored
    # (person key, move-in date) already stored anywhere: recognises a re-import even when the
    # address is spelled differently in the new file.
    person_keys = [person.person_key for person in parse.persons]
    known_moves: set[tuple[str, date]] = set()
    for chunk in _chunks(person_keys, _IN_CHUNK):
        rows = session.execute(
            select(Resident.person_key, LetterHousehold.moved_in)
            .join(LetterHousehold, Resident.household_id == LetterHousehold.id)
            .where(Resident.person_key.in_(chunk))
        )
        known_moves.update((key, moved_in) for key, moved_in in rows)

    persons_imported = skipped = households_created = 0
    new_households: list[LetterHousehold] = []
    for parsed in parse.households:
        household = existing.get(parsed.household_key)
        new_people = []
        for person in parsed.members:
            if (person.person_key, person.moved_in) in known_moves:
                skipped += 1
                continue
            known_moves.add((person.person_key, person.moved_in))
            new_people.append(person)
        if not new_people:
            continue
        if household is None:
            address = parsed.address
            household = LetterHousehold(
                household_key=parsed.household_key,
                street=address.street,
                postcode=address.postcode,
                town=address.town,
                care_of=address.care_of,
                moved_in=parsed.moved_in,
            )
            session.add(household)
            existing[parsed.household_key] = household
            new_households.append(household)
            households_created += 1
        for person in new_people:
            household.residents.append(
                Resident(
                    person_key=person.person_key,
                    first_name=person.first_name[:100],
                    last_name=person.last_name[:100],
                    birth_date=person.birth_date,
                )
            )
            persons_imported += 1
    session.flush()
    for household in new_households:
        record(session, actor, AuditAction.IMPORT, "household", household.id)
    linked = link_registered_newcomers(session, actor, households=new_households)
    session.flush()
    return ImportReport(
        rows=parse.rows,
        persons_imported=persons_imported,
        households=households_created,
        errors=tuple((bad.line, bad.message) for bad in parse.bad_rows),
        skipped_existing=skipped,
        households_linked=linked,
    )


# --------------------------------------------------------------------------- newcomer links


def _normal_words(text: str | None) -> list[str]:
    """Casefolded words of a name or street: "Anna-Karin  ÖBERG" -> ["anna", "karin", "öberg"]."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    return re.findall(r"\w+", text)


def _street_key(street: str | None) -> str:
    # A newcomer may write "Parkstigen 91, 774 42 Karlbo": the street is before the comma.
    return " ".join(_normal_words((street or "").split(",")[0]))


def _name_agrees(newcomer_name: str, resident: Resident) -> bool:
    """The newcomer's name has the resident's last name and one of their first names."""
    words = set(_normal_words(newcomer_name))
    last = _normal_words(resident.last_name)
    first = _normal_words(resident.first_name)
    return bool(last) and set(last) <= words and any(name in words for name in first)


def link_registered_newcomers(
    session: Session,
    actor: Actor | None,
    *,
    households: Sequence[LetterHousehold] | None = None,
    moved_in_from: date | None = None,
) -> int:
    """Link registered newcomers to households where name and street address agree.

    The name agrees when it has a resident's last name and one of their first names; streets
    are compared without case, spacing or what follows a comma. A link is made only when
    exactly one unlinked household fits a newcomer and that household fits only this newcomer:
    an ambiguous case is left to a coordinator. Returns the number of links made.
    ``households`` limits the sweep (e.g. to a fresh import); ``moved_in_from`` to households
    that moved in on or after that day (the ones that may still get letters).
    """
    newcomers = session.scalars(
        select(Newcomer)
        .where(Newcomer.street_address.is_not(None))
        .where(
            ~Newcomer.id.in_(
                select(LetterHousehold.newcomer_id).where(LetterHousehold.newcomer_id.is_not(None))
            )
        )
    ).all()
    if not newcomers:
        return 0
    by_street: dict[str, list[Newcomer]] = {}
    for newcomer in newcomers:
        by_street.setdefault(_street_key(newcomer.street_address), []).append(newcomer)
    if households is None:
        query = select(LetterHousehold).where(LetterHousehold.newcomer_id.is_(None))
        if moved_in_from is not None:
            query = query.where(LetterHousehold.moved_in >= moved_in_from)
        households = session.scalars(query).all()
    candidates: dict[int, list[LetterHousehold]] = {}
    fits_of_household: Counter[int] = Counter()
    for household in households:
        if household.newcomer_id is not None:
            continue
        for newcomer in by_street.get(_street_key(household.street), []):
            if any(_name_agrees(newcomer.name, r) for r in household.residents):
                candidates.setdefault(newcomer.id, []).append(household)
                fits_of_household[household.id] += 1
    linked = 0
    by_id = {newcomer.id: newcomer for newcomer in newcomers}
    for newcomer_id, fits in candidates.items():
        if len(fits) == 1 and fits_of_household[fits[0].id] == 1:
            _link(session, fits[0], by_id[newcomer_id], actor, by_hand=False)
            linked += 1
    return linked


def link_newcomer(
    session: Session, household_id: int, newcomer_id: int, actor: Actor | None
) -> LetterHousehold:
    """A coordinator links a newcomer to a household by hand (replacing any earlier link)."""
    household = session.get(LetterHousehold, household_id)
    newcomer = session.get(Newcomer, newcomer_id)
    if household is None or newcomer is None:
        raise NotFound("Hushållet eller den nyinflyttade finns inte.")
    other = session.scalar(
        select(LetterHousehold).where(LetterHousehold.newcomer_id == newcomer_id)
    )
    if other is not None and other.id != household.id:
        raise Conflict(
            "Den nyinflyttade är redan kopplad till ett annat hushåll. "
            "Ta bort den kopplingen först."
        )
    _link(session, household, newcomer, actor, by_hand=True)
    session.flush()
    return household


def unlink_newcomer(session: Session, household_id: int, actor: Actor | None) -> LetterHousehold:
    """Remove a household's link to a newcomer; letters then go by print, in Swedish."""
    household = session.get(LetterHousehold, household_id)
    if household is None:
        raise NotFound("Hushållet finns inte.")
    if household.newcomer_id is not None:
        record(session, actor, AuditAction.UNLINK_NEWCOMER, "household", household.id)
        household.newcomer_id = None
        household.is_linked_by_hand = False
        household.linked_at = None
        session.flush()
    return household


def _link(
    session: Session,
    household: LetterHousehold,
    newcomer: Newcomer,
    actor: Actor | None,
    *,
    by_hand: bool,
) -> None:
    household.newcomer = newcomer
    household.newcomer_id = newcomer.id
    household.is_linked_by_hand = by_hand
    household.linked_at = utcnow()
    record(session, actor, AuditAction.LINK_NEWCOMER, "household", household.id)
    record(session, actor, AuditAction.LINK_HOUSEHOLD, "newcomer", newcomer.id)


# --------------------------------------------------------------------------- letter texts


def effective_letter_config(session: Session, base: LetterConfig) -> LetterConfig:
    """``letters.toml`` with the coordinators' edited texts applied."""
    config = base
    for row in session.scalars(select(LetterTextOverride)):
        try:
            config = config.with_text(
                row.stage,
                age_group_of(row.age_group),
                row.language,
                LetterText(row.subject, row.body),
            )
        except (LetterConfigError, ValueError):
            # Saved texts were checked; one that no longer fits (stage removed) is left out.
            log.warning("letter text %s/%s/%s ignored", row.stage, row.age_group, row.language)
    return config


def save_letter_text(
    session: Session,
    base: LetterConfig,
    *,
    stage: int,
    age_group_name: str,
    language: str,
    subject: str,
    body: str,
    actor: Actor,
) -> LetterTextOverride:
    """Store a coordinator's text; unknown placeholders or stray braces raise ValidationFailed.

    The errors are per field (``subject``, ``body``) so the form shows them next to the field.
    """
    group = _checked_text_key(base, stage, age_group_name, language)
    text = check_letter_text(subject, body)
    subject, body = text.subject, text.body
    row = session.scalar(
        select(LetterTextOverride).where(
            LetterTextOverride.stage == stage,
            LetterTextOverride.age_group == group,
            LetterTextOverride.language == language,
        )
    )
    if row is None:
        row = LetterTextOverride(stage=stage, age_group=group, language=language)
        session.add(row)
    row.subject, row.body = subject, body
    row.updated_by_id = actor.id
    record(session, actor, AuditAction.EDIT_LETTER_TEXT)
    session.flush()
    return row


def reset_letter_text(
    session: Session, *, stage: int, age_group_name: str, language: str, actor: Actor
) -> bool:
    """Go back to the text in ``letters.toml``; returns whether an edited text was removed."""
    result = session.execute(
        delete(LetterTextOverride).where(
            LetterTextOverride.stage == stage,
            LetterTextOverride.age_group == age_group_name,
            LetterTextOverride.language == language,
        )
    )
    record(session, actor, AuditAction.RESET_LETTER_TEXT)
    session.flush()
    return bool(cast(Any, result).rowcount)


def check_letter_text(subject: str, body: str) -> LetterText:
    """A coordinator's text as it would be saved (trimmed, one kind of line break).

    Raises ValidationFailed with a message per field (``subject``, ``body``) for an empty field,
    an unknown placeholder, a stray brace or a subject over 300 characters.
    """
    errors = {}
    subject, body = subject.strip(), body.strip().replace("\r\n", "\n")
    for name, value in (("subject", subject), ("body", body)):
        problems = validate_template(value)
        if not value:
            problems.insert(0, "Fältet får inte vara tomt.")
        if problems:
            errors[name] = " ".join(problems)
    if len(subject) > 300:
        errors["subject"] = "Ämnet får vara högst 300 tecken."
    if errors:
        raise ValidationFailed("Texten kan inte sparas.", errors)
    return LetterText(subject, body)


def _checked_text_key(config: LetterConfig, stage: int, group_name: str, language: str) -> AgeGroup:
    """The age group of an existing text's key; NotFound for a key without a text."""
    if group_name not in AGE_GROUPS:
        raise NotFound("Det finns ingen sådan brevtext.")
    group = age_group_of(group_name)
    if (stage, group, language) not in config.texts:
        raise NotFound("Det finns ingen sådan brevtext.")
    return group


@dataclass(frozen=True)
class EditableText:
    """One letter text as a coordinator edits it: what letters use now, and the default."""

    stage: int
    age_group: AgeGroup
    language: str
    current: LetterText
    default: LetterText

    @property
    def is_edited(self) -> bool:
        """Whether a coordinator's text replaces the one in ``letters.toml``."""
        return self.current != self.default


def letter_text_for_edit(
    session: Session, base: LetterConfig, *, stage: int, age_group_name: str, language: str
) -> EditableText:
    """The text of one stage, age group and language; NotFound when there is no such text."""
    group = _checked_text_key(base, stage, age_group_name, language)
    current = effective_letter_config(session, base).text(stage, group, language)
    return EditableText(stage, group, language, current, base.text(stage, group, language))


def edited_letter_texts(session: Session) -> dict[tuple[int, str, str], LetterTextOverride]:
    """The coordinators' texts by (stage, age group, language)."""
    return {
        (row.stage, row.age_group, row.language): row
        for row in session.scalars(select(LetterTextOverride))
    }


# --------------------------------------------------------------------------- unsubscribe


def unsubscribe_token(secret_key: str, household_id: int) -> str:
    """The signed token of a household's unsubscribe link (no expiry: letters span a year)."""
    return str(URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(household_id))


def unsubscribe_url(
    settings: LetterSettings, household_id: int, language: str | None = None
) -> str:
    """The absolute one-click unsubscribe link of a household, in the letter's language."""
    token = unsubscribe_token(settings.secret_key, household_id)
    query = f"?lang={language}" if language and language != "sv" else ""
    return f"{settings.public_base_url}{UNSUBSCRIBE_PATH}{token}{query}"


def household_for_token(session: Session, secret_key: str, token: str) -> LetterHousehold:
    """The household an unsubscribe token was made for; NotFound for a forged or stale token."""
    try:
        household_id = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise NotFound("Länken är ogiltig.") from None
    household = session.get(LetterHousehold, int(household_id))
    if household is None:
        raise NotFound("Länken är ogiltig.")
    return household


def unsubscribe(session: Session, secret_key: str, token: str, now: datetime) -> LetterHousehold:
    """Stop all further letters to the household of ``token`` (idempotent)."""
    household = household_for_token(session, secret_key, token)
    if household.unsubscribed_at is None:
        household.unsubscribed_at = now
        if household.newcomer is not None:
            household.newcomer.letters_by_email = False
        record(
            session,
            SystemActor("unsubscribe-link"),
            AuditAction.UNSUBSCRIBE,
            "household",
            household.id,
        )
        session.flush()
    return household


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class DueLetter:
    """One household's stage that is due on the run date."""

    household_id: int
    stage: int


@dataclass
class RunReport:
    """What a letters run decided and did."""

    today: date
    due: dict[str, int]
    by_age_group: dict[str, int]
    by_channel: dict[str, int]
    created: int = 0
    batch_ids: list[int] = field(default_factory=list)
    batch_pdf: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` object of ``avestavard letters run``."""
        return {
            "today": self.today.isoformat(),
            "due": dict(self.due),
            "by_age_group": dict(self.by_age_group),
            "by_channel": dict(self.by_channel),
            "created": self.created,
            "batch_pdf": self.batch_pdf,
        }


@dataclass(frozen=True)
class LetterDecision:
    """How one due letter goes out: age group, channel, language and email address."""

    due: DueLetter
    age_group: AgeGroup
    channel: LetterChannel
    language: str | None  # None: Swedish with the short lines in other languages
    email: str | None


def adults_on(residents: Iterable[Resident], today: date) -> list[Resident]:
    """The residents who are 18 or older on ``today``: the letter is addressed to them."""
    return [r for r in residents if age_on(r.birth_date, today) >= ADULT_AGE]


def _earliest_move_in(today: date, config: LetterConfig) -> date:
    """Nobody who moved in before this day can have a stage window that contains ``today``."""
    schedule = config.schedule
    months = schedule.stages[-1].offset_months + schedule.last_stage_window_months
    # A few days of margin for month ends (31 Jan + 1 month = 28 Feb); due_stage decides.
    return add_months(today, -months) - timedelta(days=3)


def plan_due_letters(session: Session, today: date, config: LetterConfig) -> list[DueLetter]:
    """Every household's stage due on ``today`` and not sent yet, in household order.

    Unsubscribed households get nothing. A household sees at most one stage per run, and only
    the stage whose window contains ``today`` (see :func:`letter_rules.due_stage`).
    """
    schedule = config.schedule
    earliest = _earliest_move_in(today, config)
    candidates = (
        select(LetterHousehold.id, LetterHousehold.moved_in)
        .where(LetterHousehold.moved_in <= today)
        .where(LetterHousehold.moved_in >= earliest)
        .where(LetterHousehold.unsubscribed_at.is_(None))
        .order_by(LetterHousehold.id)
    )
    sent: dict[int, set[int]] = {}
    for household_id, number in session.execute(
        select(Letter.household_id, Letter.stage)
        .join(LetterHousehold, Letter.household_id == LetterHousehold.id)
        .where(LetterHousehold.moved_in <= today)
        .where(LetterHousehold.moved_in >= earliest)
    ):
        sent.setdefault(household_id, set()).add(number)
    due = []
    for household_id, moved_in in session.execute(candidates):
        stage = due_stage(moved_in, today, schedule, sent.get(household_id, set()))
        if stage is not None:
            due.append(DueLetter(household_id, stage.number))
    return due


def _decide(
    household: LetterHousehold, due: DueLetter, today: date, config: LetterConfig
) -> LetterDecision | None:
    residents = household.residents
    if not residents or not adults_on(residents, today):
        # Children never get letters of their own.
        return None
    group = age_group(today, [r.birth_date for r in residents], config.age_bands)
    newcomer = household.newcomer
    language = None
    email = None
    if newcomer is not None:
        if newcomer.preferred_language in config.languages:
            language = newcomer.preferred_language
        if newcomer.email and newcomer.letters_by_email and _usable_email(newcomer.email):
            email = newcomer.email
    channel = LetterChannel.EMAIL if email else LetterChannel.PRINT
    return LetterDecision(due, group, channel, language, email)


def _usable_email(address: str) -> bool:
    # An address the outbox would refuse would stop every run at this household: print instead.
    return "@" in address and len(address) <= 254 and not any(c in address for c in "\r\n")


def compose_for(
    household: LetterHousehold,
    *,
    stage: int,
    age_group_name: str,
    language: str | None,
    letter_date: date,
    config: LetterConfig,
    unsubscribe_link: str | None = None,
) -> LetterContent:
    """The content of one household's letter (recipients are the adults on ``letter_date``)."""
    adults = adults_on(household.residents, letter_date) or list(household.residents)
    return compose_letter(
        config,
        stage=stage,
        age_group=age_group_of(age_group_name),
        language=language,
        recipients=[(r.first_name, r.last_name) for r in adults],
        address=household_address(household),
        letter_date=letter_date,
        unsubscribe_url=unsubscribe_link,
        reference=f"{household.id}" if household.id else "",
    )


def household_address(household: LetterHousehold) -> Address:
    """The household's postal address as the renderers want it."""
    return Address(household.street, household.postcode, household.town, household.care_of)


def _insert_letter(session: Session, values: dict[str, Any]) -> int | None:
    """Insert one letter unless the household already has this stage; returns the new id.

    "On conflict do nothing" rather than catching the integrity error: a concurrent run's
    letter makes this a no-op instead of breaking the transaction.
    """
    stmt = (
        conflict_insert(session, Letter)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["household_id", "stage"])
        .returning(Letter.id)
    )
    return cast(int | None, session.execute(stmt).scalar_one_or_none())


def create_letters(
    session: Session,
    due: Sequence[DueLetter],
    today: date,
    settings: LetterSettings,
    config: LetterConfig,
    actor: Actor | None = None,
) -> list[LetterDecision]:
    """Create the letters for ``due`` (one chunk); email letters are queued in the outbox.

    Returns the decisions for the letters actually created here; a letter another run created
    in the meantime is skipped. Flushes, never commits.
    """
    actor = actor or SystemActor("letters")
    households = {
        household.id: household
        for household in session.scalars(
            select(LetterHousehold)
            .where(LetterHousehold.id.in_([d.household_id for d in due]))
            .options(selectinload(LetterHousehold.residents))
            .options(selectinload(LetterHousehold.newcomer))
        )
    }
    created = []
    now = utcnow()
    for item in due:
        household = households.get(item.household_id)
        if household is None or household.unsubscribed_at is not None:
            continue
        decision = _decide(household, item, today, config)
        if decision is None:
            continue
        letter_id = _insert_letter(
            session,
            {
                "household_id": household.id,
                "stage": item.stage,
                "age_group": decision.age_group,
                "language": decision.language,
                "channel": decision.channel.value,
                "run_date": today,
                "created_at": now,
            },
        )
        if letter_id is None:
            continue
        if decision.channel is LetterChannel.EMAIL and decision.email:
            link = unsubscribe_url(settings, household.id, decision.language)
            content = compose_for(
                household,
                stage=item.stage,
                age_group_name=decision.age_group,
                language=decision.language,
                letter_date=today,
                config=config,
                unsubscribe_link=link,
            )
            subject, text, html = render_email(content)
            message = queue_mail(
                session,
                key=f"letter:{household.id}:{item.stage}",
                to=decision.email,
                subject=subject,
                text=text,
                html=html,
                headers={
                    # RFC 8058: mail programs offer a one-click unsubscribe that POSTs here.
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            session.execute(
                update(Letter).where(Letter.id == letter_id).values(outbox_message_id=message.id)
            )
        record(session, actor, AuditAction.LETTER_CREATED, "household", household.id)
        record_letter(session, stage=item.stage, channel=decision.channel.value, run_date=today)
        created.append(decision)
    session.flush()
    return created


def claim_print_batch(session: Session, today: date) -> LetterBatch | None:
    """Put every print letter not yet in a batch into a new batch (None if there are none).

    The conditional update is the claim: of two runs at once, the second finds the letters
    taken (PostgreSQL re-checks ``batch_id IS NULL`` after the first commits; SQLite writes one
    at a time) and its empty batch is removed.
    """
    batch = LetterBatch(run_date=today, letter_count=0)
    session.add(batch)
    session.flush()
    result = session.execute(
        update(Letter)
        .where(Letter.channel == LetterChannel.PRINT, Letter.batch_id.is_(None))
        .values(batch_id=batch.id)
        .execution_options(synchronize_session=False)
    )
    claimed = int(cast(Any, result).rowcount or 0)
    if claimed == 0:
        session.delete(batch)
        session.flush()
        return None
    batch.letter_count = claimed
    session.flush()
    return batch


def complete_batch(
    session: Session, batch_id: int, config: LetterConfig, now: datetime | None = None
) -> bool:
    """Render and store a claimed batch's PDF and CSV; False if another run completed it first.

    Letters are ordered by postcode and street, as the post office sorts them. The same letters
    and texts give the same bytes, so a batch finished by a later run looks the same.
    """
    letters = session.scalars(
        select(Letter)
        .join(LetterHousehold, Letter.household_id == LetterHousehold.id)
        .where(Letter.batch_id == batch_id)
        .order_by(LetterHousehold.postcode, LetterHousehold.street, Letter.household_id, Letter.id)
        .options(selectinload(Letter.household).selectinload(LetterHousehold.residents))
    ).all()
    if not letters:
        return False
    contents = [
        compose_for(
            letter.household,
            stage=letter.stage,
            age_group_name=letter.age_group,
            language=letter.language,
            letter_date=letter.run_date,
            config=config,
        )
        for letter in letters
    ]
    pdf = render_print_batch_pdf(contents)
    csv_bytes = render_address_csv(contents)
    # Counted from the PDF itself, so the batch page shows what will actually be printed.
    page_count = len(PdfReader(io.BytesIO(pdf)).pages)
    result = session.execute(
        update(LetterBatch)
        .where(LetterBatch.id == batch_id, LetterBatch.completed_at.is_(None))
        .values(
            pdf=pdf,
            csv=csv_bytes,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            csv_sha256=hashlib.sha256(csv_bytes).hexdigest(),
            letter_count=len(letters),
            page_count=page_count,
            completed_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(cast(Any, result).rowcount)


def run_letters(
    session: Session,
    today: date,
    *,
    settings: LetterSettings,
    dry_run: bool = False,
    actor: Actor | None = None,
    commit: Callable[[], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> RunReport:
    """Decide what is due on ``today`` and, unless ``dry_run``, create the letters.

    Every due stage becomes one letter: email (outbox) for a linked newcomer with an email who
    said yes to letters by email, otherwise print. The run's print letters (and any left unbatched
    by an earlier, interrupted run) go into one batch with one PDF and CSV.

    ``commit`` marks the job items: the command and the scheduler pass ``session.commit``, called
    after each chunk of households, after the batch claim and after each batch is stored, so a
    process that dies loses at most one chunk, which the next run redoes. Without it everything
    stays in the caller's transaction (flushed, not committed).
    """
    checkpoint = commit or (lambda: None)
    config = effective_letter_config(session, settings.config)
    if not dry_run:
        link_registered_newcomers(
            session, actor or SystemActor("letters"), moved_in_from=_earliest_move_in(today, config)
        )
        checkpoint()
    due = plan_due_letters(session, today, config)
    decisions = _preview_decisions(session, due, today, config)
    report = RunReport(
        today=today,
        due={str(stage.number): 0 for stage in config.schedule.stages},
        by_age_group={group: 0 for group in AGE_GROUPS},
        by_channel={channel.value: 0 for channel in LetterChannel},
    )
    for decision in decisions:
        report.due[str(decision.due.stage)] += 1
        report.by_age_group[decision.age_group] += 1
        report.by_channel[decision.channel.value] += 1
    if dry_run:
        return report

    for chunk in _chunks([d.due for d in decisions], chunk_size):
        report.created += len(create_letters(session, chunk, today, settings, config, actor))
        checkpoint()

    batch = claim_print_batch(session, today)
    checkpoint()
    pending = session.scalars(
        select(LetterBatch.id).where(LetterBatch.completed_at.is_(None)).order_by(LetterBatch.id)
    ).all()
    for batch_id in pending:
        if complete_batch(session, batch_id, config):
            report.batch_ids.append(batch_id)
        checkpoint()
    if batch is not None and batch.id not in report.batch_ids:
        report.batch_ids.append(batch.id)
    return report


def _preview_decisions(
    session: Session, due: Sequence[DueLetter], today: date, config: LetterConfig
) -> list[LetterDecision]:
    """Channel, language and age group of each due letter, without creating anything."""
    decisions = []
    for chunk in _chunks(list(due), CHUNK_SIZE):
        households = {
            h.id: h
            for h in session.scalars(
                select(LetterHousehold)
                .where(LetterHousehold.id.in_([d.household_id for d in chunk]))
                .options(selectinload(LetterHousehold.residents))
                .options(selectinload(LetterHousehold.newcomer))
            )
        }
        for item in chunk:
            household = households.get(item.household_id)
            decision = _decide(household, item, today, config) if household else None
            if decision is not None:
                decisions.append(decision)
    return decisions


# --------------------------------------------------------------------------- coordinators' views


@dataclass(frozen=True)
class RunSummary:
    """Letters created on one run date, counted by stage, age group and channel."""

    run_date: date
    total: int
    by_stage: dict[int, int]
    by_age_group: dict[str, int]
    by_channel: dict[str, int]
    batches: tuple[LetterBatch, ...]


def letter_run_summaries(session: Session, limit: int = 60) -> list[RunSummary]:
    """The latest run dates with their counts and print batches, newest first."""
    dates = session.scalars(
        select(Letter.run_date)
        .group_by(Letter.run_date)
        .order_by(Letter.run_date.desc())
        .limit(limit)
    ).all()
    if not dates:
        return []
    counts: dict[date, dict[str, Counter[Any]]] = {
        d: {"stage": Counter(), "age": Counter(), "channel": Counter()} for d in dates
    }
    rows = session.execute(
        select(Letter.run_date, Letter.stage, Letter.age_group, Letter.channel, func.count())
        .where(Letter.run_date.in_(dates))
        .group_by(Letter.run_date, Letter.stage, Letter.age_group, Letter.channel)
    )
    for run_date, stage, group, channel, n in rows:
        counts[run_date]["stage"][stage] += n
        counts[run_date]["age"][group] += n
        counts[run_date]["channel"][LetterChannel(channel).value] += n
    batches: dict[date, list[LetterBatch]] = {}
    for batch in session.scalars(
        select(LetterBatch).where(LetterBatch.run_date.in_(dates)).order_by(LetterBatch.id)
    ):
        batches.setdefault(batch.run_date, []).append(batch)
    return [
        RunSummary(
            run_date=d,
            total=sum(counts[d]["channel"].values()),
            by_stage=dict(sorted(counts[d]["stage"].items())),
            by_age_group={g: counts[d]["age"].get(g, 0) for g in AGE_GROUPS},
            by_channel={c.value: counts[d]["channel"].get(c.value, 0) for c in LetterChannel},
            batches=tuple(batches.get(d, [])),
        )
        for d in dates
    ]


def batch_file(
    session: Session, actor: Actor, batch_id: int, kind: str
) -> tuple[LetterBatch, bytes]:
    """The stored PDF or CSV of a batch, exactly the bytes stored when it was made.

    The files hold names and addresses: each download is logged.
    """
    batch = session.get(LetterBatch, batch_id)
    if batch is None or batch.completed_at is None:
        raise NotFound("Utskicket finns inte eller är inte klart.")
    if batch.pdf_sha256 is None:
        raise NotFound("Utskickets filer är raderade enligt gallringsreglerna.")
    data = batch.pdf if kind == "pdf" else batch.csv if kind == "csv" else None
    expected = batch.pdf_sha256 if kind == "pdf" else batch.csv_sha256
    if data is None:
        raise NotFound("Filen finns inte.")
    if hashlib.sha256(data).hexdigest() != expected:
        # Never hand out a file that differs from the one made for the post.
        raise Conflict("Filen stämmer inte med sin kontrollsumma.")
    record(session, actor, AuditAction.DOWNLOAD_LETTER_BATCH, "letter_batch", batch.id)
    session.flush()
    return batch, data


def letters_today(now: datetime) -> date:
    """The municipality's date at ``now``: the day letters are dated, planned and imported by."""
    return to_local(now).date()


def find_households(session: Session, actor: Actor, query: str = "") -> list[LetterHousehold]:
    """:func:`search_households` for a coordinator: the list or the search is logged (never
    the words of the search)."""
    require_coordinator(actor)
    action = AuditAction.SEARCH if query.strip() else AuditAction.VIEW_LIST
    record(session, actor, action, "households")
    session.flush()
    return search_households(session, query)


def search_households(session: Session, query: str = "", limit: int = 100) -> list[LetterHousehold]:
    """Households whose street, town or a resident's name contains every word of ``query``."""
    stmt = select(LetterHousehold).options(selectinload(LetterHousehold.newcomer))
    for word in query.split():
        pattern = f"%{word.lower()}%"
        residents = select(Resident.household_id).where(
            func.lower(Resident.first_name + " " + Resident.last_name).like(pattern)
        )
        stmt = stmt.where(
            func.lower(LetterHousehold.street).like(pattern)
            | func.lower(LetterHousehold.town).like(pattern)
            | LetterHousehold.id.in_(residents)
        )
    stmt = stmt.order_by(LetterHousehold.moved_in.desc(), LetterHousehold.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- upload and preview


# The made-up household a preview shows unless a real one is asked for.
SAMPLE_RESIDENTS = (("Anna", "Exempel", date(1988, 4, 12)), ("Erik", "Exempel", date(1986, 9, 3)))
SAMPLE_ADDRESS = ("Kungsgatan 1", "774 30", "AVESTA")


def sample_household(today: date, people: int = 2) -> LetterHousehold:
    """A made-up household of ``people`` adults (1 or 2), never stored: no real person."""
    street, postcode, town = SAMPLE_ADDRESS
    household = LetterHousehold(street=street, postcode=postcode, town=town, moved_in=today)
    household.residents = [
        Resident(first_name=first, last_name=last, birth_date=born, person_key="")
        for first, last, born in SAMPLE_RESIDENTS[: max(1, min(people, len(SAMPLE_RESIDENTS)))]
    ]
    return household


@dataclass(frozen=True)
class LetterPreview:
    """A letter as it would be printed and emailed, and whose it is."""

    letter: LetterContent
    # The real household shown; None for the made-up sample household.
    household: LetterHousehold | None
    email_subject: str
    email_text: str
    # Households found by the preview's search (empty without a search).
    found: tuple[LetterHousehold, ...] = ()


def preview_letter(
    session: Session,
    actor: Actor,
    settings: LetterSettings,
    *,
    stage: int,
    age_group_name: str | None,
    language: str | None,
    today: date,
    household_id: int | None = None,
    sample_people: int = 2,
    draft: LetterText | None = None,
    query: str = "",
) -> LetterPreview:
    """A stage's letter for the made-up sample household, or for a real one.

    Without ``household_id`` the letter goes to the sample household (``sample_people`` adults):
    no real person is shown and nothing is logged. A real household's letter shows its names and
    address, so it is logged as a view of that household; ``age_group_name`` None then means
    the household's own age group. ``draft`` is an unsaved text for this stage, age group and
    language. ``query`` searches households to choose from (the search is logged).
    NotFound for an unknown household or a stage, age group or language without a text.
    """
    config = effective_letter_config(session, settings.config)
    household = None
    if household_id is not None:
        household = session.get(LetterHousehold, household_id)
        if household is None or not household.residents:
            raise NotFound("Hushållet finns inte.")
        record(session, actor, AuditAction.VIEW, "household", household.id)
    shown = household or sample_household(today, sample_people)
    if age_group_name is None:
        own = [r.birth_date for r in shown.residents]
        age_group_name = age_group(today, own, config.age_bands) if household else "adult"
    group = _checked_text_key(config, stage, age_group_name, language or config.fallback_language)
    if draft is not None:
        config = config.with_text(stage, group, language or config.fallback_language, draft)
    letter = compose_for(
        shown,
        stage=stage,
        age_group_name=group,
        language=language,
        letter_date=today,
        config=config,
        unsubscribe_link=unsubscribe_url(settings, household.id if household else 0, language),
    )
    subject, text, _html = render_email(letter)
    found: tuple[LetterHousehold, ...] = ()
    if query.strip():
        found = tuple(search_households(session, query, limit=20))
        record(session, actor, AuditAction.SEARCH, "households")
    session.flush()
    return LetterPreview(letter, household, subject, text, found)


@dataclass(frozen=True)
class HouseholdView:
    """One household as a coordinator sees it: residents, adults today and age group."""

    household: LetterHousehold
    adults: list[Resident]
    age_group: AgeGroup | None


def view_household(
    session: Session, actor: Actor, household_id: int, *, today: date, config: LetterConfig
) -> HouseholdView:
    """A household with its letters and link; logged as a view of it. NotFound if unknown."""
    household = session.get(LetterHousehold, household_id)
    if household is None:
        raise NotFound("Hushållet finns inte.")
    record(session, actor, AuditAction.VIEW, "household", household.id)
    session.flush()
    residents = household.residents
    group = (
        age_group(today, [r.birth_date for r in residents], config.age_bands) if residents else None
    )
    return HouseholdView(household, adults_on(residents, today), group)


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class LettersPurge:
    """What :func:`purge_finished_households` erased."""

    households: int
    batch_files: int


def purge_finished_households(
    session: Session,
    today: date,
    config: LetterConfig,
    *,
    grace_months: int = 1,
    batch_months: int = 12,
    actor: Actor | None = None,
) -> LettersPurge:
    """Erase what the letters no longer need; a sweep, safe to run twice. Flushes.

    A household (its residents and its letters) is erased ``grace_months`` after its last
    stage's window closed: no letter can be due any more. A print batch's PDF and CSV (names
    and addresses) are erased ``batch_months`` after its run; the batch row keeps its counts.
    """
    actor = actor or SystemActor("letters-retention")
    schedule = config.schedule
    months = schedule.stages[-1].offset_months + schedule.last_stage_window_months + grace_months
    cutoff = add_months(today, -months)
    ids = session.scalars(select(LetterHousehold.id).where(LetterHousehold.moved_in < cutoff)).all()
    for chunk in _chunks(list(ids), _IN_CHUNK):
        session.execute(delete(Letter).where(Letter.household_id.in_(chunk)))
        session.execute(delete(Resident).where(Resident.household_id.in_(chunk)))
        session.execute(delete(LetterHousehold).where(LetterHousehold.id.in_(chunk)))
        for household_id in chunk:
            record(session, actor, AuditAction.ERASE, "household", household_id)
    result = session.execute(
        update(LetterBatch)
        .where(
            LetterBatch.run_date < add_months(today, -batch_months),
            LetterBatch.pdf_sha256.is_not(None),
        )
        .values(pdf=None, csv=None, pdf_sha256=None, csv_sha256=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return LettersPurge(households=len(ids), batch_files=int(cast(Any, result).rowcount or 0))
