"""The words coordinators teach the matcher, and the profile words it cannot read yet.

The matcher reads interest words through the taxonomy shipped with the package. A
municipality's own wording (a local club, a place or an event everyone knows) is taught here:
a taught word is read as its interest wherever a profile has it, before the taxonomy's own
terms, and inside longer words too ("kyrkokör" taught as choir reads "kyrkokörerna"). The
app reads with it everywhere (:func:`avestavard.services.reading.matcher_normalizer`).

Three kinds of word are never taught: one that tells faith, health, origin or politics (never
read as a pastime), one the taxonomy already lists (teaching it would change what it means
to everyone who wrote it), and one with no letters.

When a word is taught or removed, the stored interests of every person holding a word that
now reads differently are read again, so profiles, search and the next proposals agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models import AuditAction, Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.base import conflict_insert
from avestavard.models.vocabulary import TaughtWord
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.authorization import require_coordinator
from avestavard.services.i18n import translate as _
from avestavard.services.profiles import set_interests
from avestavard.services.reading import (
    NO_PASTIME,
    matcher_normalizer,
    tells_something_sensitive,
)
from matching import InterestNormalizer, default_normalizer, taxonomy
from matching.features import GUESS_CONFIDENCE
from matching.text import clean

__all__ = [
    "MAX_WORD_LENGTH",
    "UNREAD_LIMIT",
    "UnreadWord",
    "forget_word",
    "taught_words",
    "teach_word",
    "teachable_interests",
    "unread_words",
    "written_words",
]

MAX_WORD_LENGTH = 80
UNREAD_LIMIT = 100
# The people whose words the matcher reads now or may read later (an unconfirmed newcomer
# is matched once confirmed).
_HOST_STATUSES = (HostStatus.ACTIVE, HostStatus.PAUSED)
_NEWCOMER_STATUSES = (
    NewcomerStatus.UNCONFIRMED,
    NewcomerStatus.WAITING,
    NewcomerStatus.MATCHED,
    NewcomerStatus.PAUSED,
)
# Ids per IN list when people are loaded by id (well under every database's limit).
_ID_BATCH = 500
# Swedish alphabetical order: å, ä and ö after z.
_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})


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


def written_words(session: Session, *, current: bool = True) -> Counter[str]:
    """Each interest word as written in profiles -> how many people wrote it.

    ``current``: only hosts and newcomers the matcher reads now or later; else everyone.
    Counted in the database (one query per kind, over the JSON lists): at municipal scale
    that is a few hundred distinct words, not one row per person.
    """
    dialect = session.get_bind().dialect.name
    elements = func.json_each if dialect == "sqlite" else func.json_array_elements_text
    counts: Counter[str] = Counter()
    for model, statuses in ((Host, _HOST_STATUSES), (Newcomer, _NEWCOMER_STATUSES)):
        words = elements(model.interests_raw).table_valued("value")
        query = (
            select(words.c.value, func.count())
            .select_from(model)
            .join(words, true())
            .group_by(words.c.value)
        )
        if current:
            query = query.where(model.status.in_(statuses))
        for word, count in session.execute(query):
            if isinstance(word, str):
                counts[word] += count
    return counts


def unread_words(
    session: Session, actor: Actor, limit: int = UNREAD_LIMIT
) -> tuple[list[UnreadWord], int]:
    """Words in the profiles of current hosts and newcomers the matcher cannot read, most
    used first (at most ``limit``), and how many such words there are in all.

    A word holding anything sensitive (faith, health, origin, politics) is never listed, not
    even its other parts. No names, only the words and how many wrote them (a word written
    two ways, "Krylbo IF" and "krylbo if", is one word).
    """
    require_coordinator(actor)
    normalizer = matcher_normalizer(session)
    people: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    guesses: dict[str, str | None] = {}
    for raw, count in written_words(session).items():
        # Never listed: a sensitive word, and a word taught as no pastime (not guessed).
        if tells_something_sensitive(normalizer, raw) or normalizer.is_no_pastime(raw):
            continue
        items = normalizer.normalize([raw])
        unsure = [
            item
            for item in items
            if item.canonical_id is None or item.confidence < GUESS_CONFIDENCE
        ]
        word = clean(raw)[:MAX_WORD_LENGTH]
        if not unsure or not word:
            continue
        people[word] += count
        spellings.setdefault(word, Counter())[raw.strip()] += count
        guesses[word] = unsure[0].canonical_id
    ranked = sorted(people, key=lambda w: (-people[w], _ordered(w), w))[:limit]
    listed = [
        UnreadWord(
            word=w,
            written=spellings[w].most_common(1)[0][0],
            people=people[w],
            guess=guesses[w],
        )
        for w in ranked
    ]
    return listed, len(people)


def _ordered(text: str) -> str:
    return text.casefold().translate(_SWEDISH_ORDER)


def teachable_interests(lang: str = "sv") -> list[tuple[str, str]]:
    """``(interest id, label)`` of every interest a word may be taught as, in alphabetical
    order. Sensitive interests are left out: they are never scored."""
    return sorted(
        ((i.id, i.display(lang)) for i in taxonomy() if not i.sensitive),
        key=lambda pair: _ordered(pair[1]),
    )


def taught_words(session: Session) -> list[TaughtWord]:
    """The taught words, alphabetically."""
    return sorted(session.scalars(select(TaughtWord)), key=lambda row: _ordered(row.cleaned))


def _reading(normalizer: InterestNormalizer, raw: str) -> tuple[tuple[object, ...], ...]:
    return tuple(
        (item.key, item.canonical_id, item.confidence, item.sensitive)
        for item in normalizer.normalize([raw])
    )


_Person = TypeVar("_Person", Host, Newcomer)


def _read_again_of(
    session: Session, model: type[_Person], changed: set[str], normalizer: InterestNormalizer
) -> int:
    """Read again the stored interests of the hosts or newcomers holding a ``changed`` word.

    Only the words are read to find them (one narrow query); only they are loaded.
    """
    rows = session.execute(select(model.id, model.interests_raw))
    ids = [person_id for person_id, words in rows if changed.intersection(words or ())]
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        for person in session.scalars(select(model).where(model.id.in_(batch))):
            set_interests(session, person, list(person.interests_raw or ()), normalizer)
    return len(ids)


def _read_again(session: Session, before: InterestNormalizer) -> int:
    """Read again everyone holding a word the taught words now make read differently."""
    after = matcher_normalizer(session)
    changed = {
        raw
        for raw in written_words(session, current=False)
        if _reading(before, raw) != _reading(after, raw)
    }
    if not changed:
        return 0
    return _read_again_of(session, Host, changed, after) + _read_again_of(
        session, Newcomer, changed, after
    )


def teach_word(
    session: Session,
    actor: Actor,
    word: str,
    interest_id: str,
    now: datetime,
    lang: str = "sv",
) -> tuple[TaughtWord, int]:
    """Teach ``word`` as ``interest_id`` (``NO_PASTIME``: a name or a place, no pastime, so
    never guessed); the same word taught again (in any case or spacing)
    is taught anew, as now typed; ``lang`` is the language of the messages. Returns the
    taught word and how many profiles were read again. Flushes.

    Raises ``ValidationFailed`` naming the field: a word with no letters, a sensitive word,
    a word the taxonomy already lists, or an interest that cannot be taught.
    """
    require_coordinator(actor)
    written = " ".join(word.split())[:MAX_WORD_LENGTH]
    cleaned = clean(written)[:MAX_WORD_LENGTH]
    shipped = default_normalizer()
    if not any(c.isalpha() for c in cleaned):
        raise ValidationFailed(errors={"word": _("Skriv ett ord med bokstäver.")})
    if tells_something_sensitive(shipped, written):
        raise ValidationFailed(
            errors={
                "word": _(
                    "Ordet säger något om tro, hälsa, ursprung eller politik. Sådant använder "
                    "matchningen aldrig, så det kan inte läras in."
                )
            }
        )
    listed = shipped.listed_as(written)
    if listed is not None:
        raise ValidationFailed(
            errors={
                "word": _(
                    "”%(word)s” står redan i ordlistan och läses som %(interest)s.",
                    word=written,
                    interest=shipped.taxonomy[listed].label(lang),
                )
            }
        )
    known = shipped.taxonomy
    if interest_id != NO_PASTIME and (interest_id not in known or known[interest_id].sensitive):
        raise ValidationFailed(errors={"interest": _("Välj ett intresse i listan.")})
    before = matcher_normalizer(session)
    # One statement inserts or re-teaches: two coordinators teaching the same word at once
    # meet on the unique cleaned form, and the last one's meaning stands.
    values = {
        "cleaned": cleaned,
        "word": written,
        "interest_id": interest_id,
        "taught_at": now,
        "taught_by_id": actor.id,
    }
    statement = conflict_insert(session, TaughtWord).values(**values)
    row_id = session.execute(
        statement.on_conflict_do_update(
            index_elements=["cleaned"],
            set_={k: statement.excluded[k] for k in values if k != "cleaned"},
        ).returning(TaughtWord.id)
    ).scalar_one()
    row = session.get(TaughtWord, row_id, populate_existing=True)
    if row is None:
        raise RuntimeError("the taught word written by this statement is gone")
    read_again = _read_again(session, before)
    audit.record(session, actor, AuditAction.WORD_TAUGHT, "taught_word", row.id)
    session.flush()
    return row, read_again


def forget_word(session: Session, actor: Actor, word_id: int) -> tuple[TaughtWord, int] | None:
    """Remove a taught word; returns it and how many profiles were read again (None when
    there was none with that id). Flushes."""
    require_coordinator(actor)
    row = session.get(TaughtWord, word_id)
    if row is None:
        return None
    before = matcher_normalizer(session)
    session.delete(row)
    session.flush()
    read_again = _read_again(session, before)
    audit.record(session, actor, AuditAction.WORD_FORGOTTEN, "taught_word", word_id)
    session.flush()
    return row, read_again
