"""Short, checkable reasons for a proposed pair, in Swedish and English.

A reason is a code and its parameters (so the web app can store or translate it) and renders
itself with ``reason.text("sv")`` or ``reason.text("en")``. Reasons are built only from
non-sensitive facts: shared canonical interests and free words that pass the sensitive-word
check, languages, area, household, age and wishes. Health, religion and ethnic origin are
never mentioned (see ``matching/data/interests.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FIT_BANDS",
    "LANGUAGE_NAMES",
    "READERS",
    "Fit",
    "Reason",
    "fit_of",
    "join_words",
    "language_name",
]

# The two people of a pair, who may read its reasons written to them.
READERS = ("host", "newcomer")

LANGUAGE_NAMES: Mapping[str, tuple[str, str]] = {
    "sv": ("svenska", "Swedish"),
    "en": ("engelska", "English"),
    "ar": ("arabiska", "Arabic"),
    "fa": ("persiska", "Persian"),
    "prs": ("dari", "Dari"),
    "ps": ("pashto", "Pashto"),
    "so": ("somaliska", "Somali"),
    "ti": ("tigrinja", "Tigrinya"),
    "am": ("amhariska", "Amharic"),
    "om": ("oromo", "Oromo"),
    "ku": ("kurdiska", "Kurdish"),
    "tr": ("turkiska", "Turkish"),
    "uk": ("ukrainska", "Ukrainian"),
    "ru": ("ryska", "Russian"),
    "pl": ("polska", "Polish"),
    "de": ("tyska", "German"),
    "nl": ("nederländska", "Dutch"),
    "fr": ("franska", "French"),
    "es": ("spanska", "Spanish"),
    "pt": ("portugisiska", "Portuguese"),
    "it": ("italienska", "Italian"),
    "fi": ("finska", "Finnish"),
    "no": ("norska", "Norwegian"),
    "nb": ("norska", "Norwegian"),
    "da": ("danska", "Danish"),
    "is": ("isländska", "Icelandic"),
    "et": ("estniska", "Estonian"),
    "lv": ("lettiska", "Latvian"),
    "lt": ("litauiska", "Lithuanian"),
    "cs": ("tjeckiska", "Czech"),
    "sk": ("slovakiska", "Slovak"),
    "hu": ("ungerska", "Hungarian"),
    "ro": ("rumänska", "Romanian"),
    "bg": ("bulgariska", "Bulgarian"),
    "el": ("grekiska", "Greek"),
    "sq": ("albanska", "Albanian"),
    "bs": ("bosniska", "Bosnian"),
    "hr": ("kroatiska", "Croatian"),
    "sr": ("serbiska", "Serbian"),
    "sl": ("slovenska", "Slovenian"),
    "mk": ("makedonska", "Macedonian"),
    "hy": ("armeniska", "Armenian"),
    "ka": ("georgiska", "Georgian"),
    "az": ("azerbajdzjanska", "Azerbaijani"),
    "uz": ("uzbekiska", "Uzbek"),
    "he": ("hebreiska", "Hebrew"),
    "ur": ("urdu", "Urdu"),
    "hi": ("hindi", "Hindi"),
    "bn": ("bengali", "Bengali"),
    "pa": ("punjabi", "Punjabi"),
    "ta": ("tamil", "Tamil"),
    "ne": ("nepali", "Nepali"),
    "zh": ("kinesiska", "Chinese"),
    "ja": ("japanska", "Japanese"),
    "ko": ("koreanska", "Korean"),
    "vi": ("vietnamesiska", "Vietnamese"),
    "th": ("thailändska", "Thai"),
    "tl": ("tagalog", "Tagalog"),
    "my": ("burmesiska", "Burmese"),
    "sw": ("swahili", "Swahili"),
    "mn": ("mongoliska", "Mongolian"),
    "se": ("samiska", "Sami"),
}

_HOUSEHOLD_WORDS = {
    "family": ("familj med barn", "family with children"),
    "couple": ("par", "couple"),
    "single": ("ensamstående", "single person"),
}
_GENDER_WORDS = {
    "woman": ("en kvinna", "a woman"),
    "man": ("en man", "a man"),
    "other": ("annan könsidentitet", "another gender identity"),
    "same": ("samma kön", "the same gender"),
}
_AGE_WORDS = {
    "older": ("äldre värd", "an older host"),
    "younger": ("yngre värd", "a younger host"),
    "same": ("jämnårig", "someone of the same age"),
}


def language_name(code: str, lang: str = "sv") -> str:
    """The name of a language (ISO 639-1 code) in Swedish or English."""
    names = LANGUAGE_NAMES.get(code.casefold())
    if names is None:
        return code
    return names[0] if lang == "sv" else names[1]


def join_words(items: Sequence[str], lang: str = "sv") -> str:
    """ "fiske", "fiske och bandy", "fiske, jakt och bandy" (English: "and")."""
    word = "och" if lang == "sv" else "and"
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _labels(items: Sequence[Mapping[str, str]], lang: str) -> list[str]:
    return [str(item.get(lang) or item.get("sv") or item.get("tag") or "") for item in items]


def _name(names: Mapping[str, str], kind: str, person: Any) -> str:
    """A person's name from ``names`` ("host:12" or "12"), else the id itself."""
    key = str(person)
    return names.get(f"{kind}:{key}") or names.get(key) or key


