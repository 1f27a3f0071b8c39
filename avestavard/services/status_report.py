"""The status report for the steering group: the Medflyttarstöd section in Swedish, as XLSX
(one sheet per table) or PDF (A4, WeasyPrint), with the previous period beside each figure.

The report leaves the municipality, so small numbers are withheld: a count of 1 to
``suppress_below - 1`` people is shown as "<5", and where a table shows a total, one more
cell of the same row or column is withheld ("..") so that the total does not give the small
one back. Differences and sentences only use numbers that are shown; medians and means of
fewer people than ``suppress_below`` are not shown. The JSON and the dashboard stay exact.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.numbers import format_decimal
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from avestavard.services.charts import Series, bar_chart, line_chart, month_label
from avestavard.services.figures import Period, compute_figures

SMALL = "<5"
WITHHELD = ".."
NONE = "–"

STATE_LABELS = {
    "approved": "Godkänd, värden inte tillfrågad",
    "host_notified": "Värden tillfrågad",
    "accepted": "Accepterad av värden",
    "declined": "Avböjd av värden",
    "introduced": "Introducerad",
    "met": "Har träffats",
    "ended": "Avslutad",
}
FUNNEL_LABELS = {
    "registered": "Anmälda",
    "confirmed": "Bekräftade",
    "matched": "Matchade",
    "met": "Har träffats",
}
CHANNEL_LABELS = {"email": "E-post", "print": "Utskrivna brev"}


Cell = int | float | str | None


@dataclass
class Table:
    """One table of the report: a sheet in the XLSX, a table in the PDF and on the page."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]  # the first cell of each row is its label
    total_row: bool = False  # the last row is the column totals
    total_column: bool = False  # the last column is the row totals
    counts: bool = True  # the cells count people (withheld when small)
    note: str = ""

    def column(self, index: int) -> list[Cell]:
        """The cells of one data column (index 1 is the first after the labels)."""
        return [row[index] for row in self.rows]


