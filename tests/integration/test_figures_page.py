"""Siffror: the coordinators' page shows the exact figures (3, where the report says "<5"),
its charts as SVG images with text alternatives, and the report files."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from openpyxl import load_workbook

from tests.integration.figures_support import build_history

PERIOD = "?period=custom&from=2026-01-01&to=2026-06-30"


def test_page_shows_exact_figures_charts_and_report_links(
    app: Flask, coordinator_client: Any
) -> None:
    build_history(app)
    response = coordinator_client.get("/coordinator/figures" + PERIOD)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-figure="newcomers.registered">7<' in page
    assert 'data-figure="matches.accepted">3<' in page  # "<5" in the report
    assert 'data-figure="letters.by_channel.email">1<' in page
    assert 'data-figure="newcomers.median_wait_days">55<' in page
    assert 'data-figure="follow_up.mean_rating">4,5<' in page
    # February's three registrations in the chart's table
    assert re.search(r"feb\. 2026</th><td>3</td><td>1</td><td>0</td>", page)
    assert "<style" not in page and "<script" not in page
    images = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 3 and all(alt for _, alt in images)
    chart = coordinator_client.get(images[0][0].replace("&amp;", "&"))
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert b"<svg" in chart.data and b"<script" not in chart.data
    pdf = coordinator_client.get("/coordinator/figures/report.pdf?from=2026-01-01&to=2026-06-30")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = coordinator_client.get("/coordinator/figures/report.xlsx?from=2026-01-01&to=2026-06-30")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")


def test_bad_dates_are_shown_next_to_the_fields(coordinator_client: Any) -> None:
    page = coordinator_client.get("/coordinator/figures?period=custom&from=2026-02-30&to=x")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="from-error"' in text and 'id="to-error"' in text
    assert 'value="2026-02-30"' in text
    assert coordinator_client.get("/coordinator/figures/chart/nope.svg").status_code == 404


def test_hosts_do_not_see_the_figures(client: Any, make_user: Any) -> None:
    from tests.conftest import login

    user = make_user("host")
    login(client, user.email)
    assert client.get("/coordinator/figures").status_code in (403, 404)


def test_matches_by_state_are_named_in_words(app: Flask, coordinator_client: Any) -> None:
    build_history(app)
    rows = {
        lang: dict(
            re.findall(
                r'<tr data-state="(\w+)"><th scope="row">([^<]+)</th>',
                coordinator_client.get(f"/coordinator/figures{PERIOD}&lang={lang}").get_data(
                    as_text=True
                ),
            )
        )
        for lang in ("sv", "en")
    }
    assert rows["sv"]["host_notified"] == "Skickad till värden"
    assert rows["sv"]["introduced"] == "Introducerad"
    assert rows["en"]["host_notified"] == "Sent to the host"
    assert len(rows["sv"]) == 7
    assert not any("_" in label for labels in rows.values() for label in labels.values())


def test_follow_up_ratings_are_shown_one_row_per_rating(
    app: Flask, coordinator_client: Any
) -> None:
    build_history(app)
    page = coordinator_client.get("/coordinator/figures" + PERIOD).get_data(as_text=True)
    table = page.split('id="ratings"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-rating="(\d)"><th scope="row">\d</th><td>(\d+)</td>', table)
    assert rows == [("1", "0"), ("2", "0"), ("3", "0"), ("4", "1"), ("5", "1")]


def test_the_charts_speak_the_pages_language(app: Flask, coordinator_client: Any) -> None:
    build_history(app)
    page = coordinator_client.get(f"/coordinator/figures{PERIOD}&lang=en").get_data(as_text=True)
    assert "<figcaption>Registrations, matches and first meetings per month</figcaption>" in page
    assert re.search(r"Feb 2026</th><td>3</td><td>1</td><td>0</td>", page)
    assert 'data-figure="follow_up.mean_rating">4.5<' in page  # "4,5" in Swedish
    images = dict(re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page))
    assert all("lang=en" in url for url in images)
    activity = next(url for url in images if "/activity.svg" in url)
    assert images[activity].startswith("Registrations, matches and first meetings per month, ")
    assert images[activity].endswith("The figures are in the table beside it.")
    svg = coordinator_client.get(activity.replace("&amp;", "&")).get_data(as_text=True)
    assert "Registered" in svg and "Feb 2026" in svg and "Anmälda" not in svg
    # The status report leaving the municipality stays in Swedish whatever the page's language.
    report = coordinator_client.get(
        "/coordinator/figures/report.xlsx?from=2026-01-01&to=2026-06-30&lang=en"
    )
    book = load_workbook(io.BytesIO(report.data))
    cells = {cell.value for sheet in book for row in sheet.iter_rows() for cell in row}
    assert "feb. 2026" in cells and "Feb 2026" not in cells
