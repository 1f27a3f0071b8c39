"""The person page: everything about one host or newcomer in one place.

Profile, matches, proposals, the welcome letters of a newcomer's household, the emails sent to
the person (outbox rows) and a timeline that merges what the system recorded (registered,
interviewed, proposed, approved, mailed, answered, met, follow-up answers) with the
coordinators' notes. A fixed number of queries whatever the person's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from avestavard.localtime import local_zone
from avestavard.models import Host, Newcomer, NewcomerStatus, OutboxMessage
from avestavard.models.letters import Letter, LetterHousehold
from avestavard.models.matches import Match, MatchProposal, ProposalStatus
from avestavard.models.notes import Note
from avestavard.services.audit import Actor
from avestavard.services.i18n import translate as _
from avestavard.services.notes import notes_of
from avestavard.services.profiles import get_host, get_newcomer

PersonKind = Literal["host", "newcomer"]
# A host may be among the candidates of many newcomers: the page shows the latest ones.
PROPOSALS_SHOWN = 30
MAILS_SHOWN = 100


@dataclass(frozen=True)
class TimelineEntry:
    """One moment in a person's history; ``note`` is set for a coordinator's note."""

    at: datetime
    kind: str
    text: str
    match_id: int | None = None
    mail_id: int | None = None
    note: Note | None = None
    date_only: bool = False


@dataclass(frozen=True)
class PersonPage:
    """What the person page shows; ``timeline`` is newest first."""

    kind: PersonKind
    person: Host | Newcomer
    matches: Sequence[Match]
    proposals: Sequence[MatchProposal]
    letters: Sequence[Letter]
    mails: Sequence[OutboxMessage]
    notes: Sequence[Note]
    timeline: Sequence[TimelineEntry]
    # Other unconfirmed registrations with this unconfirmed newcomer's phone number: the form
    # never lets one rewrite another, so the coordinator who calls asks which one holds.
    same_phone: Sequence[Newcomer] = ()


def _other(match: Match | MatchProposal, kind: PersonKind) -> str:
    return match.newcomer.name if kind == "host" else match.host.name


def _match_entries(matches: Sequence[Match], kind: PersonKind) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for m in matches:
        name = _other(m, kind)

        def add(at: datetime | None, event: str, text: str, match: Match = m) -> None:
            if at is not None:
                entries.append(TimelineEntry(at, event, text, match_id=match.id))

        add(m.approved_at, "approved", _("Matchning med %(name)s godkänd", name=name))
        add(m.undone_at, "undone", _("Godkännandet av %(name)s ångrades", name=name))
        add(m.host_notified_at, "asked", _("Värden fick frågan om %(name)s", name=name))
        add(m.accepted_at, "answered", _("Värden tackade ja (%(name)s)", name=name))
        add(m.declined_at, "answered", _("Värden tackade nej (%(name)s)", name=name))
        add(m.introduced_at, "introduced", _("Presenterade för %(name)s", name=name))
        add(m.met_at, "met", _("Träffade %(name)s", name=name))
        add(m.ended_at, "ended", _("Matchningen med %(name)s avslutades", name=name))
        for follow_up in m.follow_ups:
            side = _("värden") if follow_up.side.value == "host" else _("den nyinflyttade")
            add(follow_up.sent_at, "follow_up", _("Uppföljning skickad till %(side)s", side=side))
            if follow_up.answered_at is not None:
                met = _("har träffats") if follow_up.met else _("har inte träffats")
                fit = f", {follow_up.fit}/5" if follow_up.fit else ""
                add(
                    follow_up.answered_at,
                    "follow_up_answer",
                    _("Uppföljning besvarad av %(side)s: %(met)s", side=side, met=met) + fit,
                )
    return entries


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def _person_entries(person: Host | Newcomer) -> list[TimelineEntry]:
    if isinstance(person, Host):
        entries = [TimelineEntry(person.created_at, "registered", _("Lades in som värd"))]
        if person.interviewed_on is not None:
            by = f" ({person.interviewer})" if person.interviewer else ""
            entries.append(
                TimelineEntry(
                    _local_midnight(person.interviewed_on),
                    "interviewed",
                    _("Intervjuad") + by,
                    date_only=True,
                )
            )
        return entries
    entries = [TimelineEntry(person.registered_at, "registered", _("Anmälde sig"))]
    if person.confirmed_at is not None:
        entries.append(TimelineEntry(person.confirmed_at, "confirmed", _("Anmälan bekräftad")))
    if person.paused_at is not None:
        entries.append(TimelineEntry(person.paused_at, "paused", _("Pausad")))
    return entries


def _proposal_entries(proposals: Sequence[MatchProposal], kind: PersonKind) -> list[TimelineEntry]:
    entries = []
    for p in proposals:
        name = _other(p, kind)
        entries.append(
            TimelineEntry(p.computed_at, "proposed", _("Föreslagen: %(name)s", name=name))
        )
        if p.status == ProposalStatus.REJECTED and p.decided_at is not None:
            entries.append(
                TimelineEntry(p.decided_at, "rejected", _("Förslaget %(name)s avvisat", name=name))
            )
    return entries


def person_page(session: Session, actor: Actor, kind: PersonKind, person_id: int) -> PersonPage:
    """Everything about one person for a coordinator; the view (and reading any notes) is
    audit-logged."""
    person: Host | Newcomer = (
        get_host(session, actor, person_id)
        if kind == "host"
        else get_newcomer(session, actor, person_id)
    )
    is_host = kind == "host"
    match_column = Match.host_id if is_host else Match.newcomer_id
    matches = session.scalars(
        select(Match)
        .where(match_column == person_id)
        .options(
            joinedload(Match.host).lazyload(Host.interests),
            joinedload(Match.newcomer).lazyload(Newcomer.interests),
            selectinload(Match.follow_ups),
        )
        .order_by(Match.approved_at.desc(), Match.id.desc())
    ).all()
    proposal_column = MatchProposal.host_id if is_host else MatchProposal.newcomer_id
    proposals = session.scalars(
        select(MatchProposal)
        .where(proposal_column == person_id, MatchProposal.status != ProposalStatus.APPROVED)
        .options(
            joinedload(MatchProposal.host).lazyload(Host.interests),
            joinedload(MatchProposal.newcomer).lazyload(Newcomer.interests),
        )
        .order_by(MatchProposal.computed_at.desc(), MatchProposal.id.desc())
        .limit(PROPOSALS_SHOWN)
    ).all()
    letters: Sequence[Letter] = []
    if not is_host:
        letters = session.scalars(
            select(Letter)
            .join(LetterHousehold, LetterHousehold.id == Letter.household_id)
            .where(LetterHousehold.newcomer_id == person_id)
            .order_by(Letter.created_at.desc(), Letter.id.desc())
        ).all()
    mails: Sequence[OutboxMessage] = []
    if person.email:
        mails = session.scalars(
            select(OutboxMessage)
            .where(func.lower(OutboxMessage.to_address) == person.email.lower())
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(MAILS_SHOWN)
        ).all()
    notes = notes_of(session, actor, kind, person_id)

    timeline = [*_person_entries(person), *_match_entries(matches, kind)]
    timeline += _proposal_entries(proposals, kind)
    for letter in letters:
        timeline.append(
            TimelineEntry(
                letter.created_at, "letter", _("Välkomstbrev %(stage)s", stage=letter.stage)
            )
        )
    for mail in mails:
        timeline.append(
            TimelineEntry(
                mail.sent_at or mail.created_at,
                "mailed",
                _("E-post: %(subject)s", subject=mail.subject),
                mail_id=mail.id,
            )
        )
    for note in notes:
        timeline.append(TimelineEntry(note.created_at, "note", note.text, note=note))
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    same_phone: Sequence[Newcomer] = ()
    if (
        isinstance(person, Newcomer)
        and person.phone
        and person.status == NewcomerStatus.UNCONFIRMED
    ):
        same_phone = session.scalars(
            select(Newcomer)
            .where(
                Newcomer.phone == person.phone,
                Newcomer.status == NewcomerStatus.UNCONFIRMED,
                Newcomer.id != person.id,
            )
            .options(lazyload(Newcomer.interests))
            .order_by(Newcomer.registered_at, Newcomer.id)
        ).all()
    return PersonPage(kind, person, matches, proposals, letters, mails, notes, timeline, same_phone)
