"""Rendering letters: the print PDF read back with pypdf, the address CSV and the email bodies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import pytest
from pypdf import PdfReader

from avestavard.imports.inmovers_csv import Address
from avestavard.services.letter_render import (
    LetterContent,
    compose_letter,
    render_address_csv,
    render_email,
    render_letter_html,
    render_print_batch_pdf,
)
from avestavard.services.letter_rules import AGE_GROUPS, LetterConfig, load_letter_config

MM_PER_PT = 25.4 / 72
# The envelope window the address must fit (mm from the sheet's top left corner): the area that
# the usual Swedish C5/C4 left windows (20 mm from the left, 45 mm from the top) all show.
WINDOW_LEFT, WINDOW_RIGHT, WINDOW_TOP, WINDOW_BOTTOM = 20.0, 110.0, 45.0, 70.0
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def config() -> LetterConfig:
    return load_letter_config()


def _letter(
    config: LetterConfig,
    language: str | None,
    *,
    stage: int = 1,
    group: str = "family",
    recipients: tuple[tuple[str, str], ...] = (("Åsa", "Öberg"), ("Jörgen", "Öberg")),
    address: Address | None = None,
    unsubscribe_url: str | None = None,
) -> LetterContent:
    return compose_letter(
        config,
        stage=stage,
        age_group=group,  # type: ignore[arg-type]
        language=language,
        recipients=list(recipients),
        address=address or Address("Kvarntorget 290", "774 40", "KRYLBO", "c/o Nilsson"),
        letter_date=TODAY,
        unsubscribe_url=unsubscribe_url,
        reference="H-17",
    )


@dataclass
class Run:
    text: str
    x_mm: float
    baseline_mm: float  # from the top of the sheet
    size_mm: float


def _runs(page) -> list[Run]:  # type: ignore[no-untyped-def]
    """Text runs with their position on the sheet, from the PDF's own matrices."""
    height = float(page.mediabox.height)
    runs: list[Run] = []

    def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        if not text.strip():
            return
        # Text space -> user space: tm, then the current transformation matrix cm.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[0] * cm[0]) or abs(tm[1] * cm[1])
        runs.append(
            Run(text.strip(), x * MM_PER_PT, (height - y) * MM_PER_PT, size * scale * MM_PER_PT)
        )

    page.extract_text(visitor_text=visit)
    return runs


def _fonts(page) -> set[str]:  # type: ignore[no-untyped-def]
    fonts = page["/Resources"]["/Font"]
    return {str(fonts[name].get_object()["/BaseFont"]).split("+")[-1] for name in fonts}


@pytest.fixture(scope="module")
def batch(config: LetterConfig) -> tuple[list[LetterContent], bytes]:
    letters = [
        _letter(config, None),
        _letter(config, "en", stage=2, group="young"),
        _letter(config, "ar", stage=3, group="senior"),
    ]
    return letters, render_print_batch_pdf(letters)


def test_one_page_per_letter_and_readable_text(batch: tuple[list[LetterContent], bytes]) -> None:
    letters, pdf = batch
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == len(letters)
    swedish = reader.pages[0].extract_text()
    assert "Välkommen till Avesta, Åsa och Jörgen Öberg!" in swedish
    for word in (
        "förskola",
        "lånekort",
        "Välkommen till Avesta kommun och till Krylbo!",
        "www.avesta.se/flyttahitochtrivs",
        "0226-64 50 00",
        "Varma hälsningar",
    ):
        assert word in swedish
    # The short lines for households without a registered language.
    assert "This letter is in Swedish" in swedish
    assert "هذه الرسالة باللغة السويدية" in swedish
    # No internal reference (household number, stage) is printed on a letter.
    assert all("H-17" not in page.extract_text() for page in reader.pages)
    english = reader.pages[1].extract_text()
    assert "How are you settling in, Åsa and Jörgen Öberg?" in english
    assert "This letter is in Swedish" not in english


