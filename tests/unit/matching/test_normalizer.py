"""The interest normaliser and the taxonomy behind it, on wording written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matching import InterestNormalizer, default_normalizer, taxonomy
from matching.taxonomy import load_taxonomy


def ids(*words: str) -> set[str | None]:
    """The canonical ids the shared normaliser gives for the words."""
    return {item.canonical_id for item in default_normalizer().normalize(words)}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("sportfiske", "fishing"),
        ("pimpla", "fishing"),
        ("mete", "fishing"),
        ("längdåkning", "cross_country_skiing"),
        ("lyfta skrot", "strength_training"),
        ("sällskapsspel", "board_games"),
        ("pingis", "table_tennis"),
        ("gå på bio", "film"),
        ("öppna förskolan", "parent_groups"),
        ("släktforska", "genealogy"),
        ("Masarna", "speedway"),
    ],
)
def test_swedish_synonyms(word: str, expected: str) -> None:
    assert ids(word) == {expected}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("fly fishing", "fishing"),
        ("Fly-fishing", "fishing"),
        ("Cross-country skiing", "cross_country_skiing"),
        ("going to the gym", "gym"),
        ("bird watching", "birdwatching"),
        ("playing chess", "chess"),
        ("I love cooking", "cooking"),
        ("kayaking", "paddling"),
        ("woodwork", "woodworking"),
    ],
)
def test_english(word: str, expected: str) -> None:
    assert ids(word) == {expected}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # Inflections no list spells out: the stem meets the term's stem.
        ("seglade", "sailing"),
        ("paddlade", "paddling"),
        ("schackklubben", "chess"),
        ("golfbanorna", "golf"),
        ("fisket", "fishing"),
    ],
)
def test_inflected_forms(word: str, expected: str) -> None:
    assert ids(word) == {expected}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("gäddfiske", {"fishing"}),
        ("vinterfiske", {"fishing"}),
        ("kvällspromenader", {"walking"}),
        ("barnkör", {"choir", "children_activities"}),
        ("hockeymatcherna", {"ice_hockey"}),
        # Training, a match, a trip frame the sport or place they are of.
        ("fotbollsträning", {"football"}),
        ("bandyträning", {"bandy"}),
        ("fiskeresor", {"fishing"}),
    ],
)
def test_compounds(word: str, expected: set[str]) -> None:
    assert ids(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("baandy", "bandy"),
        ("fotbol", "football"),
        ("schak", "chess"),
        ("vandrng", "hiking"),
        ("stickninng", "knitting"),
        ("trädgåd", "gardening"),
        ("bowlign", "bowling"),
        ("fiskke", "fishing"),
        # a four-letter word missing one letter
        ("gulf", None),
        ("bady", "bandy"),
    ],
)
def test_typos(word: str, expected: str | None) -> None:
    found = ids(word)
    if expected is None:
        assert found == {None}, "a real word that is a typo of nothing stays a free tag"
    else:
        assert found == {expected}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("fagelskadning", "birdwatching"),
        ("lasa bocker", "reading"),
        ("tradgard", "gardening"),
        ("korsang", "choir"),
        ("skidakning", "skiing"),
        ("langdskidor", "cross_country_skiing"),
    ],
)
def test_missing_swedish_letters(word: str, expected: str) -> None:
    assert ids(word) == {expected}


def test_an_ambiguous_typo_is_not_guessed() -> None:
    # "boxning" and "bowling" are both one edit from "boaling"-like words; a wrong letter in
    # the middle with two equally likely readings must not pick one at random.
    result = default_normalizer().normalize(["boxling"])
    assert [r.canonical_id for r in result] in ([None], ["boxing"], ["bowling"])
    assert len(result) == 1


def test_several_interests_in_one_field() -> None:
    assert ids("fiske och jakt") == {"fishing", "hunting"}
    assert ids("fiske, jakt; bandy") == {"fishing", "hunting", "bandy"}


def test_confidence_reflects_how_the_word_was_read() -> None:
    normalizer = default_normalizer()
    exact = normalizer.normalize(["fiske"])[0]
    typo = normalizer.normalize(["fiskke"])[0]
    assert exact.confidence == 1.0
    assert 0.5 < typo.confidence < 1.0
    assert exact.tag == exact.canonical_id == "fishing"


def test_unknown_words_stay_as_free_tags() -> None:
    [item] = default_normalizer().normalize(["Heraldik"])
    assert item.canonical_id is None
    assert item.tag == "heraldik"
    assert item.confidence == 0.0
    assert item.is_free
    # Two spellings of the same free word compare equal.
    [other] = default_normalizer().normalize(["HERALDIK"])
    assert other.key == item.key


def test_sensitive_words_are_flagged() -> None:
    normalizer = default_normalizer()
    for word in ("moské", "bibelstudier", "church", "pingstkyrkan", "diabetesförening"):
        [item] = normalizer.normalize([word])
        assert item.sensitive, word
    # A church choir is choir singing: the music is the interest, and it is not sensitive.
    [choir] = normalizer.normalize(["kyrkokör"])
    assert choir.canonical_id == "choir"
    assert not choir.sensitive


@pytest.mark.parametrize(
    "word",
    [
        "campingstuga",
        "shoppingstråk",
        "musikhistoria",
        "musikhus",
        "musikhögskolan",
        "hästmänniska",
        "Västmanland",
        "lastmaskin",
        "archives",
        "beehive",
        "chives",
        "backstroke",
        "breaststroke",
        "kosmopolitisk",
        "metropolitan",
        "polishund",
        "polishing",
        "mirakel",
        "miniräknare",
        "självkörande",
        "självförtroende",
        "sprider",
        "stillness",
        "spraying",
        "syringe",
        "Churchill",
        "Botkyrka",
    ],
)
def test_innocent_words_holding_a_sensitive_root_are_not_flagged(word: str) -> None:
    assert not default_normalizer().is_sensitive(word)


@pytest.mark.parametrize(
    "word",
    [
        "equmeniakyrkan",
        "barnkyrkan",
        "pingstkyrkan",
        "pingstvän",
        "kvinnoförsamlingen",
        "diabetesföreningen",
        "arabiskakursen",
        "barnastma",
        "astma",
        "hiv",
        "stroke",
        "sikh",
        "politik",
        "polish",
        "polska",
        "troende",
        "pride",
        "Russia",
    ],
)
def test_sensitive_words_and_compounds_are_flagged(word: str) -> None:
    assert default_normalizer().is_sensitive(word)


def test_no_word_of_a_visible_interest_is_sensitive() -> None:
    normalizer = default_normalizer()
    # "polska" is the folk dance and also "Polish"; the word alone stays sensitive, and an
    # interest field that says just "polska" still reaches folk dance as a known term.
    ambiguous = {"polska"}
    flagged = [
        (interest.id, word)
        for interest in taxonomy()
        if not interest.sensitive
        for word in {*interest.labels.values(), *interest.terms}
        if word not in ambiguous and normalizer.is_sensitive(word)
    ]
    assert flagged == []


def test_an_allowed_word_must_hold_a_sensitive_root(tmp_path: Path) -> None:
    path = tmp_path / "interests.toml"
    path.write_text('[sensitive]\nroots = ["kyrk"]\nallow = ["camping"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="camping"):
        load_taxonomy(path)


def test_empty_and_blank_words_give_nothing() -> None:
    assert default_normalizer().normalize(["", "  ", "!!"]) == []


def test_estimator_contract() -> None:
    normalizer = InterestNormalizer(fuzzy=False)
    assert normalizer.get_params()["fuzzy"] is False
    assert not [name for name in vars(normalizer) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        normalizer.normalize(["fiske"])
    assert normalizer.fit() is normalizer
    assert hasattr(normalizer, "exact_")
    # Without fuzzy matching a typo stays a free tag.
    assert [i.canonical_id for i in normalizer.normalize(["baandy"])] == [None]
    copy = clone(normalizer)
    assert copy.get_params() == normalizer.get_params()
    assert not hasattr(copy, "exact_")


def test_default_normalizer_is_shared() -> None:
    assert default_normalizer() is default_normalizer()


def test_taxonomy_is_broad_and_consistent() -> None:
    tax = taxonomy()
    visible = [i for i in tax if not i.sensitive]
    assert len(visible) >= 150
    categories = {i.category for i in visible}
    for needed in (
        "outdoor",
        "sports",
        "crafts",
        "music",
        "culture",
        "family",
        "food",
        "games",
        "language",
        "community",
        "history",
    ):
        assert needed in categories
    for interest in tax:
        assert interest.label("sv") and interest.label("en")
        if not interest.sensitive:
            assert interest.labels.get("ar"), interest.id
        if interest.parent is not None:
            assert interest.parent in tax
    # No word is claimed by two interests.
    assert default_normalizer().conflicts_ == []


def test_suggestions_hide_sensitive_interests() -> None:
    groups = taxonomy().suggestions("sv")
    shown = [i for _category, members in groups for i in members]
    assert shown and not any(i.sensitive for i in shown)
    assert any(i.display("sv") == "Fiske" for i in shown)
    assert any(i.display("en") == "Fishing" for i in shown)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("innebandylaget", "floorball"),
        ("schackgänget", "chess"),
        ("körkvällar", "choir"),
        ("kvällsfiske", "fishing"),
        ("familjebowling", "bowling"),
        ("golfrundor", "golf"),
    ],
)
def test_framing_parts_of_a_compound_are_dropped(word: str, expected: str) -> None:
    # "when, with whom, how" parts frame the pastime: only the pastime is read, never the
    # frame itself (familje- is not family life).
    found = {i.canonical_id for i in default_normalizer().normalize([word])}
    assert found == {expected}


def test_where_a_pastime_happens_frames_it() -> None:
    # A forest, a hall or a card says where or with what: with the compounds themselves
    # taken out, the pastime is what stands before them.
    normalizer = InterestNormalizer(
        exclude_terms=("svampskogen", "gymkort", "gymkortet", "simhall", "simhallen")
    ).fit()
    for word, expected in (
        ("svampskogen", "mushroom_picking"),  # not nature
        ("gymkortet", "gym"),  # not card games
        ("simhallen", "swimming"),
    ):
        assert {i.canonical_id for i in normalizer.normalize([word])} == {expected}


def test_a_framing_part_with_a_slip_in_it_still_frames() -> None:
    # With "pilbåge" taken out, "kvälls|pilbåge" is read by its core; so is the same word
    # with a slip in the frame ("kväls|pilbåge", "moorgon|..."), which is no term's typo.
    normalizer = InterestNormalizer(exclude_terms=("pilbåge",)).fit()
    for word in ("kvällspilbåge", "kvälspilbåge"):
        assert {i.canonical_id for i in normalizer.normalize([word])} == {"archery"}
    normalizer = InterestNormalizer(exclude_terms=("bingohall", "bingohallar")).fit()
    assert {i.canonical_id for i in normalizer.normalize(["moorgonbingohall"])} == {"bingo"}
    # The likelier slip wins, and never in the first letter: "lördag|morgon" lacks a
    # linking s (no "orgon" of an organ), "inter|net" holds no "vinter".
    assert "piano" not in ids("lördagmorgon")
    assert "dogs" not in ids("fredagkvällar")
    assert ids("internetforum") == {None}


def test_words_far_from_any_term_by_edits_are_read_by_character_trigrams() -> None:
    # With compounds split, "stjärn|skådis" is read by its modifier; without, by trigrams.
    normalizer = InterestNormalizer(compounds=False).fit()
    [item] = normalizer.normalize(["stjärnskådis"])
    assert (item.canonical_id, item.method) == ("astronomy", "ngram")
    # Nothing near enough stays a free tag rather than a guess.
    [free] = normalizer.normalize(["zxqvarnsk"])
    assert free.is_free


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # Each word is taken out of the taxonomy, with every term that stems like it; what
        # is left of its interest's compounds and phrases still names the pastime.
        ("skytte", "shooting"),  # lerduveskytte, målskytte, skyttebana...
        ("kvällsskytte", "shooting"),  # a framing part and the core "skytte"
        ("cat", "cats"),  # cat lover, cat person...
    ],
)
def test_a_word_that_recurs_in_one_interests_compounds_names_it(word: str, expected: str) -> None:
    core = word.removeprefix("kvälls")
    normalizer = InterestNormalizer(exclude_terms=(core,)).fit()
    assert core not in normalizer.exact_
    [item] = normalizer.normalize([word])
    assert (item.canonical_id, item.method) == (expected, "part")


def test_a_modifier_is_not_read_from_the_start_of_a_longer_word() -> None:
    # Without "skytte" known, "pist" (downhill skiing) must not be read out of "pistol|skytte".
    normalizer = InterestNormalizer(exclude_terms=("pistolskytte", "skytte")).fit()
    assert "downhill_skiing" not in {i.canonical_id for i in normalizer.normalize(["pistolskytte"])}


def test_a_compound_whose_modifier_is_a_part_is_read_by_it() -> None:
    # With the parent-group words taken out, "pappa" is still what "pappaledig",
    # "pappaträff" and their kind share.
    excluded = ("pappagrupp", "pappagrupper", "pappagruppen")
    normalizer = InterestNormalizer(exclude_terms=excluded).fit()
    [item] = normalizer.normalize(["pappagruppar"])
    assert item.canonical_id == "parent_groups"


def test_a_word_near_several_interests_of_one_kind_is_read_as_their_broader_interest() -> None:
    # Without "orkester" and its inflections, the word is about as near choir, playing
    # music and concerts by its trigrams: not one of them, but music, which holds them all.
    normalizer = InterestNormalizer(exclude_terms=("orkester",)).fit()
    [item] = normalizer.normalize(["orkester"])
    assert (item.canonical_id, item.method) == ("music", "ngram")
    assert item.confidence < 0.5  # a guess: counts less than a reading
    # As a plain nearest form, one of several interests, it is still not guessed.
    assert normalizer._nearest("orkester") is None
    # Letters that make no words are not read by trigrams, alone or in a phrase.
    assert ids("ab cd", "xyz qq") == {None}
    # A word with a sensitive root is never read by its trigrams, not even broadly.
    [sensitive] = normalizer.normalize(["eritreansk kultur"])
    assert sensitive.is_free and sensitive.sensitive


def test_a_head_is_read_only_after_a_first_part_that_is_a_word() -> None:
    # "lantil|vande" is a slip in "lantlivande", not a kind of hiking ("vandra"), and
    # "porträttek|nande" holds no "nande"; read as a whole, they are farming and drawing.
    assert ids("lantilvande") == {"farming"}
    assert ids("porträtteknande") == {"drawing"}
    # A first part that is a word, however short, still lets the head name the pastime.
    assert ids("sjöbastu") == {"sauna"}
    assert ids("ekpaddling") == {"paddling"}
    assert ids("idrottsbowling") >= {"bowling"}
    # Two letters are a word only when common as typed: "sy|maskin", "öl|provning", not
    # "pu|barna".
    normalizer = default_normalizer()
    assert normalizer._is_modifier("sy", "sy") and normalizer._is_modifier("ol", "öl")
    assert not normalizer._is_modifier("pu", "pu")


def test_a_letter_typed_with_its_ring_or_dots_is_meant() -> None:
    # Folding forgives a keyboard without å, ä and ö ...
    assert ids("fagelskadning") == {"birdwatching"}
    assert ids("batar") == {"boating"}
    # ... but "höst" (autumn) is no form of "host", and with "bröd" taken out of the
    # taxonomy, "bröd" is still not "brod|era" (embroidery).
    assert "socializing" in ids("host") and "socializing" not in ids("höst")
    normalizer = InterestNormalizer(exclude_terms=("bröd",)).fit()
    assert "embroidery" not in {i.canonical_id for i in normalizer.normalize(["bröd"])}
    # Inside a framing compound the core keeps its letters too: "helg|båtar" is a common
    # word, not a typo of "bastar" (sauna), and "helg|umgänge" holds no "gång" (gånglåt).
    normalizer = InterestNormalizer(exclude_terms=("båtar", "umgänge")).fit()
    assert {i.canonical_id for i in normalizer.normalize(["helgbåtar"])} == {"boating"}
    assert {i.canonical_id for i in normalizer.normalize(["helgumgänge"])} == {"socializing"}


def test_a_stem_meets_only_parts_cut_where_the_rest_is_a_word() -> None:
    # "cano" recurs in padel's "americano" terms, but "ameri" is no word: "canoe" (stem
    # "cano"), taken out of the taxonomy, must not become padel.
    normalizer = InterestNormalizer(exclude_terms=("canoe",)).fit()
    assert normalizer.parts_.get("cano") == "padel"
    assert "cano" not in normalizer.whole_parts_
    assert "padel" not in {i.canonical_id for i in normalizer.normalize(["canoe"])}


def test_a_typo_in_a_phrase_is_held_to_each_word_s_length() -> None:
    # "car" is one letter from "cat", but a three-letter word has too many neighbours:
    # with "car shows" taken out, it is cars (by its words), never cat shows.
    normalizer = InterestNormalizer(exclude_terms=("car shows",)).fit()
    assert {i.canonical_id for i in normalizer.normalize(["car shows"])} == {"cars"}
    # A slip in a long word of the phrase is still forgiven.
    assert {i.canonical_id for i in normalizer.normalize(["cat shwos"])} == {"cats"}
    assert ids("fly fsihing") == {"fishing"}


def test_a_part_shared_by_several_interests_is_not_guessed() -> None:
    normalizer = default_normalizer()
    # "bana" ends skyttebana, golfbana, slalombana, travbana...: no single pastime.
    assert "bana" not in normalizer.parts_
    assert all(item.method != "part" for item in normalizer.normalize(["bana"]))


def test_a_common_word_is_not_taken_for_a_typo_of_a_term() -> None:
    # "vatten" is one letter from "katten", but it is a word in its own right.
    assert "cats" not in ids("vatten")
    assert ids("sinming") == {"swimming"}


def test_excluded_terms_are_not_known_but_labels_are() -> None:
    normalizer = InterestNormalizer(exclude_terms=("pimpla", "fisket")).fit()
    assert "pimpla" not in normalizer.exact_ and "pimpl" not in normalizer.stems_
    # At most a guess from the character trigrams it shares with "pimpelfiske".
    [pimpla] = normalizer.normalize(["pimpla"])
    assert pimpla.is_free or pimpla.method == "ngram"
    # "fiske" is the label: it stays, and words stemming like it are still understood.
    assert normalizer.normalize(["fiske"])[0].canonical_id == "fishing"
    assert "fisket" not in normalizer.exact_


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("stjärnskådare", "astronomy"),  # the doer of stjärnskådning
        ("täljare", "wood_carving"),
        ("broderier", "embroidery"),
        ("orienterarna", "orienteering"),
    ],
)
def test_derivations_of_a_pastime_meet_at_its_root(word: str, expected: str) -> None:
    [item] = default_normalizer().normalize([word])
    assert (item.canonical_id, item.method) == (expected, "stem")


def test_a_held_out_verb_is_read_through_the_label_s_root() -> None:
    # "boxas" and every term stemming like it are taken out; the label "boxning" stays and
    # shares the root "box" with the verb.
    normalizer = InterestNormalizer(exclude_terms=("boxas", "boxa")).fit()
    assert [i.canonical_id for i in normalizer.normalize(["boxas"])] == ["boxing"]
    assert "box" not in normalizer.stems_


def test_free_tags_meet_without_their_framing_parts_and_derivations() -> None:
    normalizer = default_normalizer()
    keys = {
        word: [i.key for i in normalizer.normalize([word])]
        for word in ("quibbroska", "quibbroskare", "morgonquibbroska", "quibbroskagänget")
    }
    assert len({tuple(k) for k in keys.values()}) == 1, keys
    [key] = keys["quibbroska"]
    assert key.startswith("~")


def test_a_misspelt_unknown_word_is_read_as_the_word_it_misspells() -> None:
    from matching.lexicon import lexicon

    assert lexicon().correct("skkytte") == "skytte"
    assert lexicon().correct("skytte") is None  # a word, not a typo
    normalizer = InterestNormalizer(exclude_terms=("skytte", "skyttet")).fit()
    # Both spellings are read alike: "skytte" is still the part that "lerduveskytte",
    # "skyttebana" and the other shooting terms share.
    [typed] = normalizer.normalize(["skkytte"])
    [right] = normalizer.normalize(["skytte"])
    assert typed.key == right.key == "shooting"
    # A misspelt word nothing knows meets its right spelling as one free tag, shown as
    # written.
    [typed] = normalizer.normalize(["parraply"])
    [right] = normalizer.normalize(["paraply"])
    assert typed.is_free and typed.key == right.key and typed.tag == "parraply"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Vasaloppet", "cross_country_skiing"),
        ("hembygdsföreningen", "local_history"),
        ("Allsvenskan", "football"),
        ("Friskis & Svettis", "group_training"),
        ("kolonilott", "gardening"),
        ("pimpelfiskare", "fishing"),
        ("Sportfiskarna", "fishing"),
        ("SPF Seniorerna", "senior_club"),
        ("pubquiz", "quiz"),
        ("bakluckeloppis", "flea_markets"),
    ],
)
def test_clubs_events_and_places_name_their_pastime(word: str, expected: str) -> None:
    assert ids(word) == {expected}


def test_taught_words_win_over_the_taxonomy_and_are_read_inflected_and_in_compounds() -> None:
    plain = default_normalizer()
    assert plain.normalize(["Krylbo IF"])[0].canonical_id is None
    assert plain.normalize(["kort"])[0].canonical_id == "card_games"
    taught = InterestNormalizer(
        taught_terms=(("Krylbo IF", "football"), ("kort", "gym"), ("kyrkokör", "choir"))
    ).fit()
    assert taught.normalize(["krylbo if"])[0].canonical_id == "football"
    # A taught word wins over a listed term ("kort" is the gym card here, not cards).
    assert taught.normalize(["kort"])[0].canonical_id == "gym"
    for word in ("kyrkokörerna", "sommarkyrkokör", "kyrkokörsresa"):
        assert [n.canonical_id for n in taught.normalize([word])] == ["choir"], word
    # Everything else reads as before.
    assert taught.normalize(["kortspel"])[0].canonical_id == "card_games"


def test_a_word_taught_as_an_interest_the_taxonomy_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no interest 'quidditch'"):
        InterestNormalizer(taught_terms=(("kvastboll", "quidditch"),)).fit()


def test_a_taught_word_that_tells_politics_or_faith_is_never_read_as_a_pastime() -> None:
    taught = InterestNormalizer(
        taught_terms=(("Moderaterna", "football"), ("pingstkyrkan", "choir"), ("Sörbo", "hiking"))
    ).fit()
    for word, pastime in (("Moderaterna", "football"), ("pingstkyrkan", "choir")):
        (item,) = taught.normalize([word])
        assert item.canonical_id != pastime and item.sensitive, word
    assert taught.normalize(["Sörbo"])[0].canonical_id == "hiking"


def test_listed_as_names_only_a_listed_or_taught_word() -> None:
    assert default_normalizer().listed_as("Fotboll") == "football"
    assert default_normalizer().listed_as("fotbollarna") is None  # only read by its stem
    assert default_normalizer().listed_as("Krylbo IF") is None
    taught = InterestNormalizer(taught_terms=(("Krylbo IF", "football"),)).fit()
    assert taught.listed_as("krylbo  if") == "football"


def test_a_word_taught_as_no_pastime_is_read_as_written_and_never_guessed() -> None:
    club = InterestNormalizer(taught_terms=(("Krylbo IF", "football"),)).fit()
    assert club.normalize(["Krylbo"])[0].canonical_id == "football"  # a guess by letters
    both = InterestNormalizer(taught_terms=(("Krylbo IF", "football"), ("Krylbo", ""))).fit()
    (item,) = both.normalize(["krylbo"])
    assert (item.canonical_id, item.key, item.method) == (None, "~krylbo", "free")
    assert both.is_no_pastime("Krylbo") and not both.is_no_pastime("Krylbo IF")
    assert both.normalize(["Krylbo IF"])[0].canonical_id == "football"
