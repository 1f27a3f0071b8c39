"""Turn a pool of profiles into sparse feature matrices shared by hosts and newcomers.

All vocabularies (interest keys, interview words, areas, languages) are built over the whole
pool, so host and newcomer rows live in the same column space and a pair's similarity is a
row-by-row dot product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from matching.normalizer import InterestNormalizer
from matching.profiles import HOUSEHOLDS, HostProfile, NewcomerProfile
from matching.text import (
    ENGLISH_STOPWORDS,
    SWEDISH_STOPWORDS,
    clean,
    deaccent,
    stem,
    strip_origin,
    words,
)
from matching.wishes import PreferenceParser, Preferences

__all__ = ["PoolFeatures", "SideFeatures", "TextAnalyzer", "build_features"]

HOUSEHOLD_CODES = {name: i for i, name in enumerate(HOUSEHOLDS)}
# A reading less sure than this is a guess (a shared part, the nearest form by trigrams, a
# broader interest): the matcher still counts it, and reasons say which word it came from.
GUESS_CONFIDENCE = 0.7
CONCEPT_PREFIX = "c:"
WORD_PREFIX = "w:"


class TextAnalyzer:
    """Interview text -> TF-IDF features: word stems plus the interests words name.

    "Jag fiskar i Dalälven" gives ``w:fisk`` and ``c:fishing``; "I go fishing" gives
    ``w:fish`` and ``c:fishing``, so Swedish and English answers meet on the concept.
    Stop words, sensitive words and "I come from X" clauses never become features.
    """

    def __init__(self, normalizer: InterestNormalizer) -> None:
        self.normalizer = normalizer
        self._cache: dict[str, tuple[str, ...]] = {}

    def _features(self, word: str) -> tuple[str, ...]:
        if len(word) < 3 or word in SWEDISH_STOPWORDS or word in ENGLISH_STOPWORDS:
            return ()
        if self.normalizer.is_sensitive(word):
            return ()
        feats = [WORD_PREFIX + stem(word)]
        concept = self.normalizer.lookup_word(word)
        if concept is not None:
            feats.append(CONCEPT_PREFIX + concept)
        return tuple(feats)

    def __call__(self, doc: str) -> list[str]:
        """The features of one document."""
        out: list[str] = []
        cache = self._cache
        for word in words(strip_origin(doc)):
            feats = cache.get(word)
            if feats is None:
                feats = self._features(word)
                cache[word] = feats
            out.extend(feats)
        return out


@dataclass
class SideFeatures:
    """Features of one side of the pool (hosts or newcomers), row i = profile i."""

    ids: list[str]
    birth: np.ndarray  # float32, NaN when unknown
    household: np.ndarray  # int8 code into HOUSEHOLDS, -1 unknown
    area: np.ndarray  # int32 code into PoolFeatures.areas, -1 unknown
    languages: sp.csr_matrix  # binary, columns = PoolFeatures.languages
    interests: sp.csr_matrix  # IDF-weighted own + broader interests, rows L2-normalised
    interest_sets: list[frozenset[str]]  # non-sensitive canonical ids as written
    free_tags: list[dict[str, str]]  # non-sensitive free-tag key -> tag as written
    text: sp.csr_matrix  # TF-IDF of the interview answers, rows L2-normalised
    prefs: list[Preferences]
    # Binary attribute matrices the other side's preferences are checked against.
    household_onehot: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    area_onehot: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    interest_binary: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    # The same preferences as matrices, for vectorised checks over many pairs.
    pref_household: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    pref_area: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    pref_language: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    pref_interests: sp.csr_matrix = field(repr=False, default_factory=lambda: sp.csr_matrix(0))
    pref_age: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int8))
    # GENDER_CODES of the person and of the gender they ask for (0: none / not given).
    gender: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int8))
    pref_gender: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int8))
    pref_count: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int8))
    # Canonical id -> the word as written, for interests that were only guessed (a weak
    # reading, see GUESS_CONFIDENCE): reasons show the word beside the interest.
    guessed: list[dict[str, str]] = field(repr=False, default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class PoolFeatures:
    """Both sides plus the shared vocabularies."""

    hosts: SideFeatures
    newcomers: SideFeatures
    interest_keys: list[str]
    idf: dict[str, float]
    areas: list[str]  # display name per area code
    languages: list[str]  # ISO code per language column
    text_concepts: np.ndarray  # text columns that are interest concepts (bool mask)
    text_vocabulary: list[str]


AGE_CODES = {None: 0, "older": 1, "younger": 2, "same": 3}
GENDER_CODES = {"": 0, "woman": 1, "man": 2, "other": 3}
SAME_GENDER = 4


def _csr(
    rows: list[int], cols: list[int], data: list[float] | np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    matrix = sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), (np.asarray(rows, np.int64), np.asarray(cols))),
        shape=shape,
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


def _area_key(area: str) -> str:
    return deaccent(clean(area))


def build_features(
    hosts: Sequence[HostProfile],
    newcomers: Sequence[NewcomerProfile],
    normalizer: InterestNormalizer,
    parent_share: float,
    free_tag_weight: float,
) -> PoolFeatures:
    """Normalise interests, vectorise text and encode preferences for the whole pool."""
    people: list[HostProfile | NewcomerProfile] = [*hosts, *newcomers]
    n_people = len(people)
    tax = normalizer.taxonomy
    ancestors = {i.id: tax.ancestors(i.id) for i in tax}

    # ---- interests: own keys (weight by confidence) plus broader interests
    weighted: list[dict[str, float]] = []
    interest_sets: list[frozenset[str]] = []
    free_tags: list[dict[str, str]] = []
    guessed: list[dict[str, str]] = []
    df: dict[str, int] = {}
    for person in people:
        keys: dict[str, float] = {}
        canon: set[str] = set()
        tags: dict[str, str] = {}
        guesses: dict[str, str] = {}
        # One item per interest: ``normalize`` keeps each interest's surest reading.
        for item in normalizer.normalize(person.interests):
            if item.sensitive:
                continue  # never scored, never shown
            if item.canonical_id is None:
                weight = free_tag_weight
                tags[item.key] = item.tag
            else:
                # A recognised interest counts fully; only weak readings (a guess from
                # character trigrams, a typo inside a phrase) count less. Unseen wording is
                # matched better when even those count nearly fully (bench_unseen).
                weight = min(1.0, item.confidence / 0.5)
                canon.add(item.canonical_id)
                # A word only guessed is quoted in the reasons, unless what was written
                # also tells something sensitive ("Moderaterna Jularbodagarna").
                if item.confidence < GUESS_CONFIDENCE and not normalizer.is_sensitive(item.raw):
                    guesses[item.canonical_id] = item.raw.strip()
            if keys.get(item.key, 0.0) < weight:
                keys[item.key] = weight
            if item.canonical_id is not None:
                share = weight
                for ancestor in ancestors[item.canonical_id]:
                    share *= parent_share
                    if keys.get(ancestor, 0.0) < share:
                        keys[ancestor] = share
        for key in keys:
            df[key] = df.get(key, 0) + 1
        weighted.append(keys)
        interest_sets.append(frozenset(canon))
        free_tags.append(tags)
        guessed.append(guesses)

    interest_keys = sorted(df)
    key_index = {k: i for i, k in enumerate(interest_keys)}
    # Smoothed IDF as in scikit-learn: rare shared interests count more.
    idf = {k: math.log((1 + n_people) / (1 + d)) + 1.0 for k, d in df.items()}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    bin_rows: list[int] = []
    bin_cols: list[int] = []
    for r, keys in enumerate(weighted):
        for key, weight in keys.items():
            rows.append(r)
            cols.append(key_index[key])
            vals.append(weight * idf[key])
            if not key.startswith("~"):
                bin_rows.append(r)
                bin_cols.append(key_index[key])
    shape = (n_people, max(len(interest_keys), 1))
    interests = normalize(_csr(rows, cols, vals, shape))
    interest_binary = _csr(bin_rows, bin_cols, [1.0] * len(bin_rows), shape)

    # ---- interview text
    analyzer = TextAnalyzer(normalizer)
    docs = [p.interview for p in people]
    vectorizer = TfidfVectorizer(
        analyzer=analyzer,
        sublinear_tf=True,
        min_df=2,
        # Words nearly everyone uses carry no signal; only prune in pools large enough
        # for document frequencies to mean something.
        max_df=0.5 if n_people >= 50 else 1.0,
        dtype=np.float32,
    )
    try:
        text = sp.csr_matrix(vectorizer.fit_transform(docs), dtype=np.float32)
        vocabulary = list(vectorizer.get_feature_names_out())
    except ValueError:  # no word appears twice: no text signal in this pool
        text = sp.csr_matrix((n_people, 1), dtype=np.float32)
        vocabulary = [""]
    text_concepts = np.array([v.startswith(CONCEPT_PREFIX) for v in vocabulary], dtype=bool)

    # ---- areas, languages, households
    area_codes: dict[str, int] = {}
    area_names: list[str] = []
    areas = np.full(n_people, -1, dtype=np.int32)
    for r, person in enumerate(people):
        if person.area:
            key = _area_key(person.area)
            if key not in area_codes:
                area_codes[key] = len(area_names)
                area_names.append(person.area)
            areas[r] = area_codes[key]
    language_codes: dict[str, int] = {}
    lang_rows: list[int] = []
    lang_cols: list[int] = []
    for r, person in enumerate(people):
        for code in person.languages:
            lang_rows.append(r)
            lang_cols.append(language_codes.setdefault(code, len(language_codes)))
    language_matrix = _csr(
        lang_rows, lang_cols, [1.0] * len(lang_rows), (n_people, max(len(language_codes), 1))
    )
    household = np.array([HOUSEHOLD_CODES.get(p.household, -1) for p in people], dtype=np.int8)
    gender = np.array([GENDER_CODES.get(p.gender, 0) for p in people], dtype=np.int8)
    birth = np.array(
        [np.nan if p.birth_year is None else p.birth_year for p in people], dtype=np.float32
    )
    known = household >= 0
    household_onehot = _csr(
        list(np.flatnonzero(known)),
        list(household[known]),
        [1.0] * int(known.sum()),
        (n_people, len(HOUSEHOLDS)),
    )
    has_area = areas >= 0
    area_onehot = _csr(
        list(np.flatnonzero(has_area)),
        list(areas[has_area]),
        [1.0] * int(has_area.sum()),
        (n_people, max(len(area_names), 1)),
    )

    # ---- preferences: newcomers' wishes, hosts' thoughts
    parse = PreferenceParser(normalizer, area_names)
    prefs = [
        parse(person.wishes if isinstance(person, NewcomerProfile) else person.thoughts)
        for person in people
    ]
    pref_mats = _encode_preferences(
        prefs, key_index, area_codes, language_codes, n_people, shape[1], len(area_names)
    )

    def side(lo: int, hi: int) -> SideFeatures:
        return SideFeatures(
            ids=[p.id for p in people[lo:hi]],
            birth=birth[lo:hi],
            household=household[lo:hi],
            area=areas[lo:hi],
            languages=language_matrix[lo:hi],
            interests=interests[lo:hi],
            interest_sets=interest_sets[lo:hi],
            free_tags=free_tags[lo:hi],
            guessed=guessed[lo:hi],
            text=text[lo:hi],
            prefs=prefs[lo:hi],
            household_onehot=household_onehot[lo:hi],
            area_onehot=area_onehot[lo:hi],
            interest_binary=interest_binary[lo:hi],
            pref_household=pref_mats["household"][lo:hi],
            pref_area=pref_mats["area"][lo:hi],
            pref_language=pref_mats["language"][lo:hi],
            pref_interests=pref_mats["interests"][lo:hi],
            pref_age=pref_mats["age"][lo:hi],
            pref_count=pref_mats["count"][lo:hi],
            gender=gender[lo:hi],
            pref_gender=pref_mats["gender"][lo:hi],
        )

    n_hosts = len(hosts)
    return PoolFeatures(
        hosts=side(0, n_hosts),
        newcomers=side(n_hosts, n_people),
        interest_keys=interest_keys,
        idf=idf,
        areas=area_names,
        languages=list(language_codes),
        text_concepts=text_concepts,
        text_vocabulary=vocabulary,
    )


def _encode_preferences(
    prefs: list[Preferences],
    key_index: dict[str, int],
    area_codes: dict[str, int],
    language_codes: dict[str, int],
    n_people: int,
    n_keys: int,
    n_areas: int,
) -> dict[str, sp.csr_matrix | np.ndarray]:
    parts: dict[str, tuple[list[int], list[int]]] = {
        "household": ([], []),
        "area": ([], []),
        "language": ([], []),
        "interests": ([], []),
    }
    age = np.zeros(n_people, dtype=np.int8)
    gender = np.zeros(n_people, dtype=np.int8)
    count = np.zeros(n_people, dtype=np.int8)
    for r, pref in enumerate(prefs):
        if not pref:
            continue
        for name in pref.households:
            parts["household"][0].append(r)
            parts["household"][1].append(HOUSEHOLD_CODES[name])
        for area in pref.areas:
            parts["area"][0].append(r)
            parts["area"][1].append(area_codes[_area_key(area)])
        for code in pref.languages:
            if code in language_codes:  # nobody in the pool speaks it: cannot be met
                parts["language"][0].append(r)
                parts["language"][1].append(language_codes[code])
        for interest in pref.interests:
            if interest in key_index:
                parts["interests"][0].append(r)
                parts["interests"][1].append(key_index[interest])
        age[r] = AGE_CODES[pref.age]
        if pref.gender is not None:
            gender[r] = SAME_GENDER if pref.gender == "same" else GENDER_CODES[pref.gender]
        count[r] = (
            bool(pref.gender)
            + bool(pref.households)
            + bool(pref.age)
            + bool(pref.areas)
            + bool(pref.languages)
            + bool(pref.interests)
        )
    widths = {
        "household": len(HOUSEHOLDS),
        "area": max(n_areas, 1),
        "language": max(len(language_codes), 1),
        "interests": n_keys,
    }
    out: dict[str, sp.csr_matrix | np.ndarray] = {
        name: _csr(r, c, [1.0] * len(r), (n_people, widths[name])) for name, (r, c) in parts.items()
    }
    out["age"] = age
    out["gender"] = gender
    out["count"] = count
    return out
