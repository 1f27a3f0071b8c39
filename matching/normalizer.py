"""Map free-text interests ("flugfiske", "Fly fishing", "fisket") to canonical ids.

The normaliser is a scikit-learn style estimator: ``__init__`` stores parameters, ``fit``
builds the look-up tables from the taxonomy and returns ``self``, and the learned attributes end
in ``_``. Build it once per process (``default_normalizer()``) and reuse it: normalising is
cached per distinct word.

How a word is matched, first hit wins (confidence in brackets):

1. the cleaned word is a listed term (1.0), or is one with å/ä/ö folded or spaces removed (0.95);
   folding forgives a missing ring or dots, never a letter typed with them ("höst" is no
   form of "host", nor "bröd" of "brodera"), here and in 2 and 7;
2. its light stem equals a term's stem: "fisket" ~ "fiske" (0.9), or its root does, the
   stem without the derivations that turn a pastime's verb into its activity or doer
   ("boxas" ~ "boxning", "täljare" ~ "täljning"; 0.85, unless two interests share the root);
3. the same after dropping framing words: "spela fotboll" -> "fotboll" (x 0.95);
4. a word that recurs as a part of one interest's compounds and phrases names the pastime
   they share: "skytte" from "lerduveskytte", "målskytte" and "skyttebana"; "katt" from
   "kattvän", "katthem" and "kattägare" (0.6; at least ``PART_MIN_TERMS`` terms, and more
   than half of all the terms holding the part; a word's stem meets only parts cut where
   the rest of the term is a word too, so "canoe" is not the "cano" of "ameri|cano");
5. a small typo of a term, by optimal-string-alignment distance with rapidfuzz: one edit for
   words of 5-8 letters (or a missing letter in a four-letter word), two from 9 letters
   (0.9 x similarity), looking first among terms with the same first letter; between
   equally close terms the likelier typo wins (swapped letters, then a missing or extra
   letter, then a wrong one), and a still ambiguous typo is not guessed; a common Swedish
   or English word ("vatten") is never taken for a typo, and in a phrase each word is
   held to its own length ("car shows" is no typo of "cat shows");
6. a compound whose other parts only frame the pastime (when, with whom, where, how):
   "innebandylaget" -> innebandy, "kvällsfiske" -> fiske, "svampskogen" -> svamp (x 0.9),
   also with a slip in the framing part ("kväls|fiske"); a core that is no term is read
   as in 4 ("kvällsskytte" -> skytte);
7. a Swedish compound: the head ("flugfiske" -> fiske, 0.8) after a first part that is a
   word, a term or a framing part ("sjö|bastu"; not "lantil|vande"), and the modifier
   ("bandymatcher" -> bandy, 0.7), but not a modifier cut from a longer word that begins
   the compound ("pistol|skytte" holds no "pist"); failing both, a modifier that is a
   part as in 4 ("pappa|gruppar" -> parent groups, 0.6);
8. the known form nearest by character trigrams (TF-IDF cosine at least
   ``NGRAM_THRESHOLD``, and no other interest nearly as near): "stjärnskådare" ->
   stjärnskådning (0.7 x similarity);
9. for a phrase, each of its words (x 0.8): "fiske och jakt" -> fiske, jakt;
10. failing all of these and a spelling correction, by trigrams as in 8: a phrase of at
   least two words as a whole, and a word or phrase about as near several interests of one
   kind as the broader interest they belong to: "orkester", near choir, playing music and
   concerts, is music (0.6 x similarity).

Anything else is kept as a free tag (``canonical_id`` None, confidence 0.0): it is still
compared between people by the root of the word without its framing parts. Words that
reveal religion, health, ethnic origin, political views or sexual orientation are flagged
``sensitive``; the matcher neither scores nor mentions them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from wordfreq import zipf_frequency

from matching.lexicon import lexicon
from matching.taxonomy import Taxonomy, load_taxonomy, taxonomy
from matching.text import (
    ENGLISH_STOPWORDS,
    PHRASE_FILLERS,
    SWEDISH_STOPWORDS,
    clean,
    deaccent,
    root,
    stem,
    stem_phrase,
)

__all__ = ["InterestNormalizer", "NormalizedInterest", "default_normalizer"]

# Separators between several interests written in one field: "fiske, jakt och bandy".
_SPLIT = re.compile(r"[,;/+&\n]|\s(?:och|and|samt|eller|or)\s", re.IGNORECASE)

FREE_TAG_PREFIX = "~"

# Parts of a Swedish compound that frame a pastime without naming it: when ("kvällsfiske",
# "sommarcamping"), with whom or how ("dragspelsklubben", "innebandylaget", "loppisrundor"),
# where or at what ("skyttebanan", "dansskolan", "svampskogen", "simhallen", "gymkortet",
# "hockeymatcher", "fiskeresor", "fotbollsträning", "gitarrspel").
# Accent-folded, longest first; a linking "s" before a suffix is dropped too.
_FRAME_PREFIX_WORDS = """kvalls morgon formiddags eftermiddags helg lordags sondags fredags
    vardags sommar vinter var host jul pask familje motions nyborjar amator hobby fritids"""
_FRAME_SUFFIX_WORDS = """klubben klubbar klubb laget lag ganget gang gruppen grupper grupp
    kvallar kvallen kvall traffar traffen traff turer turen tur rundor rundan runda kursen
    kurser kurs foreningen forening sallskapet cirkeln cirkel helger helgen stunder stund
    passet pass lektioner lektion intresse intresset intresserad klubbarna lagen gangen
    grupperna kurserna traffarna turerna rundorna kvallarna traning traningen traningar
    matcher matchen match resor resan resa program programmet spelet spel tavlingar
    tavlingen tavling festivaler festivalen festival banan bana skolan skola dagar dagen
    evenemang besoken besok skogen hallen hallar hall kortet kort"""
_FRAME_PREFIXES = sorted(
    _FRAME_PREFIX_WORDS.split(),
    key=len,
    reverse=True,
)
_FRAME_SUFFIXES = sorted(
    _FRAME_SUFFIX_WORDS.split(),
    key=len,
    reverse=True,
)
_SWEDISH_LETTERS = frozenset("åäö")
# Character trigram similarity at which an unknown word is read as its nearest known form.
NGRAM_THRESHOLD = 0.45
# A word at least this frequent (wordfreq's Zipf scale: 3 is once per million words) is a
# word in its own right, not a typo of a term: "vatten" is not "katten".
COMMON_ZIPF = 3.0
# A two-letter word at least this frequent (Zipf) is a word, not a piece of one: "sy",
# "is", "öl" (3.5 is about three times per million words).
SHORT_WORD_ZIPF = 3.5
_NOT_PARTS = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS | PHRASE_FILLERS
# How many of an interest's terms must hold a word as a part before the word alone is read
# as that interest.
PART_MIN_TERMS = 2


@dataclass(frozen=True)
class NormalizedInterest:
    """One interest as written (``raw``) and what it was understood as.

    ``tag`` is the canonical id, or for an unknown word the cleaned word itself; ``key`` is
    what the matcher compares (the canonical id, or ``~`` and the word's stem).
    """

    raw: str
    canonical_id: str | None
    tag: str
    confidence: float
    key: str
    sensitive: bool = False
    method: str = "exact"

    @property
    def is_free(self) -> bool:
        """True when the word matched no canonical interest."""
        return self.canonical_id is None


def _holds_root(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` holds a sensitive root outside the innocent words of ``pattern``."""
    return any(m.lastgroup != "allow" for m in pattern.finditer(deaccent(text.casefold())))


def _max_edits(length: int) -> int:
    # Short words have too many neighbours to guess ("golf"/"gold"); long ones tolerate two.
    if length < 5:
        return 0
    return 1 if length < 9 else 2


def _words_slip(typed: str, term: str) -> bool:
    """Whether each word of a phrase is at most a small typo of the term's word."""
    typed_words, term_words = typed.split(), term.split()
    if len(typed_words) != len(term_words):
        return True  # a space slipped ("thrif tshopping"): judged as a whole
    for a, b in zip(typed_words, term_words, strict=True):
        allowed = _max_edits(len(a)) or (1 if len(a) == 4 and len(b) == 5 else 0)
        if OSA.distance(a, b) > allowed:
            return False
    return True


def _typo_cost(typed: str, term: str) -> int:
    """0 for swapped neighbours, 1 for a missing or extra letter, 2 otherwise."""
    if len(typed) != len(term):
        return 1
    diff = [i for i, (a, b) in enumerate(zip(typed, term, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == term[diff[1]]:
        return 0
    return 2


def _is_word(piece: str, forms: dict[str, str]) -> bool:
    """Whether a piece of a compound is a word on its own, not a torn one ("ameri|cano")."""
    return piece in forms or piece in lexicon().folded


def _parts(forms: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Compound part or phrase word -> the interest whose written forms mostly hold it.

    Every split of a one-word term into two parts of at least three letters counts
    (a compound's true split is among them; the others rarely recur in one interest),
    and every word of a phrase. The second table counts only splits whose other part is
    a word too ("skytte|bana", not "ameri|cano").
    """
    stop = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS
    holders: dict[str, dict[str, int]] = {}
    whole_holders: dict[str, dict[str, int]] = {}
    for term, interest_id in forms.items():
        words = term.split()
        held: set[str] = set()
        whole: set[str] = set()
        if len(words) > 1:
            held.update(w for w in words if len(w) >= 3 and w not in stop)
            whole.update(held)
        else:
            for i in range(3, len(term) - 2):
                first, rest = term[:i], term[i:]
                held.update((first, rest))
                rest_is_word = _is_word(rest, forms)
                if rest_is_word:
                    whole.add(first)
                if _is_word(first, forms) or _is_word(first[:-1], forms):
                    whole.add(rest)
                if term[i - 1] == "s" and i > 4:
                    held.add(term[: i - 1])  # a linking s: "skidskytte|s|tävling"
                    if rest_is_word:
                        whole.add(term[: i - 1])
        for table, found in ((holders, held), (whole_holders, whole)):
            for part in found:
                counts = table.setdefault(part, {})
                counts[interest_id] = counts.get(interest_id, 0) + 1

    def majority(table: dict[str, dict[str, int]]) -> dict[str, str]:
        parts: dict[str, str] = {}
        for part, counts in table.items():
            best = max(counts, key=lambda k: (counts[k], k))
            if counts[best] >= PART_MIN_TERMS and 2 * counts[best] > sum(counts.values()):
                parts[part] = best
        return parts

    return majority(holders), majority(whole_holders)


class InterestNormalizer(BaseEstimator):
    """Normalise people's interest words to the canonical taxonomy.

    Parameters
    ----------
    taxonomy_path:
        A taxonomy TOML file; ``None`` uses the one shipped with the package.
    fuzzy:
        Correct small typos with rapidfuzz.
    compounds:
        Split Swedish compounds into head and modifier.
    cache_size:
        How many distinct raw words to remember; the cache is emptied when full.
    spelling:
        Read an unknown rare word as the most frequent Swedish or English word one slip
        away (word frequencies from wordfreq): "skkytte" -> "skytte".
    exclude_terms:
        Words to leave out of the taxonomy's terms (with every term that stems the same),
        for measuring how the normaliser copes with wording it has never seen. Labels stay.
    taught_terms:
        ``(word, interest id)`` pairs that coordinators taught: read as if the taxonomy
        listed them, and before its own terms, so a taught word wins over a listed one. A
        word with a sensitive root is left out. A word taught with an empty interest id is no
        pastime (a place, a name): it is read as written, a free tag, and never guessed.
    """

    def __init__(
        self,
        taxonomy_path: str | Path | None = None,
        fuzzy: bool = True,
        compounds: bool = True,
        cache_size: int = 200_000,
        exclude_terms: tuple[str, ...] = (),
        spelling: bool = True,
        taught_terms: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.taxonomy_path = taxonomy_path
        self.fuzzy = fuzzy
        self.compounds = compounds
        self.cache_size = cache_size
        self.spelling = spelling
        self.exclude_terms = exclude_terms
        self.taught_terms = taught_terms

    # ------------------------------------------------------------------ fitting

    def fit(self, X: Any = None, y: Any = None) -> InterestNormalizer:
        """Build the look-up tables from the taxonomy. ``X`` and ``y`` are ignored."""
        tax = taxonomy() if self.taxonomy_path is None else load_taxonomy(self.taxonomy_path)
        exact: dict[str, tuple[str, float]] = {}
        conflicts: list[tuple[str, str, str]] = []
        stems: dict[str, str | None] = {}
        derived: dict[str, str | None] = {}

        def add(key: str, interest_id: str, confidence: float) -> None:
            if not key:
                return
            known = exact.get(key)
            if known is None or known[1] < confidence:
                if known is not None and known[0] != interest_id and known[1] == 1.0:
                    conflicts.append((key, known[0], interest_id))
                    return
                exact[key] = (interest_id, confidence)
            elif known[0] != interest_id and confidence == 1.0 and known[1] == 1.0:
                conflicts.append((key, known[0], interest_id))

        # Each form as written (folded), for reading the parts of compounds and phrases.
        written: dict[str, set[str]] = {}
        # Folded key -> the forms (as written, with å/ä/ö) that give it.
        spelled: dict[str, set[str]] = {}
        excluded = {stem_phrase(deaccent(clean(w))) for w in self.exclude_terms}
        # One scan finds both: an innocent word from the allow list is tried first at each
        # position and swallows the root inside it ("campingstuga" holds "pingst").
        roots = "|".join(re.escape(r) for r in sorted(tax.sensitive_roots, key=len, reverse=True))
        allow = "|".join(re.escape(a) for a in sorted(tax.sensitive_allow, key=len, reverse=True))
        sensitive = re.compile((f"(?P<allow>{allow})|" if allow else "") + (roots or "(?!)"))
        taught: dict[str, list[str]] = {}
        # Words taught as no pastime at all (a place, a name): read as written, never guessed.
        self.plain_ = frozenset(
            deaccent(clean(word)) for word, interest_id in self.taught_terms if not interest_id
        )
        for word, interest_id in self.taught_terms:
            if not interest_id:
                continue
            if interest_id not in tax:
                raise ValueError(f"taught word {word!r}: no interest {interest_id!r}")
            # A word that tells faith, health, origin or politics is never read as a pastime,
            # whoever teaches it.
            if not _holds_root(sensitive, word):
                taught.setdefault(interest_id, []).append(word)
        listed = [
            (
                interest,
                [
                    *interest.labels.values(),
                    *(t for t in interest.terms if stem_phrase(deaccent(clean(t))) not in excluded),
                ],
            )
            for interest in tax
        ]
        for interest, forms in [*((tax[i], words) for i, words in taught.items()), *listed]:
            for form in forms:
                cleaned = clean(form)
                add(cleaned, interest.id, 1.0)
                if not interest.sensitive:
                    written.setdefault(deaccent(cleaned), set()).add(interest.id)
            for form in forms:
                cleaned = clean(form)
                if " " not in cleaned:
                    for key in (deaccent(cleaned), stem(cleaned), root(cleaned)):
                        spelled.setdefault(key, set()).add(cleaned)
                add(deaccent(cleaned), interest.id, 0.95)
                add(cleaned.replace(" ", ""), interest.id, 0.95)
                add(deaccent(cleaned).replace(" ", ""), interest.id, 0.95)
                key = stem_phrase(deaccent(cleaned))
                if key in stems and stems[key] != interest.id:
                    stems[key] = None  # two interests share this stem: never guess
                else:
                    stems.setdefault(key, interest.id)
                if " " not in cleaned:
                    base = root(deaccent(cleaned))
                    if derived.get(base, interest.id) != interest.id:
                        derived[base] = None
                    else:
                        derived[base] = interest.id

        folded_keys: dict[str, str] = {}
        ambiguous_folded: set[str] = set()
        for key, (interest_id, _) in exact.items():
            folded = deaccent(key)
            if folded_keys.get(folded, interest_id) != interest_id:
                ambiguous_folded.add(folded)
            folded_keys[folded] = interest_id
        for folded in ambiguous_folded:
            del folded_keys[folded]
        by_length: dict[int, list[str]] = {}
        by_start: dict[tuple[int, str], list[str]] = {}
        for key in folded_keys:
            by_length.setdefault(len(key), []).append(key)
            by_start.setdefault((len(key), key[0]), []).append(key)

        self.taxonomy_ = tax
        self.exact_ = exact
        self.conflicts_ = conflicts
        # Short stems are too ambiguous ("fors" and "förening" both reach "for"); short words
        # are matched by their exact forms instead.
        self.stems_ = {k: v for k, v in stems.items() if v is not None and len(k) >= 4}
        # Roots join a pastime's verb, activity and doer ("boxas", "boxning"); a root two
        # interests share is never used.
        self.roots_ = {k: v for k, v in derived.items() if v is not None and len(k) >= 3}
        self.fuzzy_ids_ = folded_keys
        self.keys_by_length_ = {n: sorted(keys) for n, keys in by_length.items()}
        self.keys_by_start_ = {k: sorted(keys) for k, keys in by_start.items()}
        self.sensitive_pattern_ = sensitive
        self.sensitive_ids_ = frozenset(i.id for i in tax if i.sensitive)
        self.spelled_ = {k: tuple(sorted(v)) for k, v in spelled.items()}
        # Parts cut where the rest is a word too are safe to meet by a stem: "cano" is no
        # part of "ameri|cano".
        self.parts_, self.whole_parts_ = _parts(
            {f: ids.pop() for f, ids in written.items() if len(ids) == 1}
        )
        self.cache_: dict[str, tuple[NormalizedInterest, ...]] = {}
        self.word_cache_: dict[str, str | None] = {}
        self.trigram_cache_: dict[str, tuple[str, float, frozenset[str]] | None] = {}
        return self

    def _remember(self, cache: dict[str, Any], key: str, value: Any) -> None:
        """Keep ``value`` under ``key``; a cache that is full is emptied first."""
        if len(cache) >= self.cache_size:
            cache.clear()
        cache[key] = value

    def _check_fitted(self) -> None:
        if not hasattr(self, "exact_"):
            raise NotFittedError("call fit() before normalising")

    @property
    def taxonomy(self) -> Taxonomy:
        """The fitted taxonomy."""
        self._check_fitted()
        return self.taxonomy_

    # ------------------------------------------------------------------ public API

    def normalize(self, words: Iterable[str]) -> list[NormalizedInterest]:
        """Normalise interest words; one word may yield several interests or none.

        Duplicates (same ``key``) are merged, keeping the most confident reading.
        """
        self._check_fitted()
        best: dict[str, NormalizedInterest] = {}
        for raw in words:
            for item in self._normalize_raw(raw):
                known = best.get(item.key)
                if known is None or item.confidence > known.confidence:
                    best[item.key] = item
        return list(best.values())

    def transform(self, X: Iterable[Iterable[str]]) -> list[list[NormalizedInterest]]:
        """Normalise each person's list of interest words."""
        return [self.normalize(words) for words in X]

    def is_sensitive(self, text: str) -> bool:
        """True when the text contains a sensitive word root outside the innocent words."""
        self._check_fitted()
        return _holds_root(self.sensitive_pattern_, text)

    def is_no_pastime(self, word: str) -> bool:
        """Whether ``word`` was taught as no pastime (a place, a name): read as written."""
        self._check_fitted()
        return deaccent(clean(word)) in self.plain_

    def listed_as(self, word: str) -> str | None:
        """The interest whose listed terms, labels or taught words hold ``word`` as written
        (cleaned), if any; a word only read by folding, stemming or guessing is not listed."""
        self._check_fitted()
        hit = self.exact_.get(clean(word))
        return hit[0] if hit is not None and hit[1] == 1.0 else None

    def lookup_word(self, word: str) -> str | None:
        """The canonical interest a single word of running text names, if any.

        Only safe matches (listed term, folded or stemmed; at least four letters; not a stop
        word or framing word) so that interview text does not invent interests.
        """
        self._check_fitted()
        cached = self.word_cache_.get(word, "")
        if cached != "":
            return cached
        found: str | None = None
        if (
            len(word) >= 4
            and word not in SWEDISH_STOPWORDS
            and word not in ENGLISH_STOPWORDS
            and word not in PHRASE_FILLERS
        ):
            hit = self.exact_.get(word) or self.exact_.get(deaccent(word))
            found = hit[0] if hit is not None else self.stems_.get(stem(word))
            if found in self.sensitive_ids_:
                found = None
        self._remember(self.word_cache_, word, found)
        return found

    # ------------------------------------------------------------------ matching

    def _normalize_raw(self, raw: str) -> tuple[NormalizedInterest, ...]:
        cached = self.cache_.get(raw)
        if cached is not None:
            return cached
        results: list[NormalizedInterest] = []
        for part in _SPLIT.split(raw):
            cleaned = clean(part)
            if cleaned and deaccent(cleaned) in self.plain_:
                results.extend(self._free(raw, cleaned, cleaned))
            elif cleaned:
                results.extend(self._match_part(raw, cleaned))
        out = tuple(results)
        self._remember(self.cache_, raw, out)
        return out

    def _canonical(
        self, raw: str, interest_id: str, confidence: float, method: str
    ) -> NormalizedInterest:
        return NormalizedInterest(
            raw=raw,
            canonical_id=interest_id,
            tag=interest_id,
            confidence=round(confidence, 3),
            key=interest_id,
            sensitive=interest_id in self.sensitive_ids_,
            method=method,
        )

    def _lookup(self, text: str) -> tuple[str, float, str] | None:
        """Exact, folded, joined or stemmed match of a whole cleaned phrase."""
        hit = self.exact_.get(text)
        if hit is not None:
            return hit[0], hit[1], "exact" if hit[1] == 1.0 else "folded"
        folded = deaccent(text)
        for variant in (folded, text.replace(" ", ""), folded.replace(" ", "")):
            hit = self.exact_.get(variant)
            if hit is not None and self._agrees(text.replace(" ", ""), variant):
                return hit[0], min(hit[1], 0.95), "folded"
        key = stem_phrase(folded)
        found = self.stems_.get(key)
        if found is not None and self._agrees(text, key):
            return found, 0.9, "stem"
        if " " not in folded and len(folded) >= 4:
            key = root(folded)
            found = self.roots_.get(key)
            if found is not None and self._agrees(text, key):
                return found, 0.85, "stem"
        return None

    def _agrees(self, typed: str, key: str) -> bool:
        """Whether a word's å, ä and ö are those of a form that gives the folded ``key``.

        Folding forgives a keyboard without them ("fagelskadning"), but a letter typed
        with its ring or dots is meant: "bröd" is no form of "brodera", "höst" none of "host".
        """
        if " " in typed or not _SWEDISH_LETTERS.intersection(typed):
            return True
        forms = self.spelled_.get(key)
        if not forms:
            return True
        return any(
            all(
                a == b or (a not in _SWEDISH_LETTERS and deaccent(b) == a)
                for a, b in zip(typed[: len(key)], form[: len(key)], strict=False)
            )
            for form in forms
        )

    def _fuzzy(self, text: str) -> tuple[str, float] | None:
        if not self.fuzzy:
            return None
        if (
            " " not in text
            and max(zipf_frequency(text, lang) for lang in ("sv", "en")) >= COMMON_ZIPF
        ):
            return None
        folded = deaccent(text)
        edits = _max_edits(len(folded))
        lengths = range(len(folded) - edits, len(folded) + edits + 1)
        if edits == 0 and len(folded) == 4:
            # A four-letter word may still be a five-letter term missing one letter ("bady").
            edits, lengths = 1, range(5, 6)
        if edits == 0:
            return None
        # Typos rarely hit the first letter: look among terms starting like the word first
        # (a tenth of the work), then among all terms of a similar length.
        hits: list[Any] = []
        for same_start in (True, False):
            choices: list[str] = []
            for length in lengths:
                if same_start:
                    choices.extend(self.keys_by_start_.get((length, folded[0]), ()))
                else:
                    choices.extend(self.keys_by_length_.get(length, ()))
            # A wrong first letter plus another slip is rarely a typo: one edit only then.
            cutoff = edits if same_start else 1
            if choices:
                hits = process.extract(
                    folded, choices, scorer=OSA.distance, score_cutoff=cutoff, limit=8
                )
            if hits:
                break
        if not hits:
            return None
        best = min(int(h[1]) for h in hits)
        closest = [h[0] for h in hits if int(h[1]) == best]
        # Between equally distant terms, prefer the likelier typo: swapped letters, then a
        # missing or extra letter, then a wrong letter ("sinming" is "simning", not "singing").
        if " " in folded:
            # In a phrase each word is held to its own length's tolerance: "car shows" is
            # not "cat shows", nor "läsa böcker" "låna böcker".
            closest = [k for k in closest if _words_slip(folded, k)]
            if not closest:
                return None
        likeliest = min(_typo_cost(folded, key) for key in closest)
        ids = {self.fuzzy_ids_[k] for k in closest if _typo_cost(folded, k) == likeliest}
        if len(ids) != 1:
            return None  # "boxing" or "bowling"? Do not guess
        similarity = 1.0 - best / max(len(folded), 1)
        return ids.pop(), 0.9 * similarity

    def _compound(self, raw: str, token: str) -> list[NormalizedInterest]:
        """Split a Swedish compound into a known head and/or modifier."""
        if not self.compounds or len(token) < 6 or " " in token:
            return []
        word = deaccent(token)
        for i in range(2, len(word) - 2):
            head, modifier = word[i:], word[:i]
            if len(head) == 3 and len(modifier) < 4:
                continue
            written = token[i:]
            hit = self.exact_.get(head)
            head_id = hit[0] if hit is not None and self._agrees(written, head) else None
            if head_id is None and len(head) >= 5:
                key = stem(head)
                head_id = self.stems_.get(key) if self._agrees(written, key) else None
                key = root(head)
                if head_id is None and len(key) >= 4 and self._agrees(written, key):
                    head_id = self.roots_.get(key)
            if head_id is None or not self._is_modifier(modifier, token[:i]):
                continue
            found = [self._canonical(raw, head_id, 0.8, "compound")]
            modifier_id = self._modifier(modifier)
            if modifier_id is not None and modifier_id != head_id:
                found.append(self._canonical(raw, modifier_id, 0.7, "compound"))
            return found
        words = lexicon().folded
        for i in range(len(word) - 3, 3, -1):
            modifier_id = self._modifier(word[:i])
            if modifier_id is not None:
                # "pist|olskytte" is "pistol|skytte": a longer word begins the compound.
                if any(
                    word[:j] in words and word[j:] in words for j in range(i + 1, len(word) - 3)
                ):
                    return []
                return [self._canonical(raw, modifier_id, 0.7, "compound")]
        for i in range(len(word) - 3, 3, -1):
            modifier_id = self.parts_.get(word[:i])
            if modifier_id is not None and modifier_id not in self.sensitive_ids_:
                return [self._canonical(raw, modifier_id, 0.6, "compound")]
        return []

    def _is_modifier(self, modifier: str, written: str) -> bool:
        """Whether a compound's first part is a word ("sjö|bastu"), not a torn one ("pu|barna").

        ``modifier`` is folded, ``written`` the same letters as typed.
        """
        if len(modifier) == 3:
            return True
        if len(modifier) == 2:
            # Two letters are a word only when common as typed ("sy", "is", "öl"; not "pu").
            return zipf_frequency(written, "sv") >= SHORT_WORD_ZIPF
        words = lexicon().folded
        for candidate in (modifier, modifier[:-1] if modifier.endswith(("s", "e", "o")) else ""):
            if not candidate:
                continue
            if (
                candidate in words
                or candidate in self.exact_
                or candidate in self.parts_
                or candidate in _FRAME_PREFIXES
            ):
                return True
        # A framing part with a slip in it ("morgno|orientera") still frames.
        return any(
            OSA.distance(modifier, prefix) == 1 for prefix in _FRAME_PREFIXES if len(prefix) > 4
        )

    def _modifier(self, modifier: str) -> str | None:
        # Linking letters: "fotbolls|match", "kyrko|kör" (kyrka), "hunde|..." rarely.
        candidates = [modifier]
        if modifier.endswith("s") and len(modifier) > 4:
            candidates.append(modifier[:-1])
        if modifier.endswith(("o", "e")):
            candidates.append(modifier[:-1] + "a")
        candidates.append(modifier + "a")
        for candidate in candidates:
            if len(candidate) < 4:
                continue
            hit = self.exact_.get(candidate)
            if hit is not None:
                return hit[0]
        return None

    def _single(self, raw: str, text: str, factor: float) -> list[NormalizedInterest]:
        found = self._lookup(text)
        if found is not None:
            return [self._canonical(raw, found[0], found[1] * factor, found[2])]
        fuzzy = self._fuzzy(text)
        if fuzzy is not None:
            return [self._canonical(raw, fuzzy[0], fuzzy[1] * factor, "fuzzy")]
        part = self._part(text)
        if part is not None:
            return [self._canonical(raw, part, 0.6 * factor, "part")]
        return [
            NormalizedInterest(
                raw=n.raw,
                canonical_id=n.canonical_id,
                tag=n.tag,
                confidence=round(n.confidence * factor, 3),
                key=n.key,
                sensitive=n.sensitive,
                method=n.method,
            )
            for n in self._compound(raw, text)
        ]

    def _match_part(
        self, raw: str, cleaned: str, corrected: bool = False
    ) -> list[NormalizedInterest]:
        found = self._lookup(cleaned)
        if found is not None:
            return [self._canonical(raw, found[0], found[1], found[2])]
        tokens = cleaned.split()
        content = [t for t in tokens if t not in PHRASE_FILLERS]
        stripped = " ".join(content)
        if content and len(content) < len(tokens):
            found = self._lookup(stripped)
            if found is not None:
                return [self._canonical(raw, found[0], found[1] * 0.95, "phrase")]
        target = stripped or cleaned
        core = target
        early = self._part(content[0], stemmed=False) if len(content) == 1 else None
        if early is not None:
            return [self._canonical(raw, early, 0.6, "part")]
        fuzzy = self._fuzzy(cleaned) or (self._fuzzy(stripped) if stripped != cleaned else None)
        if fuzzy is not None:
            return [self._canonical(raw, fuzzy[0], fuzzy[1], "fuzzy")]
        if len(content) == 1:
            framed, core = self._unframed(raw, content[0])
            if framed:
                return framed
            # A framing part ("familje|stjärnor") is not the interest: only the core counts.
            # A known head ("barn|kör") names the pastime; failing that, a part the
            # interest's compounds share, before a modifier alone ("pist|olskytte").
            compound = self._compound(raw, core)
            if compound and compound[0].confidence >= 0.8:
                return compound
            part = self._part(core)
            if part is not None:
                return [self._canonical(raw, part, 0.6, "part")]
            if compound:
                return compound
            near = self._nearest(core)
            if near is not None:
                return [self._canonical(raw, near[0], near[1], "ngram")]
        elif len(content) > 1:
            per_word: dict[str, NormalizedInterest] = {}
            for token in content:
                for item in self._single(raw, token, 0.8):
                    per_word.setdefault(item.key, item)
            if per_word:
                return list(per_word.values())
        if self.fuzzy and self.spelling and not corrected:
            respelt = self._respelt(raw, target)
            if respelt:
                return respelt
        # Last, by trigrams: a phrase of at least two real words as a whole, and a word or
        # phrase about as near several interests of one kind as their broader interest.
        if not corrected and (len(content) == 1 or sum(len(w) >= 3 for w in content) >= 2):
            near = self._nearest(core, broader=True)
            if near is not None:
                return [self._canonical(raw, near[0], near[1], "ngram")]
        return self._free(raw, target, core)

    def _respelt(self, raw: str, text: str) -> list[NormalizedInterest]:
        """``text`` read with its misspelt words corrected ("skkytte" -> "skytte")."""
        words = text.split()
        fixed = [lexicon().correct(w) or w for w in words]
        if fixed == words:
            return []
        found = self._match_part(raw, " ".join(fixed), corrected=True)
        return [
            NormalizedInterest(
                raw=n.raw,
                canonical_id=n.canonical_id,
                tag=n.tag if n.canonical_id is not None else text,
                confidence=round(n.confidence * 0.9, 3),
                key=n.key,
                sensitive=n.sensitive or self.is_sensitive(text),
                method=n.method if n.method == "free" else "spelling",
            )
            for n in found
        ]

    def _unframed(self, raw: str, token: str) -> tuple[list[NormalizedInterest], str]:
        """The pastime inside a framing compound: "innebandylaget" -> innebandy.

        Returns what was found and the word without its framing parts (the word itself
        when it has none).
        """
        if not self.compounds or len(token) < 7:
            return [], token
        word = deaccent(token)
        # Where each core starts in the word; cores keep the word's own å, ä and ö.
        starts: list[int] = []
        for prefix in _FRAME_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 4:
                starts.append(len(prefix))
                break
        else:
            # A framing part with a slip in it: "moorgon|bingohall", "kväls|pilbåge".
            # Never in the first letter ("inter|net" is no "vinter"), and the likelier slip
            # wins: "lördag|morgon" lacks the linking s, it is no "lördagm|orgon".
            for prefix in _FRAME_PREFIXES:
                if len(prefix) < 5 or word[0] != prefix[0]:
                    continue
                slips = [
                    (_typo_cost(word[:n], prefix), n)
                    for n in (len(prefix), len(prefix) + 1, len(prefix) - 1)
                    if len(word) - n >= 5 and OSA.distance(word[:n], prefix) == 1
                ]
                if slips:
                    starts.append(min(slips)[1])
                    break
        spans = [(start, len(word)) for start in starts]
        for start in [0, *starts]:
            base = word[start:]
            for suffix in _FRAME_SUFFIXES:
                # Short cores ("kör|kvällar") are taken only when they are a listed term.
                if base.endswith(suffix) and len(base) - len(suffix) >= 3:
                    end = len(word) - len(suffix)
                    spans.append((start, end))
                    if word[end - 1] == "s" and end - start > 4:
                        spans.append((start, end - 1))
                    break
        written = token if len(token) == len(word) else word
        cores = [written[a:b] for a, b in spans]
        for core in cores:
            found = self._lookup(core)
            if found is not None:
                return [self._canonical(raw, found[0], found[1] * 0.9, "compound")], core
            fuzzy = self._fuzzy(core)
            if fuzzy is not None:
                return [self._canonical(raw, fuzzy[0], fuzzy[1] * 0.9, "compound")], core
        return [], (cores[-1] if cores else token)

    def _part(self, token: str, stemmed: bool = True) -> str | None:
        """The interest whose compounds and phrases a lone word is mostly a part of.

        ``stemmed`` also tries the word's stem ("skyttet" -> "skytt"), which is looser: a
        stem may begin other words too.
        """
        if " " in token or len(token) < 3 or token in _NOT_PARTS or self.is_sensitive(token):
            return None
        word = deaccent(token)
        found = self.parts_.get(word)
        if found is None and stemmed:
            found = self.whole_parts_.get(stem(word))
        return found

    def _nearest(self, token: str, broader: bool = False) -> tuple[str, float] | None:
        """The known form nearest by character trigrams, when it is near enough.

        When several interests are about as near, ``broader`` reads the broader interest
        they all belong to ("orkester" is near both choir and playing music: music).
        """
        if token in self.trigram_cache_:
            found = self.trigram_cache_[token]
        else:
            found = self._trigrams(token)
            self._remember(self.trigram_cache_, token, found)
        if found is None:
            return None
        interest, score, rivals = found
        if len(rivals) == 1:
            return interest, 0.7 * score
        if not broader:
            return None  # another interest almost as near: do not guess
        shared = [
            a
            for a in [interest, *self.taxonomy_.ancestors(interest)]
            if all(a == r or a in self.taxonomy_.ancestors(r) for r in rivals)
        ]
        return (shared[0], 0.6 * score) if shared else None

    def _trigrams(self, token: str) -> tuple[str, float, frozenset[str]] | None:
        """The nearest known form's interest, its similarity, and every interest as near."""
        if not self.fuzzy or len(token) < 5 or self.is_sensitive(token):
            return None  # a sensitive word is never read as a pastime
        if not hasattr(self, "ngram_vectorizer_"):
            keys = sorted(self.fuzzy_ids_)
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), dtype=np.float32)
            self.ngram_matrix_ = vectorizer.fit_transform(keys).T.tocsr()
            self.ngram_keys_ = keys
            self.ngram_vectorizer_ = vectorizer
        query = self.ngram_vectorizer_.transform([deaccent(token)])
        scores = (query @ self.ngram_matrix_).toarray().ravel()
        if scores.size == 0:
            return None
        best = int(scores.argmax())
        if scores[best] < NGRAM_THRESHOLD:
            return None
        close = np.flatnonzero(scores >= scores[best] - 0.05)
        rivals = frozenset(self.fuzzy_ids_[self.ngram_keys_[k]] for k in close.tolist())
        return self.fuzzy_ids_[self.ngram_keys_[best]], float(scores[best]), rivals

    def _free(self, raw: str, tag: str, core: str) -> list[NormalizedInterest]:
        """An unknown word as a free tag, compared by the root of its core.

        The key leaves out framing parts and derivations, so "pappagrupper" and
        "morgonpappagruppen" still meet between two people.
        """
        stop = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS
        words = [w for w in tag.split() if w not in stop]
        if not words or len("".join(words)) < 2:
            return []
        tag = " ".join(words)
        key = " ".join(root(w) for w in deaccent(core).split() if w not in stop)
        return [
            NormalizedInterest(
                raw=raw,
                canonical_id=None,
                tag=tag,
                confidence=0.0,
                key=FREE_TAG_PREFIX + (key or stem_phrase(deaccent(tag))),
                sensitive=self.is_sensitive(tag),
                method="free",
            )
        ]


@lru_cache(maxsize=1)
def default_normalizer() -> InterestNormalizer:
    """The package taxonomy's normaliser, fitted once per process and shared."""
    return InterestNormalizer().fit()
