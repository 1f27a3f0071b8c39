"""The same typed text gives the same result through the form, the Excel import and the search.

Interests and email addresses are read by one rule each (the import's normaliser); the web
form's service and the import must not drift apart again.
"""

from __future__ import annotations

import pytest

from avestavard.imports.normalize import normalize_email as import_email
from avestavard.imports.normalize import split_interests as import_interests
from avestavard.services.profiles import normalize_email as form_email
from avestavard.services.profiles import split_interest_words as form_interests

INTERESTS = [
    ("fiske och jakt", ["fiske", "jakt"]),
    ("Kaffe and gaming", ["Kaffe", "gaming"]),
    ("svamp- och bärplockning", ["svamp- och bärplockning"]),
    (
        "musik (rock, pop); läsning\nfotboll / bandy",
        ["musik (rock, pop)", "läsning", "fotboll", "bandy"],
    ),
    ("Fiske, fiske,  FISKE", ["Fiske"]),
]


@pytest.mark.parametrize(("typed", "expected"), INTERESTS)
def test_interests_split_alike_in_form_and_import(typed: str, expected: list[str]) -> None:
    assert import_interests(typed) == expected
    assert form_interests(typed) == expected
    # The import hands its cells on as lists: the service reads them the same way.
    assert form_interests(import_interests(typed)) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("  Anna.Berg@Example.SE ", "anna.berg@example.se"),
        ("mailto:anna@example.se", "anna@example.se"),
        ("<anna@example.se>", "anna@example.se"),
        ("", None),
    ],
)
def test_email_reads_alike_in_form_and_import(typed: str, expected: str | None) -> None:
    assert form_email(typed) == import_email(typed) == expected


@pytest.mark.parametrize("typed", ["anna@", "not an address", "a@b@c.se"])
def test_email_refused_alike_in_form_and_import(typed: str) -> None:
    with pytest.raises(ValueError):
        form_email(typed)
    with pytest.raises(ValueError):
        import_email(typed)
