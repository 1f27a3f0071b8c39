"""`avestavard report`: the JSON as the issue gives it, the XLSX sheets and the PDF's text, on
the half year of figures_support; small numbers withheld in the files that leave the house."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.integration.figures_support import EXPECTED, EXPECTED_MONTHS, build_history

PERIOD_ARGS = ["--from", "2026-01-01", "--to", "2026-06-30"]


def report(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=["report", *PERIOD_ARGS, *args])
    assert result.exit_code == 0, result.output
    return result


def test_json_report_has_every_figure(app: Flask, runner: Any) -> None:
    build_history(app)
    data = json.loads(report(runner, "--format", "json").stdout)
    for section, expected in EXPECTED.items():
        assert data[section] == expected, section
    assert [
        (m["month"], m["registered"], m["approved"], m["met"], m["letters"])
        for m in data["by_month"]
    ] == [row[:5] for row in EXPECTED_MONTHS]


def test_xlsx_has_a_sheet_per_table_with_small_numbers_withheld(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    build_history(app)
    out = tmp_path / "rapport.xlsx"
    report(runner, "--format", "xlsx", "--out", str(out))
    book = load_workbook(out, read_only=True)
    assert book.sheetnames[:4] == [
        "Rapport",
        "Sammanfattning",
        "Välkomstbrev per brev",
        "Välkomstbrev per kanal",
    ]
    summary = {row[0]: row[1:] for row in book["Sammanfattning"].iter_rows(values_only=True)}
    assert summary["Nyinflyttade som anmälde sig"] == (7, "<5", "–")  # previous period: 1
    assert summary["Välkomstbrev"] == (14, 0, 14)
    assert summary["Godkända matchningar"] == (5, 0, 5)
    assert summary["Värden tackade ja"] == ("<5", 0, "–")
    assert summary["Median väntetid för dem som väntar (dagar)"] == ("..", "..", "–")
    by_month = list(book["Per månad"].iter_rows(values_only=True))
    assert by_month[0] == (
        "Månad",
        "Anmälda",
        "Godkända matchningar",
        "Första möten",
        "Välkomstbrev",
    )
    # February: 3 registrations is "<5"; January's letters (5) and April's (8) are shown, June's
    # single letter is "<5" and the next smallest (5) is withheld so the total 14 gives nothing back
    assert by_month[2] == ("feb. 2026", "<5", "<5", 0, 0)
    letters = [row[4] for row in by_month[1:]]
    assert letters == ["..", 0, 0, 8, 0, "<5", 14]
    stages = {row[0]: row[1:] for row in book["Välkomstbrev per brev"].iter_rows(values_only=True)}
    assert stages["Brev 1 (Välkommen)"] == (9, 0)
    assert stages["Brev 2 (Efter tre månader)"] == (5, 0)
    assert stages["Totalt"] == (14, 0)
    channels = {
        row[0]: row[1:] for row in book["Välkomstbrev per kanal"].iter_rows(values_only=True)
    }
    assert channels["E-post"] == ("<5", 0)
    assert channels["Utskrivna brev"] == ("..", 0)  # else 14 − 13 gives the one email back
    assert channels["Totalt"] == (14, 0)


def test_pdf_is_the_swedish_section_with_sentences_and_withheld_cells(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    build_history(app)
    out = tmp_path / "rapport.pdf"
    report(runner, "--format", "pdf", "--out", str(out))
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = " ".join(page.extract_text() for page in reader.pages)
    text = " ".join(text.split())
    assert "Fokusområde 5 – Medflyttarstöd" in text
    assert "tidsperiod 2026-01-01 – 2026-06-30" in text
    assert "förra perioden 2025-07-04 – 2025-12-31" in text
    assert "7 nyinflyttade anmälde sig" in text
    assert "5 matchningar godkändes, 5 fler än förra perioden" in text
    assert "Färre än 5 par träffades för första gången" in text
    assert "14 välkomstbrev skickades, 14 fler än förra perioden" in text
    assert "Vid periodens slut väntade färre än 5 nyinflyttade" in text
    assert "<5" in text
    # the exact small numbers appear nowhere as counts of their own
    assert "2 par träffades" not in text


def test_pdf_and_xlsx_need_out_and_dates_are_checked(runner: Any) -> None:
    result = runner.invoke(args=["report", *PERIOD_ARGS, "--format", "pdf"])
    assert result.exit_code != 0 and "--out" in result.output
    result = runner.invoke(args=["report", "--from", "2026-02-01", "--to", "2026-01-01"])
    assert result.exit_code != 0 and "före startdatumet" in result.output
    result = runner.invoke(args=["report", "--from", "2026-13-01", "--to", "2026-12-31"])
    assert result.exit_code != 0 and "inte ett datum" in result.output
