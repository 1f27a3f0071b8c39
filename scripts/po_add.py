#!/usr/bin/env python3
"""Add or update translations in one catalog from a JSON file of {msgid: msgstr}.

scripts/po_add.py avestavard/translations/core/en/LC_MESSAGES/messages.po strings.json

Catalogs in languages other than Swedish and English are machine-assisted drafts: their header
says so, until a native speaker has reviewed them and removed the line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REVIEW_NOTE = "NEEDS REVIEW BY A NATIVE SPEAKER: drafted without one; check tone and plain words."


def main(po_path: str, json_path: str) -> int:
    """Merge the JSON table into the catalog (creating it if needed) and write it back."""
    path = Path(po_path)
    lang = path.parts[-3]
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=lang, project="avestavard")
    if lang not in ("sv", "en") and REVIEW_NOTE not in catalog.header_comment:
        catalog.header_comment = f"# {REVIEW_NOTE}\n{catalog.header_comment}"
    table = json.loads(Path(json_path).read_text(encoding="utf-8"))
    for msgid, msgstr in table.items():
        catalog.add(msgid, msgstr)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
