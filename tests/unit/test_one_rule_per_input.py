"""The same typed text gives the same result through the form, the Excel import and the search.

Interests, email addresses, birth years and phone numbers are read by one rule each (the
import's normaliser), and the age wishes by one threshold in the matcher.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from wtforms.validators import ValidationError

from avestavard.imports.normalize import NormalizationError
from avestavard.imports.normalize import normalize_email as import_email
from avestavard.imports.normalize import normalize_phone as import_phone
from avestavard.imports.normalize import parse_birth_year as import_birth_year
from avestavard.imports.normalize import split_interests as import_interests
from avestavard.public.register_forms import parse_birth_year as form_birth_year
from avestavard.services.profiles import normalize_email as form_email
from avestavard.services.profiles import normalize_phone_number as form_phone
from avestavard.services.profiles import split_interest_words as form_interests
from avestavard.services.search import phone_digits
from matching.features import AGE_CODES
from matching.scoring import _age_wish
from matching.wishes import age_wish_holds

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


BIRTH_YEARS = [
    ("1985", 1985),
    (" 1985 ", 1985),
    ("85", 1985),
    ("1985-04-19", 1985),
    ("19850419-1234", 1985),
    ("١٩٨٥", 1985),  # Arabic-Indic digits are digits
    ("１９８５", 1985),
    ("", None),
]


@pytest.mark.parametrize(("typed", "expected"), BIRTH_YEARS)
def test_birth_year_reads_alike_in_form_and_import(typed: str, expected: int | None) -> None:
    today = date.today()
    assert import_birth_year(typed, today) == expected
    assert form_birth_year(typed) == expected


@pytest.mark.parametrize("typed", ["①②③④", "¹⁹⁸⁵", "nittonåttiofem", "3001", "19a5"])
def test_birth_year_refused_alike_in_form_and_import(typed: str) -> None:
    with pytest.raises(NormalizationError):
        import_birth_year(typed, date.today())
    with pytest.raises(ValidationError):
        form_birth_year(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("070-118 44 35", "+46701184435"),
        ("0701184435", "+46701184435"),
        ("+46 70 118 44 35", "+46701184435"),
        ("Mobil: 070-118 44 35 (hem)", "+46701184435"),
    ],
)
def test_phone_reads_alike_in_form_import_and_search(typed: str, expected: str) -> None:
    assert import_phone(typed) == expected
    assert form_phone(typed) == expected
    assert phone_digits(typed) == expected.lstrip("+")


@pytest.mark.parametrize("gap", range(-14, 15))
@pytest.mark.parametrize("wish", ["older", "younger", "same"])
def test_age_wish_reads_alike_for_one_pair_and_many(wish: str, gap: int) -> None:
    """The wish reading (one pair) and the scorer (arrays of pairs) use the same thresholds."""
    one = age_wish_holds(wish, gap)
    many = age_wish_holds(wish, np.array([gap, gap]))
    assert list(many) == [one, one]
    code = np.array([AGE_CODES[wish]])
    scored = _age_wish(code, np.array([2000.0]), np.array([2000.0 - gap]))
    assert bool(scored[0]) == one
