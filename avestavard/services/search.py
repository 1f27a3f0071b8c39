"""Search over hosts, newcomers and households that a Swedish user can trust.

Every person and household has folded search keys (:class:`~avestavard.models.search.SearchToken`):
case-folded words without diacritics, phone numbers as E.164 digits and interests as the
matcher's taxonomy ids. The keys are rewritten whenever a host, newcomer, household or resident
is flushed (:func:`install_search_key_maintenance`), so every service that changes a person keeps
them current. A search looks candidates up by indexed equality on the keys (a bounded number of
rows) and ranks them with rapidfuzz: "oberg", "ÖBERG" and "Obreg" all find Åsa Öberg;
"070-118 44 35", "0701184435" and "+46 70 118 44 35" find her phone number; "foto" and
"fotografering" find her interest "photography".
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz
from sqlalchemy import Connection, and_, delete, event, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from avestavard.imports.normalize import NormalizationError, normalize_phone
from avestavard.models import AuditAction, Host, Newcomer
from avestavard.models.letters import LetterHousehold, Resident
from avestavard.models.search import SearchToken
from avestavard.services.audit import Actor, record
from avestavard.services.authorization import require_coordinator
from avestavard.services.reading import matcher_normalizer
from matching import InterestNormalizer, default_normalizer

SearchKind = Literal["host", "newcomer", "household"]
KINDS: tuple[SearchKind, ...] = ("host", "newcomer", "household")
PREFIX_LENGTH = 3
INTEREST_PREFIX = "i:"
# Rows read for candidates and people ranked: the bounds that keep a search fast at any size.
CANDIDATE_ROWS = 600
RANKED_PEOPLE = 150
# A query word counts as found at this rapidfuzz score or better (one typo in a 5-letter word).
WORD_THRESHOLD = 75.0
# A word that begins a key ("ber" in "berg") scores this; whole keys score 100.
PREFIX_SCORE = 95.0

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "ı": "i"})


def fold(text: str) -> str:
    """Case-folded, without diacritics: ``"Åsa ÖBERG"`` -> ``"asa oberg"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).translate(_FOLD_EXTRA)


def fold_words(text: str | None) -> list[str]:
    """The folded words of a text (letters and digits; punctuation separates)."""
    return _WORD.findall(fold(text or ""))


def phone_digits(text: str | None, region: str = "SE") -> str | None:
    """A phone number as E.164 digits without "+" (``"070-118 44 35"`` -> ``"46701184435"``).

    The import's and the forms' rule (:func:`avestavard.imports.normalize.normalize_phone`), so
    a number is found however it was typed; None when the text is not a valid phone number.
    """
    if not text:
        return None
    try:
        number = normalize_phone(text, region)
    except NormalizationError:
        return None
    return number.lstrip("+") if number else None


def interest_ids(words: Iterable[str], normalizer: InterestNormalizer) -> set[str]:
    """The taxonomy ids the matcher's normaliser reads in the words (synonyms included)."""
    found = normalizer.normalize([w for w in words if w and w.strip()])
    return {item.canonical_id for item in found if item.canonical_id and not item.sensitive}


def _email_tokens(email: str | None) -> list[str]:
    if not email:
        return []
    folded = fold(email.strip())
    return [folded, *fold_words(folded)]


def person_tokens(
    name: str | None,
    email: str | None,
    phone: str | None,
    area: str | None,
    interests_raw: Sequence[str] | None,
    street: str | None = None,
    *,
    normalizer: InterestNormalizer,
) -> set[str]:
    """Every search key of one host or newcomer; ``normalizer`` reads the interests."""
    tokens = set(fold_words(name)) | set(_email_tokens(email)) | set(fold_words(area))
    tokens |= set(fold_words(street))
    digits = phone_digits(phone)
    if digits:
        tokens.add(digits)
    tokens |= {INTEREST_PREFIX + i for i in interest_ids(interests_raw or [], normalizer)}
    return {t[:120] for t in tokens if t}


