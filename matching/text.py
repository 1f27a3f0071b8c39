"""Text helpers shared by the normaliser and the interview-text features.

Everything here is deterministic and language-light: lower-casing, folding å/ä/ö for people who
type without them, a small Swedish stemmer (the Snowball algorithm, which is short) with a few
English endings on top, and stop-word lists for Swedish and English.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = [
    "ENGLISH_STOPWORDS",
    "PHRASE_FILLERS",
    "SWEDISH_STOPWORDS",
    "clean",
    "deaccent",
    "root",
    "stem",
    "stem_phrase",
    "strip_origin",
    "words",
]

_SPACES = re.compile(r"\s+")
# Keep letters, digits, spaces, "&" (d&d) and apostrophes; hyphens and slashes become spaces
# so "tv-spel" and "tv spel" meet. Compounds written together are handled by the normaliser.
_NOT_WORDISH = re.compile(r"[^\w&' ]+")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")

_FOLD = str.maketrans(
    {
        "å": "a",
        "ä": "a",
        "ö": "o",
        "æ": "a",
        "ø": "o",
        "é": "e",
        "è": "e",
        "ê": "e",
        "ë": "e",
        "ü": "u",
        "ú": "u",
        "á": "a",
        "à": "a",
        "í": "i",
        "ï": "i",
        "ó": "o",
        "ô": "o",
        "ç": "c",
        "ß": "ss",
    }
)


def clean(text: str) -> str:
    """Lower-case, Unicode-normalise and collapse punctuation and whitespace.

    >>> clean("  Fly-Fishing!! ")
    'fly fishing'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("-", " ").replace("/", " ").replace("_", " ")
    text = _NOT_WORDISH.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def deaccent(text: str) -> str:
    """Fold å/ä/ö and other accents to plain letters ("fågelskådning" -> "fagelskadning")."""
    return text.translate(_FOLD)


def words(text: str) -> list[str]:
    """The lower-cased words of running text (letters only, hyphenated words kept whole)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


# --------------------------------------------------------------------------- stemming

_VOWELS = frozenset("aeiouyåäö")
# Snowball Swedish step 1 suffixes (plus the neuter definite -et/-ets: "fisket"), longest
# first so the longest match wins.
_STEP1_WORDS = """
    a arna erna heterna orna ad e ade ande arne are aste en anden aren heten ern ar er heter
    or as arnas ernas ornas es ades andes ens arens hetens erns at andet het ast et ets"""
_STEP1 = sorted(_STEP1_WORDS.split(), key=len, reverse=True)
_S_ENDING = frozenset("bcdfghjklmnoprtvy")
_STEP2 = ("dd", "gd", "nn", "dt", "gt", "kt", "tt")


def _r1(word: str) -> int:
    """Start of region R1 (after the first non-vowel that follows a vowel, at least 3)."""
    for i in range(1, len(word)):
        if word[i] not in _VOWELS and word[i - 1] in _VOWELS:
            return max(i + 1, 3)
    return len(word)


def _swedish(word: str) -> str:
    r1 = _r1(word)
    for suffix in _STEP1:
        if word.endswith(suffix) and len(word) - len(suffix) >= r1:
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith("s") and len(word) - 1 >= r1 and word[-2] in _S_ENDING:
            word = word[:-1]
    if len(word) - 2 >= r1 and word.endswith(_STEP2):
        word = word[:-1]
    for suffix, replacement in (("fullt", "full"), ("löst", "lös"), ("lig", ""), ("els", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= r1:
            word = word[: -len(suffix)] + replacement
            break
    return word


_ENGLISH = snowballstemmer.stemmer("english")


def _english(word: str) -> str:
    # Snowball's English stemmer for plurals and verb forms ("picnics", "dogs", "hiked"),
    # but only on words long enough not to lose a Swedish ending that looks English.
    if len(word) >= 5 and word.endswith(("s", "ed", "ies")) and not word.endswith(("ss", "as")):
        word = _ENGLISH.stemWord(word)
    # The endings that matter for leisure words: "fishing", "hikers", "games".
    for suffix in ("ings", "ing", "ers"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            # "swimming" -> "swimm" -> "swim"
            if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in _VOWELS:
                word = word[:-1]
            return word
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem for Swedish and English words, applied to accent-folded text.

    Both the taxonomy's terms and people's words go through the same function, so
    "fiskar", "fisket" and "fiske" meet at "fisk", and "fishing"/"fish" at "fish".
    """
    word = deaccent(word)
    if len(word) <= 3:
        return word
    return _swedish(_english(word))


_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")