def _small(value: Cell, below: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < below


def suppress(table: Table, below: int) -> Table:
    """A copy of a counting table with small cells withheld and totals made safe (see module)."""
    if not table.counts or below <= 1:
        return table
    values = [list(row) for row in table.rows]
    shown = [[not _small(cell, below) for cell in row] for row in values]
    height, width = len(values), len(values[0]) if values else 0
    # Lines that sum to a shown total: every column when there is a total row, every row when
    # there is a total column (the label column excluded).
    lines: list[list[tuple[int, int]]] = []
    if table.total_row:
        lines += [[(r, c) for r in range(height)] for c in range(1, width)]
    if table.total_column:
        lines += [[(r, c) for c in range(1, width)] for r in range(height)]
    secondary: set[tuple[int, int]] = set()
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [cell for cell in line if not shown[cell[0]][cell[1]]]
            if len(hidden) != 1:
                continue
            candidates = [
                cell
                for cell in line
                if shown[cell[0]][cell[1]]
                and isinstance(values[cell[0]][cell[1]], int)
                and values[cell[0]][cell[1]] != 0
            ]
            if not candidates:
                continue
            # the smallest other cell (never zero: a zero gives nothing away)
            r, c = min(candidates, key=lambda cell: (values[cell[0]][cell[1]], cell))
            shown[r][c] = False
            secondary.add((r, c))
            changed = True
    rows: list[list[Cell]] = []
    for r, row in enumerate(values):
        out: list[Cell] = []
        for c, cell in enumerate(row):
            if c == 0 or shown[r][c]:
                out.append(cell)
            else:
                out.append(WITHHELD if (r, c) in secondary else SMALL)
        rows.append(out)
    return Table(
        table.key,
        table.title,
        table.headers,
        rows,
        table.total_row,
        table.total_column,
        table.counts,
        table.note,
    )


# --------------------------------------------------------------------------- building


def _diff(current: Cell, previous: Cell) -> Cell:
    if isinstance(current, int | float) and isinstance(previous, int | float):
        difference = current - previous
        return difference if isinstance(difference, int) else round(difference, 1)
    return NONE


def _measure(value: Any, people: int, below: int) -> Cell:
    """A median or mean: shown only when it rests on enough people."""
    if value is None:
        return NONE
    if 0 < people < below:
        return WITHHELD
    return value


def _count(value: int, below: int) -> Cell:
    return SMALL if _small(value, below) else value


SUMMARY_ROWS: list[tuple[str, Callable[[dict[str, Any]], int]]] = [
    ("Nya AvestaVärdar", lambda f: f["hosts"]["new"]),
    ("Värdintervjuer", lambda f: f["hosts"]["interviews"]),
    ("Aktiva värdar vid periodens slut", lambda f: f["hosts"]["active"]),
    ("Pausade värdar vid periodens slut", lambda f: f["hosts"]["paused"]),
    ("Lediga platser vid periodens slut", lambda f: f["hosts"]["free_places"]),
    ("Nyinflyttade som anmälde sig", lambda f: f["newcomers"]["registered"]),
    ("Anmälningar som bekräftades", lambda f: f["newcomers"]["confirmed"]),
    ("Väntar på värd vid periodens slut", lambda f: f["newcomers"]["waiting"]),
    ("Godkända matchningar", lambda f: f["matches"]["approved"]),
    ("Värden tackade ja", lambda f: f["matches"]["accepted"]),
    ("Värden tackade nej", lambda f: f["matches"]["declined"]),
    ("Introduktioner", lambda f: f["matches"]["introduced"]),
    ("Första möten", lambda f: f["matches"]["met"]),
    ("Avslutade matchningar", lambda f: f["matches"]["ended"]),
    ("Välkomstbrev", lambda f: f["letters"]["created"]),
    ("Avregistreringar från välkomstbrev", lambda f: f["letters"]["unsubscribed"]),
]


@dataclass
class StatusReport:
    """Everything the XLSX and PDF show, small numbers already withheld."""

    period: Period
    previous: Period
    current: dict[str, Any]
    before: dict[str, Any]
    suppress_below: int
    stage_labels: dict[int, str]
    tables: list[Table] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        """The table named ``key``."""
        return next(t for t in self.tables if t.key == key)


def _summary(current: dict[str, Any], before: dict[str, Any], below: int) -> Table:
    rows: list[list[Cell]] = []
    for label, pick in SUMMARY_ROWS:
        now, then = _count(pick(current), below), _count(pick(before), below)
        rows.append([label, now, then, _diff(now, then)])
    waits = (
        _measure(current["newcomers"]["median_wait_days"], current["newcomers"]["waiting"], below),
        _measure(before["newcomers"]["median_wait_days"], before["newcomers"]["waiting"], below),
    )
    rows.append(["Median väntetid för dem som väntar (dagar)", *waits, _diff(*waits)])
    ratings = (
        _measure(current["follow_up"]["mean_rating"], current["follow_up"]["ratings"], below),
        _measure(before["follow_up"]["mean_rating"], before["follow_up"]["ratings"], below),
    )
    rows.append(["Medelbetyg i uppföljningen (1–5)", *ratings, _diff(*ratings)])
    return Table(
        "summary",
        "Sammanfattning",
        ["", "Denna period", "Förra perioden", "Skillnad"],
        rows,
        counts=False,
    )


def _two_periods(
    key: str,
    title: str,
    labels: Sequence[str],
    current: Sequence[int],
    before: Sequence[int],
    below: int,
) -> Table:
    rows: list[list[Cell]] = [
        [label, a, b] for label, a, b in zip(labels, current, before, strict=True)
    ]
    rows.append(["Totalt", sum(current), sum(before)])
    return suppress(
        Table(key, title, ["", "Denna period", "Förra perioden"], rows, total_row=True), below
    )


def build_report(
    session: Session,
    period: Period,
    *,
    stage_labels: dict[int, str],
    today: date,
    suppress_below: int = 5,
) -> StatusReport:
    """The report of ``period`` with the span of equal length before it beside."""
    stages = sorted(stage_labels)
    previous = period.previous()
    current = compute_figures(session, period, stages=stages, today=today)
    before = compute_figures(session, previous, stages=stages, today=today)
    below = suppress_below
    report = StatusReport(period, previous, current, before, below, stage_labels)
    report.tables.append(_summary(current, before, below))
    report.tables.append(
        _two_periods(
            "letters_by_stage",
            "Välkomstbrev per brev",
            [f"Brev {s} ({stage_labels[s]})" if stage_labels[s] else f"Brev {s}" for s in stages],
            [current["letters"]["by_stage"][str(s)] for s in stages],
            [before["letters"]["by_stage"][str(s)] for s in stages],
            below,
        )
    )
    report.tables.append(
        _two_periods(
            "letters_by_channel",
            "Välkomstbrev per kanal",
            [CHANNEL_LABELS[c] for c in CHANNEL_LABELS],
            [current["letters"]["by_channel"][c] for c in CHANNEL_LABELS],
            [before["letters"]["by_channel"][c] for c in CHANNEL_LABELS],
            below,
        )
    )
    months = current["by_month"]
    monthly: list[list[Cell]] = [
        [month_label(m["month"]), m["registered"], m["approved"], m["met"], m["letters"]]
        for m in months
    ]
    monthly.append(
        [
            "Totalt",
            *(sum(m[k] for m in months) for k in ("registered", "approved", "met", "letters")),
        ]
    )
    report.tables.append(
        suppress(
            Table(
                "by_month",
                "Per månad",
                ["Månad", "Anmälda", "Godkända matchningar", "Första möten", "Välkomstbrev"],
                monthly,
                total_row=True,
            ),
            below,
        )
    )
    letters: list[list[Cell]] = [
        [month_label(m["month"]), *(m["letters_by_stage"][str(s)] for s in stages), m["letters"]]
        for m in months
    ]
    letters.append(
        [
            "Totalt",
            *(sum(m["letters_by_stage"][str(s)] for m in months) for s in stages),
            sum(m["letters"] for m in months),
        ]
    )
    report.tables.append(
        suppress(
            Table(
                "letters_by_month",
                "Välkomstbrev per månad och brev",
                ["Månad", *(f"Brev {s}" for s in stages), "Totalt"],
                letters,
                total_row=True,
                total_column=True,
            ),
            below,
        )
    )
    report.tables.append(
        Table(
            "wait_by_month",
            "Väntetid till matchning per månad (dagar)",
            ["Månad", "Median", "90:e percentilen"],
            [
                [
                    month_label(m["month"]),
                    _measure(m["wait_median_days"], m["wait_count"], below),
                    _measure(m["wait_p90_days"], m["wait_count"], below),
                ]
                for m in months
            ],
            counts=False,
            note="Dagar från att personen började vänta till matchningen; visas när minst "
            f"{below} personer matchades under månaden.",
        )
    )
    report.tables.append(
        suppress(
            Table(
                "matches_by_state",
                "Matchningar per läge vid periodens slut",
                ["Läge", "Antal"],
                [[STATE_LABELS[s], n] for s, n in current["matches"]["by_state"].items()],
            ),
            below,
        )
    )
    distribution = current["follow_up"]["distribution"]
    ratings: list[list[Cell]] = [[f"Betyg {k}", n] for k, n in distribution.items()]
    ratings.append(["Totalt", sum(distribution.values())])
    report.tables.append(
        suppress(
            Table(
                "ratings",
                "Uppföljning efter en månad: hur bra passar ni ihop?",
                ["Svar", "Antal"],
                ratings,
                total_row=True,
            ),
            below,
        )
    )
    funnel: list[list[Cell]] = []
    for step in current["funnel"]:
        count = _count(step["count"], below)
        share = step["share"] if isinstance(count, int) and step["share"] is not None else NONE
        funnel.append([FUNNEL_LABELS[step["step"]], count, share])
    report.tables.append(
        Table(
            "funnel",
            "Från anmälan till möte under perioden",
            ["Steg", "Antal", "Andel av anmälda (%)"],
            funnel,
            counts=False,
        )
    )
    report.sentences = _sentences(report.table("summary"), current, below)
    return report


# --------------------------------------------------------------------------- sentences


def format_number(value: Cell) -> str:
    """A number the Swedish way (decimal comma, space between thousands)."""
    if isinstance(value, int | float):
        return format_decimal(value, locale="sv")
    return str(value)


def _compare(now: Cell, then: Cell, more: str, fewer: str) -> str:
    if not isinstance(now, int) or not isinstance(then, int):
        return ""
    if now == then:
        return ", lika många som förra perioden"
    word = more if now > then else fewer
    return f", {format_number(abs(now - then))} {word} än förra perioden"


def _sentences(summary: Table, current: dict[str, Any], below: int) -> list[str]:
    rows = {row[0]: row for row in summary.rows}

    def said(label: str, subject: str, verb: str) -> str:
        _, now, then, _ = rows[label]
        if now == SMALL:
            return f"Färre än {below} {subject} {verb}."
        return f"{format_number(now)} {subject} {verb}{_compare(now, then, 'fler', 'färre')}."

    sentences = [
        said("Nyinflyttade som anmälde sig", "nyinflyttade", "anmälde sig"),
        said("Godkända matchningar", "matchningar", "godkändes"),
        said("Första möten", "par", "träffades för första gången"),
        said("Välkomstbrev", "välkomstbrev", "skickades"),
        said("Nya AvestaVärdar", "nya AvestaVärdar", "kom till"),
    ]
    waiting = rows["Väntar på värd vid periodens slut"][1]
    wait = rows["Median väntetid för dem som väntar (dagar)"][1]
    if waiting == SMALL:
        sentences.append(f"Vid periodens slut väntade färre än {below} nyinflyttade på en värd.")
    elif waiting:
        text = f"Vid periodens slut väntade {format_number(waiting)} nyinflyttade på en värd"
        if isinstance(wait, int | float):
            text += f", hälften av dem i {format_number(wait)} dagar eller mer"
        sentences.append(text + ".")
    active, free = (
        rows["Aktiva värdar vid periodens slut"][1],
        rows["Lediga platser vid periodens slut"][1],
    )
    sentences.append(
        f"{'Färre än ' + str(below) if active == SMALL else format_number(active)} "
        "AvestaVärdar var aktiva med "
        f"{'färre än ' + str(below) if free == SMALL else format_number(free)} lediga platser."
    )
    return sentences


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG, its text alternative and the table with its data."""

    key: str
    title: str
    alt: str
    svg: bytes
    table: Table

    @property
    def data_uri(self) -> str:
        """The SVG as a data: URI (for the PDF)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode("ascii")


def _numbers(table: Table, column: int) -> list[float | None]:
    return [
        v if isinstance(v, int | float) and not isinstance(v, bool) else None
        for v in table.column(column)
    ]


# Translates a chart's Swedish words for the dashboard; the status report keeps them Swedish.
Words = Callable[[str], str]


def N_(text: str) -> str:
    """``text`` itself, marked so the dashboard's catalogs carry its translation."""
    return text


def chart_tables(
    figures: dict[str, Any], stages: Sequence[int], *, locale: str = "sv", words: Words = N_
) -> dict[str, Table]:
    """The exact data behind each chart (the dashboard's tables; the report suppresses them),
    in Swedish unless ``locale`` and ``words`` say otherwise (the page in English)."""
    months = figures["by_month"]
    labels = [month_label(m["month"], locale) for m in months]
    month = words(N_("Månad"))
    return {
        "activity": Table(
            "activity",
            words(N_("Anmälningar, matchningar och första möten per månad")),
            [
                month,
                words(N_("Anmälda")),
                words(N_("Godkända matchningar")),
                words(N_("Första möten")),
            ],
            [
                [label, m["registered"], m["approved"], m["met"]]
                for label, m in zip(labels, months, strict=True)
            ],
        ),
        "wait": Table(
            "wait",
            words(N_("Väntetid till matchning per månad (dagar)")),
            [month, words(N_("Median")), words(N_("90:e percentilen"))],
            [
                [label, m["wait_median_days"], m["wait_p90_days"]]
                for label, m in zip(labels, months, strict=True)
            ],
            counts=False,
        ),
        "letters": Table(
            "letters",
            words(N_("Välkomstbrev per månad och brev")),
            [month, *(words(N_("Brev %(stage)s")) % {"stage": s} for s in stages)],
            [
                [label, *(m["letters_by_stage"][str(s)] for s in stages)]
                for label, m in zip(labels, months, strict=True)
            ],
        ),
    }


def _alt(title: str, table: Table, locale: str = "sv", words: Words = N_) -> str:
    """A text alternative: what the chart shows and its largest values."""
    names = table.headers[1:]
    peaks = []
    for index, name in enumerate(names, start=1):
        values = [(v, row[0]) for row in table.rows if isinstance((v := row[index]), int | float)]
        if values:
            top, month = max(values, key=lambda pair: pair[0])
            peaks.append(
                words(N_("%(name)s högst %(value)s (%(month)s)"))
                % {
                    "name": name.lower(),
                    "value": format_decimal(top, locale=locale),
                    "month": month,
                }
            )
    span = f"{table.rows[0][0]}–{table.rows[-1][0]}" if table.rows else ""
    detail = "; ".join(peaks) if peaks else words(N_("inga värden"))
    return words(N_("%(title)s, %(span)s: %(detail)s. Siffrorna finns i tabellen intill.")) % {
        "title": title,
        "span": span,
        "detail": detail,
    }


def render_charts(
    tables: dict[str, Table],
    months: Sequence[str],
    *,
    draw: bool = True,
    locale: str = "sv",
    words: Words = N_,
) -> list[Chart]:
    """Each chart from its (exact or suppressed) table; ``draw=False``: text and table only.
    The axes and the text alternative in ``locale`` (the tables come worded already)."""
    charts = []
    for key, table in tables.items():
        series = [Series(name, _numbers(table, i)) for i, name in enumerate(table.headers[1:], 1)]
        if not draw:
            svg = b""
        elif key == "wait":
            svg = line_chart(months, series, ylabel=words(N_("Dagar")), locale=locale)
        else:
            svg = bar_chart(
                months,
                series,
                ylabel=words(N_("Antal")),
                stacked=key == "letters",
                locale=locale,
            )
        charts.append(Chart(key, table.title, _alt(table.title, table, locale, words), svg, table))
    return charts


def report_charts(report: StatusReport) -> list[Chart]:
    """The report's charts, drawn from the withheld tables (a small bar is not drawn)."""
    stages = sorted(report.stage_labels)
    exact = chart_tables(report.current, stages)
    safe = {}
    for key, table in exact.items():
        if key == "wait":
            safe[key] = report.table("wait_by_month")
        elif key == "letters":
            letters = report.table("letters_by_month")
            safe[key] = Table(
                "letters",
                table.title,
                table.headers,
                [row[: len(table.headers)] for row in letters.rows[:-1]],
            )
        else:
            monthly = report.table("by_month")
            safe[key] = Table(
                "activity", table.title, table.headers, [row[:4] for row in monthly.rows[:-1]]
            )
    return render_charts(safe, [m["month"] for m in report.current["by_month"]])


# --------------------------------------------------------------------------- files


def to_xlsx(report: StatusReport) -> bytes:
    """One sheet per table (openpyxl); withheld cells are the text "<5" or ".."."""
    workbook = Workbook()
    info = workbook.active
    if info is None:
        raise RuntimeError("a new workbook has an active sheet")
    info.title = "Rapport"
    info.append(["Medflyttarstöd: AvestaVärdar och välkomstbrev"])
    info["A1"].font = Font(bold=True, size=14)
    info.append(["Tidsperiod", report.period.start.isoformat(), report.period.end.isoformat()])
    info.append(
        ["Förra perioden", report.previous.start.isoformat(), report.previous.end.isoformat()]
    )
    info.append([])
    for sentence in report.sentences:
        info.append([sentence])
    info.append([])
    info.append(
        [
            f"Antal under {report.suppress_below} personer visas som {SMALL}; {WITHHELD} är ett "
            "tal som döljs för att en summa inte ska avslöja ett litet tal."
        ]
    )
    for table in report.tables:
        sheet = workbook.create_sheet(table.title[:31].replace(":", "").replace("?", ""))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = 44
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(report: StatusReport, render: Callable[..., str]) -> bytes:
    """The report as an A4 PDF; ``render`` is the template renderer (Flask's render_template)."""
    from weasyprint import HTML

    html = render(
        "reports/status_report.html",
        report=report,
        charts=report_charts(report),
        small=SMALL,
        withheld=WITHHELD,
        number=format_number,
    )
    return bytes(HTML(string=html).write_pdf())