def household_tokens(
    street: str | None, postcode: str | None, town: str | None, names: Iterable[str]
) -> set[str]:
    """Every search key of one household: its residents' names and its address."""
    tokens = set(fold_words(street)) | set(fold_words(town))
    if postcode:
        tokens.add(re.sub(r"\D", "", postcode))
    for name in names:
        tokens |= set(fold_words(name))
    return {t[:120] for t in tokens if t}


# --------------------------------------------------------------------------- maintenance


def _rows(kind: str, ref_id: int, tokens: Iterable[str]) -> list[dict[str, Any]]:
    return [
        {"kind": kind, "ref_id": ref_id, "token": t, "prefix": t[:PREFIX_LENGTH]}
        for t in sorted(tokens)
    ]


def write_tokens(connection: Connection, kind: str, keyed: dict[int, set[str]]) -> None:
    """Replace the search keys of the given people (or households) of one kind."""
    if not keyed:
        return
    ids = list(keyed)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        connection.execute(
            delete(SearchToken).where(SearchToken.kind == kind, SearchToken.ref_id.in_(chunk))
        )
    rows = [row for ref_id, tokens in keyed.items() for row in _rows(kind, ref_id, tokens)]
    if rows:
        connection.execute(insert(SearchToken), rows)


def host_keys(host: Host, normalizer: InterestNormalizer) -> set[str]:
    """The search keys of a host as it is now."""
    return person_tokens(
        host.name, host.email, host.phone, host.area, host.interests_raw, normalizer=normalizer
    )


def newcomer_keys(newcomer: Newcomer, normalizer: InterestNormalizer) -> set[str]:
    """The search keys of a newcomer as it is now (their street address included)."""
    return person_tokens(
        newcomer.name,
        newcomer.email,
        newcomer.phone,
        newcomer.area,
        newcomer.interests_raw,
        newcomer.street_address,
        normalizer=normalizer,
    )


def household_keys_from_db(
    connection: Connection, household_ids: Iterable[int]
) -> dict[int, set[str]]:
    """The search keys of households, read from the database (address and residents)."""
    ids = list(set(household_ids))
    keyed: dict[int, set[str]] = {}
    if not ids:
        return keyed
    names: dict[int, list[str]] = defaultdict(list)
    for household_id, first, last in connection.execute(
        select(Resident.household_id, Resident.first_name, Resident.last_name).where(
            Resident.household_id.in_(ids)
        )
    ):
        names[household_id].append(f"{first} {last}")
    for household_id, street, postcode, town, care_of in connection.execute(
        select(
            LetterHousehold.id,
            LetterHousehold.street,
            LetterHousehold.postcode,
            LetterHousehold.town,
            LetterHousehold.care_of,
        ).where(LetterHousehold.id.in_(ids))
    ):
        keyed[household_id] = household_tokens(
            street, postcode, town, [*names[household_id], care_of or ""]
        )
    return keyed


def _after_flush(session: Session, _context: Any) -> None:
    """Rewrite the keys of everything this flush created, changed or deleted."""
    hosts: dict[int, set[str]] = {}
    newcomers: dict[int, set[str]] = {}
    households: set[int] = set()
    gone: dict[str, set[int]] = defaultdict(set)
    changed = [*session.new, *session.dirty]
    # Interests are read as the matcher reads them, taught words included (read once).
    normalizer = (
        matcher_normalizer(session.connection())
        if any(isinstance(obj, Host | Newcomer) for obj in changed)
        else default_normalizer()
    )
    for obj in changed:
        if isinstance(obj, Host) and obj.id is not None:
            hosts[obj.id] = host_keys(obj, normalizer)
        elif isinstance(obj, Newcomer) and obj.id is not None:
            newcomers[obj.id] = newcomer_keys(obj, normalizer)
        elif isinstance(obj, LetterHousehold) and obj.id is not None:
            households.add(obj.id)
        elif isinstance(obj, Resident) and obj.household_id is not None:
            households.add(obj.household_id)
    for obj in session.deleted:
        if isinstance(obj, Host):
            gone["host"].add(obj.id)
        elif isinstance(obj, Newcomer):
            gone["newcomer"].add(obj.id)
        elif isinstance(obj, LetterHousehold):
            gone["household"].add(obj.id)
        elif isinstance(obj, Resident) and obj.household_id is not None:
            households.add(obj.household_id)
    if not (hosts or newcomers or households or gone):
        return
    connection = session.connection()
    write_tokens(connection, "host", hosts)
    write_tokens(connection, "newcomer", newcomers)
    households -= gone["household"]
    write_tokens(connection, "household", household_keys_from_db(connection, households))
    for kind, ids in gone.items():
        if ids:
            connection.execute(
                delete(SearchToken).where(SearchToken.kind == kind, SearchToken.ref_id.in_(ids))
            )