def _best_host_elsewhere(p: Mapping[str, Any], sv: bool, names: Mapping[str, str]) -> str:
    host = _name(names, "host", p["host"])
    mine = _name(names, "newcomer", p["newcomer"])
    other = _name(names, "newcomer", p["other_newcomer"])
    because = p.get("because")
    if because == "no_other_host":
        why = "som inte har någon annan möjlig värd" if sv else "who has no other possible host"
    elif because == "only_language":
        language = language_name(str(p["language"]), "sv" if sv else "en")
        why = (
            f"som inte har någon annan värd som talar {language}"
            if sv
            else f"who has no other host who speaks {language}"
        )
    else:
        their = round(float(p.get("their_loss", 0)) * 100)
        ours = round(float(p.get("our_loss", 0)) * 100)
        why = (
            f"som annars skulle förlora mer ({their} poäng mot {ours})"
            if sv
            else f"who would otherwise lose more ({their} points against {ours})"
        )
    if sv:
        return f"{host} passar {mine} bäst men föreslås för {other}, {why}"
    return f"{host} fits {mine} best but is proposed for {other}, {why}"


def _wish(params: Mapping[str, Any], lang: str) -> str:
    i = 0 if lang == "sv" else 1
    kind = params.get("kind")
    if kind == "household":
        return _HOUSEHOLD_WORDS[str(params["household"])][i]
    if kind == "age":
        return _AGE_WORDS[str(params["age"])][i]
    if kind == "area":
        return str(params["area"])
    if kind == "language":
        return language_name(str(params["language"]), lang)
    if kind == "gender":
        return _GENDER_WORDS[str(params["gender"])][i]
    return join_words(_labels(params.get("items", ()), lang), lang)


