"""Welcome letters as documents: one letter's content, its HTML, the print PDF, CSV and email.

:func:`compose_letter` resolves a text from ``letters.toml`` for one household into a
:class:`LetterContent`; the renderers below need nothing else (no database, no Flask). The print
layout puts the recipient in the window of a Swedish C5/C4 window envelope (see ``print.css``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from avestavard.imports.inmovers_csv import Address
from avestavard.resources import resource_dir
from avestavard.services.letter_rules import (
    AgeGroup,
    LetterConfig,
    address_several,
    join_names,
    render_text,
)

TEMPLATES_DIR = resource_dir("templates")
CSV_COLUMNS = (
    "Namn",
    "c/o",
    "Utdelningsadress",
    "Postnummer",
    "Postort",
    "Etapp",
    "Språk",
    "Åldersgrupp",
)
# The address list is read by people (and mail-merged in Word): words, not codes.
CSV_AGE_GROUPS = {
    "family": "familj med barn",
    "young": "ung vuxen",
    "adult": "vuxen",
    "senior": "senior",
}
# At most this many names on the envelope; more adults are "m.fl." (and others).
MAX_ENVELOPE_NAMES = 2
# A name line longer than this would not fit the 85 mm address field at 10 pt.
MAX_ENVELOPE_LINE = 36
PDF_TITLE = "Välkomstbrev – Avesta kommun"
# Letters per WeasyPrint document in a print batch (memory grows with the document).
PRINT_CHUNK_LETTERS = 100

# A link ends before trailing punctuation, Arabic comma and question mark included.
_URL_PATTERN = r"\b(?:https?://|www\.)[^\s<>()\"]*[^\s<>()\".,;:!?،؟]"
_URL = re.compile(_URL_PATTERN)
# Phone numbers and links keep their left-to-right order inside Arabic paragraphs.
_LTR_RUN = re.compile(rf"{_URL_PATTERN}|\+?\d[\d \-]{{4,}}\d")


@dataclass(frozen=True, slots=True)
class OtherLanguageLine:
    """A short line in another language on a Swedish letter, pointing to the web page."""

    language: str
    text: str
    rtl: bool


@dataclass(frozen=True, slots=True)
class LetterContent:
    """One letter ready to render: every text resolved, no placeholders left."""

    stage: int
    age_group: AgeGroup
    language: str
    rtl: bool
    addressee: str
    address: Address
    subject: str
    body: str
    closing: str
    letter_date: date
    sender_lines: tuple[str, ...]
    other_language_lines: tuple[OtherLanguageLine, ...] = ()
    unsubscribe_url: str | None = None
    unsubscribe_text: str = ""
    reference: str = ""


def compose_letter(
    config: LetterConfig,
    *,
    stage: int,
    age_group: AgeGroup,
    language: str | None,
    recipients: Sequence[tuple[str, str]],
    address: Address,
    letter_date: date,
    area: str | None = None,
    unsubscribe_url: str | None = None,
    reference: str = "",
) -> LetterContent:
    """Resolve the text for one household's letter.

    ``language`` is the household's registered language; ``None`` (or a language without texts)
    gives the Swedish letter with a short line in each of the other languages. ``recipients``
    are the adults' (first name, last name): to several the letter says "ni" (see
    :func:`~avestavard.services.letter_rules.address_several`). ``area`` defaults to the
    address's town. Raises
    :class:`~avestavard.services.letter_rules.TemplateError` if a text cannot be filled in.
    """
    if not recipients:
        raise ValueError("a letter needs at least one recipient")
    registered = language in config.languages
    lang = language if registered and language else config.fallback_language
    values = {
        "namn": join_names(recipients, lang),
        "ort": area or address.town_display,
        "webbsida": config.web_link,
        "avregistrera": unsubscribe_url or config.web_link,
    }
    text = config.text(stage, age_group, lang)
    several = len(recipients) > 1

    def written(template: str) -> str:
        return render_text(address_several(template, lang) if several else template, values)

    other_lines: tuple[OtherLanguageLine, ...] = ()
    if not registered:
        other_lines = tuple(
            OtherLanguageLine(other, render_text(line, values), config.is_rtl(other))
            for other, line in config.other_language_lines.items()
            if other != lang
        )
    envelope_name = envelope_addressee(recipients)
    strings = config.strings[lang]
    return LetterContent(
        stage=stage,
        age_group=age_group,
        language=lang,
        rtl=config.is_rtl(lang),
        addressee=envelope_name,
        address=address,
        subject=written(text.subject),
        body=written(text.body),
        closing=written(strings.closing),
        letter_date=letter_date,
        sender_lines=config.sender_lines,
        other_language_lines=other_lines,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_text=written(strings.unsubscribe),
        reference=reference,
    )


def envelope_addressee(recipients: Sequence[tuple[str, str]]) -> str:
    """The name line in the envelope window, at most :data:`MAX_ENVELOPE_LINE` characters.

    ``Anna och Jan Berg``; three adults or more: ``Anna och Jan Berg m.fl.``; when that is too
    long, the first adult ``m.fl.``; a single name that is still too long is cut with "…".
    """
    others = " m.fl." if len(recipients) > MAX_ENVELOPE_NAMES else ""
    name = join_names(recipients[:MAX_ENVELOPE_NAMES], "sv") + others
    if len(name) > MAX_ENVELOPE_LINE and len(recipients) > 1:
        name = join_names(recipients[:1], "sv") + " m.fl."
    if len(name) > MAX_ENVELOPE_LINE:
        cut = name[: MAX_ENVELOPE_LINE - 1]
        name = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return name


@lru_cache(maxsize=1)
def letter_environment() -> Environment:
    """The Jinja environment for letters: autoescaped, strict, independent of Flask."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["lines"] = _lines
    return env