def install_search_key_maintenance() -> None:
    """Keep search keys current on every flush of every session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def rebuild_search_keys(
    connection: Connection, normalizer: InterestNormalizer | None = None
) -> int:
    """Write the keys of every host, newcomer and household again; returns the people written.

    ``normalizer`` reads the interests: the matcher's (:func:`avestavard.services.reading.
    matcher_normalizer`), or the shipped taxonomy's alone when None (a migration, before any
    word is taught).
    """
    normalizer = normalizer or default_normalizer()
    total = 0
    connection.execute(delete(SearchToken))
    for model, kind in ((Host, "host"), (Newcomer, "newcomer")):
        columns = [model.id, model.name, model.email, model.phone, model.area, model.interests_raw]
        if model is Newcomer:
            columns.append(Newcomer.street_address)
        keyed: dict[int, set[str]] = {}
        for row in connection.execute(select(*columns)):
            values: list[Any] = list(row)
            keyed[int(values[0])] = person_tokens(
                values[1],
                values[2],
                values[3],
                values[4],
                values[5],
                *values[6:],
                normalizer=normalizer,
            )
            if len(keyed) >= 1000:
                write_tokens(connection, kind, keyed)
                total += len(keyed)
                keyed = {}
        write_tokens(connection, kind, keyed)
        total += len(keyed)
    household_ids = list(connection.scalars(select(LetterHousehold.id)))
    for start in range(0, len(household_ids), 1000):
        keyed = household_keys_from_db(connection, household_ids[start : start + 1000])
        write_tokens(connection, "household", keyed)
        total += len(keyed)
    return total


# --------------------------------------------------------------------------- searching


@dataclass(frozen=True)
class QueryWord:
    """One word of the query and what it may match exactly (phone digits, interest ids)."""

    text: str
    exact: frozenset[str]
    prefixes: frozenset[str]


@dataclass
class SearchHit:
    """One person or household found, best first; ``record`` is the Host, Newcomer or
    LetterHousehold."""

    kind: SearchKind
    ref_id: int
    score: float
    record: Any = None
    exact: bool = False


def _typo_prefixes(word: str) -> set[str]:
    """Prefixes of the word and of its one-edit variants (a deleted or swapped letter)."""
    head = word[: PREFIX_LENGTH + 1]
    variants = {word}
    for i in range(len(head)):
        variants.add(word[:i] + word[i + 1 :])
        if i + 1 < len(head):
            variants.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return {v[:PREFIX_LENGTH] for v in variants if len(v) >= 2}


def parse_query(text: str, normalizer: InterestNormalizer) -> list[QueryWord]:
    """The query as words: a phone number in any formatting is one word, so is an email."""
    text = (text or "").strip()[:200]
    digits = phone_digits(text)
    if digits:
        return [QueryWord(digits, frozenset({digits}), frozenset())]
    words: list[QueryWord] = []
    for raw in text.split():
        if "@" in raw:
            folded = fold(raw)
            words.append(QueryWord(folded, frozenset({folded}), frozenset()))
            continue
        for word in fold_words(raw):
            exact = {word} | {INTEREST_PREFIX + i for i in interest_ids([raw, word], normalizer)}
            prefixes = _typo_prefixes(word) if len(word) >= 2 else {word}
            words.append(QueryWord(word, frozenset(exact), frozenset(prefixes)))
    return words


def _word_score(word: QueryWord, tokens: set[str]) -> float:
    if word.exact & tokens:
        return 100.0
    best = 0.0
    for token in tokens:
        if token.startswith(INTEREST_PREFIX):
            continue
        if len(word.text) >= 2 and token.startswith(word.text):
            best = max(best, PREFIX_SCORE)
        elif word.prefixes and token[:PREFIX_LENGTH] in word.prefixes:
            best = max(
                best,
                fuzz.ratio(word.text, token[: len(word.text) + 1]),
                fuzz.ratio(word.text, token),
            )
    return best


def search(
    session: Session,
    text: str,
    *,
    kinds: Sequence[SearchKind] = KINDS,
    limit: int = 50,
) -> list[SearchHit]:
    """People and households matching every word of ``text``, best first.

    Two bounded queries find and describe the candidates; one query per kind loads the hits.
    """
    words = parse_query(text, matcher_normalizer(session))
    if not words or not kinds:
        return []
    exact = set().union(*(w.exact for w in words))
    prefixes = set().union(*(w.prefixes for w in words))
    conditions = []
    if exact:
        conditions.append(SearchToken.token.in_(sorted(exact)))
    if prefixes:
        conditions.append(SearchToken.prefix.in_(sorted(prefixes)))
    candidate_rows = session.execute(
        select(SearchToken.kind, SearchToken.ref_id)
        .where(SearchToken.kind.in_(list(kinds)), or_(*conditions))
        .distinct()
        .limit(CANDIDATE_ROWS)
    ).all()
    refs: dict[str, set[int]] = defaultdict(set)
    for kind, ref_id in candidate_rows:
        refs[kind].add(ref_id)
    if not refs:
        return []
    tokens: dict[tuple[str, int], set[str]] = defaultdict(set)
    for kind, ref_id, token in session.execute(
        select(SearchToken.kind, SearchToken.ref_id, SearchToken.token).where(
            or_(
                *(
                    and_(SearchToken.kind == kind, SearchToken.ref_id.in_(sorted(ids)))
                    for kind, ids in refs.items()
                )
            )
        )
    ):
        tokens[(kind, ref_id)].add(token)
    hits: list[SearchHit] = []
    for (kind, ref_id), keys in tokens.items():
        scores = [_word_score(word, keys) for word in words]
        if min(scores) < WORD_THRESHOLD:
            continue
        hit = SearchHit(kind, ref_id, sum(scores) / len(scores))  # type: ignore[arg-type]
        hit.exact = min(scores) >= PREFIX_SCORE
        hits.append(hit)
    if any(hit.exact for hit in hits):
        # Typo readings only when nothing was found as typed.
        hits = [hit for hit in hits if hit.exact]
    hits.sort(key=lambda hit: (-hit.score, KINDS.index(hit.kind), hit.ref_id))
    hits = hits[: min(limit, RANKED_PEOPLE)]
    _load_records(session, hits)
    return [hit for hit in hits if hit.record is not None]


def search_people(session: Session, actor: Actor, text: str, *, limit: int = 50) -> list[SearchHit]:
    """:func:`search` from the coordinators' search box; logged (who searched, never the words,
    which may be a name)."""
    require_coordinator(actor)
    record(session, actor, AuditAction.SEARCH, "people")
    session.flush()
    return search(session, text, limit=limit)


def _load_records(session: Session, hits: list[SearchHit]) -> None:
    models: dict[str, Any] = {"host": Host, "newcomer": Newcomer, "household": LetterHousehold}
    for kind, model in models.items():
        ids = [hit.ref_id for hit in hits if hit.kind == kind]
        if not ids:
            continue
        stmt = select(model).where(model.id.in_(ids))
        if model is LetterHousehold:
            stmt = stmt.options(selectinload(LetterHousehold.residents))
        records = {r.id: r for r in session.scalars(stmt)}
        for hit in hits:
            if hit.kind == kind:
                hit.record = records.get(hit.ref_id)
