#!/usr/bin/env python3
"""Keep translation catalogs in step with the code.

    scripts/i18n.py compile            compile every .po under avestavard/translations to .mo
    scripts/i18n.py check              fail on a missing catalog, a missing, untranslated or
                                       fuzzy message
    scripts/i18n.py missing LANG       print the messages LANG still lacks, as JSON for po_add.py

Each area has its own catalog folder, avestavard/translations/<area>/<lang>/LC_MESSAGES/
messages.po; the app loads and merges them all. Message ids are the Swedish text, found in the
code and templates with Babel's extractor (babel.cfg). Languages come from config/default.toml:
every message must exist in each of LANGUAGES (the interface), and every message of a page or
email newcomers read must exist in each of PUBLIC_LANGUAGES.
"""

from __future__ import annotations

import fnmatch
import json
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "avestavard" / "translations"
SOURCE_LANGUAGE = "sv"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "N_": None,
}
METHODS = [
    ("avestavard/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]
# Pages and emails newcomers read (the public blueprint, its templates and their emails).
PUBLIC_SOURCES = (
    "avestavard/public/*.py",
    "avestavard/services/my_registration.py",
    "avestavard/views_errors.py",
    "templates/base.html",
    "templates/_macros.html",
    "templates/errors/*",
    "templates/public/*",
    "templates/email/registration_confirm.*",
    "templates/email/my_registration_link.*",
    "templates/email/my_registration_unknown.*",
    "templates/email/match_introduction.*",
    "templates/email/followup.*",
)
# Messages newcomers see that are written outside those files (form errors from services).
PUBLIC_MESSAGES_FROM = ("avestavard/services/profiles.py", "avestavard/forms.py")


def compile_all() -> int:
    """Write messages.mo beside every messages.po (only when the .po is newer)."""
    for po_path in sorted(ROOT.glob("*/*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        with mo_path.open("wb") as fh:
            write_mo(fh, catalog)
    return 0


def _languages() -> tuple[list[str], list[str]]:
    with (REPO / "config" / "default.toml").open("rb") as fh:
        config = tomllib.load(fh)
    return list(config["LANGUAGES"]), list(config["PUBLIC_LANGUAGES"])


def extracted() -> dict[str, set[str]]:
    """Every message id in the code and templates, with the files it appears in."""
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), METHODS, keywords=KEYWORDS, strip_comment_tags=True
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(filename)
    return found


def _is_public(files: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(f, pattern) for f in files for pattern in PUBLIC_SOURCES)


def public_messages(found: dict[str, set[str]]) -> set[str]:
    """Messages of the public pages and newcomer emails, and the service messages shown there
    (those already translated into Arabic, the first public language after English)."""
    public = {msgid for msgid, files in found.items() if _is_public(files)}
    arabic = translations("ar")
    for msgid, files in found.items():
        if msgid in arabic and any(f in PUBLIC_MESSAGES_FROM for f in files):
            public.add(msgid)
    return public


def translations(lang: str) -> dict[str, str]:
    """All translated messages of ``lang``, merged over the areas."""
    merged: dict[str, str] = {}
    for po_path in sorted(ROOT.glob(f"*/{lang}/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as fh:
            for message in read_po(fh):
                if message.id and message.string and not message.fuzzy:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    merged[key] = str(message.string) if isinstance(message.string, str) else ""
    return merged


def required(lang: str, found: dict[str, set[str]]) -> set[str]:
    """The message ids ``lang`` must have."""
    languages, public_languages = _languages()
    if lang in languages:
        return set(found)
    if lang in public_languages:
        return public_messages(found)
    return set()


def check_all() -> int:
    """Report missing catalogs, missing messages and untranslated or fuzzy ones."""
    problems = 0
    for po_path in sorted(ROOT.glob("*/*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and (not message.string or message.fuzzy):
                print(f"{po_path.relative_to(ROOT)}: untranslated {message.id!r}")
                problems += 1
    found = extracted()
    languages, public_languages = _languages()
    for lang in dict.fromkeys([*languages, *public_languages]):
        if lang == SOURCE_LANGUAGE:
            continue
        if not list(ROOT.glob(f"*/{lang}/LC_MESSAGES/messages.po")):
            print(f"{lang}: no catalog")
            problems += 1
            continue
        have = translations(lang)
        for msgid in sorted(required(lang, found) - set(have)):
            print(f"{lang}: missing {msgid!r} ({', '.join(sorted(found[msgid]))})")
            problems += 1
    return 1 if problems else 0


def print_missing(lang: str) -> int:
    """The messages ``lang`` lacks, as a JSON object with empty translations."""
    found = extracted()
    have = translations(lang)
    missing = sorted(required(lang, found) - set(have))
    print(json.dumps(dict.fromkeys(missing, ""), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command == "missing":
        sys.exit(print_missing(sys.argv[2]))
    sys.exit({"compile": compile_all, "check": check_all}[command]())
