"""Checks an uploaded .xlsx before openpyxl loads it, so a hostile file cannot exhaust the server.

A workbook is a zip of XML files. The upload cap limits only the compressed size: a few
kilobytes can unpack to gigabytes (a zip bomb), an XML entity can expand to gigabytes (billion
laughs) or name a file on the server (XXE), and a single cell far out (column XFD, row 5,000)
makes openpyxl build every cell of the rectangle up to it. :func:`check_workbook` reads the
zip's directory and streams each sheet's XML once, with the DTD forbidden, counting cells and
the furthest row and column that cells and merged ranges reach (what openpyxl would build; the
sheet's own dimension record is only a claim), and refuses the file before anything is built
from it.

Pure Python: no database, no Flask. Messages are Swedish and name the problem.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

# A legacy register of a few thousand people in some thirty columns fits well inside these.
MAX_ROWS = 20_000
MAX_COLUMNS = 200
MAX_CELLS = 250_000  # rows x columns of the rectangle openpyxl would build
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ENTRIES = 2_000

_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_NAMESPACE = re.compile(r"^\{[^}]*\}")


class UnsafeWorkbook(ValueError):
    """The file is refused before loading; ``str()`` is a Swedish sentence naming the problem."""


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number


def _cell(ref: str) -> tuple[int, int] | None:
    """``"XFD5000"`` -> ``(5000, 16384)``; ``None`` for anything that is not a cell reference."""
    found = _CELL_REF.match(ref.strip())
    if found is None:
        return None
    return int(found[2]), _column_number(found[1])


def _range_corner(ref: str) -> tuple[int, int] | None:
    """The bottom-right cell of ``"A1:XFD100"`` (or of a single cell)."""
    return _cell(ref.split(":")[-1]) if ref else None


def _number(value: int) -> str:
    """``16384`` -> ``"16 384"`` (Swedish digit grouping, no break)."""
    return f"{value:,}".replace(",", "\u00a0")


def _check_extent(label: str, rows: int, columns: int, cells: int) -> None:
    if columns > MAX_COLUMNS:
        raise UnsafeWorkbook(
            f"Bladet ”{label}” använder {_number(columns)} kolumner (högst {MAX_COLUMNS}). "
            "Ta bort innehåll och formatering långt ut till höger och spara filen igen."
        )
    if rows > MAX_ROWS:
        raise UnsafeWorkbook(
            f"Bladet ”{label}” använder {_number(rows)} rader (högst {_number(MAX_ROWS)}). "
            "Ta bort innehåll och formatering långt ner och spara filen igen."
        )
    if rows * columns > MAX_CELLS or cells > MAX_CELLS:
        raise UnsafeWorkbook(
            f"Bladet ”{label}” har för många celler (högst {_number(MAX_CELLS)}). Dela upp "
            "filen eller ta bort tomma rader och kolumner."
        )


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part (``xl/worksheets/sheet1.xml``) -> the title Excel shows on its tab."""
    try:
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            targets = {
                element.get("Id", ""): element.get("Target", "")
                for _event, element in iterparse(stream, forbid_dtd=True)
                if _NAMESPACE.sub("", element.tag) == "Relationship"
            }
        with archive.open("xl/workbook.xml") as stream:
            sheets = [
                element
                for _event, element in iterparse(stream, forbid_dtd=True)
                if _NAMESPACE.sub("", element.tag) == "sheet"
            ]
    except KeyError:
        return {}
    titles: dict[str, str] = {}
    for sheet in sheets:
        rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
        target = targets.get(rel, "").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        titles[part] = sheet.get("name", "")[:60]
    return titles


def _scan_sheet(label: str, stream: IO[bytes]) -> None:
    """Stream one sheet's XML: the DTD is forbidden; rows, columns and cells are bounded."""
    max_row = max_column = cells = 0
    row_number = column_number = 0
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = _NAMESPACE.sub("", element.tag)
        if event == "end":
            if tag == "row":
                element.clear()  # memory stays flat however long the sheet is
            continue
        if tag == "row":
            # A row without cells builds nothing; its number only places the cells in it.
            number = element.get("r", "")
            row_number = int(number) if number.isascii() and number.isdigit() else row_number + 1
            column_number = 0
            continue
        if tag == "c":
            cells += 1
            # As openpyxl reads it: a cell without a reference follows the one before it.
            row_number, column_number = _cell(element.get("r", "")) or (
                row_number,
                column_number + 1,
            )
            corner: tuple[int, int] | None = (row_number, column_number)
        elif tag == "mergeCell":
            # openpyxl builds a placeholder for every cell a merged range covers.
            corner = _range_corner(element.get("ref", ""))
        else:
            continue
        if corner is not None:
            max_row, max_column = max(max_row, corner[0]), max(max_column, corner[1])
        _check_extent(label, max_row, max_column, cells)
    _check_extent(label, max_row, max_column, cells)


def _scan_prolog(stream: IO[bytes]) -> None:
    """Parse up to the root element: a DTD (where entities are declared) is refused."""
    for _event in iterparse(stream, events=("start",), forbid_dtd=True):
        return


def check_workbook(file: IO[bytes]) -> None:
    """Refuse a workbook that is damaged, too large once unpacked, declares a DTD (XML bomb,
    XXE) or has a sheet beyond ``MAX_ROWS`` x ``MAX_COLUMNS`` / ``MAX_CELLS``.

    ``file`` is an open, seekable binary file; it is left at its start. Raises
    :class:`UnsafeWorkbook` with a Swedish sentence naming the problem.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise UnsafeWorkbook("Filen innehåller för många delar för att vara en Excelfil.")
            unpacked = sum(entry.file_size for entry in entries)
            if unpacked > MAX_UNPACKED_BYTES:
                raise UnsafeWorkbook(
                    f"Filen packas upp till {unpacked // (1024 * 1024)} MB (högst "
                    f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB). Spara den på nytt utan bilder "
                    "och tomma blad."
                )
            for entry in entries:
                name = entry.filename
                if not _SHEET_PART.match(name) and name.endswith((".xml", ".rels", ".vml")):
                    with archive.open(entry) as stream:
                        _scan_prolog(stream)
            titles = _sheet_titles(archive)
            for entry in entries:
                if _SHEET_PART.match(entry.filename):
                    label = titles.get(entry.filename) or entry.filename.rsplit("/", 1)[-1]
                    with archive.open(entry) as stream:
                        _scan_sheet(label, stream)
    except UnsafeWorkbook:
        raise
    except NotImplementedError as exc:  # a compression method zipfile does not know
        raise UnsafeWorkbook("Filen är packad på ett sätt som en Excelfil aldrig är.") from exc
    except DefusedXmlException as exc:
        raise UnsafeWorkbook(
            "Filen innehåller XML-deklarationer (DTD eller entiteter) som en Excelfil aldrig "
            "har. Den läses inte."
        ) from exc
    except ParseError as exc:
        raise UnsafeWorkbook(
            "Filen är trasig eller ofullständig (ett blad går inte att läsa). Spara den på nytt "
            "i Excel och ladda upp igen."
        ) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise UnsafeWorkbook(
            "Filen är inte en Excelfil (.xlsx) som går att läsa: den är trasig eller ofullständig."
        ) from exc
    finally:
        file.seek(0)