def _with_guesses(text: str, params: Mapping[str, Any], lang: str) -> str:
    """The reason with the words behind any interest that was only guessed, for the reader
    to judge: "Båda gillar musik (”orkester” tolkat som musik)"."""
    notes = [
        join_words([f"”{w}”" for w in written], lang)
        + (" tolkat som " if lang == "sv" else " read as ")
        + str(item[lang])
        for item, written in params.get("guessed", ())
    ]
    return f"{text} ({'; '.join(notes)})" if notes else text


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _to_pair(code: str, p: Mapping[str, Any], lang: str, reader: str, other: str) -> str | None:
    """A reason written to one of the pair ("Ni gillar båda fiske"), or None for one that is
    not theirs to read (it names other people)."""
    sv = lang == "sv"
    if not other:
        if reader == "host":
            other = "den nyinflyttade" if sv else "the newcomer"
        else:
            other = "värden" if sv else "your host"
    if code == "best_host_elsewhere":
        return None
    if code == "shared_interests":
        words = join_words(_labels(p["items"], lang), lang)
        return f"Ni gillar båda {words}" if sv else f"You both enjoy {words}"
    if code == "related_interests":
        sentences = []
        for newcomer_item, host_item in p["pairs"]:
            theirs = str(newcomer_item[lang] if reader == "host" else host_item[lang])
            mine = str(host_item[lang] if reader == "host" else newcomer_item[lang])
            sentences.append(
                f"du gillar {mine} och {other} gillar {theirs}"
                if sv
                else f"you enjoy {mine} and {other} enjoys {theirs}"
            )
        return _sentence("; ".join(sentences))
    if code == "shared_tags":
        words = join_words([f"”{t}”" for t in p["tags"]], lang)
        return f"Ni nämner båda {words}" if sv else f"You both mention {words}"
    if code == "text_topics":
        words = join_words(_labels(p["items"], lang), lang)
        return f"Ni berättar båda om {words}" if sv else f"You both talk about {words}"
    if code == "similar_answers":
        return (
            "Ni har berättat liknande saker om er själva"
            if sv
            else "You told us similar things about yourselves"
        )
    if code == "shared_language":
        words = join_words([language_name(c, lang) for c in p["languages"]], lang)
        return f"Ni talar båda {words}" if sv else f"You both speak {words}"
    if code == "same_area":
        return f"Ni bor båda i {p['area']}" if sv else f"You both live in {p['area']}"
    if code == "families":
        return "Ni är båda familjer med barn" if sv else "You are both families with children"
    if code == "same_household":
        if p["household"] == "couple":
            return "Ni bor båda med partner" if sv else "You both live with a partner"
        return "Ni bor båda ensamma" if sv else "You both live alone"
    if code == "close_in_age":
        if int(p["years"]) == 0:
            return "Ni är jämnåriga" if sv else "You are the same age"
        return "Ni är nära varandra i ålder" if sv else "You are close in age"
    if code in ("wish_met", "host_wish_met"):
        what = _wish(p, lang)
        # wish_met is the newcomer's wish, host_wish_met the host's.
        own = (code == "host_wish_met") == (reader == "host")
        if own:
            return f"Du önskade: {what}" if sv else f"You asked for: {what}"
        return (
            f"Du passar det {other} önskade: {what}"
            if sv
            else f"You fit what {other} asked for: {what}"
        )
    raise ValueError(f"unknown reason code {code!r}")


# Score (0-1) from which a fit reads "Mycket god" / "God"; below, "Möjlig". On the shared
# sample the planted host scores 0.51-0.64 (quartiles, median 0.59) and the other shown
# candidates 0.38-0.45 (median 0.41).
FIT_BANDS: tuple[tuple[float, str, str, str], ...] = (
    (0.55, "very_good", "Mycket god", "Very good"),
    (0.40, "good", "God", "Good"),
    (0.0, "possible", "Möjlig", "Possible"),
)


@dataclass(frozen=True)
class Fit:
    """A score as a reader understands it: ``percent`` 0-100 and a ``band``."""

    percent: int
    band: str

    def label(self, lang: str = "sv") -> str:
        """ "Mycket god", "God" or "Möjlig" (English: "Very good", "Good", "Possible")."""
        for _, band, sv, en in FIT_BANDS:
            if band == self.band:
                return sv if lang != "en" else en
        raise ValueError(f"unknown band {self.band!r}")


def fit_of(score: float) -> Fit:
    """The fit of a score in [0, 1]."""
    clipped = min(max(float(score), 0.0), 1.0)
    band = next(b for floor, b, _, _ in FIT_BANDS if clipped >= floor)
    return Fit(percent=round(clipped * 100), band=band)


