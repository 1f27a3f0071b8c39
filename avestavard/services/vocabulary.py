"""The words coordinators teach the matcher, and the profile words it cannot read yet.

The matcher reads interest words through the taxonomy shipped with the package. A
municipality's own wording ("hoj", the local team, a place everyone knows) is taught here: a
taught word is read as its interest wherever a profile has it, before the taxonomy's own
terms, and as a part of longer words too ("kyrkokör" taught as choir reads
"kyrkokörerna"). :func:`matcher_normalizer` is the normaliser every reading in the app uses
(proposals, wishes, the interests stored with a profile, the nightly learning); it is fitted
again only when the taught words change.

When a word is taught or removed, the stored interests of the people who wrote it are read
again, so their profiles and the next proposals agree.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, func, select, true
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models import AuditAction, Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.vocabulary import TaughtWord
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.authorization import require_coordinator
from avestavard.services.i18n import translate as _
from matching import InterestNormalizer, default_normalizer
from matching.features import GUESS_CONFIDENCE
from matching.text import clean, deaccent

__all__ = [
    "MAX_WORD_LENGTH",
    "UnreadWord",
    "forget_word",
    "matcher_normalizer",
    "taught_words",
    "teach_word",
    "teachable_interests",
    "unread_words",
    "written_words",
]

MAX_WORD_LENGTH = 80
# The people whose words the matcher reads now or may read later.
_HOST_STATUSES = (HostStatus.ACTIVE, HostStatus.PAUSED)
_NEWCOMER_STATUSES = (
    NewcomerStatus.UNCONFIRMED,
    NewcomerStatus.WAITING,
    NewcomerStatus.MATCHED,
    NewcomerStatus.PAUSED,
)

# Ids per IN list when people are loaded by id (well under every database's limit).
_ID_BATCH = 500

_lock = threading.Lock()
_fitted: tuple[tuple[tuple[str, str], ...], InterestNormalizer] | None = None


def _taught_pairs(bind: Session | Connection) -> tuple[tuple[str, str], ...]:
    rows = bind.execute(
        select(TaughtWord.cleaned, TaughtWord.interest_id).order_by(TaughtWord.cleaned)
    ).all()
    return tuple((word, interest_id) for word, interest_id in rows)


def matcher_normalizer(bind: Session | Connection) -> InterestNormalizer:
    """The normaliser with the taught words; the shipped one when none are taught.

    One small query per call (on a session, or on a connection inside a flush); the fitted
    normaliser is shared in the process until the taught words change. A taught word whose
    interest the taxonomy no longer has is left out.
    """
    global _fitted
    known = default_normalizer().taxonomy
    pairs = tuple((w, i) for w, i in _taught_pairs(bind) if i in known)
    if not pairs:
        return default_normalizer()
    with _lock:
        if _fitted is None or _fitted[0] != pairs:
            _fitted = (pairs, InterestNormalizer(taught_terms=pairs).fit())
        return _fitted[1]


@dataclass(frozen=True)
class UnreadWord:
    """A profile word the matcher does not read, or only guesses.

    ``word`` is the cleaned form (what would be taught), ``written`` the most common way
    people wrote it, ``people`` how many wrote it, and ``guess`` the interest it is only
    guessed as (None: not understood at all).
    """

    word: str
    written: str
    people: int
    guess: str | None


def written_words(session: Session) -> Counter[str]:
    """Each interest word as written in current profiles -> how many people wrote it.

    Counted in the database (one query per kind, over the JSON lists): at municipal scale
    that is a few hundred distinct words, not one row per person.
    """
    dialect = session.get_bind().dialect.name
    elements = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    counts: Counter[str] = Counter()
    for model, statuses in ((Host, _HOST_STATUSES), (Newcomer, _NEWCOMER_STATUSES)):
        words = elements(model.interests_raw).table_valued("value")
        rows = session.execute(
            select(words.c.value, func.count())
            .select_from(model)
            .join(words, true())
            .where(model.status.in_(statuses))
            .group_by(words.c.value)
        )
        for word, count in rows:
            if isinstance(word, str):
                counts[word] += count
    return counts


def unread_words(session: Session, actor: Actor, limit: int = 100) -> list[UnreadWord]:
    """Words in the profiles of current hosts and newcomers the matcher cannot read.

    Most used first. Sensitive words (faith, health, politics) are never listed: they are
    never read as pastimes, whatever is taught. No names, only the words and how many wrote
    them (a word written two ways, "Krylbo IF" and "krylbo if", is one word).
    """
    require_coordinator(actor)
    normalizer = matcher_normalizer(session)
    people: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    guesses: dict[str, str | None] = {}
    for raw, count in written_words(session).items():
        for item in normalizer.normalize([raw]):
            if item.sensitive or (
                item.canonical_id is not None and item.confidence >= GUESS_CONFIDENCE
            ):
                continue
            word = clean(raw)[:MAX_WORD_LENGTH]
            if word:
                people[word] += count
                spellings.setdefault(word, Counter())[raw.strip()] += count
                guesses[word] = item.canonical_id
                break
    ranked = sorted(people, key=lambda w: (-people[w], deaccent(w), w))[:limit]
    return [
        UnreadWord(
            word=w,
            written=spellings[w].most_common(1)[0][0],
            people=people[w],
            guess=guesses[w],
        )
        for w in ranked
    ]


def teachable_interests(session: Session, lang: str = "sv") -> list[tuple[str, str]]:
    """``(interest id, label)`` of every interest a word may be taught as, by label.

    Sensitive interests are left out: they are never scored.
    """
    known = matcher_normalizer(session).taxonomy
    return sorted(
        ((i.id, i.display(lang)) for i in known if not i.sensitive),
        key=lambda pair: deaccent(pair[1].casefold()),
    )


def taught_words(session: Session) -> list[TaughtWord]:
    """The taught words, alphabetically."""
    return list(session.scalars(select(TaughtWord).order_by(TaughtWord.cleaned)))


_Person = TypeVar("_Person", Host, Newcomer)


def _read_again_of(session: Session, model: type[_Person], folded: str) -> int:
    """Read the stored interests again of the hosts or newcomers whose words hold ``folded``.

    Only the words are read to find them (one narrow query); only they are loaded.
    """
    from avestavard.services.profiles import set_interests

    ids = [
        person_id
        for person_id, words in session.execute(select(model.id, model.interests_raw))
        if any(folded in deaccent(clean(w)) for w in words or ())
    ]
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        for person in session.scalars(select(model).where(model.id.in_(batch))):
            set_interests(session, person, list(person.interests_raw or ()))
    return len(ids)


def _read_again(session: Session, word: str) -> int:
    """Read the stored interests again of everyone whose words hold ``word``; how many."""
    folded = deaccent(word)
    return _read_again_of(session, Host, folded) + _read_again_of(session, Newcomer, folded)


def teach_word(
    session: Session, actor: Actor, word: str, interest_id: str, now: datetime
) -> TaughtWord:
    """Teach ``word`` as ``interest_id``; the same word taught again (in any case or spacing)
    is taught anew, as now typed. Flushes.

    Raises ``ValidationFailed`` (naming the field) for a word with no letters or an
    interest that cannot be taught.
    """
    require_coordinator(actor)
    written = " ".join(word.split())[:MAX_WORD_LENGTH]
    cleaned = clean(written)[:MAX_WORD_LENGTH]
    if not any(c.isalpha() for c in cleaned):
        raise ValidationFailed(errors={"word": _("Skriv ett ord med bokstäver.")})
    if interest_id not in dict(teachable_interests(session)):
        raise ValidationFailed(errors={"interest": _("Välj ett intresse i listan.")})
    row = session.scalar(select(TaughtWord).where(TaughtWord.cleaned == cleaned))
    if row is None:
        row = TaughtWord(cleaned=cleaned)
        session.add(row)
    row.word = written
    row.interest_id = interest_id
    row.taught_at = now
    row.taught_by_id = actor.id
    session.flush()
    _read_again(session, cleaned)
    audit.record(session, actor, AuditAction.WORD_TAUGHT, "taught_word", row.id)
    session.flush()
    return row


def forget_word(session: Session, actor: Actor, word_id: int) -> bool:
    """Remove a taught word; False when there was none with that id. Flushes."""
    require_coordinator(actor)
    row = session.get(TaughtWord, word_id)
    if row is None:
        return False
    word = row.cleaned
    session.delete(row)
    session.flush()
    _read_again(session, word)
    audit.record(session, actor, AuditAction.WORD_FORGOTTEN, "taught_word", word_id)
    session.flush()
    return True
