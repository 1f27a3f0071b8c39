"""Charts of the figures, drawn on the server by matplotlib as SVG.

Colours are the Okabe–Ito palette (told apart with every common colour blindness) and every
series also has its own hatch or marker, so a greyscale print still separates them. Months and
numbers are written in the reader's language, the Swedish way by default (``jan. 2026``,
``1 234``); the status report's charts are always Swedish. A value of None is a cell the
status report withholds (fewer than five people): no bar is drawn and "<5" is written instead.

The hatches are lines rather than dots and the text is SVG text rather than glyph outlines: the
document stays small and quick to paint, in the browser and in WeasyPrint's PDF alike. A chart
depends only on its data, so each drawn chart is kept (:func:`bar_chart` and :func:`line_chart`
remember their most recent results) and the page, its images and the report reuse it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import matplotlib
from babel.dates import format_date
from babel.numbers import format_decimal
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")
HATCHES = ("", "///", "\\\\\\", "xx", "--")
# Text as <text> in the system's sans-serif font, not as outlines of each glyph.
SVG_STYLE: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "avestavard"}
# Charts kept per distinct data (a few dozen kilobytes each).
CACHED_CHARTS = 64
MARKERS = ("o", "s", "^", "D", "v")
LINESTYLES = ("-", "--", ":", "-.", "-")


@dataclass(frozen=True)
class Series:
    """One named row of values, one per month (None: withheld)."""

    label: str
    values: Sequence[float | None]


def month_label(month: str, locale: str = "sv") -> str:
    """``2026-01`` as the month's short name and year (``jan. 2026``)."""
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMM yyyy", locale=locale)


def _figure(months: Sequence[str]) -> Figure:
    width = min(10.0, max(6.0, 0.45 * len(months) + 3))
    figure = Figure(figsize=(width, 3.6), layout="constrained")
    FigureCanvasSVG(figure)
    return figure


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with matplotlib.rc_context(SVG_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _axes_style(axes: object, months: Sequence[str], locale: str, ylabel: str) -> None:
    from matplotlib.axes import Axes

    if not isinstance(axes, Axes):
        raise TypeError("charts are drawn on matplotlib axes")
    step = max(1, len(months) // 12)
    axes.set_xticks(range(0, len(months), step))
    axes.set_xticklabels([month_label(m, locale) for m in months[::step]], rotation=45)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: format_decimal(value, locale=locale))
    )
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", color="#bbbbbb", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _frozen(series: Sequence[Series]) -> tuple[Series, ...]:
    return tuple(Series(one.label, tuple(one.values)) for one in series)


def bar_chart(
    months: Sequence[str],
    series: Sequence[Series],
    *,
    ylabel: str,
    stacked: bool = False,
    locale: str = "sv",
) -> bytes:
    """Bars per month, side by side or stacked, as an SVG document."""
    return _bar_chart(tuple(months), _frozen(series), ylabel, stacked, locale)


@lru_cache(maxsize=CACHED_CHARTS)
def _bar_chart(
    months: tuple[str, ...], series: tuple[Series, ...], ylabel: str, stacked: bool, locale: str
) -> bytes:
    figure = _figure(months)
    axes = figure.add_subplot()
    count = len(series)
    width = 0.8 if stacked else 0.8 / max(count, 1)
    bottoms = [0.0] * len(months)
    for index, one in enumerate(series):
        heights = [v if v is not None else 0.0 for v in one.values]
        if stacked:
            xs: list[float] = [float(x) for x in range(len(months))]
        else:
            xs = [x - 0.4 + width * (index + 0.5) for x in range(len(months))]
        axes.bar(
            xs,
            heights,
            width,
            bottom=bottoms if stacked else None,
            label=one.label,
            color=COLOURS[index % len(COLOURS)],
            hatch=HATCHES[index % len(HATCHES)],
            edgecolor="#1b1b1b",
            linewidth=0.6,
        )
        for x, value, bottom in zip(xs, one.values, bottoms, strict=True):
            if value is None:
                axes.annotate("<5", (x, bottom), ha="center", va="bottom", fontsize=7, rotation=90)
        if stacked:
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    _axes_style(axes, months, locale, ylabel)
    axes.legend(loc="upper left", frameon=False, ncols=min(count, 4))
    top = max([1.0, *bottoms, *((v or 0.0) for one in series for v in one.values)])
    axes.set_ylim(0, top * 1.25)
    return _svg(figure)


def line_chart(
    months: Sequence[str], series: Sequence[Series], *, ylabel: str, locale: str = "sv"
) -> bytes:
    """Lines per month (a month without a value is a gap), as an SVG document."""
    return _line_chart(tuple(months), _frozen(series), ylabel, locale)


@lru_cache(maxsize=CACHED_CHARTS)
def _line_chart(
    months: tuple[str, ...], series: tuple[Series, ...], ylabel: str, locale: str
) -> bytes:
    figure = _figure(months)
    axes = figure.add_subplot()
    top = 1.0
    for index, one in enumerate(series):
        values = [float("nan") if v is None else float(v) for v in one.values]
        top = max([top, *(v for v in one.values if v is not None)])
        axes.plot(
            range(len(months)),
            values,
            label=one.label,
            color=COLOURS[index % len(COLOURS)],
            marker=MARKERS[index % len(MARKERS)],
            linestyle=LINESTYLES[index % len(LINESTYLES)],
            linewidth=2,
        )
    _axes_style(axes, months, locale, ylabel)
    axes.set_xlim(-0.5, len(months) - 0.5)
    axes.set_ylim(0, top * 1.25)
    axes.legend(loc="upper left", frameon=False, ncols=min(len(series), 4))
    return _svg(figure)
