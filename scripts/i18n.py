#!/usr/bin/env python3
"""Keep translation catalogs in step with the code.

    scripts/i18n.py compile            compile every .po under avestavard/translations to .mo
    scripts/i18n.py check              fail if a catalog has untranslated or fuzzy messages

Each area has its own catalog folder, avestavard/translations/<area>/<lang>/LC_MESSAGES/
messages.po; the app loads and merges them all. Message ids are the Swedish text.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "avestavard" / "translations"


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


def check_all() -> int:
    """Report messages without a translation."""
    missing = 0
    for po_path in sorted(ROOT.glob("*/*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and (not message.string or message.fuzzy):
                print(f"{po_path.relative_to(ROOT)}: untranslated {message.id!r}")
                missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    sys.exit({"compile": compile_all, "check": check_all}[command]())