def test_arabic_page_is_right_to_left_with_arabic_glyphs(
    batch: tuple[list[LetterContent], bytes],
) -> None:
    _, pdf = batch
    page = PdfReader(io.BytesIO(pdf)).pages[2]
    text = page.extract_text()
    assert "لقد مضى عام على سكنكم في" in text
    assert "نرجو أن تشعروا بأنكم في بيتكم" in text
    assert "مع أطيب التحيات" in text
    assert "Noto-Naskh-Arabic" in _fonts(page)
    # Right-aligned: the Arabic lines end at the right margin, not at the left one.
    runs = [r for r in _runs(page) if "مع أطيب التحيات" in r.text]
    assert runs and runs[0].x_mm > 120


def test_address_sits_in_the_envelope_window(batch: tuple[list[LetterContent], bytes]) -> None:
    _, pdf = batch
    for page in PdfReader(io.BytesIO(pdf)).pages:
        runs = _runs(page)
        lines = [
            "Avesta kommun, 774 81 Avesta",
            "Åsa och Jörgen Öberg",
            "c/o Nilsson",
            "Kvarntorget 290",
            "774 40 KRYLBO",
        ]
        found = [next(r for r in runs if r.text == line) for line in lines]
        baselines = [r.baseline_mm for r in found]
        assert baselines == sorted(baselines), "return address first, then the recipient lines"
        for run in found:
            # Upper bound of the width: 0.65 em a character is wider than Noto Sans' average.
            right = run.x_mm + len(run.text) * 0.65 * run.size_mm
            top = run.baseline_mm - run.size_mm
            assert run.x_mm >= WINDOW_LEFT and right <= WINDOW_RIGHT, run
            assert top >= WINDOW_TOP and run.baseline_mm <= WINDOW_BOTTOM, run


def test_long_names_stay_inside_the_window(config: LetterConfig) -> None:
    long_name = (("Maximiliana Alexandra Konstantina", "Wallenberg-Bernadotte af Wisborg"),)
    pdf = render_print_batch_pdf([_letter(config, "sv", recipients=long_name)])
    runs = _runs(PdfReader(io.BytesIO(pdf)).pages[0])
    name = next(r for r in runs if r.text.startswith("Maximiliana"))
    assert name.text == "Maximiliana Alexandra Konstantina…"
    assert name.x_mm + len(name.text) * 0.65 * name.size_mm <= WINDOW_RIGHT
    two = (("Maximiliana", "Wallenberg"), ("Konstantin", "Bernadotte"))
    assert _letter(config, "sv", recipients=two).addressee == "Maximiliana Wallenberg m.fl."


def test_same_letters_give_identical_bytes(
    config: LetterConfig, batch: tuple[list[LetterContent], bytes]
) -> None:
    letters, pdf = batch
    assert render_print_batch_pdf(letters) == pdf
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf


def test_every_stage_group_and_language_fits_on_one_page(config: LetterConfig) -> None:
    letters = [
        _letter(config, language, stage=stage, group=group)
        for stage in (1, 2, 3)
        for group in AGE_GROUPS
        for language in (None, "en", "ar")
    ]
    reader = PdfReader(io.BytesIO(render_print_batch_pdf(letters)))
    assert len(reader.pages) == len(letters)
    for letter, page in zip(letters, reader.pages, strict=True):
        text = page.extract_text()
        assert "{" not in text and "}" not in text
        assert "774 40 KRYLBO" in text
        first_words = letter.body.split("\n")[0][:6]
        assert first_words in text, (letter.stage, letter.age_group, letter.language)


def test_html_escapes_names(config: LetterConfig) -> None:
    letter = _letter(config, "sv", recipients=(("<script>alert(1)</script>", "Berg"),))
    html = render_letter_html(letter)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<section class="letter" lang="sv" dir="ltr">' in html
    arabic = render_letter_html(_letter(config, "ar"))
    assert '<section class="letter" lang="ar" dir="rtl">' in arabic
    # The phone number keeps its order inside Arabic text.
    assert '<span dir="ltr">\u20660226-64 50 00\u2069</span>' in arabic


def test_address_csv_opens_in_excel(config: LetterConfig) -> None:
    letters = [
        _letter(config, None),
        _letter(
            config,
            "ar",
            stage=2,
            group="senior",
            recipients=(('=HYPERLINK("x")', "Ali"),),
            address=Address("Ängsgatan 3", "774 41", "KRYLBO"),
        ),
    ]
    data = render_address_csv(letters)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        [
            "Namn",
            "c/o",
            "Utdelningsadress",
            "Postnummer",
            "Postort",
            "Etapp",
            "Språk",
            "Åldersgrupp",
        ],
        [
            "Åsa och Jörgen Öberg",
            "c/o Nilsson",
            "Kvarntorget 290",
            "774 40",
            "Krylbo",
            "1",
            "svenska",
            "familj med barn",
        ],
        [
            '\'=HYPERLINK("x") Ali',
            "",
            "Ängsgatan 3",
            "774 41",
            "Krylbo",
            "2",
            "arabiska",
            "senior",
        ],
    ]