@dataclass(frozen=True, eq=True)
class Reason:
    """Why a pair fits: ``code`` names the kind of reason, ``params`` its facts.

    Codes: ``shared_interests``, ``related_interests``, ``shared_tags``, ``text_topics``,
    ``similar_answers``, ``shared_language``, ``same_area``, ``families``,
    ``same_household``, ``close_in_age``, ``wish_met``, ``host_wish_met``, and
    ``best_host_elsewhere`` (the newcomer's best candidate went to ``other_newcomer``;
    ``because`` is ``no_other_host``, ``only_language`` with ``language``, or
    ``larger_loss`` with ``their_loss`` and ``our_loss``). ``shared_interests`` and
    ``related_interests`` carry ``guessed`` (each interest that was only guessed, with the
    words as the two wrote them) when there is one; coordinators read those words, the pair
    does not.
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "params"}``: the reason as data, to store or to word later."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """The reason stored by ``to_dict``."""
        return cls(code=str(data["code"]), params=dict(data.get("params") or {}))

    def text(self, lang: str = "sv", names: Mapping[str, str] | None = None) -> str:
        """The reason as a short sentence in Swedish (``"sv"``) or English (``"en"``).

        ``names`` maps person ids to names for reasons that name other people, keyed
        ``"host:<id>"`` / ``"newcomer:<id>"`` (or the bare id when ids are unique across
        both); without it the ids are shown.
        """
        sv = lang != "en"
        p = self.params
        lang = "sv" if sv else "en"
        if self.code == "best_host_elsewhere":
            return _best_host_elsewhere(p, sv, names or {})
        if self.code == "shared_interests":
            words = join_words(_labels(p["items"], lang), lang)
            return _with_guesses(f"Båda gillar {words}" if sv else f"Both like {words}", p, lang)
        if self.code == "related_interests":
            pairs = "; ".join(f"{a[lang]} – {b[lang]}" for a, b in p["pairs"])
            return _with_guesses(
                f"Närliggande intressen: {pairs}" if sv else f"Related interests: {pairs}", p, lang
            )
        if self.code == "shared_tags":
            words = join_words([f"”{t}”" for t in p["tags"]], lang)
            return f"Båda nämner {words}" if sv else f"Both mention {words}"
        if self.code == "text_topics":
            words = join_words(_labels(p["items"], lang), lang)
            return (
                f"Båda berättar om {words} i intervjun"
                if sv
                else f"Both talk about {words} in the interview"
            )
        if self.code == "similar_answers":
            return "Liknande svar i intervjun" if sv else "Similar interview answers"
        if self.code == "shared_language":
            spoken = [language_name(code, lang) for code in p["languages"]]
            words = join_words(spoken, lang)
            return f"Båda talar {words}" if sv else f"Both speak {words}"
        if self.code == "same_area":
            return f"Båda bor i {p['area']}" if sv else f"Both live in {p['area']}"
        if self.code == "families":
            return "Familj med barn (båda)" if sv else "Family with children (both)"
        if self.code == "same_household":
            if p["household"] == "couple":
                return "Båda bor med partner" if sv else "Both live with a partner"
            return "Båda bor ensamma" if sv else "Both live alone"
        if self.code == "close_in_age":
            years = int(p["years"])
            if years == 0:
                return "Jämnåriga" if sv else "Same age"
            if sv:
                return f"Nära i ålder ({years} års skillnad)"
            return f"Close in age ({years} year{'s' if years != 1 else ''} apart)"
        if self.code == "wish_met":
            what = _wish(p, lang)
            return f"Önskemål uppfyllt: {what}" if sv else f"Wish met: {what}"
        if self.code == "host_wish_met":
            what = _wish(p, lang)
            return f"Värden önskade: {what}" if sv else f"The host asked for: {what}"
        raise ValueError(f"unknown reason code {self.code!r}")

    def to_reader(self, reader: str, lang: str = "sv", other: str = "") -> str | None:
        """The reason written to one of the pair, in the second person.

        ``reader`` is ``"host"`` or ``"newcomer"``, ``other`` the first name of the other one
        ("Du passar det Amir önskade: …"). Swedish speaks to the pair as "ni" ("Ni gillar båda
        fiske"), English as "you" ("You both enjoy fishing"). None for a reason that is not
        theirs to read: ``best_host_elsewhere`` is about other people.
        """
        if reader not in READERS:
            raise ValueError(f"unknown reader {reader!r}")
        return _to_pair(self.code, self.params, "en" if lang == "en" else "sv", reader, other)

    def __str__(self) -> str:
        return self.text("sv")
