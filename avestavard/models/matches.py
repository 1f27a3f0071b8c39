"""Matches: the matcher's stored proposals, the host–newcomer pairs coordinators approve, and the
follow-up a month after the introduction.

The lifecycle of a pair is

    proposed (a :class:`MatchProposal` row, recomputed by the matcher until a coordinator decides)
      → approved → host_notified → accepted | declined → introduced → met → ended

Approving a proposal (or picking a host by hand) creates the :class:`Match`; from then on every
step has its own timestamp column. The history that keeps a pair from being proposed again is
the data itself: rejected proposals, declined matches and ended matches.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from avestavard.models.base import Base, UTCDateTime, utcnow
from matching.reasons import Fit, Reason, fit_of

if TYPE_CHECKING:
    from avestavard.models.people import Host, Newcomer

# Reason codes whose wording names other people; shown only where names are at hand.
NAMING_REASON_CODES = frozenset({"best_host_elsewhere"})


def pair_reasons(
    codes: Iterable[Mapping[str, Any]], reader: str, lang: str, other: str = ""
) -> list[str]:
    """Stored reason codes written to the ``reader`` of the pair ("host" or "newcomer") in
    ``lang``, ``other`` being the other one's first name ("Ni gillar båda fiske").

    The matcher words reasons in Swedish and English; other languages get none, and reasons
    about other people are left out.
    """
    if lang not in ("sv", "en"):
        return []
    worded = (Reason.from_dict(code).to_reader(reader, lang, other) for code in codes)
    return [text for text in worded if text]


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class ProposalStatus(enum.StrEnum):
    """Whether a coordinator has decided on a proposed pair."""

    OPEN = "open"  # the matcher's current suggestion: recomputation may replace it
    APPROVED = "approved"  # became a Match; never touched again
    REJECTED = "rejected"  # the pair is never proposed again


class MatchState(enum.StrEnum):
    """Where an approved pair is in its lifecycle."""

    APPROVED = "approved"  # the coordinator approved; the host has not been told yet
    HOST_NOTIFIED = "host_notified"  # the match email (with answer links) is queued
    ACCEPTED = "accepted"  # the host said yes; the newcomer is not yet introduced
    DECLINED = "declined"  # the host said no: the newcomer waits again (end state)
    INTRODUCED = "introduced"  # the newcomer got the host's first name and contact
    MET = "met"  # the first meeting took place
    ENDED = "ended"  # over, with a reason (end state)
    UNDONE = "undone"  # the coordinator undid the approval within the hold (not a rejection)


# States in which the pair holds one of the host's places and the newcomer's one match.
ACTIVE_MATCH_STATES: tuple[MatchState, ...] = (
    MatchState.APPROVED,
    MatchState.HOST_NOTIFIED,
    MatchState.ACCEPTED,
    MatchState.INTRODUCED,
    MatchState.MET,
)
_ACTIVE_SQL = "state IN ({})".format(", ".join(f"'{s.value}'" for s in ACTIVE_MATCH_STATES))


class FollowUpSide(enum.StrEnum):
    """Who a follow-up question goes to."""

    HOST = "host"
    NEWCOMER = "newcomer"


class MatchProposal(Base):
    """One candidate host for one waiting newcomer, as the matcher scored it.

    ``is_assigned`` marks the host the global assignment chose; the other rows are the next best
    alternatives (``rank`` 0 is the best score). Open rows are replaced by each recomputation;
    decided rows (approved, rejected) are kept as they were.
    """

    __tablename__ = "match_proposals"
    __table_args__ = (
        UniqueConstraint("newcomer_id", "host_id"),
        # "Förslagen beräknades ...": the latest computation of the open proposals, without a scan.
        Index("ix_match_proposals_status_computed", "status", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(default=0)
    is_assigned: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(Float)
    reasons_sv: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The same reasons as data ({"code", "params"}), worded when shown; and the score's parts.
    reason_codes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    components: Mapped[dict[str, float]] = mapped_column(JSON, default=dict, server_default="{}")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "proposal_status"), default=ProposalStatus.OPEN
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    host: Mapped[Host] = relationship()
    newcomer: Mapped[Newcomer] = relationship()

    def reasons(self, lang: str, names: Mapping[str, str] | None = None) -> list[str]:
        """The reasons in ``lang`` (English for ``en``, Swedish otherwise).

        Worded now from the stored reason codes, with ``names`` ("host:<id>" or
        "newcomer:<id>" -> first name) for reasons that name people; rows stored before
        codes existed keep their text.
        """
        if self.reason_codes:
            return [
                Reason.from_dict(code).text(lang, names)
                for code in self.reason_codes
                # Without names, a reason about other people would only show their ids.
                if names is not None or code.get("code") not in NAMING_REASON_CODES
            ]
        return list(self.reasons_en if lang == "en" else self.reasons_sv)

    @property
    def guessed_words(self) -> list[str]:
        """The words, as written, behind interests the reasons name but were only guessed
        ("symfoni" read as music): what a coordinator may want to teach the matcher."""
        words: list[str] = []
        for code in self.reason_codes or ():
            for _interest, written in (code.get("params") or {}).get("guessed", ()):
                words.extend(w for w in written if w not in words)
        return words

    @property
    def fit(self) -> Fit:
        """The score as 0-100 and a band ("Mycket god", "God", "Möjlig")."""
        return fit_of(self.score)


class Match(Base):
    """An approved host–newcomer pair and every step it went through."""

    __tablename__ = "matches"
    __table_args__ = (
        # One active match per newcomer, whatever two coordinators do at the same moment.
        Index(
            "uq_matches_active_newcomer",
            "newcomer_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_matches_host_state", "host_id", "state"),
        # A newcomer's active matches (the lists count them per row) and the matches list's
        # default order.
        Index("ix_matches_newcomer_state", "newcomer_id", "state"),
        Index("ix_matches_approved_at", "approved_at"),
        Index("ix_matches_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    state: Mapped[MatchState] = mapped_column(
        _enum(MatchState, "match_state"), default=MatchState.APPROVED
    )
    # "matcher" when approved from a proposal, "coordinator" when picked by hand, "import" for
    # pairs made before the system existed.
    source: Mapped[str] = mapped_column(String(16), default="matcher")
    score: Mapped[float | None] = mapped_column(Float)
    reasons_sv: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The approved proposal's reasons as data, worded for whoever reads them.
    reason_codes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )

    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    host_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    introduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str] = mapped_column(Text, default="")
    # The coordinator's own line in the host's email, written when approving.
    coordinator_note: Mapped[str] = mapped_column(Text, default="")
    # Until this time the approval can be undone: the host's email is held in the outbox and
    # no answer link works. Approvals sent together share a batch, undone together.
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approval_batch: Mapped[str | None] = mapped_column(String(32), index=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The host's answer links carry this nonce; a new notification replaces it, so only the
    # latest email's links work, and only until ``answer_expires_at``.
    answer_nonce: Mapped[str | None] = mapped_column(String(64))
    answer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    host: Mapped[Host] = relationship()
    newcomer: Mapped[Newcomer] = relationship()
    follow_ups: Mapped[list[MatchFollowUp]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="MatchFollowUp.side"
    )

    def is_held(self, now: datetime) -> bool:
        """True while the approval can still be undone (the host has not been told)."""
        return (
            self.state in (MatchState.APPROVED, MatchState.HOST_NOTIFIED)
            and self.hold_until is not None
            and now < self.hold_until
        )

    @property
    def is_active(self) -> bool:
        """True while the pair holds a place with the host."""
        return self.state in ACTIVE_MATCH_STATES

    def reasons(self, lang: str, names: Mapping[str, str] | None = None) -> list[str]:
        """The matcher's reasons in ``lang`` (English for ``en``, Swedish otherwise).

        Kept as text from the approved proposal; ``names`` is accepted for the same call as
        on a proposal and not needed here.
        """
        return list(self.reasons_en if lang == "en" else self.reasons_sv)

    def reasons_to(self, reader: str, lang: str) -> list[str]:
        """The reasons written to the host (``reader="host"``) or to the newcomer, in ``lang``:
        "Ni gillar båda fiske", never the coordinators' wording."""
        other = self.newcomer.first_name if reader == "host" else self.host.first_name
        return pair_reasons(self.reason_codes, reader, lang, other)

    def __repr__(self) -> str:
        return f"<Match {self.id} {self.state.value}>"


class MatchFollowUp(Base):
    """The question one side gets a month after the introduction, and the answer."""

    __tablename__ = "match_follow_ups"
    __table_args__ = (
        UniqueConstraint("match_id", "side"),
        CheckConstraint("fit IS NULL OR (fit >= 1 AND fit <= 5)", name="fit_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    side: Mapped[FollowUpSide] = mapped_column(_enum(FollowUpSide, "follow_up_side"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met: Mapped[bool | None]
    fit: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")

    match: Mapped[Match] = relationship(back_populates="follow_ups")

    @property
    def is_poor_fit(self) -> bool:
        """An answer the coordinators should look at: no meeting, or a fit of 1 or 2."""
        return self.answered_at is not None and (self.met is False or (self.fit or 5) <= 2)
