"""Letter texts: the placeholder language, the default texts and the config checks."""

from __future__ import annotations

import re
import tomllib
from datetime import date

import pytest

from avestavard.imports.inmovers_csv import Address
from avestavard.services.letter_render import LetterContent, compose_letter
from avestavard.services.letter_rules import (
    AGE_GROUPS,
    LETTERS_CONFIG_PATH,
    LetterConfig,
    LetterConfigError,
    LetterText,
    TemplateError,
    join_names,
    load_letter_config,
    parse_letter_config,
    render_text,
    validate_template,
)

VALUES = {
    "namn": "Anna Berg",
    "ort": "Krylbo",
    "webbsida": "https://www.avesta.se/flyttahitochtrivs",
    "avregistrera": "https://example.test/u/x",
}
ARABIC = re.compile(r"[\u0600-\u06ff]")
ADDRESS = Address("Kungsgatan 1", "774 31", "AVESTA")


@pytest.fixture(scope="module")
def config() -> LetterConfig:
    return load_letter_config()


def test_render_text_replaces_placeholders() -> None:
    text = "Hej {namn}! Välkommen till {ort}. Läs mer: {webbsida}"
    assert render_text(text, VALUES) == (
        "Hej Anna Berg! Välkommen till Krylbo. Läs mer: https://www.avesta.se/flyttahitochtrivs"
    )


def test_render_text_is_single_pass_and_literal() -> None:
    # A value that looks like a placeholder stays as written: no second expansion.
    assert render_text("Hej {namn}", {"namn": "{ort}"}) == "Hej {ort}"
    assert render_text("{{namn}} = {namn}", VALUES) == "{namn} = Anna Berg"
    assert render_text("Hej { Namn }!", VALUES) == "Hej Anna Berg!"


@pytest.mark.parametrize(
    "text",
    [
        "Hej {förnamn}!",
        "{0.__class__.__mro__}",
        "{namn.__class__}",
        "{{ namn }} och {% if x %}",
        "Hej {namn",
        "Hej namn}",
    ],
)
def test_unknown_placeholders_and_stray_braces_are_errors(text: str) -> None:
    assert validate_template(text)
    with pytest.raises(TemplateError):
        render_text(text, VALUES)


def test_validation_messages_help_the_coordinator() -> None:
    problems = validate_template("Hej {namn}!\n\nVälkommen till {stad}.\nMvh {")
    assert problems == [
        "Rad 3: okänd platshållare {stad}. Tillåtna platshållare: {namn}, {ort}, {webbsida}, "
        "{avregistrera}.",
        "Rad 4: ensam ”{”. Skriv {{ för att få ett tecken {, eller använd en platshållare: "
        "{namn}, {ort}, {webbsida}, {avregistrera}.",
    ]
    assert validate_template("Hej {namn}, {{inte en platshållare}}") == []


def test_missing_value_is_an_error() -> None:
    with pytest.raises(TemplateError, match="avregistrera"):
        render_text("Avsluta: {avregistrera}", {"namn": "x"})


def test_config_has_every_text(config: LetterConfig) -> None:
    assert config.languages == ("sv", "en", "ar")
    assert config.is_rtl("ar") and not config.is_rtl("sv")
    assert len(config.texts) == 3 * 4 * 3
    for stage in (1, 2, 3):
        for group in AGE_GROUPS:
            for language in config.languages:
                text = config.text(stage, group, language)
                assert text.subject and text.body
                assert not validate_template(text.subject)
                assert not validate_template(text.body)
                if language == "ar":
                    assert ARABIC.search(text.body), (stage, group)
                # Every letter tells people how to reach a person and the web page.
                assert "0226-64 50 00" in text.body
                assert "{webbsida}" in text.body


