"""Every page of the site, found from the app's URL map (see ``site_walk``), with the demo's data
on it:

- the walk covers every GET route (only files and data are excluded, each with its reason; the
  printed letter, an A4 document shown in a frame, is validated but not checked for reflow);
- no page scrolls sideways (WCAG 1.4.10 reflow) at 390 and 1280 CSS pixels, with and without
  the keyboard focus on the skip link: staff pages in Swedish and English, public pages in all
  seven languages;
- form controls use the page's font;
- every page passes axe-core (WCAG 2.1 A/AA) in each of its languages at both widths;
- every page, in each of its languages, validates without errors in the W3C Nu HTML checker.

One browser, one context per role, one tab reused for all of that role's pages. Rendering does not
depend on the database, so the browser and validator checks run on SQLite only; the walk itself
(every page answers 200 with real data) runs on both databases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

from avestavard import PUBLIC_BLUEPRINTS, create_app
from avestavard.demo import DEMO_PASSWORD
from avestavard.extensions import db
from avestavard.models import Base
from tests.conftest import axe_violations, format_violations
from tests.e2e.site_walk import (
    ANONYMOUS,
    STAFF_ROLES,
    Walk,
    load_world,
    seed_links,
    signed_in_client,
    uncovered,
    walk_site,
)

pytestmark = pytest.mark.browser

RENDERING_ONLY = pytest.mark.skipif(
    os.environ.get("AVESTAVARD_TEST_DB", "sqlite") != "sqlite",
    reason="rendering only: the SQLite run covers it",
)
WIDTHS = (390, 1280)
# A page that does not exist: the error page is a page too.
MISSING_PAGE = "/sidan-finns-inte"

# How far the page reaches past the window, and the elements that stick out (for the message).
OVERFLOW = """
() => {
  const over = document.documentElement.scrollWidth - window.innerWidth;
  if (over <= 0) return [over, []];
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > window.innerWidth + 0.5 || box.left < -0.5)) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.classList.length ? '.' + [...el.classList].join('.') : '');
      wide.push(`${name} [${Math.round(box.left)}..${Math.round(box.right)}]`);
    }
  }
  return [over, wide.slice(0, 6)];
}
"""

# Form controls whose font is not the page's (browsers give them their own unless told).
# A link shown for copying is set in a monospace font on purpose (0 and O, l and 1 differ).
OTHER_FONTS = """
() => {
  const font = getComputedStyle(document.body).fontFamily;
  return [...document.querySelectorAll('input, select, textarea, button')]
    .filter(el => !el.classList.contains('link-input') && el.type !== 'hidden')
    .filter(el => getComputedStyle(el).fontFamily !== font)
    .map(el => `${el.tagName.toLowerCase()}${el.name ? '[name=' + el.name + ']' : ''}: `
      + getComputedStyle(el).fontFamily);
}
"""


@dataclass
class Site:
    """The app with the demo loaded, served on a loopback port, and the walk over it."""

    app: Flask
    url: str
    walk: Walk

    def views(self, role: str) -> list[tuple[str, str]]:
        """The role's pages (one URL per route; the error page among the anonymous ones), each
        in each language it is offered in: public pages in every public language, the rest in
        the staff languages."""
        pages = sorted(self.walk.pages[role].items(), key=lambda item: item[1])
        if role == ANONYMOUS:
            pages.append(("", MISSING_PAGE))
        config = self.app.config
        return [
            (lang, path)
            for endpoint, path in pages
            for lang in (
                config["PUBLIC_LANGUAGES"]
                if endpoint.split(".")[0] in PUBLIC_BLUEPRINTS
                else config["LANGUAGES"]
            )
        ]


@pytest.fixture(scope="module")
def site(database_url: str) -> Iterator[Site]:
    """One demo for the whole module (loading it takes seconds); emptied afterwards."""
    app = create_app("testing", {"DATABASE_URL": database_url})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        load_world(app)
        yield Site(app, f"http://127.0.0.1:{server.server_port}", walk_site(app, seed_links(app)))
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()


def with_language(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


# --------------------------------------------------------------------------- the walk


def test_the_walk_covers_every_get_route(site: Site) -> None:
    missing = uncovered(site.app, site.walk)
    assert missing == {}, "GET routes not walked (link to them, or list a file route in " + (
        "site_walk.NOT_PAGES):\n" + "\n".join(f"{e}: {why}" for e, why in missing.items())
    )
    # every role has its pages, and each staff page is walked by the role it belongs to
    assert {"public.index", "public.register", "auth.login"} <= set(site.walk.pages[ANONYMOUS])
    assert "coordinator.to_match" in site.walk.pages["coordinator"]
    assert "admin.users" in site.walk.pages["admin"]
    assert "host.match_detail" in site.walk.pages["host"]


# --------------------------------------------------------------------------- in the browser


def log_in(page: Any, base: str, email: str) -> None:
    """Log in through the real form."""
    page.goto(f"{base}/login?lang=sv")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path != "/login", f"{email} could not log in"


def check(page: Any, where: str, width: int, problems: list[str], *, axe: bool = False) -> None:
    """The page as it is now: no sideways scrolling, and axe-core when asked."""
    over, wide = page.evaluate(OVERFLOW)
    if over > 0:
        problems.append(f"{where} @{width}: scrolls sideways by {over}px: {wide}")
    if axe:
        violations = axe_violations(page)
        if violations:
            problems.append(f"{where} @{width}:\n{format_violations(violations)}")


def check_role(browser: Any, site: Site, role: str) -> tuple[int, list[str]]:
    """Walk one role's pages in its languages; return the number of page views and problems."""
    context = browser.new_context(locale="sv-SE", viewport={"width": WIDTHS[0], "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    views = 0
    try:
        if role != ANONYMOUS:
            log_in(page, site.url, STAFF_ROLES[role])
        for lang, path in site.views(role):
            views += 1
            where = f"{role} {lang} {path}"
            page.set_viewport_size({"width": WIDTHS[0], "height": 800})
            response = page.goto(f"{site.url}{with_language(path, lang)}")
            expected = 404 if path == MISSING_PAGE else 200
            if response is None or response.status != expected:
                problems.append(f"{where}: answered {response and response.status}")
                continue
            direction = "rtl" if lang in site.app.config["RTL_LANGUAGES"] else "ltr"
            html = page.locator("html")
            if (html.get_attribute("lang"), html.get_attribute("dir")) != (lang, direction):
                problems.append(f"{where}: not in {lang} ({direction})")
            # unfocused, then with the skip link focused by the first Tab, at 390 px;
            # still focused, then unfocused, at 1280 px
            check(page, where, WIDTHS[0], problems, axe=True)
            other_fonts = page.evaluate(OTHER_FONTS)
            if other_fonts:
                problems.append(f"{where}: form controls not in the page's font: {other_fonts}")
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.className")
            if focused != "skip-link":
                problems.append(f"{where}: the first Tab went to {focused!r}, not skip link")
            check(page, f"{where}, skip link focused", WIDTHS[0], problems)
            page.set_viewport_size({"width": WIDTHS[1], "height": 800})
            check(page, f"{where}, skip link focused", WIDTHS[1], problems)
            page.evaluate("document.activeElement.blur()")
            check(page, where, WIDTHS[1], problems, axe=True)
    finally:
        context.close()
    return views, problems


@RENDERING_ONLY
@pytest.mark.parametrize("role", [ANONYMOUS, *STAFF_ROLES])
def test_no_page_scrolls_sideways(browser: Any, site: Site, role: str) -> None:
    """Reflow at 390 and 1280 px in every language, and axe-core at both widths."""
    views, problems = check_role(browser, site, role)
    assert views >= len(site.walk.pages[role]) > 0
    assert problems == [], f"{len(problems)} problems on {views} page views:\n" + "\n".join(
        problems
    )


# --------------------------------------------------------------------------- valid HTML


def vnu_jar() -> Path:
    """The Nu HTML checker's jar, installed by ``make install-test`` beside the virtualenv."""
    named = os.environ.get("AVESTAVARD_VNU_JAR")
    if named:
        return Path(named)
    found = sorted(Path(sys.prefix).glob("vnu-*/node_modules/vnu-jar/build/dist/vnu.jar"))
    if not found:
        pytest.fail("the Nu HTML checker is missing: run make install-test")
    return found[-1]


@RENDERING_ONLY
def test_every_page_is_valid_html(site: Site, tmp_path: Path) -> None:
    """All pages in all their languages, and more URLs of each route (other people and states)
    in Swedish, checked in one run of the Nu HTML checker."""
    files: dict[str, str] = {}
    for role in (ANONYMOUS, *STAFF_ROLES):
        client = signed_in_client(site.app, role)
        views = site.views(role)
        views += [
            (site.app.config["BABEL_DEFAULT_LOCALE"], path)
            for paths in site.walk.variants[role].values()
            for path in paths
        ]
        if role == "coordinator":
            views += [("sv", path) for path in sorted(site.walk.documents.values())]
        for lang, path in views:
            response = client.get(with_language(path, lang))
            assert response.mimetype == "text/html", path
            assert response.status_code == (404 if path == MISSING_PAGE else 200), path
            name = tmp_path / f"page-{len(files):04d}.html"
            name.write_bytes(response.get_data())
            files[str(name)] = f"{role} {lang} {path}"
    run = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--errors-only", "--format", "json", *sorted(files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stderr or run.stdout)
    # the checker names each file as a file: URL ("file:/tmp/...")
    errors = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))} "
        f"line {m.get('lastLine')}: {m['message']}"
        for m in report["messages"]
    ]
    assert len(files) > 100
    assert errors == [], f"{len(errors)} HTML errors in {len(files)} pages:\n" + "\n".join(errors)
