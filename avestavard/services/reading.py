"""How the app reads interest words: the matcher's normaliser with the words coordinators
taught it (:mod:`avestavard.services.vocabulary`).

Every reading in the app goes through :func:`matcher_normalizer`: proposals, the wishes on
"Att matcha", the interests stored with a profile, the nightly learning and the search box,
so a word means the same everywhere.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from avestavard.models.vocabulary import TaughtWord
from matching import InterestNormalizer, default_normalizer

__all__ = ["NO_PASTIME", "matcher_normalizer", "taught_pairs", "tells_something_sensitive"]

TaughtPairs = tuple[tuple[str, str], ...]
# The interest of a word taught as no pastime at all (a place, a name): read as written,
# never guessed.
NO_PASTIME = ""

# Fitted normalisers by their taught words. Two are kept: while a coordinator's teaching is
# not yet committed, that request reads with the new words and every other with the old.
_KEEP = 2
_lock = threading.Lock()
_fitted: dict[TaughtPairs, InterestNormalizer] = {}


def taught_pairs(bind: Session | Connection) -> TaughtPairs:
    """``(word, interest id)`` of every taught word whose interest the taxonomy has (or
    ``NO_PASTIME``), and
    that the shipped normaliser does not read as sensitive (so no stored row can make a
    word about faith, health, origin or politics read as a pastime)."""
    shipped = default_normalizer()
    rows = bind.execute(
        select(TaughtWord.cleaned, TaughtWord.interest_id).order_by(TaughtWord.cleaned)
    )
    return tuple(
        (word, interest_id)
        for word, interest_id in rows
        if (interest_id == NO_PASTIME or interest_id in shipped.taxonomy)
        and not tells_something_sensitive(shipped, word)
    )


def tells_something_sensitive(normalizer: InterestNormalizer, written: str) -> bool:
    """Whether a written word holds a sensitive root or reads as a sensitive interest
    (faith, health, origin, politics): such a word is never listed, taught or read as a
    taught word."""
    return normalizer.is_sensitive(written) or any(
        item.sensitive for item in normalizer.normalize([written])
    )


def matcher_normalizer(bind: Session | Connection) -> InterestNormalizer:
    """The normaliser with the taught words; the shipped one when none are taught.

    One small query per call (on a session, or on a connection inside a flush). A normaliser
    is fitted once per process for each set of taught words (0.5 s) and shared.
    """
    pairs = taught_pairs(bind)
    if not pairs:
        return default_normalizer()
    with _lock:
        found = _fitted.get(pairs)
        if found is None:
            if len(_fitted) >= _KEEP:
                del _fitted[next(iter(_fitted))]
            found = _fitted[pairs] = InterestNormalizer(taught_terms=pairs).fit()
        return found