def test_every_letter_composes_without_placeholders(config: LetterConfig) -> None:
    for stage in (1, 2, 3):
        for group in AGE_GROUPS:
            for language in (None, "sv", "en", "ar"):
                letter = compose_letter(
                    config,
                    stage=stage,
                    age_group=group,
                    language=language,
                    recipients=[("Åsa", "Öberg"), ("Omar", "Öberg")],
                    address=ADDRESS,
                    letter_date=date(2026, 11, 28),
                )
                for text in (letter.subject, letter.body, letter.closing):
                    assert "{" not in text and "}" not in text
                assert "Åsa" in letter.body
                assert "Avesta" in letter.body or "أفيستا" in letter.body
                assert config.web_link in letter.body


def test_swedish_letter_without_a_language_points_to_other_languages(
    config: LetterConfig,
) -> None:
    def compose(language: str | None) -> LetterContent:
        return compose_letter(
            config,
            stage=1,
            age_group="adult",
            language=language,
            recipients=[("Anna", "Berg")],
            address=ADDRESS,
            letter_date=date(2026, 11, 28),
        )

    unknown = compose(None)
    assert unknown.language == "sv"
    assert [line.language for line in unknown.other_language_lines] == ["en", "ar", "so", "fa"]
    assert all(config.web_link in line.text for line in unknown.other_language_lines)
    assert [line.rtl for line in unknown.other_language_lines] == [False, True, False, True]
    # Unsupported registered language: Swedish with the lines too.
    assert compose("ti").language == "sv" and compose("ti").other_language_lines
    # A registered language gets just its letter.
    assert compose("sv").other_language_lines == ()
    arabic = compose("ar")
    assert arabic.rtl and arabic.other_language_lines == ()
    assert arabic.subject.startswith("أهلاً")


def test_envelope_names_and_greeting(config: LetterConfig) -> None:
    letter = compose_letter(
        config,
        stage=1,
        age_group="family",
        language="en",
        recipients=[("Abdi", "Hassan"), ("Amina", "Hassan"), ("Ali", "Hassan")],
        address=ADDRESS,
        letter_date=date(2026, 11, 28),
    )
    assert letter.addressee == "Abdi och Amina Hassan m.fl."
    assert letter.body.startswith("Dear Abdi, Amina and Ali Hassan,")


@pytest.mark.parametrize(
    ("people", "language", "expected"),
    [
        ([("Anna", "Berg")], "sv", "Anna Berg"),
        ([("Anna", "Berg"), ("Jan", "Berg")], "sv", "Anna och Jan Berg"),
        ([("Anna", "Berg"), ("Omar", "Ali")], "sv", "Anna Berg och Omar Ali"),
        ([("Anna", "Berg"), ("Omar", "Ali")], "en", "Anna Berg and Omar Ali"),
        ([("Abdi", "Hassan"), ("Amina", "Hassan")], "ar", "Abdi و Amina Hassan"),
        ([("A", "X"), ("B", "Y"), ("C", "Z")], "sv", "A X, B Y och C Z"),
    ],
)
def test_join_names(people: list[tuple[str, str]], language: str, expected: str) -> None:
    assert join_names(people, language) == expected


def test_coordinator_edit_is_checked(config: LetterConfig) -> None:
    edited = config.with_text(1, "young", "sv", LetterText("Hej {namn}", "Välkommen till {ort}!"))
    assert edited.text(1, "young", "sv").body == "Välkommen till {ort}!"
    assert config.text(1, "young", "sv").body != edited.text(1, "young", "sv").body
    with pytest.raises(LetterConfigError) as error:
        config.with_text(1, "young", "sv", LetterText("Hej {namn}", "Välkommen till {stad}!"))
    assert "okänd platshållare {stad}" in str(error.value)


def test_incomplete_config_lists_every_problem() -> None:
    with LETTERS_CONFIG_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    del data["texts"]["2"]["senior"]["ar"]
    data["texts"]["3"]["young"]["en"]["body"] = "Hi {name}"
    data["schedule"]["stages"][2]["offset_months"] = 2
    with pytest.raises(LetterConfigError) as error:
        parse_letter_config(data)
    problems = error.value.problems
    assert "Etapp 2, senior, ar: ämne eller text saknas" in problems
    assert any(
        p.startswith("Etapp 3, young, en: Rad 1: okänd platshållare {name}") for p in problems
    )
    assert any("strikt" in p for p in problems)
