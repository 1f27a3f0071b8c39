"""The matcher's weights: the documented defaults, or weights learned from decisions.

Each refit or reset adds a row; the newest row is what the matcher uses (no row: the
defaults). ``n_decisions`` is how many decisions existed when the row was written, so the
nightly refit can tell how many are new since.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class WeightsSource(enum.StrEnum):
    """Where a weights row came from."""

    LEARNED = "learned"  # fitted on enough decisions
    DEFAULTS = "defaults"  # a refit with too few decisions: the defaults
    RESET = "reset"  # a coordinator reset the weights to the defaults


class MatcherWeights(Base):
    """One version of the score's weights (``matching.COMPONENTS`` -> weight, summing to 1)."""

    __tablename__ = "matcher_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    source: Mapped[WeightsSource] = mapped_column(
        Enum(
            WeightsSource,
            name="weights_source",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    n_decisions: Mapped[int] = mapped_column(default=0)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<MatcherWeights {self.id} {self.source.value}>"