def paragraphs(text: str, rtl: bool = False, short_links: bool = False) -> Markup:
    """Plain text to HTML: blank lines separate paragraphs, single newlines become ``<br>``.

    The text is escaped first; links become clickable (on paper, ``short_links`` shows them
    without ``https://``). In right-to-left text, phone numbers and links are isolated so that
    "0226-64 50 00" is not reordered by the bidi algorithm.
    """
    html = []
    for block in re.split(r"\n\s*\n", text.strip()):
        html.append(Markup("<p>{}</p>").format(_lines(block, rtl, short_links)))
    return Markup("\n").join(html)


def _lines(text: str, rtl: bool = False, short_links: bool = False) -> Markup:
    lines = text.strip().split("\n")
    return Markup("<br>\n").join(_inline(line, rtl, short_links) for line in lines)


def _inline(text: str, rtl: bool, short_links: bool) -> Markup:
    out: list[Markup] = []
    position = 0
    for match in _LTR_RUN.finditer(text):
        out.append(escape(text[position : match.start()]))
        run = match.group(0)
        if _URL.fullmatch(run):
            href = run if run.startswith("http") else f"https://{run}"
            shown = re.sub(r"^https?://", "", run) if short_links else run
            piece = Markup('<a href="{}">{}</a>').format(href, shown)
        else:
            piece = escape(run)
        if rtl:
            # WeasyPrint ignores CSS unicode-bidi, but Pango honours the Unicode isolates; the
            # dir attribute does the same for mail clients.
            piece = Markup('<span dir="ltr">\u2066{}\u2069</span>').format(piece)
        out.append(piece)
        position = match.end()
    out.append(escape(text[position:]))
    return Markup("").join(out)


def render_letter_html(letter: LetterContent) -> str:
    """The printed letter as a standalone HTML page (the coordinators' preview)."""
    return render_print_html([letter])


def render_print_html(letters: Sequence[LetterContent]) -> str:
    """One HTML document with one A4 page per letter, as sent to WeasyPrint."""
    template = letter_environment().get_template("letters/print.html")
    return template.render(letters=letters)


def render_print_batch_pdf(
    letters: Sequence[LetterContent], *, chunk_size: int = PRINT_CHUNK_LETTERS
) -> bytes:
    """The print batch: one PDF, one A4 page per letter, address in the envelope window.

    WeasyPrint keeps the whole document's layout in memory (about 0.7 MB a letter), so large
    batches are rendered ``chunk_size`` letters at a time and the parts joined with pypdf;
    memory then stays flat (about 220 MB for any size) at the same speed. The same letters give
    the same bytes (no dates, no random file identifier), so a stored batch can be re-rendered
    and compared.
    """
    if not letters:
        raise ValueError("a print batch needs at least one letter")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    # WeasyPrint takes a while to import; web pages that only preview HTML do not need it.
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    parts = []
    for start in range(0, len(letters), chunk_size):
        html = render_print_html(letters[start : start + chunk_size])
        part = HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()
        if part is None:  # write_pdf returns the bytes when no target is given
            raise RuntimeError("WeasyPrint returned no PDF")
        parts.append(part)
    if len(parts) == 1:
        return parts[0]

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": PDF_TITLE, "/Producer": "AvestaVärd (WeasyPrint, pypdf)"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def render_address_csv(letters: Sequence[LetterContent]) -> bytes:
    """The batch's address list for Excel: UTF-8 with byte order mark, ``;``, CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for letter in letters:
        address = letter.address
        writer.writerow(
            _csv_cell(value)
            for value in (
                letter.addressee,
                address.care_of or "",
                address.street,
                address.postcode,
                address.town_display,
                str(letter.stage),
                _swedish_language_name(letter.language),
                CSV_AGE_GROUPS.get(letter.age_group, letter.age_group),
            )
        )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


@lru_cache(maxsize=32)
def _swedish_language_name(code: str) -> str:
    """``ar`` → ``arabiska``: the language named in Swedish (Babel's CLDR names)."""
    return str(Locale("sv").languages.get(code, code))


def _csv_cell(value: str) -> str:
    # Excel runs cells that start with = + - @ as formulas; a name must never do that.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


def render_email(letter: LetterContent) -> tuple[str, str, str]:
    """``(subject, text, html)`` of the letter sent by email; it must carry an unsubscribe link."""
    if not letter.unsubscribe_url:
        raise ValueError("an email letter needs an unsubscribe_url")
    env = letter_environment()
    context = {"letter": letter}
    text = env.get_template("letters/email.txt").render(context)
    html = env.get_template("letters/email.html").render(context)
    return letter.subject, text, html