def test_email_has_text_html_and_unsubscribe_link(config: LetterConfig) -> None:
    url = "https://avestavard.example/brev/avsluta/abc123"
    subject, text, html = render_email(_letter(config, None, unsubscribe_url=url))
    assert subject == "Välkommen till Avesta, Åsa och Jörgen Öberg!"
    assert text.startswith("Hej Åsa och Jörgen Öberg!\n\nVälkommen till Avesta kommun")
    assert text.rstrip().endswith(url)
    assert "This letter is in Swedish" in text
    assert f'<a href="{url}">' in html
    assert '<a href="https://www.avesta.se/flyttahitochtrivs">' in html
    assert '<html lang="sv" dir="ltr">' in html

    subject, text, html = render_email(_letter(config, "ar", unsubscribe_url=url))
    assert subject.startswith("أهلاً وسهلاً")
    assert '<html lang="ar" dir="rtl">' in html
    assert "إلغاء الاشتراك" in text and url in text


def test_email_without_unsubscribe_link_is_refused(config: LetterConfig) -> None:
    with pytest.raises(ValueError, match="unsubscribe"):
        render_email(_letter(config, "sv"))


def test_large_batches_are_rendered_in_parts_and_joined_in_order(config: LetterConfig) -> None:
    languages = [None, "en", "ar", "sv", None]
    letters = [
        _letter(config, language, stage=1 + i % 3, recipients=((f"Person{i}", "Öberg"),))
        for i, language in enumerate(languages)
    ]
    joined = render_print_batch_pdf(letters, chunk_size=2)
    whole = render_print_batch_pdf(letters, chunk_size=len(letters))
    joined_pages = PdfReader(io.BytesIO(joined)).pages
    assert len(joined_pages) == len(letters)
    for i, (page, single) in enumerate(
        zip(joined_pages, PdfReader(io.BytesIO(whole)).pages, strict=True)
    ):
        assert f"Person{i} Öberg" in page.extract_text()
        # A mirrored parenthesis in Arabic text extracts as "(" or ")" depending on which
        # character first used that glyph in the font subset, so parentheses are left out.
        assert _without_parentheses(page.extract_text()) == _without_parentheses(
            single.extract_text()
        )
    assert render_print_batch_pdf(letters, chunk_size=2) == joined
    assert b"/CreationDate" not in joined and b"/ModDate" not in joined


def _without_parentheses(text: str) -> str:
    return text.replace("(", "").replace(")", "")


def test_phone_number_in_arabic_letter_keeps_its_order(
    batch: tuple[list[LetterContent], bytes],
) -> None:
    """In right-to-left text the number is isolated left-to-right: the PDF's text runs read
    0226-64 50 00, never reordered as 00 50 64-0226."""
    _, pdf = batch
    page = PdfReader(io.BytesIO(pdf)).pages[2]
    text = page.extract_text()
    assert "0226-64 50 00" in text
    assert "00 50 64-0226" not in text


def test_a_letter_to_several_says_ni_but_never_rewrites_a_name(config: LetterConfig) -> None:
    recipients = (("Dina", "Du"), ("Ditt", "Du"))
    letter = _letter(config, "sv", group="adult", recipients=recipients)
    assert letter.subject == "Välkommen till Avesta, Dina och Ditt Du!"
    assert "Vi hoppas att ni ska trivas här" in letter.body
    one = _letter(config, "sv", group="adult", recipients=recipients[:1])
    assert "Vi hoppas att du ska trivas här" in one.body
    # English and Arabic texts already fit one person and several.
    assert _letter(config, "en", group="adult").body == _letter(
        config, "en", group="adult", recipients=(("Åsa", "Öberg"),)
    ).body.replace("Åsa Öberg", "Åsa and Jörgen Öberg")