@lru_cache(maxsize=65536)
def root(word: str) -> str:
    """The word's stem with Swedish derivations of a pastime taken off too.

    A pastime is named by a verb, an activity noun and a doer ("boxas", "boxning",
    "boxare"; "målar", "målning", "målare"; "snickra", "snickeri"; "meditera",
    "meditation"); :func:`stem` keeps them apart, this brings them to one root ("box",
    "mal", "snick", "medit"). Coarser than a stem, so only a lookup that refuses
    ambiguous roots should use it.
    """
    word = stem(word)
    if len(word) < 4:
        return word
    for suffix in ("ation", "eri", "else"):
        # At least five letters before "-eri": "snick|eri", not "brod|eri" (bröd).
        if word.endswith(suffix) and len(word) - len(suffix) >= (5 if suffix == "eri" else 3):
            word = word[: -len(suffix)]
            break
    else:
        if word.endswith("er") and len(word) >= 6:
            word = word[:-2]  # "mediter(a)", "orienter(a)"
    # "boxn(ing)", "teckn(a)", "snickr(a)", "paddl(a)", "cykl(a)": a verb's last consonant
    # after another consonant.
    if len(word) >= 4 and word[-1] in "nrl" and word[-2] in _CONSONANTS:
        word = word[:-1]
    # "simm(a)" and "sim(ning)", "klatt(ra)" and "klat(ring)".
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] in _CONSONANTS:
        word = word[:-1]
    return word


def stem_phrase(phrase: str) -> str:
    """Stem every word of an already cleaned phrase."""
    return " ".join(stem(w) for w in phrase.split())


# --------------------------------------------------------------------------- stop words

_SWEDISH_STOPWORDS = """
    alla allt andra annat att av bara bland bli blir blev bor bo borde bra brukar både då
    de dem den denna deras dess dessa det detta dig din dina ditt du där efter eftersom eller
    en er era ert ett från få får fått för gjort gör göra ha hade han har hela hennes hans
    hit hon honom hos hur här i ibland in inga ingen inget inte ja jag just kan kunde kommer
    lite man med mellan men mer mig min mina mitt mot mycket många ni nu när någon något
    några och också om oss på redan sa sedan sig sin sina sitt själv ska skulle som så
    sådan till tror tycker under upp ut utan vad var vara varit vart vem vi vid vill väl
    vår våra än ännu är även över gärna helst gilla gillar älskar nya ny nytt här där
    jobbat jobbar arbetat hoppas bott flyttat flyttade kom bra hitta"""
# With their å/ä/ö-less spellings too: people type "garna" for "gärna".
SWEDISH_STOPWORDS = frozenset(_SWEDISH_STOPWORDS.split()) | {
    w.translate(_FOLD) for w in _SWEDISH_STOPWORDS.split()
}

_ENGLISH_STOPWORDS = """
    a about after all also am an and any are as at be been being but by can could did do
    does doing for from had has have having he her here hers him his how i if in into is it
    its just like love loves me more most my myself no nor not now of on or our ours out own
    she so some such than that the their them then there these they this those to too up
    us very was we were what when where which while who will with would you your yours
    enjoy enjoys really much many lot lots get got go going went new hope make made
    worked work working live living lived now"""
ENGLISH_STOPWORDS = frozenset(_ENGLISH_STOPWORDS.split())

# Words that frame an interest without being one: "spela fotboll", "gå på bio", "I love
# cooking". The normaliser drops them when the whole phrase is not known.
_PHRASE_FILLERS = """
    att jag gillar tycker om älskar spela spelar spelade gå går gick åka åker titta tittar
    på i med och en ett lite mycket gärna att ha hålla håller på med sysslar intresserad
    intresse intresserad av to play plays playing go goes going do doing love like likes
    enjoy enjoys the a an some watch watching i my and of in"""
PHRASE_FILLERS = frozenset(_PHRASE_FILLERS.split()) | {
    w.translate(_FOLD) for w in _PHRASE_FILLERS.split()
}

_ORIGIN = re.compile(
    r"\b(?:(?:kommer|kom|är|flydde|flyttade|härstammar|come|came|comes|am|is|are|fled|moved)"
    r"\s+(?:ursprungligen\s+|originally\s+|hit\s+|here\s+)?(?:från|from)"
    r"|(?:född|föddes|born)\s+(?:i|in|på))\s+"
    r"[^.!?;,\n]*?(?=\s(?:och|and|men|but|där|where)\s|[.!?;,\n]|$)",
    re.IGNORECASE,
)


def strip_origin(text: str) -> str:
    """Remove "I come from X" / "Jag kommer från X" clauses from interview text.

    Where someone comes from is not a matching criterion (it would match on ethnicity), so
    those words never reach the text features.
    """
    return _ORIGIN.sub(" ", text)
