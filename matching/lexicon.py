"""The likeliest Swedish or English word a misspelling stands for, by word frequency.

The frequencies are wordfreq's, which ship inside that package (nothing is downloaded).
The normaliser reads an unknown word that is no word of either language ("trrumma",
"skkytte") as the most frequent word one slip away ("trumma", "skytte"), so it can still be
understood, and two people who misspell the same pastime differently still meet.

The word list is loaded on first use, once per process.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from wordfreq import top_n_list, zipf_frequency

from matching.text import deaccent

__all__ = ["Lexicon", "lexicon"]

# Correction targets: the most frequent words of each language.
SWEDISH_WORDS = 150_000
ENGLISH_WORDS = 60_000
# A word this rare in both languages (Zipf scale: 1 is once per billion words) may be a
# misspelling.
RARE_ZIPF = 1.0


def _typo_cost(typed: str, word: str) -> int:
    """0 for swapped neighbours, 1 for a missing or extra letter, 2 otherwise."""
    if len(typed) != len(word):
        return 1
    diff = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == word[diff[1]]:
        return 0
    return 2


class Lexicon:
    """Frequent Swedish and English words, bucketed by length and first letter."""

    def __init__(self) -> None:
        frequency: dict[str, float] = {}
        for lang, size in (("sv", SWEDISH_WORDS), ("en", ENGLISH_WORDS)):
            for rank, word in enumerate(top_n_list(lang, size)):
                if len(word) >= 4 and word.isalpha():
                    # Rank as frequency: the lists are sorted, and ranks compare across both.
                    score = 1.0 / (rank + 1)
                    if frequency.get(word, 0.0) < score:
                        frequency[word] = score
        self.frequency = frequency
        # The same words with å/ä/ö and accents folded, for checking folded compound parts.
        self.folded = frozenset(deaccent(w) for w in frequency)
        buckets: dict[tuple[int, str], list[str]] = {}
        for word in frequency:
            buckets.setdefault((len(word), word[0]), []).append(word)
        self.buckets = buckets

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per process (``lexicon()``)
    def correct(self, word: str) -> str | None:
        """The likeliest word ``word`` misspells, or None when it is a word or too far.

        One slip (a swapped, missing, extra or wrong letter) for words of 5 to 8 letters, two
        from 9; never in the first letter. The likelier slip wins, then the more frequent
        word.
        """
        if len(word) < 5 or not word.isalpha():
            return None
        if zipf_frequency(word, "sv") >= RARE_ZIPF or zipf_frequency(word, "en") >= RARE_ZIPF:
            return None
        edits = 1 if len(word) < 9 else 2
        choices: list[str] = []
        for length in range(len(word) - edits, len(word) + edits + 1):
            choices.extend(self.buckets.get((length, word[0]), ()))
        if not choices:
            return None
        hits = process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=20)
        if not hits:
            return None
        best = min(int(h[1]) for h in hits)
        closest = [str(h[0]) for h in hits if int(h[1]) == best]
        return min(closest, key=lambda w: (_typo_cost(word, w), -self.frequency[w], w))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The process's lexicon, loaded on first use."""
    return Lexicon()
