"""Siffror in Chromium: axe-core clean, the charts' tables say what the JSON says, and the page
fits a 390 px wide phone without sideways scrolling."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from avestavard.extensions import db
from avestavard.services.figures import Period, compute_figures
from tests.conftest import PASSWORD, axe_violations, format_violations
from tests.integration.figures_support import PERIOD, build_history

pytestmark = pytest.mark.browser


def test_figures_page_in_chromium(app: Flask, live_server: Any, page: Any, make_user: Any) -> None:
    build_history(app)
    user = make_user("coordinator")
    base = live_server.url
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/coordinator/figures?period=custom&from=2026-01-01&to=2026-06-30")
    assert page.locator("h1").inner_text() == "Siffror"
    for details in page.locator("details").all():
        details.locator("summary").click()
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    # every chart image loaded (served as SVG resources under the strict CSP)
    assert page.evaluate(
        "[...document.querySelectorAll('figure.chart img')].every(i => i.naturalWidth > 0)"
    )
    with app.app_context():
        figures = compute_figures(db.session, Period(*PERIOD), stages=[1, 2, 3], today=PERIOD[1])
    rows = page.evaluate(
        """[...document.querySelectorAll('table[data-chart="activity"] tbody tr')]
           .map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()))"""
    )
    assert rows == [
        [str(m["registered"]), str(m["approved"]), str(m["met"])] for m in figures["by_month"]
    ], json.dumps(rows)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
